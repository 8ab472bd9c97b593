// Package hubtest starts real hubs for tests: an embedded NATS server with
// JetStream in t.TempDir(), real TLS, and gRPC on a random loopback port.
//
// Set STIXHUB_TEST_LOG=1 to see the hubs' logs.
package hubtest

import (
	"context"
	"encoding/json"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/limit"
	"github.com/stixhub/stixhub/internal/sign"
	"github.com/stixhub/stixhub/server"
)

// Hub is a hub started for a test. It shuts down when the test ends.
type Hub struct {
	*server.Hub
	Config server.Config
	// Addr is the gRPC address, stable across Restart.
	Addr string
	// OperatorToken authenticates admin calls.
	OperatorToken string
}

// Start starts a hub in a fresh data directory. mod may adjust the config.
func Start(t testing.TB, mod ...func(*server.Config)) *Hub {
	t.Helper()
	cfg := server.DefaultConfig(t.TempDir())
	cfg.GRPCAddr = "127.0.0.1:0"
	cfg.TAXIIAddr = "127.0.0.1:0"
	cfg.Logger = Logger()
	for _, m := range mod {
		m(&cfg)
	}
	h := &Hub{Config: cfg}
	h.start(t)
	h.Addr = h.Hub.Addr().String()
	h.Config.GRPCAddr = h.Addr // restarts reuse the port
	if a := h.Hub.TAXIIAddr(); a != nil {
		h.Config.TAXIIAddr = a.String()
	}
	t.Cleanup(func() { _ = h.Hub.Shutdown(context.Background()) })
	return h
}

// NoLimits turns the per-member rate limits off, for tests that load a hub
// harder than one member may.
func NoLimits(cfg *server.Config) { cfg.Limits = limit.Config{} }

// Logger returns the logger test hubs use.
func Logger() *slog.Logger {
	if os.Getenv("STIXHUB_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func (h *Hub) start(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hub, err := server.Start(ctx, h.Config)
	if err != nil {
		t.Fatalf("start hub: %v", err)
	}
	h.Hub = hub
	tok, err := os.ReadFile(hub.OperatorTokenFile())
	if err != nil {
		t.Fatalf("read operator token: %v", err)
	}
	h.OperatorToken = strings.TrimSpace(string(tok))
}

// Stop shuts the hub down gracefully.
func (h *Hub) Stop(t testing.TB) {
	t.Helper()
	if err := h.Hub.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// Restart stops the hub and starts it again on the same data directory and
// address.
func (h *Hub) Restart(t testing.TB) {
	t.Helper()
	h.Stop(t)
	h.start(t)
}

// Dial connects to the hub with the given options plus its CA.
func (h *Hub) Dial(t testing.TB, opts ...client.Option) *client.Client {
	t.Helper()
	opts = append([]client.Option{client.WithCAFile(h.CAFile())}, opts...)
	c, err := client.New(context.Background(), h.Addr, opts...)
	if err != nil {
		t.Fatalf("dial hub: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Operator connects with the operator token.
func (h *Hub) Operator(t testing.TB) *client.Client {
	t.Helper()
	return h.Dial(t, client.WithToken(h.OperatorToken))
}

// Member is a member admitted for a test, with one active key.
type Member struct {
	ID       string
	Identity string
	Token    string
	Signer   *sign.Ed25519Signer
}

// AddMember admits a member with a fresh identity (or the given one) and
// registers a new key for it.
func (h *Hub) AddMember(t testing.TB, name string, identity ...string) Member {
	t.Helper()
	ctx := context.Background()
	id := "identity--" + uuid.NewString()
	if len(identity) > 0 {
		id = identity[0]
	}
	admin := h.Operator(t).Admin()
	m, token, err := admin.CreateMember(ctx, name, id)
	if err != nil {
		t.Fatalf("create member: %v", err)
	}
	s, err := sign.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AddKey(ctx, m.GetId(), s.PublicKey()); err != nil {
		t.Fatalf("add key: %v", err)
	}
	if _, err := admin.AddGroupMember(ctx, Community, m.GetId()); status.Code(err) == codes.NotFound {
		if _, err := admin.CreateGroup(ctx, Community); err != nil && status.Code(err) != codes.AlreadyExists {
			t.Fatalf("create group %s: %v", Community, err)
		}
		_, err = admin.AddGroupMember(ctx, Community, m.GetId())
		if err != nil {
			t.Fatalf("join group %s: %v", Community, err)
		}
	} else if err != nil {
		t.Fatalf("join group %s: %v", Community, err)
	}
	return Member{ID: m.GetId(), Identity: id, Token: token, Signer: s}
}

// Community is the sharing group AddMember puts every member in, as a hub
// with one community would: unmarked objects (TLP:AMBER to the publisher's
// groups by default) then reach every test member. AddLoneMember makes a
// member outside it.
const Community = "community"

// AddLoneMember admits a member with a key, in no sharing group.
func (h *Hub) AddLoneMember(t testing.TB, name string) Member {
	t.Helper()
	m := h.AddMember(t, name)
	if _, err := h.Operator(t).Admin().RemoveGroupMember(context.Background(), Community, m.ID); err != nil {
		t.Fatalf("leave group %s: %v", Community, err)
	}
	return m
}

// Client connects as member m, signing with its key.
func (h *Hub) Client(t testing.TB, m Member) *client.Client {
	t.Helper()
	return h.Dial(t, client.WithToken(m.Token), client.WithSigner(m.Signer))
}

// KeySet returns the hub's current public key set.
func (h *Hub) KeySet(t testing.TB) *client.KeySet {
	t.Helper()
	ks, err := h.Operator(t).Admin().KeySet(context.Background(), "")
	if err != nil {
		t.Fatalf("key set: %v", err)
	}
	return ks
}

// CheckFor calls fn every interval until it returns nil or timeout passes,
// then fails the test with fn's last error.
func CheckFor(t testing.TB, timeout, interval time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", timeout, err)
		}
		time.Sleep(interval)
	}
}

// Indicator returns a valid, unmarked STIX indicator with a fresh id; mod,
// if not nil, adjusts its properties before it is encoded.
func Indicator(t testing.TB, mod func(map[string]any)) json.RawMessage {
	t.Helper()
	o := map[string]any{
		"type":         "indicator",
		"spec_version": "2.1",
		"id":           "indicator--" + uuid.NewString(),
		"created":      "2024-03-01T10:00:00.000Z",
		"modified":     "2024-03-01T10:00:00.000Z",
		"name":         "Lazarus wallet",
		"pattern":      "[ipv4-addr:value = '198.51.100.7']",
		"pattern_type": "stix",
		"valid_from":   "2024-03-01T10:00:00Z",
	}
	if mod != nil {
		mod(o)
	}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
