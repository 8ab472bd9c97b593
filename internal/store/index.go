package store

import (
	"encoding/base64"
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
type index struct {
	mu   sync.RWMutex
	byID map[string]*idEntry
	pos  uint64 // every stream message up to here is in the index

	// One copy of each distinct owner and sharing: a million objects come
	// from a few members with a few sharing choices.
	owners   map[string]string
	sharings map[string]*stixhubv1.Sharing
}

// idEntry is what the hub knows about one STIX id.
type idEntry struct {
	owner    string             // member that published the first version
	versions []version          // every stored version, in stream order
	sharing  *stixhubv1.Sharing // who may read the newest version
}

type version struct {
	key string // VersionKey of the object
	seq uint64
}

func newIndex() *index {
	return &index{byID: make(map[string]*idEntry), owners: make(map[string]string), sharings: make(map[string]*stixhubv1.Sharing)}
}

// idKey is the index key of a STIX id. UUIDs are read in any case (RFC
// 4122), so two spellings of one id are one object.
func idKey(id string) string { return strings.ToLower(id) }

// lookup returns a copy of the entry for id.
func (x *index) lookup(id string) (idEntry, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.byID[idKey(id)]
	if !ok {
		return idEntry{}, false
	}
	c := *e
	c.versions = append([]version(nil), e.versions...)
	return c, true
}

// observe records that version vkey of id, published by member, is stored at
// seq, as read from the stream in order (replay, tail): every message before
// it has been observed too. Observing one twice is harmless.
func (x *index) observe(id, vkey, member string, seq uint64, sh *stixhubv1.Sharing) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.pos = max(x.pos, seq)
	x.add(id, vkey, member, seq, sh)
}

// observeOwn records the appender's own write of version vkey of id,
// acknowledged at seq. An acknowledgement says nothing of the messages before
// it: a write of the same group whose acknowledgement was lost (the NATS node
// that took it was killed) can be stored there unseen, and a later write whose
// guard names it lands after it. So pos moves only when seq directly follows
// it; otherwise the next resync replays the gap, and the lost write is found
// as the duplicate it is instead of being stored again.
func (x *index) observeOwn(id, vkey, member string, seq uint64, sh *stixhubv1.Sharing) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.follow(seq)
	x.add(id, vkey, member, seq, sh)
}

// follow advances pos to seq if seq directly follows it.
func (x *index) follow(seq uint64) {
	if seq == x.pos+1 {
		x.pos = seq
	}
}

// add records a stored version; x.mu is held.
func (x *index) add(id, vkey, member string, seq uint64, sh *stixhubv1.Sharing) {
	id = idKey(id)
	e, ok := x.byID[id]
	if !ok {
		// Copies: the strings may point into a larger message buffer.
		x.byID[strings.Clone(id)] = &idEntry{owner: x.owner(member), versions: []version{{strings.Clone(vkey), seq}}, sharing: x.sharing(sh)}
		return
	}
	for _, v := range e.versions {
		if v.key == vkey {
			return
		}
	}
	e.versions = append(e.versions, version{strings.Clone(vkey), seq})
	if seq >= e.versions[len(e.versions)-1].seq {
		e.sharing = x.sharing(sh)
	}
}

// owner returns the index's copy of a member id.
func (x *index) owner(member string) string {
	if o, ok := x.owners[member]; ok {
		return o
	}
	o := strings.Clone(member)
	x.owners[o] = o
	return o
}

// sharing returns the index's copy of a sharing, refs left out (the index
// answers who may read an object that another one references).
func (x *index) sharing(sh *stixhubv1.Sharing) *stixhubv1.Sharing {
	if sh == nil {
		return nil
	}
	key := encodeSharing(sh)
	if c, ok := x.sharings[key]; ok {
		return c
	}
	c := &stixhubv1.Sharing{Tlp: sh.GetTlp(), DefaultTlp: sh.GetDefaultTlp(), Groups: sh.GetGroups(), Recipients: sh.GetRecipients()}
	x.sharings[key] = c
	return c
}

// sharingOf returns the owner and the sharing of the newest version of id.
func (x *index) sharingOf(id string) (string, *stixhubv1.Sharing, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.byID[idKey(id)]
	if !ok {
		return "", nil, false
	}
	return e.owner, e.sharing, true
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
	return len(x.byID)
}

func (e *idEntry) version(vkey string) (uint64, bool) {
	for _, v := range e.versions {
		if v.key == vkey {
			return v.seq, true
		}
	}
	return 0, false
}

// typeSubject is the stream subject of objects of one STIX type:
// <prefix>.<type>. Types are validated before they get here, so they contain
// no subject separators or wildcards.
func typeSubject(prefix, id string) string {
	typ, _, _ := strings.Cut(id, "--")
	return prefix + "." + typ
}
