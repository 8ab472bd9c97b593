package screen

import (
	"hash/maphash"
	"math"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"google.golang.org/protobuf/proto"

	"github.com/stixhub/stixhub/internal/marking"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
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
	// CIDR match the indexed block that contains it. The value may share
	// memory with the index: it is immutable, like every Go string.
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
//
// Layout: what grows with the number of observables (a million and more)
// holds no pointers, so the garbage collector has nothing to mark in it,
// and a lookup touches few cache lines: open-addressing tables of slots
// (hash, the key's place in one byte arena, type, first posting), the
// arena, and the further postings, all addressed by int32 indexes. So do
// the records of the objects (objRec, judged): their strings, times and
// Sharing are numbers in small tables of distinct values, or places in a
// byte array; a match is built from them when it is reported. An object is
// found by its id through a map of the ids' hashes (idSlots, idNext). What
// is left per object is its entries' slice header (ents) and, for an
// observed-data, its Refs.
type Index struct {
	cfg    Config
	seed   maphash.Seed
	ip4Key [2]uint64 // keys of ip4Hash

	mu       sync.RWMutex
	values   table     // single values: every type, IP addresses included
	blocks   table     // CIDR blocks (masked), /0 to /31 (/127): few, so they stay in cache
	arena    []byte    // slot keys (values; addresses' keys and text); never changed once written
	garbage  int       // arena bytes no slot uses
	posts    []posting // second and later postings of the slots
	freePost int32     // first free posting, -1 for none

	types   []string          // type number -> name: the built-in types (typeIPv4...), then others
	typeIDs map[string]uint16 // name -> type number, for the others

	vias    []string         // via number -> text; refcounted by viaRefs
	viaRefs []int32          // entries using each via; 0: free
	viaIDs  map[string]int32 // text -> via number
	freeVia []int32

	// What the records of the objects point to, held once: the objects'
	// types, members and keys (strs), the locations of their times (locs),
	// and their Sharing messages (sharings, interned by value; 0 is nil).
	// These grow with the distinct values only, and are never shrunk.
	strs       []string
	strIDs     map[string]int32
	locs       []*time.Location
	locIDs     map[*time.Location]int32
	fixedLocs  map[fixedZone]int32 // the fixed zones among locs
	sharings   []*stixhubv1.Sharing
	sharingIDs map[string]int32
	text       []byte // the objects' ids as given; only appended to

	lens    [2][129]int // block postings per prefix length, [0] IPv4, [1] IPv6
	present [2][]int    // lengths with blocks, longest first

	objs       []objRec                          // by object number; never removed, only replaced
	judge      []judged                          // by object number
	ents       [][]entryRef                      // by object number: own entries, then those from referenced observables
	refs       map[int32][]string                // object number -> Refs, for the objects that have them
	idHash     func(maphash.Seed, string) uint64 // maphash.String; tests force collisions
	idSlots    map[uint64]int32                  // idHash of the lower-case id -> 1 + the last object with that hash
	idNext     []int32                           // by object number: 1 + the object before it with the same id hash; 0: none
	waiting    map[string][]int32                // cyber-observable id -> observed-data referencing it
	entries    int
	pos        uint64
	scratch    [64]byte       // an address or block as text, while Add formats it
	keyScratch [ipKeyLen]byte // its key
}

// ipKeyLen is the length of the key of an address or block: its 16 bytes
// (IPv4 mapped to IPv6) and its prefix length. Slots of addresses and
// blocks key on it, so that a lookup hashes bytes instead of formatting
// text; the arena holds the text right after the key (a length byte, then
// the text), for matches to name the address or block.
const ipKeyLen = 17

// ipKey writes the key of an address or block into buf.
func ipKey(buf *[ipKeyLen]byte, pf netip.Prefix) string {
	a := pf.Addr().As16()
	copy(buf[:16], a[:])
	buf[16] = byte(pf.Bits())
	return unsafe.String(&buf[0], ipKeyLen)
}

// ipText returns the text of the address or block whose key is at off.
func (x *Index) ipText(off uint32) string {
	at := off + ipKeyLen
	return x.str(at+1, uint16(x.arena[at]))
}

// arenaLen is how many arena bytes a slot of type typ and key length n
// uses: its key, and for an address or block its text.
func (x *Index) arenaLen(typ uint16, off uint32, n uint16) int {
	if typ <= typeIPv6 {
		return int(n) + 1 + int(x.arena[off+uint32(n)])
	}
	return int(n)
}

// Type numbers of the types with rules of their own, known from the start
// and found by a switch, not a map: typeIPv4 and typeIPv6 are also the
// family index of lens and present.
const (
	typeIPv4 = iota
	typeIPv6
	typeDomain
	typeURL
	typeEmail
	typeFile
	typeMAC
	typeWallet
	typeTransaction
	typeMutex
	typeAS
	typeRegistryKey
)

// builtinType returns the number of a type with rules of its own.
func builtinType(typ string) (uint16, bool) {
	switch typ {
	case TypeIPv4:
		return typeIPv4, true
	case TypeIPv6:
		return typeIPv6, true
	case TypeDomain:
		return typeDomain, true
	case TypeURL:
		return typeURL, true
	case TypeEmail:
		return typeEmail, true
	case TypeFile:
		return typeFile, true
	case TypeMAC:
		return typeMAC, true
	case TypeWallet:
		return typeWallet, true
	case TypeTransaction:
		return typeTransaction, true
	case TypeMutex:
		return typeMutex, true
	case TypeAS:
		return typeAS, true
	case TypeRegistryKey:
		return typeRegistryKey, true
	}
	return 0, false
}

// newArena returns an empty arena of capacity n. A large one is backed by
// huge pages where the system can (adviseHuge): a hit reads a random place
// of an arena of tens of megabytes, and with 4 KiB pages it also misses the
// TLB (see mapSlots). It stays in the Go heap, unlike the slots, because
// Lookup hands out strings of it, which keep it alive after it is replaced;
// unadviseHuge then withdraws the advice, so that the heap does not reuse
// its memory with huge pages.
func newArena(n int) []byte {
	b := make([]byte, 0, n)
	adviseHuge(b[:n])
	return b
}

// maxArena is the most arena bytes slots address (uint32 offsets).
const maxArena = 1<<32 - 1

// table is an open-addressing hash table of slots with linear probing.
type table struct {
	slots []slot // len a power of two, or 0
	used  int
	mem   *mapping // where slots are when mapped outside the Go heap
}

// mapping is memory mapped for a table's slots: released when the table
// grows, or, by a cleanup, when the index is garbage.
type mapping struct{ b []byte }

// slot is one distinct (type, normalized value). hash 0 marks an empty
// slot; an occupied slot has at least one posting. The first posting is in
// the slot itself: most values are named by one object, and looking them up
// then reads no posting.
type slot struct {
	hash       uint64
	off        uint32 // key in the arena: the normalized value, or an address's ipKey
	n          uint16 // key length
	typ        uint16
	obj, via   int32 // the first posting
	more, last int32 // the other postings, in the order they were added; -1 none
}

// posting says that object obj names a slot's value, how (via).
type posting struct {
	obj, via, next int32
}

// entryRef is one indexed entry of an object: its value (a slot's bytes in
// the arena, to find the slot again when the object is replaced) and via.
type entryRef struct {
	off   uint32
	n     uint16
	typ   uint16
	via   int32
	block bool
}

// objRec is one object version in the index: its Object but for Entries,
// Refs, KeyID and AcceptedAt (in judged), without pointers.
type objRec struct {
	id, idLen                    uint32 // ID in x.text
	typ, member, sharing         int32  // Type and MemberID in x.strs, Sharing in x.sharings
	revoked                      bool
	confidence                   int
	tlp                          marking.TLP
	modified, validFrom, validTo stamp
	cursor                       uint64
}

// stamp is a time.Time without pointers: its Unix seconds and nanoseconds,
// and its location in x.locs. It keeps every time exactly but for a
// monotonic clock reading, which the times of objects do not carry (they
// are parsed or decoded).
type stamp struct {
	sec  int64
	nsec int32
	loc  int32
}

// fixedZone is a location with one zone for all time, as time.FixedZone
// makes: its name and offset say all it does.
type fixedZone struct {
	name   string
	offset int
}

// stampOf returns t as a stamp, interning its location: by pointer, and a
// fixed zone also by name and offset, for time.Parse makes a new one for
// every time it parses with an offset other than Local's. A time in such a
// zone comes back in an equal one, then, not always the same pointer.
func (x *Index) stampOf(t time.Time) stamp {
	st := stamp{sec: t.Unix(), nsec: int32(t.Nanosecond())}
	l := t.Location()
	if n, ok := x.locIDs[l]; ok {
		st.loc = n
		return st
	}
	var fz fixedZone
	start, end := t.ZoneBounds()
	fixed := start.IsZero() && end.IsZero()
	if fixed {
		fz.name, fz.offset = t.Zone()
		if n, ok := x.fixedLocs[fz]; ok {
			st.loc = n
			return st
		}
	}
	st.loc = int32(len(x.locs))
	x.locs = append(x.locs, l)
	x.locIDs[l] = st.loc
	if fixed {
		x.fixedLocs[fz] = st.loc
	}
	return st
}

// time returns the time of a stamp: the time.Time it was made of, with
// the same location (time.Time{} for the zero time).
func (x *Index) time(s stamp) time.Time {
	if s == zeroStamp { // inlined: many times are absent
		return time.Time{}
	}
	return x.timeOf(s)
}

// zeroStamp is the stamp of time.Time{}.
var zeroStamp = stamp{sec: time.Time{}.Unix()}

func (x *Index) timeOf(s stamp) time.Time {
	if s.loc == 0 { // UTC, the location of most times
		return time.Unix(s.sec, int64(s.nsec)).UTC()
	}
	return time.Unix(s.sec, int64(s.nsec)).In(x.locs[s.loc])
}

// intern returns the number of s in x.strs.
func (x *Index) intern(s string) int32 {
	n, ok := x.strIDs[s]
	if !ok {
		s = strings.Clone(s)
		n = int32(len(x.strs))
		x.strs = append(x.strs, s)
		x.strIDs[s] = n
	}
	return n
}

// internSharing returns the number in x.sharings of a Sharing equal to s:
// objects share one message per distinct value, as they share strings.
func (x *Index) internSharing(s *stixhubv1.Sharing) int32 {
	if s == nil {
		return 0
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(s)
	if err != nil { // cannot happen: the message has no required fields
		x.sharings = append(x.sharings, s)
		return int32(len(x.sharings) - 1)
	}
	n, ok := x.sharingIDs[string(b)]
	if !ok {
		n = int32(len(x.sharings))
		x.sharings = append(x.sharings, s)
		x.sharingIDs[string(b)] = n
	}
	return n
}

// setID records id as the id of object n, in place if it is the one there.
func (x *Index) setID(n int32, id string) {
	r := &x.objs[n]
	if r.idLen != 0 && x.id(n) == id {
		return
	}
	r.id, r.idLen = uint32(len(x.text)), uint32(len(id))
	x.text = append(x.text, id...)
}

// id returns the ID of object n, without copying: x.text is never changed
// where written.
func (x *Index) id(n int32) string {
	r := &x.objs[n]
	if r.idLen == 0 {
		return ""
	}
	return unsafe.String(&x.text[r.id], int(r.idLen))
}

// judged is what an object's status is judged on (Object.Status), in 64
// bytes, one cache line: a lookup judges every object it finds and reads
// its Object only to report a match.
type judged struct {
	// validFrom and validUntil in Unix nanoseconds, clamped to the int64
	// range, which judges every time within it the same.
	validFrom, validUntil int64
	acceptedAt            stamp
	keyID                 int32 // in x.strs
	revoked, hasUntil     bool
}

// judgedOf returns what o's status is judged on.
func (x *Index) judgedOf(o *Object) judged {
	return judged{validFrom: clampNanos(o.ValidFrom), validUntil: clampNanos(o.ValidUntil),
		acceptedAt: x.stampOf(o.AcceptedAt), keyID: x.intern(o.KeyID), revoked: o.Revoked, hasUntil: !o.ValidUntil.IsZero()}
}

// Times beyond the int64 nanosecond range (years 1678 to 2262).
var minNanos, maxNanos = time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)

func clampNanos(t time.Time) int64 {
	switch {
	case t.Before(minNanos):
		return math.MinInt64
	case t.After(maxNanos):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// clock is the time a lookup judges validity at, read when first needed: a
// lookup that finds nothing does not read the system clock (time.Now costs
// tens of nanoseconds on a virtual machine).
type clock struct {
	t       time.Time // zero until read: time.Now()
	nanos   int64     // t in Unix nanoseconds
	inRange bool      // t after minNanos and before maxNanos: nanos are exact
	read    bool
}

// now makes the clock's time definite.
func (c *clock) now() {
	if c.t.IsZero() {
		c.t = time.Now()
	}
	c.nanos, c.inRange, c.read = clampNanos(c.t), c.t.After(minNanos) && c.t.Before(maxNanos), true
}

// status judges object n at c: as Object.Status does, from x.judge.
func (x *Index) status(n int32, c *clock) Status {
	if !c.read {
		c.now()
	}
	if !c.inRange {
		r, j := &x.objs[n], &x.judge[n]
		o := Object{Revoked: j.revoked, ValidFrom: x.time(r.validFrom), ValidUntil: x.time(r.validTo),
			Source: Source{KeyID: x.strs[j.keyID], AcceptedAt: x.time(j.acceptedAt)}}
		return o.Status(c.t, x.cfg.KeyTrust)
	}
	return x.judgeAt(&x.judge[n], c.nanos)
}

// judgeAt is Object.Status from j; now is in Unix nanoseconds, strictly
// within the int64 range.
func (x *Index) judgeAt(j *judged, now int64) Status {
	trust := x.cfg.KeyTrust
	switch {
	case j.revoked:
		return StatusRevoked
	case trust != nil && !trust(x.strs[j.keyID], x.time(j.acceptedAt)):
		return StatusKeyCompromised
	case j.hasUntil && now >= j.validUntil:
		return StatusExpired
	case now < j.validFrom:
		return StatusNotYetValid
	}
	return StatusLive
}

// New returns an empty index.
func New(cfg Config) *Index {
	x := &Index{
		cfg:      cfg,
		seed:     maphash.MakeSeed(),
		ip4Key:   ip4Keys(rand.Uint64(), rand.Uint64()),
		freePost: -1,
		types: []string{TypeIPv4, TypeIPv6, TypeDomain, TypeURL, TypeEmail, TypeFile, TypeMAC, TypeWallet,
			TypeTransaction, TypeMutex, TypeAS, TypeRegistryKey},
		typeIDs: make(map[string]uint16),
		viaIDs:  make(map[string]int32),
		strIDs:  make(map[string]int32),
		locs:    []*time.Location{time.UTC},
		locIDs:  map[*time.Location]int32{time.UTC: 0},

		fixedLocs: make(map[fixedZone]int32),
		idHash:    maphash.String,
		idSlots:   make(map[uint64]int32),
		waiting:   make(map[string][]int32),
		refs:      make(map[int32][]string),

		sharings:   []*stixhubv1.Sharing{nil},
		sharingIDs: make(map[string]int32),
	}
	x.values.mem, x.blocks.mem = new(mapping), new(mapping)
	for _, m := range []*mapping{x.values.mem, x.blocks.mem} {
		runtime.AddCleanup(x, func(m *mapping) { unmapSlots(m.b) }, m)
	}
	return x
}

func idKey(id string) string { return strings.ToLower(id) }

// object returns the number of the object with an id, given as idKey: a
// map of the ids' hashes to object numbers, with the objects whose ids'
// hashes collide chained in idNext, so that the map holds no strings for
// the garbage collector to scan.
func (x *Index) object(key string) (int32, bool) {
	for n := x.idSlots[x.idHash(x.seed, key)]; n != 0; n = x.idNext[n-1] {
		if id := x.id(n - 1); id == key || idKey(id) == key { // ids are mostly lower case already
			return n - 1, true
		}
	}
	return 0, false
}

// Add indexes one accepted object, replacing an older version of it. A
// version older than (or the same as) the one indexed is ignored, so objects
// may be added again (after a restart) without harm; Add reports whether o
// was indexed. It records o.Cursor as the position of the index.
func (x *Index) Add(o *Object) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pos = max(x.pos, o.Cursor)
	id := idKey(o.ID)
	n, ok := x.object(id)
	if ok {
		if !o.Modified.After(x.time(x.objs[n].modified)) {
			return false
		}
		x.remove(n)
	} else {
		n = int32(len(x.objs))
		x.objs = append(x.objs, objRec{})
		x.judge = append(x.judge, judged{})
		x.ents = append(x.ents, nil)
		h := x.idHash(x.seed, id)
		x.idNext = append(x.idNext, x.idSlots[h])
		x.idSlots[h] = n + 1
	}
	entries := o.Entries
	o.Entries = nil
	r := &x.objs[n]
	r.typ, r.member, r.sharing = x.intern(o.Type), x.intern(o.MemberID), x.internSharing(o.Sharing)
	r.revoked, r.confidence, r.tlp, r.cursor = o.Revoked, o.Confidence, o.TLP, o.Cursor
	r.modified, r.validFrom, r.validTo = x.stampOf(o.Modified), x.stampOf(o.ValidFrom), x.stampOf(o.ValidUntil)
	x.setID(n, o.ID)
	x.judge[n] = x.judgedOf(o)
	x.ents[n] = make([]entryRef, 0, len(entries))
	if len(o.Refs) > 0 {
		x.refs[n] = o.Refs
	}
	for _, e := range entries {
		x.post(n, e.Type, e.Value, x.via(e.Via))
	}
	// An observed-data counts the observables of the cyber-observables it
	// references, whenever they arrive.
	for _, ref := range o.Refs {
		r := idKey(ref)
		if sco, ok := x.object(r); ok {
			x.adopt(n, sco)
		}
		x.waiting[r] = append(x.waiting[r], n)
	}
	for _, od := range x.waiting[id] {
		x.adopt(od, n)
	}
	x.compact()
	return true
}

// adopt gives observed-data od the entries of cyber-observable sco.
func (x *Index) adopt(od, sco int32) {
	prefix := "object_refs " + x.id(sco) + ": "
	// post appends to ents[od]: walk a fixed length of sco's.
	es := x.ents[sco]
	for _, e := range es[:len(es):len(es)] {
		v := x.str(e.off, e.n)
		if e.typ <= typeIPv6 {
			v = x.ipText(e.off)
		}
		x.post(od, x.types[e.typ], v, x.via(prefix+x.vias[e.via]))
	}
}

// str returns arena bytes as a string without copying: they never change.
func (x *Index) str(off uint32, n uint16) string {
	if n == 0 {
		return ""
	}
	return unsafe.String(&x.arena[off], int(n))
}

// via returns the number of a via text, counting one more use.
func (x *Index) via(s string) int32 {
	if v, ok := x.viaIDs[s]; ok {
		x.viaRefs[v]++
		return v
	}
	var v int32
	if k := len(x.freeVia); k > 0 {
		v = x.freeVia[k-1]
		x.freeVia = x.freeVia[:k-1]
		x.vias[v], x.viaRefs[v] = s, 1
	} else {
		v = int32(len(x.vias))
		x.vias = append(x.vias, s)
		x.viaRefs = append(x.viaRefs, 1)
	}
	x.viaIDs[s] = v
	return v
}

// unvia counts one use less of via v.
func (x *Index) unvia(v int32) {
	if x.viaRefs[v]--; x.viaRefs[v] == 0 {
		delete(x.viaIDs, x.vias[v])
		x.vias[v] = ""
		x.freeVia = append(x.freeVia, v)
	}
}

// typeNum returns the number of a type name, or false if it has none.
func (x *Index) typeNum(typ string) (uint16, bool) {
	if t, ok := builtinType(typ); ok {
		return t, true
	}
	t, ok := x.typeIDs[typ]
	return t, ok
}

// typeID returns the number of a type name, adding it; false when the
// numbers are exhausted (65,536 types).
func (x *Index) typeID(typ string) (uint16, bool) {
	if t, ok := x.typeNum(typ); ok {
		return t, true
	}
	if len(x.types) > math.MaxUint16 {
		return 0, false
	}
	t := uint16(len(x.types))
	x.types = append(x.types, typ)
	x.typeIDs[typ] = t
	return t, true
}

// post indexes value v of type typ as named by object n, via via (whose
// use it takes over). Values longer than MaxValueLen are not indexed: no
// lookup could name them.
func (x *Index) post(n int32, typ, v string, via int32) {
	var t uint16
	var text string // of an address or block: normalized, whatever form the entry had
	tab := &x.values
	bits := -1
	if typ == TypeIPv4 || typ == TypeIPv6 {
		pf, ok := parseIP(v)
		if !ok {
			x.unvia(via)
			return
		}
		t = uint16(family(pf.Addr()))
		if pf.IsSingleIP() {
			text = unsafeString(pf.Addr().AppendTo(x.scratch[:0]))
		} else {
			text = unsafeString(pf.AppendTo(x.scratch[:0]))
			bits, tab = pf.Bits(), &x.blocks
		}
		v = ipKey(&x.keyScratch, pf)
	} else {
		var ok bool
		if t, ok = x.typeID(typ); !ok {
			x.unvia(via)
			return
		}
	}
	if len(v) > MaxValueLen {
		x.unvia(via)
		return
	}
	h := x.hash(t, v)
	i := x.find(tab, t, h, v)
	if i < 0 {
		if i = x.insert(tab, t, h, v, text); i < 0 {
			x.unvia(via)
			return
		}
	}
	x.entries++
	s := &tab.slots[i]
	switch {
	case s.obj < 0:
		s.obj, s.via = n, via
	case s.more < 0:
		s.more = x.newPost(n, via)
		s.last = s.more
	default:
		p := x.newPost(n, via)
		x.posts[s.last].next = p
		s.last = p
	}
	x.ents[n] = append(x.ents[n], entryRef{off: s.off, n: s.n, typ: t, via: via, block: bits >= 0})
	if bits >= 0 {
		fam := int(t)
		if x.lens[fam][bits] == 0 {
			x.present[fam] = append(x.present[fam], bits)
			slices.Sort(x.present[fam])
			slices.Reverse(x.present[fam])
		}
		x.lens[fam][bits]++
	}
}

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (x *Index) newPost(obj, via int32) int32 {
	if p := x.freePost; p >= 0 {
		x.freePost = x.posts[p].next
		x.posts[p] = posting{obj: obj, via: via, next: -1}
		return p
	}
	x.posts = append(x.posts, posting{obj: obj, via: via, next: -1})
	return int32(len(x.posts) - 1)
}

func (x *Index) freePosting(p int32) {
	x.posts[p] = posting{next: x.freePost}
	x.freePost = p
}

// remove drops every posting of object n.
func (x *Index) remove(n int32) {
	for _, e := range x.ents[n] {
		x.entries--
		x.unvia(e.via)
		v := x.str(e.off, e.n)
		tab := &x.values
		if e.block {
			tab = &x.blocks
			fam, bits := int(e.typ), int(v[ipKeyLen-1])
			if x.lens[fam][bits]--; x.lens[fam][bits] == 0 {
				x.present[fam] = slices.DeleteFunc(x.present[fam], func(b int) bool { return b == bits })
			}
		}
		i := x.find(tab, e.typ, x.hash(e.typ, v), v)
		if i < 0 {
			continue // cannot happen: every entry has its posting
		}
		s := &tab.slots[i]
		if s.obj == n {
			// Move the second posting up, if any.
			if p := s.more; p >= 0 {
				s.obj, s.via, s.more = x.posts[p].obj, x.posts[p].via, x.posts[p].next
				if s.more < 0 {
					s.last = -1
				}
				x.freePosting(p)
				continue
			}
			x.garbage += x.arenaLen(s.typ, s.off, s.n)
			x.deleteSlot(tab, i)
			continue
		}
		prev := int32(-1)
		for p := s.more; p >= 0; prev, p = p, x.posts[p].next {
			if x.posts[p].obj != n {
				continue
			}
			next := x.posts[p].next
			if prev < 0 {
				s.more = next
			} else {
				x.posts[prev].next = next
			}
			if s.last == p {
				s.last = prev
			}
			x.freePosting(p)
			break
		}
	}
	x.ents[n] = nil
	for _, ref := range x.refs[n] {
		r := idKey(ref)
		if ws := slices.DeleteFunc(x.waiting[r], func(w int32) bool { return w == n }); len(ws) > 0 {
			x.waiting[r] = ws
		} else {
			delete(x.waiting, r)
		}
	}
	delete(x.refs, n)
}

func family(a netip.Addr) int {
	if a.Is4() {
		return 0
	}
	return 1
}

// hash hashes a type number and value; never 0, which marks empty slots.
// The hash of an IPv4 address or block is its key itself, permuted
// (ip4Hash): equal hashes mean equal keys.
func (x *Index) hash(typ uint16, v string) uint64 {
	if exactHash(typ, v) {
		return x.ip4Hash(v)
	}
	return x.valueHash(typ, v)
}

// valueHash is hash of a value other than an IPv4 key, small enough to be
// inlined where a lookup knows it has no IPv4 key.
func (x *Index) valueHash(typ uint16, v string) uint64 {
	h := maphash.String(x.seed, v) ^ uint64(typ)*0x9e3779b97f4a7c15
	if h == 0 {
		h = 1
	}
	return h
}

// exactHash reports whether the hashes of type typ and a value of v's
// length are exact: a slot whose hash and type are equal holds the value,
// and need not be compared with the arena. A lookup of an IPv4 address
// then reads one slot (one cache miss) instead of the slot and the arena.
func exactHash(typ uint16, v string) bool { return typ == typeIPv4 && len(v) == ipKeyLen }

// ip4Hash is the hash of the key of an IPv4 address or block: its 40
// significant bits (the address and prefix length; the first 12 bytes of
// the key are always those of an IPv4-mapped address), encrypted with
// x.ip4Key by two rounds of mix64, a permutation of uint64. Distinct keys
// have distinct hashes, spread as well as maphash spreads them, and none is
// 0 (see ip4Keys).
func (x *Index) ip4Hash(key string) uint64 {
	a := uint32(key[12])<<24 | uint32(key[13])<<16 | uint32(key[14])<<8 | uint32(key[15])
	return x.ip4HashOf(a, key[16])
}

// ip4HashOf is ip4Hash of the key of address (or block) a with prefix
// length bits, without making the key.
func (x *Index) ip4HashOf(a uint32, bits uint8) uint64 {
	return mix64(mix64((uint64(a)<<8|uint64(bits))^x.ip4Key[0]) ^ x.ip4Key[1])
}

// ip4Keys returns the keys of ip4Hash made from random r1 and r2, such that
// no key of an address or block (k < 2^40) hashes to 0: mix64 maps only 0
// to 0, k^key[0] is not 0 since key[0] has its top bit set, and
// mix64(k^key[0]) equals key[1] = mix64(key[0]^r) only for k = r, which is
// at least 2^62.
func ip4Keys(r1, r2 uint64) [2]uint64 {
	k0 := r1 | 1<<63
	return [2]uint64{k0, mix64(k0 ^ (r2 | 1<<62))}
}

// mix64 is the finalizer of MurmurHash3: every bit of the result depends
// on every bit of k, and it is a permutation (xor-shifts by half the width
// or more and multiplications by odd numbers are invertible).
func mix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// find returns the slot of (typ, v) with hash h in tab, or -1. A slot of
// another value costs no arena read unless its hash is equal.
func (x *Index) find(tab *table, typ uint16, h uint64, v string) int {
	if len(tab.slots) == 0 {
		return -1
	}
	exact := exactHash(typ, v)
	mask := len(tab.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := &tab.slots[i]
		if s.hash == 0 {
			return -1
		}
		if s.hash == h && s.typ == typ && (exact || int(s.n) == len(v) && x.str(s.off, s.n) == v) {
			return i
		}
	}
}

// insert adds a slot without postings for (typ, v), not in tab, and
// returns it; -1 if the arena is full. text is the text of an address or
// block (v is then its key).
func (x *Index) insert(tab *table, typ uint16, h uint64, v, text string) int {
	need := len(v)
	if typ <= typeIPv6 {
		need += 1 + len(text)
	}
	if len(x.arena)+need > maxArena {
		x.compact()
		if len(x.arena)+need > maxArena {
			return -1
		}
	}
	if (tab.used+1)*8 > len(tab.slots)*5 { // load factor at most 5/8
		old, oldMem := tab.slots, tab.mem.b
		tab.slots, tab.mem.b = mapSlots(max(2*len(old), 64))
		for _, s := range old {
			if s.hash != 0 {
				tab.place(s)
			}
		}
		unmapSlots(oldMem) // no lookup runs: Add holds the lock
	}
	if len(x.arena)+need > cap(x.arena) {
		a := append(newArena(max(cap(x.arena)+cap(x.arena)/4+4096, len(x.arena)+need)), x.arena...)
		unadviseHuge(x.arena[:cap(x.arena)])
		x.arena = a
	}
	off := uint32(len(x.arena))
	x.arena = append(x.arena, v...)
	if typ <= typeIPv6 {
		x.arena = append(x.arena, byte(len(text)))
		x.arena = append(x.arena, text...)
	}
	tab.used++
	return tab.place(slot{hash: h, off: off, n: uint16(len(v)), typ: typ, obj: -1, via: -1, more: -1, last: -1})
}

// place puts s in the first free slot of its probe sequence.
func (t *table) place(s slot) int {
	mask := len(t.slots) - 1
	i := int(s.hash) & mask
	for t.slots[i].hash != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = s
	return i
}

// deleteSlot empties slot i, moving later slots of the same probe run back
// so that every slot stays reachable from its home (Knuth's algorithm R).
func (x *Index) deleteSlot(tab *table, i int) {
	mask := len(tab.slots) - 1
	for j := (i + 1) & mask; tab.slots[j].hash != 0; j = (j + 1) & mask {
		k := int(tab.slots[j].hash) & mask
		if (j > i && (k <= i || k > j)) || (j < i && k <= i && k > j) {
			tab.slots[i] = tab.slots[j]
			i = j
		}
	}
	tab.slots[i] = slot{}
	tab.used--
}

// compact copies the live values to a new arena when most of the arena is
// garbage (values of replaced objects), and moves the references to them.
func (x *Index) compact() {
	if x.garbage < 1<<20 || x.garbage < len(x.arena)/2 {
		return
	}
	arena := newArena(len(x.arena) - x.garbage)
	moved := make(map[uint32]uint32, x.values.used+x.blocks.used)
	for _, tab := range []*table{&x.values, &x.blocks} {
		for i := range tab.slots {
			s := &tab.slots[i]
			if s.hash == 0 {
				continue
			}
			off := uint32(len(arena))
			arena = append(arena, x.arena[s.off:int(s.off)+x.arenaLen(s.typ, s.off, s.n)]...)
			moved[s.off] = off
			s.off = off
		}
	}
	for i := range x.ents {
		for j := range x.ents[i] {
			e := &x.ents[i][j]
			e.off = moved[e.off]
		}
	}
	// Strings handed out before (match values) keep the old arena alive
	// as long as they live; it is never written again.
	unadviseHuge(x.arena[:cap(x.arena)])
	x.arena, x.garbage = arena, 0
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
	return x.entries, len(x.objs)
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
	var now clock // at opts.Now; zero: time.Now(), read at the first judgement
	now.t = opts.Now
	if q.Type == TypeIPv4 || q.Type == TypeIPv6 {
		pf, err := parseIPOf(q)
		if err != nil {
			return dst, err
		}
		return x.lookupIP(dst, q.Type, pf, opts, &now), nil
	}
	var buf [lowerBuf]byte
	v, ok := lowered(&buf, q.Type, q.Value)
	if !ok {
		var err error
		if v, err = Normalize(q.Type, q.Value); err != nil {
			return dst, err
		}
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if s := x.findValue(q.Type, v); s != nil {
		// The index's copy of the value: v may be in buf.
		q.Value = x.str(s.off, s.n)
		dst = x.report(dst, q, s, opts, &now)
	}
	return dst, nil
}

// parseIPOf parses the value of an address observable of type q.Type, with
// Normalize's error for one that is not of that type.
func parseIPOf(q Observable) (netip.Prefix, error) {
	pf, ok := parseIP(strings.TrimSpace(q.Value))
	if !ok || pf.Addr().Is4() != (q.Type == TypeIPv4) {
		_, err := Normalize(q.Type, q.Value) // the error
		if err == nil {
			err = ErrBadValue // cannot happen: Normalize parses as parseIP does
		}
		return netip.Prefix{}, err
	}
	return pf, nil
}

// lowerBuf is the longest value lowered lowers on the stack.
const lowerBuf = 256

// lowered returns the normal form (Normalize) of a value v of type typ in
// buf, and true, when that is only v in lower case: v has upper-case ASCII
// letters, is of a type compared without regard to case (domain names,
// e-mail and MAC addresses, registry keys, hex digests), is ASCII, fits
// buf, and has nothing for Normalize to trim. Looking up such a value then
// allocates nothing. The result is in buf: it must not outlive the call
// that made buf.
func lowered(buf *[lowerBuf]byte, typ, v string) (string, bool) {
	switch typ {
	case TypeDomain:
		if strings.HasSuffix(v, ".") {
			return "", false
		}
	case TypeEmail, TypeMAC, TypeRegistryKey:
	case TypeFile:
		if !isHex(v) {
			return "", false
		}
	default:
		return "", false
	}
	if len(v) == 0 || len(v) > len(buf) || isASCIISpace(v[0]) || isASCIISpace(v[len(v)-1]) {
		return "", false
	}
	upper := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x80 {
			return "", false // strings.ToLower's Unicode rules
		}
		if 'A' <= c && c <= 'Z' {
			upper = true
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	if !upper {
		return "", false // Normalize returns v itself
	}
	return unsafe.String(&buf[0], len(v)), true
}

// isASCIISpace reports whether strings.TrimSpace trims c.
func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// findValue returns the slot of a normalized value of a non-address type,
// or nil. Call with x.mu held.
func (x *Index) findValue(typ, v string) *slot {
	t, ok := x.typeNum(typ)
	if !ok {
		return nil
	}
	h := x.valueHash(t, v)
	if exactHash(t, v) {
		h = x.ip4Hash(v) // not for a value of Lookup, which looks up addresses with lookupIP
	}
	if i := x.find(&x.values, t, h, v); i >= 0 {
		return &x.values.slots[i]
	}
	return nil
}

// lookupIP appends the matches of an address or block of type typ: the
// address itself, then each indexed block length that may contain it,
// longest first.
func (x *Index) lookupIP(dst []Match, typ string, pf netip.Prefix, opts LookupOptions, now *clock) []Match {
	var buf [ipKeyLen]byte
	fam := uint16(family(pf.Addr()))
	x.mu.RLock()
	defer x.mu.RUnlock()
	probe := func(tab *table, v string) {
		if i := x.find(tab, fam, x.hash(fam, v), v); i >= 0 {
			s := &tab.slots[i]
			dst = x.report(dst, Observable{Type: typ, Value: x.ipText(s.off)}, s, opts, now)
		}
	}
	if pf.IsSingleIP() {
		probe(&x.values, ipKey(&buf, pf))
	}
	for _, bits := range x.present[fam] {
		if bits <= pf.Bits() {
			probe(&x.blocks, ipKey(&buf, netip.PrefixFrom(pf.Addr(), bits).Masked()))
		}
	}
	return dst
}

// Known reports whether the observable has a live match that opts.MayRead
// allows: Lookup without building matches, and without allocating.
func (x *Index) Known(q Observable, opts LookupOptions) (bool, error) {
	var now clock // at opts.Now; zero: time.Now(), read at the first judgement
	now.t = opts.Now
	if q.Type == TypeIPv4 || q.Type == TypeIPv6 {
		pf, err := parseIPOf(q)
		if err != nil {
			return false, err
		}
		return x.knownIP(pf, &opts, &now), nil
	}
	var buf [lowerBuf]byte
	v, ok := lowered(&buf, q.Type, q.Value)
	if !ok {
		var err error
		if v, err = Normalize(q.Type, q.Value); err != nil {
			return false, err
		}
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	t, ok := x.typeNum(q.Type)
	return ok && x.knownIn(&x.values, t, v, &opts, &now), nil
}

// KnownUntyped is Known of a value without a type: Known of each type
// InferTypes gives it, in turn, until one is known or fails. It reads the
// value once: the type is inferred in one pass over it, an address is
// parsed once, and a value of another type is normalized in the same stroke
// (values that need more, such as URLs or non-ASCII text, take the long
// way, through InferTypes and Known).
func (x *Index) KnownUntyped(v string, opts LookupOptions) (bool, error) {
	var now clock // at opts.Now; zero: time.Now(), read at the first judgement
	now.t = opts.Now
	t := strings.TrimSpace(v)
	c := classify(t)
	if c&classDot != 0 && c&classNotDecimal == 0 { // a dotted quad, or parseIP fails
		if a, ok := parseIPv4(t); ok {
			return x.knownIPv4(a, 32, &opts, &now), nil
		}
	}
	if c&(classDot|classColon) != 0 && c&classNotIP == 0 { // else parseIP fails
		if pf, ok := parseIP(t); ok {
			return x.knownIP(pf, &opts, &now), nil
		}
	}
	if len(t) == 0 || len(t) > lowerBuf || c&classNonASCII != 0 {
		return x.knownEach(v, opts)
	}
	// As InferTypes decides, but from c: each test below is false
	// without its class of character, so it runs only when it can hold.
	// Every type but a Base58 or Bech32 wallet is normalized to lower case
	// (Normalize of ASCII text without surrounding space).
	typ, typ2, lower := uint16(typeWallet), uint16(0), true
	switch {
	case strings.HasPrefix(t, "0x") && (len(t) == 42 || len(t) == 66) && isHex(t[2:]):
		if len(t) == 66 {
			typ = typeTransaction
		}
	case c&classNonHex == 0 && (len(t) == 32 || len(t) == 40 || len(t) == 56 || len(t) == 64 || len(t) == 96 || len(t) == 128):
		typ = typeFile
		if len(t) == 64 {
			typ2 = typeTransaction
		}
	case c&classColon != 0 && strings.Contains(t, "://"):
		return x.knownEach(v, opts) // a URL: see normalizeURL
	case c&classAt != 0 && isEmail(t):
		typ = typeEmail
	case len(t) == 17 && isMAC(t):
		typ = typeMAC
	case c&classDot != 0 && isDomain(t):
		if t[len(t)-1] == '.' {
			return x.knownEach(v, opts) // Normalize trims final dots
		}
		typ = typeDomain
	default:
		lower = false
	}
	n := t // normalized; not t itself, which parseIP lets escape
	var buf [lowerBuf]byte
	if lower && c&classUpper != 0 {
		for i := 0; i < len(t); i++ {
			b := t[i]
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			buf[i] = b
		}
		n = unsafe.String(&buf[0], len(t))
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.knownIn(&x.values, typ, n, &opts, &now) || typ2 != 0 && x.knownIn(&x.values, typ2, n, &opts, &now), nil
}

// knownEach is KnownUntyped the long way.
func (x *Index) knownEach(v string, opts LookupOptions) (bool, error) {
	for _, t := range InferTypes(v) {
		if known, err := x.Known(Observable{Type: t, Value: v}, opts); known || err != nil {
			return known, err
		}
	}
	return false, nil
}

// knownIP is Known of an address or block.
func (x *Index) knownIP(pf netip.Prefix, opts *LookupOptions, now *clock) bool {
	if pf.Addr().Is4() {
		return x.knownIPv4(pf.Addr().As4(), pf.Bits(), opts, now)
	}
	var buf [ipKeyLen]byte
	x.mu.RLock()
	defer x.mu.RUnlock()
	if pf.IsSingleIP() && x.knownIn(&x.values, typeIPv6, ipKey(&buf, pf), opts, now) {
		return true
	}
	for _, bits := range x.present[typeIPv6] {
		if bits <= pf.Bits() && x.knownIn(&x.blocks, typeIPv6, ipKey(&buf, netip.PrefixFrom(pf.Addr(), bits).Masked()), opts, now) {
			return true
		}
	}
	return false
}

// knownIPv4 is Known of IPv4 address a with prefix length bits (32 for an
// address): its hashes are made from a and bits (ip4HashOf), not from keys.
func (x *Index) knownIPv4(a4 [4]byte, bits int, opts *LookupOptions, now *clock) bool {
	a := uint32(a4[0])<<24 | uint32(a4[1])<<16 | uint32(a4[2])<<8 | uint32(a4[3])
	x.mu.RLock()
	defer x.mu.RUnlock()
	if bits == 32 && x.knownHash(&x.values, typeIPv4, x.ip4HashOf(a, 32), true, "", opts, now) {
		return true
	}
	for _, b := range x.present[typeIPv4] {
		if b <= bits && x.knownHash(&x.blocks, typeIPv4, x.ip4HashOf(a&^(1<<(32-b)-1), uint8(b)), true, "", opts, now) {
			return true
		}
	}
	return false
}

// knownIn reports whether (typ, v) has a slot in tab with a live posting
// that opts.MayRead allows. Call with x.mu held.
func (x *Index) knownIn(tab *table, typ uint16, v string, opts *LookupOptions, now *clock) bool {
	if exactHash(typ, v) {
		return x.knownHash(tab, typ, x.ip4Hash(v), true, v, opts, now)
	}
	return x.knownHash(tab, typ, x.valueHash(typ, v), false, v, opts, now)
}

// knownHash is knownIn of the value v whose hash is h; v is not read if
// the hash is exact. It is find, ordered for a table much larger than the
// CPU caches: the slot, the value in the arena and the object's status each
// miss the caches, so once a slot's hash matches, the status is loaded
// before the value is compared, and both misses are waited for at once
// rather than one after the other; an IPv4 address, whose hash is exact,
// reads no arena at all.
func (x *Index) knownHash(tab *table, typ uint16, h uint64, exact bool, v string, opts *LookupOptions, now *clock) bool {
	if len(tab.slots) == 0 {
		return false
	}
	mask := len(tab.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := &tab.slots[i]
		if s.hash == 0 {
			return false
		}
		if s.hash != h || s.typ != typ {
			continue
		}
		first := x.judge[s.obj] // loaded now, used after the comparison
		if !exact && (int(s.n) != len(v) || x.str(s.off, s.n) != v) {
			continue
		}
		if !now.read {
			now.now()
		}
		if now.inRange && opts.MayRead == nil && s.more < 0 {
			// The common case: one posting, judged from the copy.
			return x.judgeAt(&first, now.nanos) == StatusLive
		}
		return x.anyLive(s, now, opts)
	}
}

// anyLive reports whether a posting of slot s is a live match MayRead
// allows.
func (x *Index) anyLive(s *slot, now *clock, opts *LookupOptions) bool {
	if x.live(s.obj, s.via, now, opts) {
		return true
	}
	for p := s.more; p >= 0; p = x.posts[p].next {
		if x.live(x.posts[p].obj, x.posts[p].via, now, opts) {
			return true
		}
	}
	return false
}

// live reports whether posting (obj, via) is a live match MayRead allows.
func (x *Index) live(obj, via int32, now *clock, opts *LookupOptions) bool {
	if x.status(obj, now) != StatusLive {
		return false
	}
	if opts.MayRead == nil {
		return true
	}
	var m Match
	x.fill(&m, obj, Observable{}, x.vias[via], StatusLive)
	return opts.MayRead(&m)
}

// postings calls fn with the postings of slot s, in order, until it
// returns false.
func (x *Index) postings(s *slot, fn func(obj, via int32) bool) {
	if !fn(s.obj, s.via) {
		return
	}
	for p := s.more; p >= 0; p = x.posts[p].next {
		if !fn(x.posts[p].obj, x.posts[p].via) {
			return
		}
	}
}

// report appends the matches of the postings of slot s.
func (x *Index) report(dst []Match, q Observable, s *slot, opts LookupOptions, now *clock) []Match {
	x.postings(s, func(obj, via int32) bool {
		st := x.status(obj, now)
		if !opts.IncludeRevoked && (st == StatusRevoked || st == StatusKeyCompromised) {
			return true
		}
		// Build the match in place: a pointer to a local would escape.
		dst = append(dst, Match{})
		m := &dst[len(dst)-1]
		x.fill(m, obj, q, x.vias[via], st)
		if opts.MayRead != nil && !opts.MayRead(m) {
			dst = dst[:len(dst)-1]
		}
		return true
	})
	return dst
}

// fill sets m to describe object n as a match of observable q, as
// Object.fill of the object added does.
func (x *Index) fill(m *Match, n int32, q Observable, via string, st Status) {
	r, j := &x.objs[n], &x.judge[n]
	*m = Match{
		Observable: q,
		ObjectID:   x.id(n),
		ObjectType: x.strs[r.typ],
		Via:        via,
		Status:     st,
		TLP:        r.tlp,
		ValidFrom:  x.time(r.validFrom),
		ValidUntil: x.time(r.validTo),
		Modified:   x.time(r.modified),
		Confidence: r.confidence,
		Source: Source{
			MemberID:   x.strs[r.member],
			KeyID:      x.strs[j.keyID],
			Cursor:     r.cursor,
			AcceptedAt: x.time(j.acceptedAt),
			Sharing:    x.sharings[r.sharing],
		},
	}
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
