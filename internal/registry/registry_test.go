package registry

import (
	"context"
	"errors"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stixhub/stixhub/internal/broker"
	"github.com/stixhub/stixhub/internal/sign"
	"github.com/stixhub/stixhub/internal/vaulttest"
)

// backendKind opens two registry handles on one storage, as two hub nodes
// would: a JetStream KV bucket, or Vault KV v2 (with the hub policy of
// deploy/vault, so the tests also prove that policy is enough).
type backendKind struct {
	name string
	open func(t *testing.T) (Backend, Backend)
}

func backendKinds() []backendKind {
	return []backendKind{
		{"jetstream", func(t *testing.T) (Backend, Backend) {
			ctx := context.Background()
			b, err := broker.StartEmbedded(ctx, broker.EmbeddedConfig{StoreDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(b.Close)
			nc, err := nats.Connect("", nats.InProcessServer(b.Server))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(nc.Close)
			js2, _ := jetstream.New(nc)
			b1, err := NewJetStreamBackend(ctx, b.JS, JetStreamConfig{})
			if err != nil {
				t.Fatal(err)
			}
			b2, err := NewJetStreamBackend(ctx, js2, JetStreamConfig{})
			if err != nil {
				t.Fatal(err)
			}
			return b1, b2
		}},
		{"vault", func(t *testing.T) (Backend, Backend) {
			ctx := context.Background()
			v := vaulttest.Start(t)
			policy, err := os.ReadFile("../../deploy/vault/hub.hcl")
			if err != nil {
				t.Fatal(err)
			}
			tok := v.TokenWithPolicy("stixhub-hub", string(policy))
			cfg := VaultConfig{PollInterval: 20 * time.Millisecond}
			b1, err := NewVaultBackend(ctx, v.Client(tok), cfg)
			if err != nil {
				t.Fatal(err)
			}
			b2, err := NewVaultBackend(ctx, v.Client(tok), cfg)
			if err != nil {
				t.Fatal(err)
			}
			return b1, b2
		}},
	}
}

// forEachBackend runs test against every backend kind.
func forEachBackend(t *testing.T, test func(t *testing.T, open func() (*Registry, *Registry))) {
	for _, k := range backendKinds() {
		t.Run(k.name, func(t *testing.T) {
			test(t, func() (*Registry, *Registry) {
				b1, b2 := k.open(t)
				return openRegistry(t, b1), openRegistry(t, b2)
			})
		})
	}
}

func openRegistry(t *testing.T, b Backend) *Registry {
	t.Helper()
	r, err := Open(context.Background(), b, Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
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

func TestMembersAndTokens(t *testing.T) { forEachBackend(t, testMembersAndTokens) }

func testMembersAndTokens(t *testing.T, open func() (*Registry, *Registry)) {
	r, other := open()
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
	if got := r.Members(); len(got) != 1 || !reflect.DeepEqual(got[0], m) {
		t.Fatalf("members: %+v", got)
	}
	// Another node sees the member and its token through the watch.
	eventually(t, "other node sees the member", func() bool {
		p, ok := other.Authenticate(token)
		_, mok := other.Member(m.ID)
		return ok && mok && p.MemberID == m.ID
	})
}

func TestOperatorToken(t *testing.T) { forEachBackend(t, testOperatorToken) }

func testOperatorToken(t *testing.T, open func() (*Registry, *Registry)) {
	r, _ := open()
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

func TestKeyLifecycle(t *testing.T) { forEachBackend(t, testKeyLifecycle) }

func testKeyLifecycle(t *testing.T, open func() (*Registry, *Registry)) {
	r, other := open()
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

	rk, err := r.RevokeKey(ctx, k.ID, Revocation{Reason: "superseded"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Key(k.ID); got.Status != KeyRevoked || got.RevokeReason != "superseded" {
		t.Fatalf("revocation not visible on the revoking node at once: %+v", got)
	}
	if rk.ActiveAt(time.Now().Add(time.Millisecond)) || !rk.ActiveAt(rk.AddedAt) || rk.ActiveAt(rk.AddedAt.Add(-time.Nanosecond)) {
		t.Fatalf("validity after revocation: %+v", rk)
	}
	again2, err := r.RevokeKey(ctx, k.ID, Revocation{Reason: "other reason"})
	if err != nil || !again2.RevokedAt.Equal(rk.RevokedAt) || again2.RevokeReason != "superseded" {
		t.Fatalf("second revocation changed the record: %+v %v", again2, err)
	}
	if _, err := r.RevokeKey(ctx, "00000000000000000000000000000000", Revocation{}); !errors.Is(err, ErrNotFound) {
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
	for _, k := range backendKinds() {
		t.Run(k.name, func(t *testing.T) { testHubKeysAndReload(t, k) })
	}
}

func testHubKeysAndReload(t *testing.T, k backendKind) {
	ctx := context.Background()
	b, _ := k.open(t)
	r, err := Open(ctx, b, Config{})
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

	r2, err := Open(ctx, b, Config{})
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
