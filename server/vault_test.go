package server_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	"github.com/stixhub/stixhub/internal/sign"
	"github.com/stixhub/stixhub/internal/vaulttest"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
	"github.com/stixhub/stixhub/server"
)

// vaultHub starts a Vault dev server set up as deploy/vault describes (hub
// key, hub policy) and a hub keeping its receipt key in Transit and its
// registry in KV v2, logged in with a token that has only the hub policy.
func vaultHub(t *testing.T) (*vaulttest.Server, *hubtest.Hub) {
	t.Helper()
	v := vaulttest.Start(t)
	v.CreateTransitKey("stixhub-hub")
	policy, err := os.ReadFile("../deploy/vault/hub.hcl")
	if err != nil {
		t.Fatal(err)
	}
	hubToken := v.TokenWithPolicy("stixhub-hub", string(policy))
	hub := hubtest.Start(t, func(c *server.Config) {
		c.Registry = server.RegistryVault
		c.Vault = server.VaultConfig{Addr: v.Addr, Token: hubToken, TransitKey: "stixhub-hub"}
	})
	return v, hub
}

// memberVaultSigner creates a member's Transit key and a signer logged in
// with a token that has only that member's policy.
func memberVaultSigner(t *testing.T, v *vaulttest.Server, name string) (*client.VaultSigner, string) {
	t.Helper()
	v.CreateTransitKey(name)
	tmpl, err := os.ReadFile("../deploy/vault/member.hcl.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	tok := v.TokenWithPolicy("stixhub-member-"+name, strings.ReplaceAll(string(tmpl), "@KEY@", name))
	s, err := client.NewVaultSigner(context.Background(), v.Client(tok), "", name)
	if err != nil {
		t.Fatal(err)
	}
	return s, tok
}

func TestVaultKeysEndToEnd(t *testing.T) {
	v, hub := vaultHub(t)
	ctx := context.Background()

	// The hub's receipt key is the Transit key: no hub.key file is made.
	if _, err := os.Stat(hub.Config.DataDir + "/hub.key"); !os.IsNotExist(err) {
		t.Errorf("hub.key exists with the receipt key in Vault: %v", err)
	}
	hubSigner, err := client.NewVaultSigner(ctx, v.Root(), "", "stixhub-hub")
	if err != nil {
		t.Fatal(err)
	}
	ks := hub.KeySet(t)
	if len(ks.GetHubKeys()) != 1 || ks.GetHubKeys()[0].GetId() != hubSigner.KeyID() {
		t.Fatalf("hub keys %v, want the Transit key %s", ks.GetHubKeys(), hubSigner.KeyID())
	}

	// A bank whose key lives in its Vault publishes; a CERT receives and
	// verifies with the same code as for key files.
	signer, _ := memberVaultSigner(t, v, "bank-a")
	admin := hub.Operator(t).Admin()
	m, token, err := admin.CreateMember(ctx, "Bank A", "identity--81cade27-7df8-4730-836b-62d880e6d9d3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AddKey(ctx, m.GetId(), signer.PublicKey()); err != nil {
		t.Fatal(err)
	}
	certMember := hub.AddMember(t, "CERT") // creates the test community group
	if _, err := admin.AddGroupMember(ctx, hubtest.Community, m.GetId()); err != nil {
		t.Fatal(err)
	}
	bank := hub.Dial(t, client.WithToken(token), client.WithSigner(signer))
	rs, err := bank.Publish(ctx, indicator(t, nil), indicator(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
			t.Fatalf("publish with a Vault key: %v", r)
		}
	}
	got := collect(ctx, t, hub.Client(t, certMember), client.Beginning(), 2)
	verifier := client.NewVerifier(hub.KeySet(t))
	for _, d := range got {
		if err := verifier.Verify(d); err != nil {
			t.Errorf("cursor %d: %v", d.GetCursor(), err)
		}
		if d.GetReceipt().GetHubKeyId() != hubSigner.KeyID() {
			t.Errorf("receipt signed by %s", d.GetReceipt().GetHubKeyId())
		}
	}

	// The registry lives in Vault KV v2, versioned: the key record keeps
	// its history after a revocation.
	if _, err := admin.RevokeKey(ctx, signer.KeyID(), "superseded"); err != nil {
		t.Fatal(err)
	}
	versions, err := v.Root().KVv2("secret").GetVersionsAsList(ctx, "stixhub/registry/key/"+signer.KeyID())
	if err != nil || len(versions) != 2 {
		t.Fatalf("key record versions in Vault: %v %v", versions, err)
	}

	// A restarted hub loads members and keys back from Vault.
	hub.Restart(t)
	if ms, err := hub.Operator(t).Admin().ListMembers(ctx); err != nil || len(ms) != 2 {
		t.Fatalf("members after restart: %v %v", ms, err)
	}
	rs, err = hub.Dial(t, client.WithToken(token), client.WithSigner(signer)).Publish(ctx, indicator(t, nil))
	if err != nil || codes.Code(rs[0].GetError().GetCode()) != codes.PermissionDenied {
		t.Fatalf("revoked Vault key after restart: %v %v", rs, err)
	}
}

func TestVaultMemberPolicyCannotSignWithAnotherKey(t *testing.T) {
	v := vaulttest.Start(t)
	ctx := context.Background()
	_, tokA := memberVaultSigner(t, v, "bank-a")
	b, _ := memberVaultSigner(t, v, "bank-b")

	msg := []byte("an object's canonical form")
	if _, err := b.Sign(ctx, msg); err != nil {
		t.Fatalf("bank-b signs with its own key: %v", err)
	}
	// Bank A's token may read bank-b's public key? No: not even that.
	if _, err := client.NewVaultSigner(ctx, v.Client(tokA), "", "bank-b"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("bank-a's token reads bank-b's key: %v", err)
	}
	// And it cannot sign with it, going straight at the API.
	_, err := v.Client(tokA).Logical().Write("transit/sign/bank-b", map[string]any{"input": "aGVsbG8="})
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("bank-a's token signs with bank-b's key: %v", err)
	}
	// Nor with the hub's, nor can it read the registry.
	v.CreateTransitKey("stixhub-hub")
	if _, err := v.Client(tokA).Logical().Write("transit/sign/stixhub-hub", map[string]any{"input": "aGVsbG8="}); err == nil {
		t.Error("bank-a's token signs with the hub key")
	}
	if _, err := v.Client(tokA).KVv2("secret").Get(ctx, "stixhub/registry/member/x"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("bank-a's token reads the registry: %v", err)
	}
	// The hub policy cannot sign as a member either.
	policy, _ := os.ReadFile("../deploy/vault/hub.hcl")
	hubTok := v.TokenWithPolicy("stixhub-hub", string(policy))
	if _, err := v.Client(hubTok).Logical().Write("transit/sign/bank-a", map[string]any{"input": "aGVsbG8="}); err == nil {
		t.Error("the hub's token signs with a member key")
	}
	if sig, err := b.Sign(ctx, msg); err != nil || !sign.Verify(b.PublicKey(), msg, sig) {
		t.Errorf("bank-b's Transit signature does not verify as Ed25519: %v", err)
	}
}

