package taxii

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stixhub/stixhub/internal/sign"
)

// ReadPolicy decides whether a member may read a stored object, from its
// publisher and its Sharing (protobuf) as the index keeps them; the hub
// answers with the one access decision every read path uses
// (internal/access). It must be cheap: it is asked once per object examined.
type ReadPolicy func(memberID string, publisher, sharing []byte) bool

// Query selects objects of a collection. Positions ("keys") order the
// collection: the hub's extension definition is key 1, the object at
// stream sequence s is key s+1.
type Query struct {
	Coll *Collection
	// After continues a previous page: only keys greater than After.
	After uint64
	// AddedAfter, when not zero, keeps objects added strictly after it.
	AddedAfter time.Time
	// Limit is the most objects returned.
	Limit int
	// IDs (lower case) and Types restrict the objects; empty means any.
	IDs   []string
	Types []string
	// Versions selects versions; the zero value means the latest.
	Versions VersionFilter
	// SpecVersions restricts spec_version; empty means any (the hub
	// stores STIX 2.1 only, so "the latest" is every object).
	SpecVersions []string
	// Member is who asks; May decides what it may read.
	Member string
	May    ReadPolicy
}

// VersionFilter is match[version].
type VersionFilter struct {
	All, First, Last bool
	Times            []time.Time
}

// Item is one selected object version. Its byte slices are valid only
// during the callback.
type Item struct {
	Key         uint64
	Added       int64 // µs
	ID          []byte
	Version     []byte
	SpecVersion []byte
	JSON        []byte
}

// maxExamine bounds the objects one request examines. A selective filter
// over a large collection then returns a short (even empty) page with
// more=true and a next, instead of scanning the whole collection in one
// request.
const maxExamine = 100_000

// Page runs q and calls emit for each selected object in key order, at
// most q.Limit times. It returns whether more objects may follow and the
// key to continue after.
func (x *Index) Page(q *Query, emit func(*Item)) (more bool, next uint64, err error) {
	err = x.db.View(func(tx *bolt.Tx) error {
		more, next = x.page(tx, q, emit)
		return nil
	})
	return more, next, err
}

