package client

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stixhub/stixhub/internal/screen"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Match is one object a Screener found for an observable: its id and type,
// publishing member and key, TLP, validity, confidence, how it names the
// observable, and its Status (only screen.StatusLive counts; see Live).
type Match = screen.Match

// IndexedObject is what a Screener learnt from one delivered object: its
// version, validity and markings, the observables it names (Entries) and
// where it came from.
type IndexedObject = screen.Object

// Screener keeps a screening index inside the member: fed by Subscribe,
// persisted in a local file, resumed from its cursor after a restart. Lookups
// never leave the process, so an exchange screens its customers' addresses
// without disclosing them to the hub, in well under a microsecond each.
//
// Create it with NewScreener, run Run in a goroutine, and call Lookup from
// any goroutine. Matches follow the hub's rules (see package documentation
// of the hub's Lookup): hashes and domains ignore letter case, wallet
// addresses do not; IP addresses match the CIDR blocks that contain them;
// revoked objects, and objects signed by a key revoked before the hub
// accepted them, never count.
type Screener struct {
	c   *Client
	idx *screen.Index
	db  *bolt.DB // nil: in memory only
	o   screenerOptions

	mu      sync.Mutex
	pending []stored // indexed, not yet written
	cursor  uint64   // last cursor handled (indexed or skipped)

	keys atomic.Pointer[map[string]time.Time] // key id -> revoked at (zero: active)
}

// stored is the record of one object in the screener's file.
type stored struct {
	Cursor     uint64          `json:"cursor"`
	MemberID   string          `json:"member_id"`
	KeyID      string          `json:"key_id"`
	AcceptedAt time.Time       `json:"accepted_at"`
	Object     json.RawMessage `json:"object"`
	id         string          // lower-case STIX id
}

type screenerOptions struct {
	path      string
	flush     time.Duration
	keysEvery time.Duration
	onIndexed func(*IndexedObject)
	subOpts   []SubscribeOption
}

// ScreenerOption configures NewScreener.
type ScreenerOption func(*screenerOptions)

// WithScreenerFile persists the index in path (a bbolt file, created 0600
// if missing): the screened objects and the cursor, so that a restart
// resumes where it stopped instead of reading the whole feed again. Without
// it the screener starts from the beginning of the feed each time.
func WithScreenerFile(path string) ScreenerOption {
	return func(o *screenerOptions) { o.path = path }
}

// WithFlushInterval sets how often indexed objects are written to the file
// (default 250ms). After a crash the screener fetches again what it had not
// written.
func WithFlushInterval(d time.Duration) ScreenerOption {
	return func(o *screenerOptions) { o.flush = d }
}

// WithKeyRefresh sets how often Run fetches the hub's key set to learn of
// revoked keys (default 1 minute).
func WithKeyRefresh(d time.Duration) ScreenerOption {
	return func(o *screenerOptions) { o.keysEvery = d }
}

// OnIndexed calls fn, from Run's goroutine, for every newly delivered object
// the screener indexes, after it is indexed. Alerts hang off it: compare
// fn's Entries with a watch list.
func OnIndexed(fn func(*IndexedObject)) ScreenerOption {
	return func(o *screenerOptions) { o.onIndexed = fn }
}

// WithScreenerSubscribeOptions passes options (such as WithBackoff) to the
// screener's subscription.
func WithScreenerSubscribeOptions(opts ...SubscribeOption) ScreenerOption {
	return func(o *screenerOptions) { o.subOpts = append(o.subOpts, opts...) }
}

var (
	bucketObjects = []byte("objects") // cursor (8 bytes, big-endian) -> stored
	bucketIDs     = []byte("ids")     // lower-case id -> cursor of its stored version
	bucketMeta    = []byte("meta")
	keyCursor     = []byte("cursor")
)

// NewScreener returns a screener that reads the feed through c. With
// WithScreenerFile it loads the index saved there; Run then resumes after the
// saved cursor.
func NewScreener(ctx context.Context, c *Client, opts ...ScreenerOption) (*Screener, error) {
	s := &Screener{c: c, o: screenerOptions{flush: 250 * time.Millisecond, keysEvery: time.Minute}}
	for _, opt := range opts {
		opt(&s.o)
	}
	empty := map[string]time.Time{}
	s.keys.Store(&empty)
	s.idx = screen.New(screen.Config{KeyTrust: s.keyTrusted})
	if s.o.path == "" {
		return s, nil
	}
	db, err := bolt.Open(s.o.path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("open screener file %s: %w", s.o.path, err)
	}
	s.db = db
	if err := s.load(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("load screener file %s: %w", s.o.path, err)
	}
	return s, nil
}

