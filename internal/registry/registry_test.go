package registry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stixhub/stixhub/internal/broker"
	"github.com/stixhub/stixhub/internal/sign"
)

func openPair(t *testing.T) (*Registry, *Registry) {
	t.Helper()
	ctx := context.Background()
	b, err := broker.StartEmbedded(ctx, broker.EmbeddedConfig{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	r1, err := Open(ctx, b.JS, Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r1.Close() })
	nc, err := nats.Connect("", nats.InProcessServer(b.Server))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js2, _ := jetstream.New(nc)
	r2, err := Open(ctx, js2, Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r2.Close() })
	return r1, r2
}

func newIdentity() string { return "identity--" + uuid.NewString() }

func eventually(t *testing.T, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMembersAndTokens(t *testing.T) {
	r, other := openPair(t)
	ctx := context.Background()
	id := newIdentity()
	m, token, err := r.CreateMember(ctx, "Bank A", id)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := r.Authenticate(token); !ok || p.MemberID != m.ID || p.Operator {
		t.Fatalf("token authenticates as %+v %v", p, ok)
	}
	if _, ok := r.Authenticate(token + "x"); ok {
		t.Fatal("a wrong token authenticated")
	}
	if _, _, err := r.CreateMember(ctx, "Impostor", id); !errors.Is(err, ErrExists) {
		t.Fatalf("second member with the same identity: %v", err)
	}
	if got := r.Members(); len(got) != 1 || got[0] != m {
		t.Fatalf("members: %+v", got)
	}
	// Another node sees the member and its token through the watch.
	eventually(t, "other node sees the member", func() bool {
		p, ok := other.Authenticate(token)
		_, mok := other.Member(m.ID)
		return ok && mok && p.MemberID == m.ID
	})
}

func TestOperatorToken(t *testing.T) {
	r, _ := openPair(t)
	ctx := context.Background()
	tok, _ := NewToken()
	if err := r.EnsureOperatorToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := r.EnsureOperatorToken(ctx, tok); err != nil {
		t.Fatalf("second ensure: %v", err)
	}
	if p, ok := r.Authenticate(tok); !ok || !p.Operator {
		t.Fatalf("operator token: %+v %v", p, ok)
	}
	_, memberTok, _ := r.CreateMember(ctx, "Bank", newIdentity())
	if err := r.EnsureOperatorToken(ctx, memberTok); !errors.Is(err, ErrExists) {
		t.Fatalf("a member token became the operator's: %v", err)
	}
}

func TestKeyLifecycle(t *testing.T) {
	r, other := openPair(t)
	ctx := context.Background()
	a, _, _ := r.CreateMember(ctx, "Bank A", newIdentity())
	b, _, _ := r.CreateMember(ctx, "Bank B", newIdentity())
	s, _ := sign.GenerateEd25519()

	k, err := r.AddKey(ctx, a.ID, s.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if k.ID != sign.KeyID(s.PublicKey()) || k.Status != KeyActive || !k.ActiveAt(time.Now()) {
		t.Fatalf("new key: %+v", k)
	}
	again, err := r.AddKey(ctx, a.ID, s.PublicKey())
	if err != nil || again.AddedAt != k.AddedAt {
		t.Fatalf("adding the same key again: %+v %v", again, err)
	}
	if _, err := r.AddKey(ctx, b.ID, s.PublicKey()); !errors.Is(err, ErrExists) {
		t.Fatalf("another member registered the same key: %v", err)
	}
	if _, err := r.AddKey(ctx, "member--"+uuid.NewString(), s.PublicKey()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("key for an unknown member: %v", err)
	}
	if _, err := r.AddKey(ctx, a.ID, []byte("short")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short key: %v", err)
	}

	rk, err := r.RevokeKey(ctx, k.ID, "compromised")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Key(k.ID); got.Status != KeyRevoked || got.RevokeReason != "compromised" {
		t.Fatalf("revocation not visible on the revoking node at once: %+v", got)
	}
	if rk.ActiveAt(time.Now().Add(time.Millisecond)) || !rk.ActiveAt(rk.AddedAt) || rk.ActiveAt(rk.AddedAt.Add(-time.Nanosecond)) {
		t.Fatalf("validity after revocation: %+v", rk)
	}
	again2, err := r.RevokeKey(ctx, k.ID, "other reason")
	if err != nil || !again2.RevokedAt.Equal(rk.RevokedAt) || again2.RevokeReason != "compromised" {
		t.Fatalf("second revocation changed the record: %+v %v", again2, err)
	}
	if _, err := r.RevokeKey(ctx, "00000000000000000000000000000000", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	eventually(t, "other node sees the revocation", func() bool {
		got, ok := other.Key(k.ID)
		return ok && got.Status == KeyRevoked
	})
	if ks := r.Keys(a.ID); len(ks) != 1 || ks[0].ID != k.ID {
		t.Fatalf("keys of a: %+v", ks)
	}
	if ks := r.Keys(b.ID); len(ks) != 0 {
		t.Fatalf("keys of b: %+v", ks)
	}
}

func TestHubKeysAndReload(t *testing.T) {
	ctx := context.Background()
	b, err := broker.StartEmbedded(ctx, broker.EmbeddedConfig{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r, err := Open(ctx, b.JS, Config{})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := sign.GenerateEd25519()
	hk, err := r.AddHubKey(ctx, s.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	m, tok, _ := r.CreateMember(ctx, "Bank", newIdentity())
	r.Close()

	r2, err := Open(ctx, b.JS, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if got := r2.HubKeys(); len(got) != 1 || got[0].ID != hk.ID {
		t.Fatalf("hub keys after reopen: %+v", got)
	}
	if again, _ := r2.AddHubKey(ctx, s.PublicKey()); !again.AddedAt.Equal(hk.AddedAt) {
		t.Fatal("adding the hub key again changed it")
	}
	if p, ok := r2.Authenticate(tok); !ok || p.MemberID != m.ID {
		t.Fatal("token lost on reopen")
	}
}
