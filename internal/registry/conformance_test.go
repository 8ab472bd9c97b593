package registry

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stixhub/stixhub/internal/sign"
)

// The conformance suite: every test here runs against every Backend.

func TestBackendContract(t *testing.T) {
	for _, k := range backendKinds() {
		t.Run(k.name, func(t *testing.T) {
			ctx := context.Background()
			b, other := k.open(t)

			watchCtx, stop := context.WithCancel(ctx)
			defer stop()
			updates, err := other.Watch(watchCtx, []string{"thing"})
			if err != nil {
				t.Fatal(err)
			}
			if first := <-updates; first.Key != "" {
				t.Fatalf("empty storage: first watch record %+v, want the end-of-load marker", first)
			}

			if _, err := b.Get(ctx, "thing.a"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("get missing: %v", err)
			}
			v1, err := b.Create(ctx, "thing.a", []byte(`1`))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := other.Create(ctx, "thing.a", []byte(`x`)); !errors.Is(err, ErrExists) {
				t.Fatalf("second create: %v", err)
			}
			v2, err := b.Update(ctx, "thing.a", []byte(`2`), v1.Version)
			if err != nil || v2.Version <= v1.Version {
				t.Fatalf("update: %+v %v", v2, err)
			}
			if _, err := other.Update(ctx, "thing.a", []byte(`stale`), v1.Version); !errors.Is(err, ErrConflict) {
				t.Fatalf("update from a stale version: %v", err)
			}
			got, err := other.Get(ctx, "thing.a")
			if err != nil || string(got.Value) != "2" || got.Version != v2.Version {
				t.Fatalf("get after update: %+v %v", got, err)
			}
			if _, err := b.Create(ctx, "other.x", []byte(`o`)); err != nil {
				t.Fatal(err)
			}
			if keys, err := other.List(ctx, "thing"); err != nil || !slices.Equal(keys, []string{"thing.a"}) {
				t.Fatalf("list: %v %v", keys, err)
			}

			// The watch on the other handle sees both versions (or at least
			// the latest), never the unwatched kind.
			deadline := time.After(5 * time.Second)
			for seen := false; !seen; {
				select {
				case r := <-updates:
					if r.Key != "thing.a" {
						t.Fatalf("watch sent %q", r.Key)
					}
					seen = string(r.Value) == "2" && r.Version == v2.Version
				case <-deadline:
					t.Fatal("watch never sent the update")
				}
			}

			if err := b.Delete(ctx, "thing.a"); err != nil {
				t.Fatal(err)
			}
			if _, err := other.Get(ctx, "thing.a"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("get deleted: %v", err)
			}
			v3, err := other.Create(ctx, "thing.a", []byte(`3`))
			if err != nil || v3.Version <= v2.Version {
				t.Fatalf("create after delete: %+v %v (versions must keep growing)", v3, err)
			}
			hist, err := b.History(ctx, "thing.a")
			if err != nil {
				t.Fatal(err)
			}
			var values []string
			for _, h := range hist {
				if !h.Deleted {
					values = append(values, string(h.Value))
				}
			}
			if !slices.Equal(values, []string{"1", "2", "3"}) {
				t.Fatalf("history values %v, want [1 2 3]", values)
			}
			if err := b.Check(ctx); err != nil {
				t.Fatalf("check: %v", err)
			}
		})
	}
}

func TestRotateKey(t *testing.T) { forEachBackend(t, testRotateKey) }

