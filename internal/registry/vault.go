package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/stixhub/stixhub/internal/vault"
)

// VaultConfig configures NewVaultBackend. Zero fields have defaults.
type VaultConfig struct {
	// Mount is the KV v2 secrets engine mount. Default "secret".
	Mount string
	// Path is the folder of the registry inside the mount. Default
	// "stixhub/registry".
	Path string
	// PollInterval is how often a node looks for other nodes' changes.
	// Vault has no watch; a node reads one metadata record per interval and
	// reloads the registry only when it changed. Default 500 ms, so a
	// suspension reaches every node within a second.
	PollInterval time.Duration
	// Logger receives poll errors. Default slog.Default().
	Logger *slog.Logger
}

// vaultBackend keeps each record as a KV v2 secret at <path>/<kind>/<id>
// holding {"value": "<record JSON>"}; KV v2 versions every write, so every
// change is kept (up to the mount's max_versions, which deploy/vault sets
// high). Every write also bumps <path>/_head, the change marker other nodes
// poll.
type vaultBackend struct {
	c   *api.Client
	kv  *api.KVv2
	cfg VaultConfig
}

// NewVaultBackend returns a registry backend in Vault KV v2. c must hold a
// token whose policy allows the registry path (deploy/vault/hub.hcl).
func NewVaultBackend(ctx context.Context, c *api.Client, cfg VaultConfig) (Backend, error) {
	if cfg.Mount == "" {
		cfg.Mount = "secret"
	}
	if cfg.Path == "" {
		cfg.Path = "stixhub/registry"
	}
	cfg.Path = strings.Trim(cfg.Path, "/")
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	b := &vaultBackend{c: c, kv: c.KVv2(cfg.Mount), cfg: cfg}
	if _, err := b.head(ctx); err != nil {
		return nil, fmt.Errorf("%s: %w", b, err)
	}
	return b, nil
}

func (b *vaultBackend) String() string { return "vault-kv " + b.cfg.Mount + "/" + b.cfg.Path }

func (b *vaultBackend) secretPath(key string) string {
	kind, id, _ := strings.Cut(key, ".")
	return path.Join(b.cfg.Path, kind, id)
}

func (b *vaultBackend) vaultErr(op, key string, err error) error {
	var re *api.ResponseError
	if errors.As(err, &re) && re.StatusCode == 403 {
		return fmt.Errorf("%s %s in %s: permission denied by Vault policy: %w", op, key, b, err)
	}
	err = vault.Classify(err)
	if errors.Is(err, vault.ErrUnavailable) {
		return fmt.Errorf("%s %s in %s: %w: %w", op, key, b, ErrUnavailable, err)
	}
	return fmt.Errorf("%s %s in %s: %w", op, key, b, err)
}

func isCASMismatch(err error) bool {
	var re *api.ResponseError
	return errors.As(err, &re) && re.StatusCode == 400 && strings.Contains(err.Error(), "check-and-set")
}

// kvRecord reads one KV v2 version: a record, or a tombstone (Deleted).
func kvRecord(key string, s *api.KVSecret) (Record, bool) {
	if s == nil || s.Data == nil || s.VersionMetadata == nil {
		return Record{}, false
	}
	rec := Record{Key: key, Version: uint64(s.VersionMetadata.Version), Time: s.VersionMetadata.CreatedTime}
	if _, tomb := s.Data["deleted"]; tomb {
		rec.Deleted = true
		return rec, true
	}
	v, ok := s.Data["value"].(string)
	if !ok {
		return Record{}, false
	}
	rec.Value = []byte(v)
	return rec, true
}

