package store

import (
	"strings"
	"sync"
)

// index maps object ids to their owner and stored versions. It is derived
// from the stream (the follower replays the stream into it on start and then
// tails it) and only serves to decide, before writing, whether an object is
// new, a duplicate or someone else's. The stream's own per-subject sequence
// check is what finally guarantees it, so a stale index costs a retry, never
// a wrong write.
type index struct {
	mu   sync.RWMutex
	byID map[string]*idEntry
}

// idEntry is what the hub knows about one STIX id.
type idEntry struct {
	owner    string    // member that published the first version
	lastSeq  uint64    // highest stream sequence of any version
	versions []version // every stored version, in no particular order
}

type version struct {
	key string // VersionKey of the object
	seq uint64
}

func newIndex() *index { return &index{byID: make(map[string]*idEntry)} }

// lookup returns a copy of the entry for id.
func (x *index) lookup(id string) (idEntry, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.byID[id]
	if !ok {
		return idEntry{}, false
	}
	c := *e
	c.versions = append([]version(nil), e.versions...)
	return c, true
}

// observe records that version vkey of id, published by member, is stored at
// seq. Observing the same message twice is harmless.
func (x *index) observe(id, vkey, member string, seq uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	e, ok := x.byID[id]
	if !ok {
		x.byID[id] = &idEntry{owner: member, lastSeq: seq, versions: []version{{vkey, seq}}}
		return
	}
	if seq > e.lastSeq {
		e.lastSeq = seq
	}
	for _, v := range e.versions {
		if v.key == vkey {
			return
		}
	}
	e.versions = append(e.versions, version{vkey, seq})
}

// replace sets the entry for id from a fresh read of the stream.
func (x *index) replace(id string, e idEntry) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.byID[id] = &e
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

// objectSubject names the stream subject of one object version:
// <prefix>.<type>.<uuid>.<version>. Types and UUIDs are validated before they
// get here, so they contain no subject separators or wildcards.
func objectSubject(prefix, id, vkey string) string {
	typ, uuid, _ := strings.Cut(id, "--")
	return prefix + "." + typ + "." + uuid + "." + vkey
}

// idSubjects is the wildcard subject covering every version of one id.
func idSubjects(prefix, id string) string {
	typ, uuid, _ := strings.Cut(id, "--")
	return prefix + "." + typ + "." + uuid + ".*"
}

// parseSubject splits an object subject back into id and version key.
func parseSubject(prefix, subject string) (id, vkey string, ok bool) {
	rest, ok := strings.CutPrefix(subject, prefix+".")
	if !ok {
		return "", "", false
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 {
		return "", "", false
	}
	return parts[0] + "--" + parts[1], parts[2], true
}
