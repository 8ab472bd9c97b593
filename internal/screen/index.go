package screen

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stixhub/stixhub/internal/marking"
)

// Status says whether a match counts.
type Status string

// Match states. Only StatusLive counts as a hit; the others are reported so
// that an analyst sees why a known value does not.
const (
	// StatusLive: valid now, not revoked, signed by a trusted key.
	StatusLive Status = "live"
	// StatusExpired: the indicator's valid_until has passed.
	StatusExpired Status = "expired"
	// StatusNotYetValid: the indicator's valid_from is in the future.
	StatusNotYetValid Status = "not-yet-valid"
	// StatusRevoked: the latest version of the object is revoked.
	StatusRevoked Status = "revoked"
	// StatusKeyCompromised: the object was signed by a key the hub no
	// longer trusts for objects accepted when this one was (KeyTrust).
	StatusKeyCompromised Status = "key-compromised"
)

// Match is one indexed object that names a looked-up observable.
type Match struct {
	// Observable is what matched, normalized: the looked-up value, or for a
	// CIDR match the indexed block that contains it.
	Observable Observable
	// ObjectID and ObjectType name the matching object: an indicator, an
	// observed-data or a cyber-observable.
	ObjectID, ObjectType string
	// Via is how the object names the observable (Entry.Via), prefixed with
	// "object_refs <id>: " when an observed-data references the
	// cyber-observable that does.
	Via string
	// Status says whether the match counts (StatusLive) or why not.
	Status Status
	// TLP is the object's TLP marking.
	TLP marking.TLP
	// ValidFrom and ValidUntil are an indicator's validity (zero if absent).
	ValidFrom, ValidUntil time.Time
	// Modified is the object's version.
	Modified time.Time
	// Confidence is the STIX confidence, -1 when absent.
	Confidence int
	Source
}

// Live reports whether the match counts.
func (m *Match) Live() bool { return m.Status == StatusLive }

// KeyTrust reports whether objects signed with key keyID and accepted by the
// hub at acceptedAt still count. It must be safe for concurrent use.
type KeyTrust func(keyID string, acceptedAt time.Time) bool

// Config configures an Index. The zero value is usable.
type Config struct {
	// KeyTrust, when set, is asked at every lookup about the key of each
	// match; objects it distrusts are StatusKeyCompromised. Nil trusts
	// every key.
	KeyTrust KeyTrust
}

// Index maps observables to the objects that name them. It is derived
// state: fed with Add in stream order from the accepted objects, it can be
// rebuilt from the stream at any time. It keeps the latest version of each
// object only. It is safe for concurrent use: lookups run in parallel, Add
// excludes them briefly.
type Index struct {
	cfg Config

	mu      sync.RWMutex
	values  map[Observable][]posting   // every non-IP type
	addrs   map[netip.Addr][]posting   // single IP addresses
	blocks  map[netip.Prefix][]posting // CIDR blocks (masked), /0 to /31 (/127)
	lens    [2][129]int                // blocks per prefix length, [0] IPv4, [1] IPv6
	present [2][]int                   // lengths with blocks, longest first
	objects map[string]*record         // by lower-case id: the latest version
	waiting map[string][]*record       // cyber-observable id -> observed-data referencing it
	entries int
	pos     uint64
}

// record is one object version in the index.
type record struct {
	obj     *Object // Entries unused after indexing
	entries []Entry // own entries, then those from referenced observables
}

// posting points from an index key to one entry of a record.
type posting struct {
	rec   *record
	entry int32
}

// New returns an empty index.
func New(cfg Config) *Index {
	return &Index{
		cfg:     cfg,
		values:  make(map[Observable][]posting),
		addrs:   make(map[netip.Addr][]posting),
		blocks:  make(map[netip.Prefix][]posting),
		objects: make(map[string]*record),
		waiting: make(map[string][]*record),
	}
}

func idKey(id string) string { return strings.ToLower(id) }

// Add indexes one accepted object, replacing an older version of it. A
// version older than (or the same as) the one indexed is ignored, so objects
// may be added again (after a restart) without harm; Add reports whether o
// was indexed. It records o.Cursor as the position of the index.
func (x *Index) Add(o *Object) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pos = max(x.pos, o.Cursor)
	id := idKey(o.ID)
	if old, ok := x.objects[id]; ok {
		if !o.Modified.After(old.obj.Modified) {
			return false
		}
		x.remove(old)
	}
	rec := &record{obj: o, entries: o.Entries}
	o.Entries = nil
	x.objects[id] = rec
	for i := range rec.entries {
		x.post(rec, i)
	}
	// An observed-data counts the observables of the cyber-observables it
	// references, whenever they arrive.
	for _, ref := range o.Refs {
		r := idKey(ref)
		if sco, ok := x.objects[r]; ok {
			x.adopt(rec, sco)
		}
		x.waiting[r] = append(x.waiting[r], rec)
	}
	for _, od := range x.waiting[id] {
		if x.objects[idKey(od.obj.ID)] == od {
			x.adopt(od, rec)
		}
	}
	return true
}