// load fills the index from the file.
func (s *Screener) load(ctx context.Context) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketObjects, bucketIDs, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if v := tx.Bucket(bucketMeta).Get(keyCursor); len(v) == 8 {
			s.cursor = binary.BigEndian.Uint64(v)
		}
		return tx.Bucket(bucketObjects).ForEach(func(_, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var rec stored
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode stored object: %w", err)
			}
			o, err := screen.Read(rec.Object)
			if err != nil {
				return fmt.Errorf("stored object at cursor %d: %w", rec.Cursor, err)
			}
			o.Source = screen.Source{MemberID: rec.MemberID, KeyID: rec.KeyID, Cursor: rec.Cursor, AcceptedAt: rec.AcceptedAt}
			s.idx.Add(o)
			return nil
		})
	})
}

// Run follows the hub's feed from the screener's cursor, indexing and saving
// every object, until ctx ends (it then saves what is pending and returns
// ctx.Err()) or the subscription fails for good (bad token). It reconnects
// by itself. Call it once at a time.
func (s *Screener) Run(ctx context.Context) error {
	s.refreshKeys(ctx)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		flush := time.NewTicker(s.o.flush)
		keys := time.NewTicker(s.o.keysEvery)
		defer flush.Stop()
		defer keys.Stop()
		for {
			select {
			case <-done:
				return
			case <-flush.C:
				_ = s.Flush()
			case <-keys.C:
				s.refreshKeys(ctx)
			}
		}
	})
	s.mu.Lock()
	from := After(s.cursor)
	s.mu.Unlock()
	err := s.c.Subscribe(ctx, from, s.handle, s.o.subOpts...)
	close(done)
	wg.Wait()
	if ferr := s.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	return err
}

// handle indexes one delivery.
func (s *Screener) handle(_ context.Context, d *Delivery) error {
	if k := d.GetKeyRevocation().GetKey(); k != nil {
		s.learnRevocation(k)
	}
	obj := d.GetObject().GetObject()
	o, err := screen.Read(obj)
	if err != nil {
		// Not screened (malware, reports...) or unreadable: only the cursor moves.
		s.mu.Lock()
		s.cursor = d.GetCursor()
		s.mu.Unlock()
		return nil
	}
	rec := stored{
		Cursor: d.GetCursor(), MemberID: d.GetMemberId(), KeyID: d.GetObject().GetKeyId(),
		AcceptedAt: d.GetReceipt().GetAcceptedAt().AsTime(), Object: obj, id: strings.ToLower(o.ID),
	}
	o.Source = screen.Source{MemberID: rec.MemberID, KeyID: rec.KeyID, Cursor: rec.Cursor, AcceptedAt: rec.AcceptedAt}
	entries := o.Entries
	added := s.idx.Add(o)
	s.mu.Lock()
	s.cursor = d.GetCursor()
	if added && s.db != nil {
		s.pending = append(s.pending, rec)
	}
	s.mu.Unlock()
	if added && s.o.onIndexed != nil {
		o.Entries = entries
		s.o.onIndexed(o)
	}
	return nil
}

// Flush writes the objects indexed since the last flush and the cursor to
// the file. Run calls it periodically and when it ends.
func (s *Screener) Flush() error {
	if s.db == nil {
		return nil
	}
	s.mu.Lock()
	pending, cursor := s.pending, s.cursor
	s.pending = nil
	s.mu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		objs, ids := tx.Bucket(bucketObjects), tx.Bucket(bucketIDs)
		for _, rec := range pending {
			if old := ids.Get([]byte(rec.id)); old != nil {
				if err := objs.Delete(old); err != nil {
					return err
				}
			}
			v, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			k := binary.BigEndian.AppendUint64(nil, rec.Cursor)
			if err := objs.Put(k, v); err != nil {
				return err
			}
			if err := ids.Put([]byte(rec.id), k); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyCursor, binary.BigEndian.AppendUint64(nil, cursor))
	})
	if err != nil {
		// Keep them for the next flush.
		s.mu.Lock()
		s.pending = append(pending, s.pending...)
		s.mu.Unlock()
		return fmt.Errorf("save screener file: %w", err)
	}
	return nil
}

