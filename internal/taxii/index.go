package taxii

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Index is a node's derived TAXII index of the object stream, in a bbolt
// file. The stream stays the source of truth: the index is built from it,
// caught up on start, kept current by a tail subscription (Follow), and
// rebuilt from scratch when its file is missing, unreadable, of an older
// schema or made from another stream. TAXII queries read only the index.
//
// Buckets (all keys big-endian, so byte order is numeric order):
//
//	objects  seq(8)                      -> record (flags, date added, version, id, ..., served JSON)
//	family   family(1) seq(8)            -> empty: the collection of each type family
//	type     type 0x00 seq(8)            -> empty
//	ids      lower(id)                   -> versions: seq(8) vsec(8) vnsec(4), in stream order
//	added    date_added µs(8)            -> seq(8), for added_after
//	meta     "pos", "added", "schema", "stream"
//
// Positions are stream sequences. date_added is the receipt's acceptance
// time in microseconds, raised where needed to one microsecond after the
// previous object's, so it strictly increases with the sequence: ordering
// by date_added is ordering by sequence, added_after has no ties, and every
// node derives the same values from the same stream.
type Index struct {
	db   *bolt.DB
	path string
	log  *slog.Logger

	mu        sync.Mutex
	pos       uint64 // every stream message up to here is indexed
	lastAdded int64  // date_added (µs) of the message at pos
	advanced  chan struct{}
}

// schemaVersion changes whenever the layout or the family mapping does;
// an index of another version is rebuilt.
const schemaVersion = "taxii-index/2"

var (
	bucketObjects = []byte("objects")
	bucketFamily  = []byte("family")
	bucketType    = []byte("type")
	bucketIDs     = []byte("ids")
	bucketAdded   = []byte("added")
	bucketMeta    = []byte("meta")
	allBuckets    = [][]byte{bucketObjects, bucketFamily, bucketType, bucketIDs, bucketAdded, bucketMeta}

	metaPos    = []byte("pos")
	metaAdded  = []byte("added")
	metaSchema = []byte("schema")
	metaStream = []byte("stream")
)

// Record flags.
const (
	flagLatest byte = 1 << iota // the latest version of its id stored so far
	flagFirst                   // the earliest version of its id stored so far
)

// OpenIndex opens (or creates) the index file at path for the stream
// identified by streamID (anything that changes when the stream is
// recreated, such as its creation time). An index built from another
// stream, of another schema, or unreadable, is deleted and rebuilt.
func OpenIndex(path, streamID string, log *slog.Logger) (*Index, error) {
	if log == nil {
		log = slog.Default()
	}
	x, err := openIndex(path, streamID, log)
	if err != nil {
		log.Warn("TAXII index unusable; rebuilding it from the stream", "path", path, "err", err)
		if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			return nil, fmt.Errorf("remove TAXII index: %w", rerr)
		}
		x, err = openIndex(path, streamID, log)
	}
	return x, err
}

func openIndex(path, streamID string, log *slog.Logger) (*Index, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: 5 * time.Second,
		// The index is derived: after a crash it is caught up (or rebuilt)
		// from the stream, so it need not be fsynced.
		NoSync:         true,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("open TAXII index %s: %w", path, err)
	}
	x := &Index{db: db, path: path, log: log, advanced: make(chan struct{})}
	err = db.Update(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bucketMeta); m != nil {
			if string(m.Get(metaSchema)) != schemaVersion || string(m.Get(metaStream)) != streamID {
				log.Info("TAXII index is of another schema or stream; rebuilding", "path", path)
				for _, b := range allBuckets {
					if err := tx.DeleteBucket(b); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
						return err
					}
				}
			}
		}
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		m := tx.Bucket(bucketMeta)
		if err := m.Put(metaSchema, []byte(schemaVersion)); err != nil {
			return err
		}
		if err := m.Put(metaStream, []byte(streamID)); err != nil {
			return err
		}
		if v := m.Get(metaPos); len(v) == 8 {
			x.pos = binary.BigEndian.Uint64(v)
		}
		if v := m.Get(metaAdded); len(v) == 8 {
			x.lastAdded = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("prepare TAXII index %s: %w", path, err)
	}
	return x, nil
}

// Close closes the index file.
func (x *Index) Close() error { return x.db.Close() }