// adopt gives observed-data od the entries of cyber-observable sco.
func (x *Index) adopt(od, sco *record) {
	for _, e := range sco.entries {
		od.entries = append(od.entries, Entry{Observable: e.Observable, Via: "object_refs " + sco.obj.ID + ": " + e.Via})
		x.post(od, len(od.entries)-1)
	}
}

// post adds the posting of entry i of rec.
func (x *Index) post(rec *record, i int) {
	e := rec.entries[i]
	p := posting{rec: rec, entry: int32(i)}
	x.entries++
	if e.Type == TypeIPv4 || e.Type == TypeIPv6 {
		pf, ok := parseIP(e.Value)
		if !ok {
			x.entries--
			return
		}
		if pf.IsSingleIP() {
			x.addrs[pf.Addr()] = append(x.addrs[pf.Addr()], p)
			return
		}
		fam := family(pf.Addr())
		if x.lens[fam][pf.Bits()] == 0 {
			x.present[fam] = append(x.present[fam], pf.Bits())
			slices.Sort(x.present[fam])
			slices.Reverse(x.present[fam])
		}
		x.lens[fam][pf.Bits()]++
		x.blocks[pf] = append(x.blocks[pf], p)
		return
	}
	x.values[e.Observable] = append(x.values[e.Observable], p)
}

// remove drops every posting of rec.
func (x *Index) remove(rec *record) {
	drop := func(ps []posting) []posting {
		return slices.DeleteFunc(ps, func(p posting) bool { return p.rec == rec })
	}
	for _, e := range rec.entries {
		x.entries--
		if e.Type == TypeIPv4 || e.Type == TypeIPv6 {
			pf, ok := parseIP(e.Value)
			if !ok {
				x.entries++
				continue
			}
			if pf.IsSingleIP() {
				if ps := drop(x.addrs[pf.Addr()]); len(ps) > 0 {
					x.addrs[pf.Addr()] = ps
				} else {
					delete(x.addrs, pf.Addr())
				}
				continue
			}
			if ps := drop(x.blocks[pf]); len(ps) > 0 {
				x.blocks[pf] = ps
			} else {
				delete(x.blocks, pf)
			}
			fam := family(pf.Addr())
			x.lens[fam][pf.Bits()]--
			if x.lens[fam][pf.Bits()] == 0 {
				x.present[fam] = slices.DeleteFunc(x.present[fam], func(b int) bool { return b == pf.Bits() })
			}
			continue
		}
		if ps := drop(x.values[e.Observable]); len(ps) > 0 {
			x.values[e.Observable] = ps
		} else {
			delete(x.values, e.Observable)
		}
	}
	for _, ref := range rec.obj.Refs {
		r := idKey(ref)
		if ws := slices.DeleteFunc(x.waiting[r], func(w *record) bool { return w == rec }); len(ws) > 0 {
			x.waiting[r] = ws
		} else {
			delete(x.waiting, r)
		}
	}
}

func family(a netip.Addr) int {
	if a.Is4() {
		return 0
	}
	return 1
}

// Position returns the cursor of the last object added.
func (x *Index) Position() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.pos
}

// SetPosition records that the index covers the stream up to cursor, for
// stream messages that carry nothing to index.
func (x *Index) SetPosition(cursor uint64) {
	x.mu.Lock()
	x.pos = max(x.pos, cursor)
	x.mu.Unlock()
}

// Len returns the number of indexed observables (one per object naming a
// value, so a value named by three indicators counts three times) and of
// indexed objects.
func (x *Index) Len() (observables, objects int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.entries, len(x.objects)
}

// LookupOptions adjust a lookup.
type LookupOptions struct {
	// Now is the time validity is judged at. Zero means time.Now().
	Now time.Time
	// IncludeRevoked also reports revoked objects and those signed by a
	// distrusted key. Expired and not-yet-valid matches are always
	// reported.
	IncludeRevoked bool
	// MayRead, when set, is asked about every match before it is reported;
	// matches it refuses are left out, as if the object did not exist.
	MayRead func(*Match) bool
}

// Lookup appends to dst the matches of an observable (its type and value;
// see Normalize) and returns it. IPv4 and IPv6 addresses also match the
// indexed CIDR blocks that contain them, and a looked-up block matches the
// indexed blocks equal to or containing it. The error is ErrEmpty or
// ErrBadValue for a value that is not of its type.
func (x *Index) Lookup(dst []Match, q Observable, opts LookupOptions) ([]Match, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if q.Type == TypeIPv4 || q.Type == TypeIPv6 {
		return x.lookupIP(dst, q, opts)
	}
	v, err := Normalize(q.Type, q.Value)
	if err != nil {
		return dst, err
	}
	q.Value = v
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.report(dst, q, x.values[q], opts), nil
}