// Lookup returns the matches of one observable in the local index: live
// ones, and expired or not-yet-valid indicators with their Status. An
// observable with an empty Type is looked up as every type InferTypes gives
// its value. The error is for a value that is not of its type.
func (s *Screener) Lookup(o Observable) ([]Match, error) {
	return s.lookup(nil, o, screen.LookupOptions{})
}

// LookupAll is Lookup that also reports revoked objects and those signed by
// a distrusted key.
func (s *Screener) LookupAll(o Observable) ([]Match, error) {
	return s.lookup(nil, o, screen.LookupOptions{IncludeRevoked: true})
}

// Known reports whether the observable has a live match: the screening
// decision, without building the matches.
func (s *Screener) Known(o Observable) (bool, error) {
	typ, ok := screen.CanonicalType(o.Type)
	if !ok {
		return false, fmt.Errorf("%w: %q", screen.ErrBadType, o.Type)
	}
	if typ != "" {
		return s.idx.Known(Observable{Type: typ, Value: o.Value}, screen.LookupOptions{})
	}
	// Known of each type screen.InferTypes gives, in one pass.
	return s.idx.KnownUntyped(o.Value, screen.LookupOptions{})
}

func (s *Screener) lookup(dst []Match, o Observable, opts screen.LookupOptions) ([]Match, error) {
	typ, ok := screen.CanonicalType(o.Type)
	if !ok {
		return dst, fmt.Errorf("%w: %q", screen.ErrBadType, o.Type)
	}
	if typ != "" {
		return s.idx.Lookup(dst, Observable{Type: typ, Value: o.Value}, opts)
	}
	for _, t := range screen.InferTypes(o.Value) {
		var err error
		if dst, err = s.idx.Lookup(dst, Observable{Type: t, Value: o.Value}, opts); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// Cursor returns the cursor of the last delivery the screener handled.
func (s *Screener) Cursor() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor
}

// Len returns the number of indexed observables and objects.
func (s *Screener) Len() (observables, objects int) { return s.idx.Len() }

// Close closes the screener's file. Call it after Run has returned.
func (s *Screener) Close() error {
	if s.db == nil {
		return nil
	}
	return s.db.Close()
}

// refreshKeys fetches the key set; on failure the last one stays in force.
func (s *Screener) refreshKeys(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ks, err := s.c.KeySet(ctx, "")
	if err != nil {
		return
	}
	m := make(map[string]time.Time, len(ks.GetKeys()))
	for _, k := range ks.GetKeys() {
		m[k.GetId()] = distrustFrom(k)
	}
	s.keys.Store(&m)
}

// learnRevocation applies a key revocation delivered on the stream at once,
// without waiting for the next key set refresh.
func (s *Screener) learnRevocation(k *stixhubv1.Key) {
	old := *s.keys.Load()
	m := make(map[string]time.Time, len(old)+1)
	for id, at := range old {
		m[id] = at
	}
	m[k.GetId()] = distrustFrom(k)
	s.keys.Store(&m)
}

// distrustFrom is when objects signed with k stop counting: its compromise
// time if it was revoked as compromised, else its revocation time, else never
// (zero).
func distrustFrom(k *stixhubv1.Key) time.Time {
	switch {
	case k.GetCompromisedAt() != nil:
		return k.GetCompromisedAt().AsTime()
	case k.GetStatus() == stixhubv1.KeyStatus_KEY_STATUS_REVOKED && k.GetRevokedAt() != nil:
		return k.GetRevokedAt().AsTime()
	}
	return time.Time{}
}

// keyTrusted is the hub's rule (see the hub's screening index): an object
// counts unless its key was revoked at or before the hub accepted it, or
// revoked as compromised with a compromise time at or before that.
func (s *Screener) keyTrusted(keyID string, acceptedAt time.Time) bool {
	revokedAt := (*s.keys.Load())[keyID]
	return revokedAt.IsZero() || acceptedAt.Before(revokedAt)
}