// Position returns the last stream sequence the index covers.
func (x *Index) Position() uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.pos
}

// WaitFor blocks until the index covers stream sequence seq.
func (x *Index) WaitFor(ctx context.Context, seq uint64) error {
	for {
		x.mu.Lock()
		pos, ch := x.pos, x.advanced
		x.mu.Unlock()
		if pos >= seq {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("TAXII index at %d, waiting for %d: %w", pos, seq, ctx.Err())
		}
	}
}

// entry is one stream message ready for the index.
type entry struct {
	seq        uint64
	acceptedAt int64 // µs
	head       objectHead
	member     string
	sharing    []byte // the object's Sharing, protobuf-encoded
	json       []byte // as served, with the signature extension
	skip       bool   // a message that is not an object: only advances pos
}

// record is a decoded objects value. Its byte slices alias the database
// and are valid only inside the transaction.
type record struct {
	flags       byte
	added       int64 // µs
	vsec        int64
	vnsec       uint32
	id          []byte
	specVersion []byte
	member      []byte
	sharing     []byte // protobuf Sharing: who may read it
	version     []byte // as written in the object; date_added if none
	json        []byte
}

const recordFixed = 1 + 8 + 8 + 4

func encodeRecord(r *record) []byte {
	n := recordFixed + 5*binary.MaxVarintLen32 + len(r.id) + len(r.specVersion) + len(r.member) + len(r.sharing) + len(r.version) + len(r.json)
	b := make([]byte, recordFixed, n)
	b[0] = r.flags
	binary.BigEndian.PutUint64(b[1:], uint64(r.added))
	binary.BigEndian.PutUint64(b[9:], uint64(r.vsec))
	binary.BigEndian.PutUint32(b[17:], r.vnsec)
	for _, s := range [][]byte{r.id, r.specVersion, r.member, r.sharing, r.version} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return append(b, r.json...)
}

var errBadRecord = errors.New("corrupt TAXII index record")

func decodeRecord(b []byte, r *record) error {
	if len(b) < recordFixed {
		return errBadRecord
	}
	r.flags = b[0]
	r.added = int64(binary.BigEndian.Uint64(b[1:]))
	r.vsec = int64(binary.BigEndian.Uint64(b[9:]))
	r.vnsec = binary.BigEndian.Uint32(b[17:])
	b = b[recordFixed:]
	for _, dst := range []*[]byte{&r.id, &r.specVersion, &r.member, &r.sharing, &r.version} {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return errBadRecord
		}
		*dst = b[k : k+int(n)]
		b = b[k+int(n):]
	}
	r.json = b
	return nil
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

func familyKey(f byte, seq uint64) []byte {
	k := make([]byte, 9)
	k[0] = f
	binary.BigEndian.PutUint64(k[1:], seq)
	return k
}

func typeKey(typ string, seq uint64) []byte {
	k := make([]byte, 0, len(typ)+9)
	k = append(k, typ...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, seq)
}

// versionTime parses a STIX timestamp into seconds and nanoseconds.
func versionTime(s string) (int64, uint32, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, 0, false
	}
	return t.Unix(), uint32(t.Nanosecond()), true
}

func vless(as int64, an uint32, bs int64, bn uint32) bool {
	return as < bs || (as == bs && an < bn)
}

