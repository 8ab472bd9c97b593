package server

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/vault/api"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/stixhub/stixhub/internal/registry"
	"github.com/stixhub/stixhub/internal/vault"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// VaultConfig puts the hub's keys in HashiCorp Vault. The hub uses Vault when
// TransitKey is set or Registry is "vault".
type VaultConfig struct {
	// Addr, Token, RoleIDFile and SecretIDFile say how to reach and log in
	// to Vault; empty ones fall back to VAULT_ADDR and VAULT_TOKEN.
	Addr                     string
	Token                    string
	RoleIDFile, SecretIDFile string
	// TransitMount and TransitKey name the ed25519 Transit key the hub signs
	// receipts with. Empty TransitKey keeps the receipt key in DataDir/hub.key.
	TransitMount, TransitKey string
	// KVMount and KVPath locate the registry when Registry is "vault".
	// Defaults "secret" and "stixhub/registry".
	KVMount, KVPath string
}

// Registry backends.
const (
	RegistryNATS  = "nats"
	RegistryVault = "vault"
)

// receiptSigner signs receipt tree heads: a key file or a Vault Transit key.
type receiptSigner interface {
	KeyID() string
	PublicKey() ed25519.PublicKey
	Sign(ctx context.Context, msg []byte) ([]byte, error)
}

func (h *Hub) usesVault() bool {
	return h.cfg.Vault.TransitKey != "" || h.cfg.Registry == RegistryVault
}

// openKeys connects to Vault if configured, and sets up the receipt signer
// and the registry.
func (h *Hub) openKeys(ctx context.Context) error {
	var err error
	if h.usesVault() {
		v := h.cfg.Vault
		h.vault, err = vault.Connect(ctx, vault.Config{Addr: v.Addr, Token: v.Token, RoleIDFile: v.RoleIDFile, SecretIDFile: v.SecretIDFile, Logger: h.log})
		if err != nil {
			return err
		}
	}
	if h.cfg.Vault.TransitKey != "" {
		if h.hubKey, err = vault.NewTransitSigner(ctx, h.vault, h.cfg.Vault.TransitMount, h.cfg.Vault.TransitKey); err != nil {
			return err
		}
	} else if h.hubKey, err = loadOrCreateHubKey(filepath.Join(h.cfg.DataDir, hubKeyFile)); err != nil {
		return err
	}

	var backend registry.Backend
	switch h.cfg.Registry {
	case "", RegistryNATS:
		backend, err = registry.NewJetStreamBackend(ctx, h.broker.JS, registry.JetStreamConfig{Replicas: h.cfg.Replicas})
	case RegistryVault:
		backend, err = registry.NewVaultBackend(ctx, h.vault, registry.VaultConfig{Mount: h.cfg.Vault.KVMount, Path: h.cfg.Vault.KVPath, Logger: h.log})
	default:
		return fmt.Errorf("unknown registry backend %q (want %q or %q)", h.cfg.Registry, RegistryNATS, RegistryVault)
	}
	if err != nil {
		return err
	}
	h.registry, err = registry.Open(ctx, backend, registry.Config{Logger: h.log,
		OnMemberChange: h.streams.memberChanged, OnGroupLeave: h.streams.groupLeft})
	if err != nil {
		return err
	}
	if _, err := h.registry.AddHubKey(ctx, h.hubKey.PublicKey()); err != nil {
		return fmt.Errorf("register hub key: %w", err)
	}
	h.keyHealth.up.Store(true) // everything answered just now
	return nil
}

// keysDescription names where keys live, for the start log line.
func (h *Hub) keysDescription() string {
	signer := "file " + filepath.Join(h.cfg.DataDir, hubKeyFile)
	if t, ok := h.hubKey.(*vault.TransitSigner); ok {
		signer = "vault transit " + t.Name()
	}
	return signer + "; registry " + h.registry.Backend().String()
}

// keyHealth watches what the hub's keys depend on (Vault, the registry
// storage) and keeps the gRPC health status and the publish gate in step: while
// a dependency is down the hub reports NOT_SERVING and refuses publishes with
// Unavailable, and it recovers by itself when the dependency returns.
type keyHealth struct {
	up     atomic.Bool
	reason atomic.Value // string: why not up
}

const (
	healthInterval  = 500 * time.Millisecond
	healthDownAfter = 3
)

func (h *Hub) watchKeyHealth(ctx context.Context) {
	check := func() error {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if h.vault != nil {
			if err := vault.Check(cctx, h.vault); err != nil {
				return err
			}
			if t, ok := h.hubKey.(*vault.TransitSigner); ok {
				// Sealed or gone is not the only failure: a revoked token
				// or a changed policy stops signing too.
				if _, err := t.Sign(cctx, []byte("stixhub health check")); err != nil {
					return err
				}
			}
		}
		return h.registry.Check(cctx)
	}
	t := time.NewTicker(healthInterval)
	defer t.Stop()
	failures := 0
	for {
		err := check()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
		} else {
			failures = 0
		}
		// Down after healthDownAfter failed checks in a row (one slow answer
		// on a loaded machine is not an outage); up at the first good one.
		switch wasUp := h.keyHealth.up.Load(); {
		case err != nil && wasUp && failures >= healthDownAfter:
			h.keyHealth.reason.Store(err.Error())
			h.keyHealth.up.Store(false)
			h.setServing(false)
			h.log.Error("key service unavailable: refusing publishes until it returns", "keys", h.keysDescription(), "err", err)
		case err == nil && !wasUp:
			h.keyHealth.up.Store(true)
			h.setServing(true)
			h.log.Info("key service available again", "keys", h.keysDescription())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (h *Hub) setServing(ok bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ok {
		st = healthpb.HealthCheckResponse_SERVING
	}
	h.health.SetServingStatus("", st)
	h.health.SetServingStatus(stixhubv1.HubService_ServiceDesc.ServiceName, st)
}

// memberStreams tracks open Subscribe streams per member, to close a
// suspended member's streams at once on every node.
type memberStreams struct {
	mu      sync.Mutex
	byID    map[string]map[*streamHandle]struct{}
	enabled bool
}

type streamHandle struct {
	cancel context.CancelCauseFunc
}

var errSuspended = errors.New("member suspended")

func (s *memberStreams) add(memberID string, cancel context.CancelCauseFunc) func() {
	h := &streamHandle{cancel: cancel}
	s.mu.Lock()
	if s.byID == nil {
		s.byID = make(map[string]map[*streamHandle]struct{})
	}
	if s.byID[memberID] == nil {
		s.byID[memberID] = make(map[*streamHandle]struct{})
	}
	s.byID[memberID][h] = struct{}{}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.byID[memberID], h)
		if len(s.byID[memberID]) == 0 {
			delete(s.byID, memberID)
		}
		s.mu.Unlock()
	}
}

// memberChanged is the registry's OnMemberChange hook.
func (s *memberStreams) memberChanged(m registry.Member) {
	cause := errSuspended
	switch {
	case m.Suspended:
	case !m.HasRole(registry.RoleSubscriber):
		cause = errNotSubscriber
	default:
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for h := range s.byID[m.ID] {
		h.cancel(cause)
	}
}

// groupLeft is the registry's OnGroupLeave hook: members who left a group
// lose its objects at once; their streams end and they resume with what they
// may still read.
func (s *memberStreams) groupLeft(_ string, members []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range members {
		for h := range s.byID[m] {
			h.cancel(errAccessChanged)
		}
	}
}

var errAccessChanged = errors.New("access changed")

// vaultClient is the hub's Vault client, nil without Vault.
type vaultClient = *api.Client
