package store

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// modelIndex is the id index as a plain map: what index must answer.
type modelIndex struct {
	ids map[string]*modelID
}

type modelID struct {
	owner    string
	versions map[string]uint64
	newest   uint64
	sharing  string
}

func (m *modelIndex) add(id, vkey, member string, seq uint64, sharing string) {
	e, ok := m.ids[strings.ToLower(id)]
	if !ok {
		m.ids[strings.ToLower(id)] = &modelID{owner: member, versions: map[string]uint64{vkey: seq}, newest: seq, sharing: sharing}
		return
	}
	if _, ok := e.versions[vkey]; ok {
		return
	}
	e.versions[vkey] = seq
	if seq > e.newest {
		e.newest, e.sharing = seq, sharing
	}
}

func (m *modelIndex) judge(id, member, vkey string) (verdict, uint64) {
	e, ok := m.ids[strings.ToLower(id)]
	switch {
	case !ok:
		return newVersion, 0
	case e.owner != member:
		return othersID, 0
	}
	if seq, ok := e.versions[vkey]; ok {
		return storedVersion, seq
	}
	return newVersion, 0
}

// TestIndexAgreesWithAMap drives the index and a plain map with the same
// random observations (ids in two spellings, several versions each, seen out
// of stream order, from several members and sharings) and checks every
// answer, once with the real hash and once with one that makes most ids
// collide, so that the collision chains are walked.
func TestIndexAgreesWithAMap(t *testing.T) {
	hashes := map[string]func(maphash.Seed, string) uint64{
		"maphash":          maphash.String,
		"colliding hashes": func(_ maphash.Seed, s string) uint64 { return uint64(s[len(s)-1] % 4) },
	}
	sharings := []*stixhubv1.Sharing{nil, {Tlp: "amber", Groups: []string{"finance"}}, {Tlp: "green"}, {Tlp: "red", Recipients: []string{"member--b"}}}
	for name, hash := range hashes {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			x := newIndex()
			x.hash = hash
			m := &modelIndex{ids: map[string]*modelID{}}
			ids := make([]string, 300)
			for i := range ids {
				ids[i] = fmt.Sprintf("indicator--%08x-4e5f-4a3c-9d51-6f7e2c1a9b%02x", rng.Uint32(), i%256)
			}
			spell := func(id string) string {
				if rng.IntN(4) == 0 {
					return "indicator--" + strings.ToUpper(id[len("indicator--"):])
				}
				return id
			}
			members := []string{"member--a", "member--b", "member--c"}
			for seq := uint64(1); seq <= 3000; seq++ {
				id, vkey := spell(ids[rng.IntN(len(ids))]), fmt.Sprintf("2026%019d", rng.IntN(6))
				member, sh := members[rng.IntN(len(members))], encodeSharing(sharings[rng.IntN(len(sharings))])
				at := seq
				if rng.IntN(5) == 0 {
					at = seq + 1000 // an own write acknowledged ahead of a gap
				}
				x.observe(id, vkey, member, at, sh)
				m.add(id, vkey, member, at, sh)
			}
			for _, id := range ids {
				for _, member := range members {
					for v := range 7 {
						vkey := fmt.Sprintf("2026%019d", v)
						gv, gs := x.judge(spell(id), member, vkey)
						wv, ws := m.judge(id, member, vkey)
						if gv != wv || gs != ws {
							t.Fatalf("judge(%s, %s, %s) = %v %d, want %v %d", id, member, vkey, gv, gs, wv, ws)
						}
					}
				}
				owner, sh, ok := x.readableBy(spell(id))
				e, want := m.ids[id]
				if ok != want {
					t.Fatalf("readableBy(%s) found=%v, want %v", id, ok, want)
				}
				if !ok {
					continue
				}
				if wantSh := decodeSharing(e.sharing); owner != e.owner || !proto.Equal(sh, wantSh) {
					t.Errorf("readableBy(%s) = %s %v, want %s %v (newest version's)", id, owner, sh, e.owner, wantSh)
				}
			}
			if x.len() != len(m.ids) {
				t.Errorf("len() = %d, want %d", x.len(), len(m.ids))
			}
		})
	}
}

// TestIndexPositionMovesOverWhatItHasSeen: pos moves over every message read
// in order, and over an own write only when it directly follows.
func TestIndexPositionMovesOverWhatItHasSeen(t *testing.T) {
	x := newIndex()
	x.observe("indicator--1", "v", "member--a", 1, "")
	x.observeOwn("indicator--2", "v", "member--a", 2, "")
	x.skipOwn(3)
	if p := x.position(); p != 3 {
		t.Fatalf("after 1 read, 2 and 3 own: position %d, want 3", p)
	}
	x.observeOwn("indicator--5", "v", "member--a", 5, "") // 4 unseen
	x.skipOwn(6)
	if p := x.position(); p != 3 {
		t.Fatalf("own writes beyond an unseen 4 moved the position to %d", p)
	}
	if v, seq := x.judge("indicator--5", "member--a", "v"); v != storedVersion || seq != 5 {
		t.Errorf("the own write past the gap is not recorded: %v %d", v, seq)
	}
	x.observe("indicator--4", "v", "member--b", 4, "")
	x.observe("indicator--5", "v", "member--a", 5, "")
	x.skip(6)
	if p := x.position(); p != 6 {
		t.Errorf("after replaying the gap: position %d, want 6", p)
	}
}