// apply indexes entries, which follow the index's position in stream
// order, in one transaction.
func (x *Index) apply(entries []entry) error {
	x.mu.Lock()
	pos, lastAdded := x.pos, x.lastAdded
	x.mu.Unlock()
	err := x.db.Update(func(tx *bolt.Tx) error {
		objects, family, types, ids, added := tx.Bucket(bucketObjects), tx.Bucket(bucketFamily),
			tx.Bucket(bucketType), tx.Bucket(bucketIDs), tx.Bucket(bucketAdded)
		// Keys are appended in order: pack pages full.
		objects.FillPercent, family.FillPercent, added.FillPercent = 0.95, 0.95, 0.95
		for i := range entries {
			e := &entries[i]
			if e.seq <= pos {
				continue // already indexed (a redelivery after a reconnect)
			}
			pos = e.seq
			if e.skip {
				continue
			}
			// Strictly increasing, and after the extension definition.
			lastAdded = max(e.acceptedAt, lastAdded+1, extensionCreated.UnixMicro()+1)
			r := record{
				added:       lastAdded,
				id:          []byte(e.head.id),
				specVersion: []byte(e.head.specVersion),
				member:      []byte(e.member),
				sharing:     e.sharing,
				json:        e.json,
			}
			if len(r.specVersion) == 0 {
				r.specVersion = []byte("2.1")
			}
			ver := e.head.modified
			if ver == "" {
				ver = e.head.created
			}
			var ok bool
			if ver != "" {
				r.vsec, r.vnsec, ok = versionTime(ver)
			}
			if !ok {
				// TAXII: an object without modified or created is versioned
				// by its date_added.
				t := time.UnixMicro(lastAdded).UTC()
				ver = t.Format(timeFormat)
				r.vsec, r.vnsec = t.Unix(), uint32(t.Nanosecond())
			}
			r.version = []byte(ver)
			if err := x.versions(objects, ids, e, &r); err != nil {
				return err
			}
			key := seqKey(e.seq)
			if err := objects.Put(key, encodeRecord(&r)); err != nil {
				return err
			}
			if err := family.Put(familyKey(familyOf(e.head.typ), e.seq), nil); err != nil {
				return err
			}
			if err := types.Put(typeKey(e.head.typ, e.seq), nil); err != nil {
				return err
			}
			if err := added.Put(seqKey(uint64(lastAdded)), key); err != nil {
				return err
			}
		}
		m := tx.Bucket(bucketMeta)
		if err := m.Put(metaPos, seqKey(pos)); err != nil {
			return err
		}
		return m.Put(metaAdded, seqKey(uint64(lastAdded)))
	})
	if err != nil {
		return fmt.Errorf("update TAXII index: %w", err)
	}
	x.mu.Lock()
	x.pos, x.lastAdded = pos, lastAdded
	close(x.advanced)
	x.advanced = make(chan struct{})
	x.mu.Unlock()
	return nil
}

// versions records e's version under its id and sets the latest and first
// flags of r, clearing them on the records that lose them.
func (x *Index) versions(objects, ids *bolt.Bucket, e *entry, r *record) error {
	idk := []byte(strings.ToLower(e.head.id))
	old := ids.Get(idk)
	var latestSeq, firstSeq uint64
	var ls, fs int64
	var ln, fn uint32
	for i := 0; i+20 <= len(old); i += 20 {
		seq := binary.BigEndian.Uint64(old[i:])
		s := int64(binary.BigEndian.Uint64(old[i+8:]))
		n := binary.BigEndian.Uint32(old[i+16:])
		if latestSeq == 0 || !vless(s, n, ls, ln) {
			latestSeq, ls, ln = seq, s, n
		}
		if firstSeq == 0 || vless(s, n, fs, fn) {
			firstSeq, fs, fn = seq, s, n
		}
	}
	r.flags = 0
	if latestSeq == 0 || !vless(r.vsec, r.vnsec, ls, ln) {
		r.flags |= flagLatest
		if latestSeq != 0 {
			if err := clearFlag(objects, latestSeq, flagLatest); err != nil {
				return err
			}
		}
	}
	if firstSeq == 0 || vless(r.vsec, r.vnsec, fs, fn) {
		r.flags |= flagFirst
		if firstSeq != 0 {
			if err := clearFlag(objects, firstSeq, flagFirst); err != nil {
				return err
			}
		}
	}
	v := make([]byte, len(old), len(old)+20)
	copy(v, old)
	v = binary.BigEndian.AppendUint64(v, e.seq)
	v = binary.BigEndian.AppendUint64(v, uint64(r.vsec))
	v = binary.BigEndian.AppendUint32(v, r.vnsec)
	return ids.Put(idk, v)
}

func clearFlag(objects *bolt.Bucket, seq uint64, flag byte) error {
	k := seqKey(seq)
	v := objects.Get(k)
	if len(v) == 0 || v[0]&flag == 0 {
		return nil
	}
	nv := bytes.Clone(v)
	nv[0] &^= flag
	return objects.Put(k, nv)
}

// timeFormat is how the hub writes TAXII timestamps: RFC 3339 UTC with
// microseconds, the precision of date_added.
const timeFormat = "2006-01-02T15:04:05.000000Z"
