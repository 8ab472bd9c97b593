package store

import (
	"encoding/base64"
	"hash/maphash"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// index maps object ids to their owner and stored versions. It is derived
// from the stream: replayed from it on start, extended by the appender's own
// writes and, on a node that shares the stream, by tailing it. It decides
// whether an object is new, a duplicate or someone else's, and it is exact up
// to pos: every message of the stream up to pos is in it. pos moves over
// messages read in stream order, and over the appender's own writes only when
// they directly follow it (see observeOwn). The appender guards each write
// with the stream's expected last sequence, so nothing can slip in between
// what the index saw and what is written.
//
// Nothing it holds per object is a pointer, so the garbage collector never
// scans it: a record per id in one slice, the ids and version keys in one
// byte arena, owners and sharings as numbers in tables of the few distinct
// values, and a map from a 64-bit hash of the id to its record (ids whose
// hashes collide are chained). As a map of strings to entries it cost the
// collector about 90 bytes to scan per object on every cycle
// (BenchmarkIndexPerObject): some 90 MB at a million objects.
type index struct {
	mu  sync.RWMutex
	pos uint64 // every stream message up to here is in the index

	seed  maphash.Seed
	hash  func(maphash.Seed, string) uint64 // maphash.String; tests force collisions
	slots map[uint64]uint32                 // hash of an id key -> 1 + its last record with that hash
	recs  []idRecord
	more  []version // the versions of an id after its first, chained
	bytes []byte    // the id keys and version keys the records name

	owners     []string // distinct owners, by number
	ownerNum   map[string]uint32
	sharings   []*stixhubv1.Sharing // distinct sharings, refs left out, by number; 0 is none
	sharingNum map[string]uint32    // by their header form (encodeSharing)
}

// idRecord is what the hub knows about one STIX id.
type idRecord struct {
	id      span    // idKey of the id, in bytes
	first   version // the first version stored, in stream order of observation
	owner   uint32  // member that published the first version, in owners
	sharing uint32  // who may read the newest version, in sharings
	collide uint32  // 1 + the record observed before it with the same hash; 0: none
}

// version is one stored version of an id.
type version struct {
	key  span   // VersionKey of the object, in bytes
	seq  uint64 // stream sequence it is stored at
	next uint32 // 1 + the id's next version in more; 0: none
}

// span is where a string lies in index.bytes: its offset in the high 40
// bits, its length in the low 24.
type span uint64

const spanLenBits = 24

func (s span) off() int { return int(s >> spanLenBits) }
func (s span) len() int { return int(s & (1<<spanLenBits - 1)) }

func newIndex() *index {
	return &index{
		seed:       maphash.MakeSeed(),
		hash:       maphash.String,
		slots:      make(map[uint64]uint32),
		ownerNum:   make(map[string]uint32),
		sharings:   []*stixhubv1.Sharing{nil},
		sharingNum: map[string]uint32{"": 0},
	}
}

// idKey is the index key of a STIX id. UUIDs are read in any case (RFC
// 4122), so two spellings of one id are one object.
func idKey(id string) string { return strings.ToLower(id) }

// put appends s to the arena.
func (x *index) put(s string) span {
	if len(s) >= 1<<spanLenBits { // far beyond any id or version key the hub accepts
		s = s[:1<<spanLenBits-1]
	}
	off := len(x.bytes)
	x.bytes = append(x.bytes, s...)
	return span(off)<<spanLenBits | span(len(s))
}

// is reports whether the arena holds s at sp.
func (x *index) is(sp span, s string) bool {
	return sp.len() == len(s) && string(x.bytes[sp.off():sp.off()+sp.len()]) == s
}

// find returns the number of the record of an id key, or -1. x.mu is held.
func (x *index) find(key string) int {
	for n := x.slots[x.hash(x.seed, key)]; n != 0; n = x.recs[n-1].collide {
		if x.is(x.recs[n-1].id, key) {
			return int(n - 1)
		}
	}
	return -1
}

// verdict is what the index says of a version a member wants to store.
type verdict int

const (
	newVersion    verdict = iota // no version of the id yet, or a new one of the member's own
	storedVersion                // the member's version is stored already
	othersID                     // another member published the id first
)

// judge decides a version a member wants to store; for storedVersion it
// also returns where it is stored.
func (x *index) judge(id, member, vkey string) (verdict, uint64) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	r := x.find(idKey(id))
	if r < 0 {
		return newVersion, 0
	}
	rec := &x.recs[r]
	if x.owners[rec.owner] != member {
		return othersID, 0
	}
	for v := &rec.first; ; v = &x.more[v.next-1] {
		if x.is(v.key, vkey) {
			return storedVersion, v.seq
		}
		if v.next == 0 {
			return newVersion, 0
		}
	}
}

// observe records that version vkey of id, published by member with the
// sharing whose header form is sharing, is stored at seq, as read from the
// stream in order (replay, tail): every message before it has been observed
// too. Observing one twice is harmless.
func (x *index) observe(id, vkey, member string, seq uint64, sharing string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pos = max(x.pos, seq)
	x.add(id, vkey, member, seq, sharing)
}