// lookupIP looks up an address or block, formatting it only for a match.
func (x *Index) lookupIP(dst []Match, q Observable, opts LookupOptions) ([]Match, error) {
	pf, ok := parseIP(strings.TrimSpace(q.Value))
	if !ok || pf.Addr().Is4() != (q.Type == TypeIPv4) {
		_, err := Normalize(q.Type, q.Value) // the error
		return dst, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if pf.IsSingleIP() {
		if ps := x.addrs[pf.Addr()]; len(ps) > 0 {
			dst = x.report(dst, Observable{Type: q.Type, Value: pf.Addr().String()}, ps, opts)
		}
	}
	fam := family(pf.Addr())
	for _, bits := range x.present[fam] {
		if bits > pf.Bits() {
			continue
		}
		block := netip.PrefixFrom(pf.Addr(), bits).Masked()
		if ps := x.blocks[block]; len(ps) > 0 {
			dst = x.report(dst, Observable{Type: q.Type, Value: block.String()}, ps, opts)
		}
	}
	return dst, nil
}

// Known reports whether the observable has a live match that opts.MayRead
// allows: Lookup without building matches, and without allocating.
func (x *Index) Known(q Observable, opts LookupOptions) (bool, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if q.Type != TypeIPv4 && q.Type != TypeIPv6 {
		v, err := Normalize(q.Type, q.Value)
		if err != nil {
			return false, err
		}
		q.Value = v
		x.mu.RLock()
		defer x.mu.RUnlock()
		return x.anyLive(x.values[q], opts), nil
	}
	pf, ok := parseIP(strings.TrimSpace(q.Value))
	if !ok || pf.Addr().Is4() != (q.Type == TypeIPv4) {
		_, err := Normalize(q.Type, q.Value)
		return false, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if pf.IsSingleIP() && x.anyLive(x.addrs[pf.Addr()], opts) {
		return true, nil
	}
	fam := family(pf.Addr())
	for _, bits := range x.present[fam] {
		if bits <= pf.Bits() && x.anyLive(x.blocks[netip.PrefixFrom(pf.Addr(), bits).Masked()], opts) {
			return true, nil
		}
	}
	return false, nil
}

// anyLive reports whether a posting of ps is a live match MayRead allows.
func (x *Index) anyLive(ps []posting, opts LookupOptions) bool {
	for _, p := range ps {
		o := p.rec.obj
		if o.Status(opts.Now, x.cfg.KeyTrust) != StatusLive {
			continue
		}
		if opts.MayRead == nil {
			return true
		}
		var m Match
		o.fill(&m, Observable{}, p.rec.entries[p.entry].Via, StatusLive)
		if opts.MayRead(&m) {
			return true
		}
	}
	return false
}

// report appends the matches of postings ps.
func (x *Index) report(dst []Match, q Observable, ps []posting, opts LookupOptions) []Match {
	for _, p := range ps {
		o := p.rec.obj
		st := o.Status(opts.Now, x.cfg.KeyTrust)
		if !opts.IncludeRevoked && (st == StatusRevoked || st == StatusKeyCompromised) {
			continue
		}
		// Build the match in place: a pointer to a local would escape, and
		// an allocation per lookup costs a GC share of the whole index.
		dst = append(dst, Match{})
		m := &dst[len(dst)-1]
		o.fill(m, q, p.rec.entries[p.entry].Via, st)
		if opts.MayRead != nil && !opts.MayRead(m) {
			dst = dst[:len(dst)-1]
		}
	}
	return dst
}

// Status judges the object at now; trust, when set, judges its key.
func (o *Object) Status(now time.Time, trust KeyTrust) Status {
	switch {
	case o.Revoked:
		return StatusRevoked
	case trust != nil && !trust(o.KeyID, o.AcceptedAt):
		return StatusKeyCompromised
	case !o.ValidUntil.IsZero() && !now.Before(o.ValidUntil):
		return StatusExpired
	case now.Before(o.ValidFrom):
		return StatusNotYetValid
	}
	return StatusLive
}

// match describes the object as a match of observable q.
func (o *Object) match(q Observable, via string, st Status) Match {
	var m Match
	o.fill(&m, q, via, st)
	return m
}

// fill sets m to describe the object as a match of observable q.
func (o *Object) fill(m *Match, q Observable, via string, st Status) {
	*m = Match{
		Observable: q,
		ObjectID:   o.ID,
		ObjectType: o.Type,
		Via:        via,
		Status:     st,
		TLP:        o.TLP,
		ValidFrom:  o.ValidFrom,
		ValidUntil: o.ValidUntil,
		Modified:   o.Modified,
		Confidence: o.Confidence,
		Source:     o.Source,
	}
}