// TestVaultOutage stops Vault in two ways, paused (unreachable: calls time
// out) and sealed, and checks each time that the hub reports NOT_SERVING,
// refuses publishes with Unavailable, stores nothing, and recovers by itself.
func TestVaultOutage(t *testing.T) {
	v, hub := vaultHub(t)
	ctx := context.Background()
	bank := hub.Client(t, hub.AddMember(t, "Bank A"))
	cert := hub.Client(t, hub.AddMember(t, "CERT"))
	if r := publishOne(t, bank); r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
		t.Fatalf("before the outage: %v", r)
	}
	probe := hub.Dial(t)
	waitHealth := func(want string) {
		t.Helper()
		hubtest.CheckFor(t, 15*time.Second, 50*time.Millisecond, func() error {
			got := "SERVING"
			if err := probe.Ping(ctx); err != nil {
				got = err.Error()
			}
			if got != want {
				return status.Errorf(codes.Internal, "health %q, want %q", got, want)
			}
			return nil
		})
	}
	outages := []struct {
		name       string
		stop, back func()
	}{
		{"unreachable", v.Pause, v.Resume},
		{"sealed", v.Seal, v.Unseal},
	}
	for _, o := range outages {
		t.Run(o.name, func(t *testing.T) {
			o.stop()
			backed := false
			defer func() {
				if !backed {
					o.back()
				}
			}()
			waitHealth("hub is NOT_SERVING")
			if _, err := bank.Publish(ctx, indicator(t, nil)); status.Code(err) != codes.Unavailable {
				t.Fatalf("publish during the outage: %v, want Unavailable", err)
			}
			// Members and keys are still known: reads go on.
			if ks, err := cert.KeySet(ctx, ""); err != nil || len(ks.GetKeys()) != 2 {
				t.Errorf("key set during the outage: %v %v", ks, err)
			}
			o.back()
			backed = true
			waitHealth("SERVING")
			if r := publishOne(t, bank); r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
				t.Fatalf("after Vault returned: %v", r)
			}
		})
	}
	// Nothing was half-stored: exactly the three accepted objects, at
	// consecutive cursors.
	got := collect(ctx, t, cert, client.Beginning(), 3)
	for i := 1; i < len(got); i++ {
		if got[i].GetCursor() != got[i-1].GetCursor()+1 {
			t.Errorf("cursors %d then %d", got[i-1].GetCursor(), got[i].GetCursor())
		}
	}
	last, err := hub.Dial(t, client.WithToken(hub.OperatorToken)).Admin().KeySet(ctx, "")
	if err != nil || len(last.GetKeys()) != 2 {
		t.Fatalf("key set: %v %v", last, err)
	}
}