// observeOwn records the appender's own write of version vkey of id,
// acknowledged at seq. An acknowledgement says nothing of the messages before
// it: a write of the same group whose acknowledgement was lost (the NATS node
// that took it was killed) can be stored there unseen, and a later write whose
// guard names it lands after it. So pos moves only when seq directly follows
// it; otherwise the next resync replays the gap, and the lost write is found
// as the duplicate it is instead of being stored again.
func (x *index) observeOwn(id, vkey, member string, seq uint64, sharing string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.follow(seq)
	x.add(id, vkey, member, seq, sharing)
}

// follow advances pos to seq if seq directly follows it.
func (x *index) follow(seq uint64) {
	if seq == x.pos+1 {
		x.pos = seq
	}
}

// add records a stored version; x.mu is held. The sharing of an id is its
// newest version's: versions can be observed out of stream order (the
// appender's own ahead of a replayed gap).
func (x *index) add(id, vkey, member string, seq uint64, sharing string) {
	key := idKey(id)
	r := x.find(key)
	if r < 0 {
		h := x.hash(x.seed, key)
		x.recs = append(x.recs, idRecord{
			id:      x.put(key),
			first:   version{key: x.put(vkey), seq: seq},
			owner:   x.ownerOf(member),
			sharing: x.sharingOf(sharing),
			collide: x.slots[h],
		})
		x.slots[h] = uint32(len(x.recs))
		return
	}
	rec := &x.recs[r]
	newest, last := true, -1 // last: the chain's end in more, -1 for first
	for v := &rec.first; ; {
		if x.is(v.key, vkey) {
			return
		}
		newest = newest && v.seq < seq
		if v.next == 0 {
			break
		}
		last = int(v.next - 1)
		v = &x.more[last]
	}
	x.more = append(x.more, version{key: x.put(vkey), seq: seq})
	if last < 0 {
		rec.first.next = uint32(len(x.more))
	} else {
		x.more[last].next = uint32(len(x.more))
	}
	if newest {
		rec.sharing = x.sharingOf(sharing)
	}
}

// ownerOf returns the number of a member in owners, adding it if new.
func (x *index) ownerOf(member string) uint32 {
	if n, ok := x.ownerNum[member]; ok {
		return n
	}
	n := uint32(len(x.owners))
	x.owners = append(x.owners, strings.Clone(member)) // member may point into a message buffer
	x.ownerNum[x.owners[n]] = n
	return n
}

// sharingOf returns the number of a sharing, given in its header form, in
// sharings, adding it if new. A header that does not decode reads as none.
func (x *index) sharingOf(hdr string) uint32 {
	if n, ok := x.sharingNum[hdr]; ok {
		return n
	}
	sh := decodeSharing(hdr)
	if sh == nil {
		return 0
	}
	n := uint32(len(x.sharings))
	x.sharings = append(x.sharings, sh)
	x.sharingNum[strings.Clone(hdr)] = n
	return n
}

// readableBy returns the owner and the sharing of the newest version of id:
// who may read it when another object references it (access.Refs).
func (x *index) readableBy(id string) (string, *stixhubv1.Sharing, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	r := x.find(idKey(id))
	if r < 0 {
		return "", nil, false
	}
	return x.owners[x.recs[r].owner], x.sharings[x.recs[r].sharing], true
}

// encodeSharing and decodeSharing are the HeaderSharing form of a Sharing:
// base64 of its protobuf encoding, refs left out.
func encodeSharing(sh *stixhubv1.Sharing) string {
	if sh == nil {
		return ""
	}
	// Without refs: the header answers who may read this object when
	// another one references it; its own references are in the body, and
	// can be thousands (an ATT&CK collection lists every object).
	b, _ := proto.Marshal(&stixhubv1.Sharing{Tlp: sh.GetTlp(), DefaultTlp: sh.GetDefaultTlp(), Groups: sh.GetGroups(), Recipients: sh.GetRecipients()})
	return base64.RawStdEncoding.EncodeToString(b)
}

func decodeSharing(h string) *stixhubv1.Sharing {
	if h == "" {
		return nil
	}
	b, err := base64.RawStdEncoding.DecodeString(h)
	if err != nil {
		return nil
	}
	var sh stixhubv1.Sharing
	if proto.Unmarshal(b, &sh) != nil {
		return nil
	}
	return &sh
}

// skip advances pos over a message that names no object, read from the
// stream in order.
func (x *index) skip(seq uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pos = max(x.pos, seq)
}

// skipOwn is skip for the appender's own write (see observeOwn).
func (x *index) skipOwn(seq uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.follow(seq)
}

// position returns the last stream sequence the index covers.
func (x *index) position() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.pos
}

// len returns the number of ids indexed.
func (x *index) len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.recs)
}

// typeSubject is the stream subject of objects of one STIX type:
// <prefix>.<type>. Types are validated before they get here, so they contain
// no subject separators or wildcards.
func typeSubject(prefix, id string) string {
	typ, _, _ := strings.Cut(id, "--")
	return prefix + "." + typ
}