func (b *vaultBackend) Get(ctx context.Context, key string) (Record, error) {
	s, err := b.kv.Get(ctx, b.secretPath(key))
	if errors.Is(err, api.ErrSecretNotFound) {
		return Record{}, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	if err != nil {
		return Record{}, b.vaultErr("get", key, err)
	}
	rec, ok := kvRecord(key, s)
	if !ok || rec.Deleted {
		return Record{}, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	return rec, nil
}

func (b *vaultBackend) put(ctx context.Context, key string, value []byte, cas int) (Record, error) {
	s, err := b.kv.Put(ctx, b.secretPath(key), map[string]any{"value": string(value)}, api.WithCheckAndSet(cas))
	if err != nil {
		return Record{}, err
	}
	rec := Record{Key: key, Value: value}
	if s != nil && s.VersionMetadata != nil {
		rec.Version = uint64(s.VersionMetadata.Version)
		rec.Time = s.VersionMetadata.CreatedTime
	}
	b.touch(ctx, key)
	return rec, nil
}

func (b *vaultBackend) Create(ctx context.Context, key string, value []byte) (Record, error) {
	rec, err := b.put(ctx, key, value, 0)
	if err == nil {
		return rec, nil
	}
	if !isCASMismatch(err) {
		return Record{}, b.vaultErr("create", key, err)
	}
	// The key exists; it may be a deleted one (a tombstone version), which
	// Create may revive.
	cur, gerr := b.kv.Get(ctx, b.secretPath(key))
	if gerr != nil {
		return Record{}, b.vaultErr("create", key, gerr)
	}
	last, ok := kvRecord(key, cur)
	if !ok || !last.Deleted {
		return Record{}, fmt.Errorf("%s: %w", key, ErrExists)
	}
	rec, err = b.put(ctx, key, value, int(last.Version))
	if isCASMismatch(err) {
		return Record{}, fmt.Errorf("%s: %w", key, ErrExists)
	}
	if err != nil {
		return Record{}, b.vaultErr("create", key, err)
	}
	return rec, nil
}

func (b *vaultBackend) Update(ctx context.Context, key string, value []byte, version uint64) (Record, error) {
	rec, err := b.put(ctx, key, value, int(version))
	if isCASMismatch(err) {
		return Record{}, fmt.Errorf("%s: %w", key, ErrConflict)
	}
	if err != nil {
		return Record{}, b.vaultErr("update", key, err)
	}
	return rec, nil
}

// Delete writes a tombstone version, so the record's earlier versions stay
// readable in its history (a KV v2 delete would hide the latest one).
func (b *vaultBackend) Delete(ctx context.Context, key string) error {
	if _, err := b.kv.Put(ctx, b.secretPath(key), map[string]any{"deleted": true}); err != nil {
		return b.vaultErr("delete", key, err)
	}
	b.touch(ctx, key)
	return nil
}

func (b *vaultBackend) History(ctx context.Context, key string) ([]Record, error) {
	p := b.secretPath(key)
	versions, err := b.kv.GetVersionsAsList(ctx, p)
	if errors.Is(err, api.ErrSecretNotFound) {
		return nil, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, b.vaultErr("history", key, err)
	}
	var out []Record
	for _, v := range versions {
		if v.Destroyed {
			continue
		}
		if !v.DeletionTime.IsZero() { // deleted outside stixhub
			out = append(out, Record{Key: key, Version: uint64(v.Version), Deleted: true, Time: v.DeletionTime})
			continue
		}
		s, err := b.kv.GetVersion(ctx, p, v.Version)
		if err != nil {
			return nil, b.vaultErr("history", key, err)
		}
		if rec, ok := kvRecord(key, s); ok {
			out = append(out, rec)
		}
	}
	return out, nil
}

func (b *vaultBackend) List(ctx context.Context, kind string) ([]string, error) {
	s, err := b.c.Logical().ListWithContext(ctx, path.Join(b.cfg.Mount, "metadata", b.cfg.Path, kind))
	if err != nil {
		return nil, b.vaultErr("list", kind, err)
	}
	if s == nil || s.Data == nil {
		return nil, nil
	}
	raw, _ := s.Data["keys"].([]any)
	keys := make([]string, 0, len(raw))
	for _, k := range raw {
		if name, ok := k.(string); ok && !strings.HasSuffix(name, "/") {
			keys = append(keys, kind+"."+name)
		}
	}
	return keys, nil
}

// touch records that key changed, for the other nodes' polls. A failure
// only delays them until the next change, so it is logged, not returned.
func (b *vaultBackend) touch(ctx context.Context, key string) {
	_, err := b.kv.Put(ctx, path.Join(b.cfg.Path, "_head"), map[string]any{"key": key})
	if err != nil {
		b.cfg.Logger.Warn("registry: could not mark a change for other hub nodes", "backend", b.String(), "err", err)
	}
}

// head returns the change marker's version: 0 before the first write.
func (b *vaultBackend) head(ctx context.Context) (int, error) {
	md, err := b.kv.GetMetadata(ctx, path.Join(b.cfg.Path, "_head"))
	if errors.Is(err, api.ErrSecretNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, b.vaultErr("read", "_head", err)
	}
	return md.CurrentVersion, nil
}

// load reads every record of the given kinds.
func (b *vaultBackend) load(ctx context.Context, kinds []string) ([]Record, error) {
	var out []Record
	for _, kind := range kinds {
		keys, err := b.List(ctx, kind)
		if err != nil {
			return nil, err
		}
		for _, key := range keys {
			rec, err := b.Get(ctx, key)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, rec)
		}
	}
	return out, nil
}

func (b *vaultBackend) Watch(ctx context.Context, kinds []string) (<-chan Record, error) {
	seen, err := b.head(ctx)
	if err != nil {
		return nil, err
	}
	initial, err := b.load(ctx, kinds)
	if err != nil {
		return nil, err
	}
	out := make(chan Record, 64)
	go func() {
		defer close(out)
		send := func(recs []Record) bool {
			for _, r := range recs {
				select {
				case out <- r:
				case <-ctx.Done():
					return false
				}
			}
			return true
		}
		if !send(append(initial, Record{})) {
			return
		}
		t := time.NewTicker(b.cfg.PollInterval)
		defer t.Stop()
		failing := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			h, err := b.head(ctx)
			if err == nil && h != seen {
				var recs []Record
				if recs, err = b.load(ctx, kinds); err == nil {
					seen = h
					if !send(recs) {
						return
					}
				}
			}
			switch {
			case err != nil && !failing && ctx.Err() == nil:
				b.cfg.Logger.Warn("registry: cannot poll Vault for changes; serving the last known registry", "backend", b.String(), "err", err)
				failing = true
			case err == nil && failing:
				b.cfg.Logger.Info("registry: Vault reachable again", "backend", b.String())
				failing = false
			}
		}
	}()
	return out, nil
}

func (b *vaultBackend) Check(ctx context.Context) error {
	if err := vault.Check(ctx, b.c); err != nil {
		return fmt.Errorf("%s: %w: %w", b, ErrUnavailable, err)
	}
	return nil
}