func testRotateKey(t *testing.T, open func() (*Registry, *Registry)) {
	r, other := open()
	ctx := context.Background()
	m, _, _ := r.CreateMember(ctx, "Bank A", newIdentity())
	s1, _ := sign.GenerateEd25519()
	s2, _ := sign.GenerateEd25519()
	s3, _ := sign.GenerateEd25519()
	k1, err := r.AddKey(ctx, m.ID, s1.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	k2, retired, err := r.RotateKey(ctx, m.ID, s2.PublicKey(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(retired) != 1 || retired[0].ID != k1.ID || retired[0].ReplacedBy != k2.ID {
		t.Fatalf("retired %+v", retired)
	}
	old, _ := r.Key(k1.ID)
	if !old.ActiveAt(before) || !old.ActiveAt(time.Now().Add(59*time.Minute)) {
		t.Fatalf("old key must verify objects within the overlap: %+v", old)
	}
	if old.ActiveAt(time.Now().Add(61*time.Minute)) || old.StatusAt(time.Now().Add(61*time.Minute)) != KeyExpired {
		t.Fatalf("old key still valid after the overlap: %+v", old)
	}
	if nk, _ := r.Key(k2.ID); !nk.ActiveAt(time.Now()) {
		t.Fatalf("new key not active: %+v", nk)
	}
	eventually(t, "other node sees the rotation", func() bool {
		k, ok := other.Key(k1.ID)
		return ok && !k.ExpiresAt.IsZero()
	})

	// A second rotation with no overlap ends both older keys now, k1's
	// hour of overlap included.
	k3, retired, err := r.RotateKey(ctx, m.ID, s3.PublicKey(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(retired) != 2 {
		t.Fatalf("second rotation retired %+v", retired)
	}
	for _, id := range []string{k1.ID, k2.ID} {
		if k, _ := r.Key(id); k.ActiveAt(time.Now().Add(time.Millisecond)) || k.ReplacedBy != k3.ID {
			t.Fatalf("overlap 0: old key %+v", k)
		}
	}
	// A third rotation to a later end leaves the ended keys alone.
	s4, _ := sign.GenerateEd25519()
	if _, retired, err := r.RotateKey(ctx, m.ID, s4.PublicKey(), time.Hour); err != nil || len(retired) != 1 || retired[0].ID != k3.ID {
		t.Fatalf("third rotation retired %+v %v", retired, err)
	}
	if _, err := r.RevokeKey(ctx, k3.ID, Revocation{Reason: "lost"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.RotateKey(ctx, m.ID, s3.PublicKey(), 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("rotating back to a revoked key: %v", err)
	}
	if _, _, err := r.RotateKey(ctx, m.ID, s1.PublicKey(), -time.Second); !errors.Is(err, ErrInvalid) {
		t.Fatalf("negative overlap: %v", err)
	}
	hist, err := r.KeyHistory(ctx, k2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || !hist[0].ExpiresAt.IsZero() || hist[1].ExpiresAt.IsZero() {
		t.Fatalf("k2 history: %+v", hist)
	}
}

func TestRevokeCompromised(t *testing.T) { forEachBackend(t, testRevokeCompromised) }

func testRevokeCompromised(t *testing.T, open func() (*Registry, *Registry)) {
	r, other := open()
	ctx := context.Background()
	m, _, _ := r.CreateMember(ctx, "Bank A", newIdentity())
	s, _ := sign.GenerateEd25519()
	k, _ := r.AddKey(ctx, m.ID, s.PublicKey())

	if _, err := r.RevokeKey(ctx, k.ID, Revocation{Reason: ReasonCompromised}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("compromised without a time: %v", err)
	}
	if _, err := r.RevokeKey(ctx, k.ID, Revocation{Reason: ReasonCompromised, CompromisedAt: time.Now().Add(time.Hour)}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("compromised in the future: %v", err)
	}
	if _, err := r.RevokeKey(ctx, k.ID, Revocation{Reason: "lost", CompromisedAt: time.Now()}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a compromise time with another reason: %v", err)
	}
	if got, _ := r.Key(k.ID); got.Status != KeyActive {
		t.Fatal("a refused revocation changed the key")
	}
	at := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	rk, err := r.RevokeKey(ctx, k.ID, Revocation{Reason: ReasonCompromised, CompromisedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if !rk.SuspectAt(at) || rk.SuspectAt(at.Add(-time.Second)) || !rk.SuspectAt(time.Now()) {
		t.Fatalf("suspect window: %+v", rk)
	}
	if rk.ActiveAt(time.Now().Add(time.Millisecond)) {
		t.Fatal("revoked key still active")
	}
	eventually(t, "other node sees the compromise", func() bool {
		got, ok := other.Key(k.ID)
		return ok && got.CompromisedAt.Equal(at)
	})
}

func TestSuspendMember(t *testing.T) { forEachBackend(t, testSuspendMember) }

func testSuspendMember(t *testing.T, open func() (*Registry, *Registry)) {
	b1, b2 := open()
	ctx := context.Background()
	var mu sync.Mutex
	var seen []Member
	watcher, err := Open(ctx, b2.Backend(), Config{OnMemberChange: func(m Member) {
		mu.Lock()
		seen = append(seen, m)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()

	m, _, _ := b1.CreateMember(ctx, "Bank A", newIdentity())
	sm, err := b1.SetSuspended(ctx, m.ID, true)
	if err != nil || !sm.Suspended || sm.SuspendedAt.IsZero() {
		t.Fatalf("suspend: %+v %v", sm, err)
	}
	if got, _ := b1.Member(m.ID); !got.Suspended {
		t.Fatal("suspension not visible at once on the node that made it")
	}
	eventually(t, "other node is told of the suspension", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) > 0 && seen[len(seen)-1].ID == m.ID && seen[len(seen)-1].Suspended
	})
	if rm, err := b1.SetSuspended(ctx, m.ID, false); err != nil || rm.Suspended || !rm.SuspendedAt.IsZero() {
		t.Fatalf("resume: %+v %v", rm, err)
	}
	if _, err := b1.SetSuspended(ctx, "member--00000000-0000-4000-8000-000000000000", true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("suspend unknown: %v", err)
	}
}

func TestAuditLog(t *testing.T) { forEachBackend(t, testAuditLog) }

func testAuditLog(t *testing.T, open func() (*Registry, *Registry)) {
	r, other := open()
	ctx := context.Background()
	var ids []string
	for _, action := range []string{"member.create", "key.add", "key.revoke"} {
		e, err := r.Audit(ctx, AuditEntry{Actor: "operator", Action: action, Target: "x", Detail: map[string]string{"reason": "test"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
		time.Sleep(2 * time.Millisecond)
	}
	all, err := other.AuditLog(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].Action != "member.create" || all[2].Action != "key.revoke" || all[1].Detail["reason"] != "test" {
		t.Fatalf("audit log: %+v", all)
	}
	since, _ := other.AuditLog(ctx, all[1].Time, 0)
	if len(since) != 2 || since[0].ID != ids[1] {
		t.Fatalf("since the second: %+v", since)
	}
	if first, _ := other.AuditLog(ctx, time.Time{}, 1); len(first) != 1 || first[0].ID != ids[0] {
		t.Fatalf("limit 1: %+v", first)
	}
}