func (x *Index) page(tx *bolt.Tx, q *Query, emit func(*Item)) (more bool, next uint64) {
	objects := tx.Bucket(bucketObjects)
	// Stream sequences strictly after start are candidates.
	var start uint64
	if q.After > 0 {
		start = q.After - 1
	}
	if !q.AddedAfter.IsZero() {
		first, ok := firstAddedAfter(tx, q.AddedAfter)
		if !ok {
			start = ^uint64(0) >> 1 // nothing in the stream qualifies
		} else {
			start = max(start, first-1)
		}
	}
	var types []string
	for _, t := range q.Types {
		if q.Coll.has(t) {
			types = append(types, t)
		}
	}
	if len(q.Types) > 0 && len(types) == 0 {
		return false, 0
	}
	var (
		it       Item
		emitted  int
		examined int
		lastKey  uint64
	)
	// want reports whether the version passes the filters.
	want := func(flags byte, vsec int64, vnsec uint32, spec []byte) bool {
		if len(q.SpecVersions) > 0 && !slices.Contains(q.SpecVersions, string(spec)) {
			return false
		}
		v := q.Versions
		if v.All || (!v.First && !v.Last && len(v.Times) == 0 && flags&flagLatest != 0) ||
			(v.Last && flags&flagLatest != 0) || (v.First && flags&flagFirst != 0) {
			return true
		}
		for _, t := range v.Times {
			if t.Unix() == vsec && uint32(t.Nanosecond()) == vnsec {
				return true
			}
		}
		return false
	}
	// offer considers one candidate; it returns false to stop.
	offer := func(key uint64, it *Item, flags byte, vsec int64, vnsec uint32, publisher, sharing []byte) bool {
		examined++
		if !want(flags, vsec, vnsec, it.SpecVersion) || (publisher != nil && !q.May(q.Member, publisher, sharing)) {
			if examined >= maxExamine {
				more, next = true, key
				return false
			}
			return true
		}
		if emitted == q.Limit {
			more, next = true, lastKey
			return false
		}
		it.Key = key
		emit(it)
		emitted++
		lastKey = key
		if examined >= maxExamine && emitted < q.Limit {
			more, next = true, key
			return false
		}
		return true
	}

	// The extension definition, key 1.
	if q.After == 0 && (q.AddedAfter.IsZero() || q.AddedAfter.Before(extensionCreated)) &&
		q.Coll.has("extension-definition") &&
		(len(q.Types) == 0 || slices.Contains(types, "extension-definition")) &&
		(len(q.IDs) == 0 || slices.Contains(q.IDs, sign.SignatureExtensionID)) {
		ed := Item{ID: []byte(sign.SignatureExtensionID), Version: []byte(ExtensionCreated),
			SpecVersion: []byte("2.1"), JSON: ExtensionDefinition, Added: extensionCreated.UnixMicro()}
		if !offer(1, &ed, flagLatest|flagFirst, extensionCreated.Unix(), 0, nil, nil) {
			return more, next
		}
	}

	var r record
	// get reads the record at seq through one cursor: collections are
	// walked in sequence order, so the record is usually a few steps
	// ahead of the last one (one Seek otherwise), which is much cheaper
	// than a lookup from the root per object.
	oc := objects.Cursor()
	var ok, ov []byte
	var okSeq uint64
	get := func(seq uint64) []byte {
		for steps := 0; ok != nil && okSeq < seq && steps < 8; steps++ {
			ok, ov = oc.Next()
			if ok != nil {
				okSeq = binary.BigEndian.Uint64(ok)
			}
		}
		if ok == nil || okSeq != seq {
			var k [8]byte
			binary.BigEndian.PutUint64(k[:], seq)
			ok, ov = oc.Seek(k[:])
			if ok == nil {
				return nil
			}
			okSeq = binary.BigEndian.Uint64(ok)
			if okSeq != seq {
				return nil
			}
		}
		return ov
	}
	visit := func(seq uint64, v []byte) bool {
		if v == nil || decodeRecord(v, &r) != nil {
			return true
		}
		it = Item{Added: r.added, ID: r.id, Version: r.version, SpecVersion: r.specVersion, JSON: r.json}
		return offer(seq+1, &it, r.flags, r.vsec, r.vnsec, r.member, r.sharing)
	}
	switch {
	case len(q.IDs) > 0:
		ids := tx.Bucket(bucketIDs)
		var seqs []uint64
		for _, id := range q.IDs {
			typ, _, _ := strings.Cut(id, "--")
			if !q.Coll.has(typ) || (len(q.Types) > 0 && !slices.Contains(types, typ)) {
				continue
			}
			vs := ids.Get([]byte(id))
			for i := 0; i+20 <= len(vs); i += 20 {
				if s := binary.BigEndian.Uint64(vs[i:]); s > start {
					seqs = append(seqs, s)
				}
			}
		}
		slices.Sort(seqs)
		seqs = slices.Compact(seqs)
		for _, s := range seqs {
			if !visit(s, get(s)) {
				return more, next
			}
		}
	case len(types) > 0:
		merge := newTypeMerge(tx.Bucket(bucketType), types, start)
		for s, ok := merge.next(); ok; s, ok = merge.next() {
			if !visit(s, get(s)) {
				return more, next
			}
		}
	case q.Coll.family == familyAll:
		c := objects.Cursor()
		for k, v := c.Seek(seqKey(start + 1)); k != nil; k, v = c.Next() {
			if !visit(binary.BigEndian.Uint64(k), v) {
				return more, next
			}
		}
	default:
		c := tx.Bucket(bucketFamily).Cursor()
		for k, _ := c.Seek(familyKey(q.Coll.family, start+1)); k != nil && k[0] == q.Coll.family; k, _ = c.Next() {
			if !visit(binary.BigEndian.Uint64(k[1:]), get(binary.BigEndian.Uint64(k[1:]))) {
				return more, next
			}
		}
	}
	return false, lastKey
}

// firstAddedAfter returns the first stream sequence whose date_added is
// strictly after t.
func firstAddedAfter(tx *bolt.Tx, t time.Time) (uint64, bool) {
	us := t.UnixMicro() + 1 // date_added is whole µs: > t means >= floor(t)+1µs
	if t.Before(time.UnixMicro(t.UnixMicro())) {
		us-- // t was below its µs floor (negative times)
	}
	if us < 0 {
		us = 0
	}
	k, v := tx.Bucket(bucketAdded).Cursor().Seek(seqKey(uint64(us)))
	if k == nil {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

// typeMerge walks the type bucket for several types at once, in sequence
// order.
type typeMerge struct {
	cursors []*bolt.Cursor
	prefix  [][]byte
	heads   []uint64 // 0 when exhausted
}

func newTypeMerge(b *bolt.Bucket, types []string, start uint64) *typeMerge {
	m := &typeMerge{}
	for _, t := range types {
		c := b.Cursor()
		p := append([]byte(t), 0)
		k, _ := c.Seek(typeKey(t, start+1))
		m.cursors = append(m.cursors, c)
		m.prefix = append(m.prefix, p)
		m.heads = append(m.heads, headOf(k, p))
	}
	return m
}

func headOf(k, prefix []byte) uint64 {
	if k == nil || len(k) != len(prefix)+8 || !bytes.HasPrefix(k, prefix) {
		return 0
	}
	return binary.BigEndian.Uint64(k[len(prefix):])
}

func (m *typeMerge) next() (uint64, bool) {
	best := -1
	for i, h := range m.heads {
		if h != 0 && (best < 0 || h < m.heads[best]) {
			best = i
		}
	}
	if best < 0 {
		return 0, false
	}
	s := m.heads[best]
	k, _ := m.cursors[best].Next()
	m.heads[best] = headOf(k, m.prefix[best])
	return s, true
}
