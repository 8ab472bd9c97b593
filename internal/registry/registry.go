// Package registry keeps the hub's member records: members, their tokens and
// their Ed25519 keys, and the hub's own receipt keys.
//
// Records live in a JetStream key-value bucket, so every hub node sees the same
// registry and NATS replicates it. Each node keeps an in-memory view that a KV
// watcher keeps current; writes wait until the view has caught up with them, so
// a node reads its own writes at once (a revoked key is refused by the next
// publish on the node that revoked it, and within the watch latency, a few
// milliseconds, on every other node).
//
// KV layout (keys are dot-separated, values JSON):
//
//	member.<member-id>       Member
//	identity.<identity-id>   member id that claimed the STIX identity (uniqueness)
//	token.<sha256-hex>       Principal for the token with that hash
//	key.<key-id>             Key
//	hubkey.<key-id>          HubKey
package registry

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stixhub/stixhub/internal/sign"
)

// Errors returned by registry operations. Callers map them to API codes.
var (
	// ErrNotFound means the named member or key does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists means the record conflicts with an existing one, such as a
	// STIX identity already claimed by another member or a key registered to
	// another member.
	ErrExists = errors.New("already exists")
	// ErrInvalid means a request field is malformed.
	ErrInvalid = errors.New("invalid")
)

// KeyStatus is the lifecycle state of a member key.
type KeyStatus string

// Key states.
const (
	KeyActive  KeyStatus = "active"
	KeyRevoked KeyStatus = "revoked"
)

// Member is an institution admitted to the hub.
type Member struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Identity  string    `json:"identity"`
	CreatedAt time.Time `json:"created_at"`
	// TaxiiUnsigned allows the member to post unsigned objects over TAXII,
	// which the hub then attests (see SetTaxiiUnsigned).
	TaxiiUnsigned bool `json:"taxii_unsigned,omitempty"`
}

// Key is a member's Ed25519 public key and its validity.
type Key struct {
	ID           string            `json:"id"`
	MemberID     string            `json:"member_id"`
	PublicKey    ed25519.PublicKey `json:"public_key"`
	Status       KeyStatus         `json:"status"`
	AddedAt      time.Time         `json:"added_at"`
	RevokedAt    time.Time         `json:"revoked_at,omitzero"`
	RevokeReason string            `json:"revoke_reason,omitempty"`
}

// ActiveAt reports whether the key may sign an object accepted at t.
func (k Key) ActiveAt(t time.Time) bool {
	if t.Before(k.AddedAt) {
		return false
	}
	return k.Status != KeyRevoked || t.Before(k.RevokedAt)
}

// HubKey is a public key the hub signs receipts with.
type HubKey struct {
	ID        string            `json:"id"`
	PublicKey ed25519.PublicKey `json:"public_key"`
	AddedAt   time.Time         `json:"added_at"`
}

// Principal is who a token authenticates: a member or the operator.
type Principal struct {
	MemberID string `json:"member_id,omitempty"`
	Operator bool   `json:"operator,omitempty"`
}

// Config configures Open. The zero value of every field has a default.
type Config struct {
	// Bucket is the KV bucket name. Default "STIXHUB_REGISTRY".
	Bucket string
	// Replicas is the bucket's replication factor. Default 1; use 3 on a
	// NATS cluster.
	Replicas int
	// History is the number of values kept per key. Default 16, so every
	// recent change to a record can be audited.
	History uint8
	// Logger receives watch errors. Default slog.Default().
	Logger *slog.Logger
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Bucket == "" {
		c.Bucket = "STIXHUB_REGISTRY"
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.History == 0 {
		c.History = 16
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Registry is the member registry backed by a JetStream KV bucket.
type Registry struct {
	kv  jetstream.KeyValue
	cfg Config

	mu       sync.RWMutex
	rev      uint64        // last KV revision applied to the view
	advanced chan struct{} // closed and replaced when rev advances
	members  map[string]Member
	keys     map[string]Key
	hubKeys  map[string]HubKey
	tokens   map[string]Principal // by token hash

	watcher jetstream.KeyWatcher
	done    chan struct{}
}

// Open creates or binds the registry bucket, loads it and starts watching it.
// It returns once the in-memory view holds every record.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Registry, error) {
	cfg.setDefaults()
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket,
		Description: "stixhub members, tokens and keys",
		History:     cfg.History,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("open registry bucket %s: %w", cfg.Bucket, err)
	}
	r := &Registry{
		kv:       kv,
		cfg:      cfg,
		advanced: make(chan struct{}),
		members:  make(map[string]Member),
		keys:     make(map[string]Key),
		hubKeys:  make(map[string]HubKey),
		tokens:   make(map[string]Principal),
		done:     make(chan struct{}),
	}
	w, err := kv.WatchAll(context.Background())
	if err != nil {
		return nil, fmt.Errorf("watch registry: %w", err)
	}
	r.watcher = w
	// The watcher sends every current value, then a nil entry.
	for loaded := false; !loaded; {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("registry watch closed while loading")
			}
			if e == nil {
				loaded = true
				continue
			}
			r.apply(e)
		case <-ctx.Done():
			_ = w.Stop()
			return nil, fmt.Errorf("load registry: %w", ctx.Err())
		}
	}
	go r.watch()
	return r, nil
}

// Close stops watching the bucket.
func (r *Registry) Close() error {
	err := r.watcher.Stop()
	<-r.done
	return err
}

func (r *Registry) watch() {
	defer close(r.done)
	for e := range r.watcher.Updates() {
		if e != nil {
			r.apply(e)
		}
	}
}

// apply folds one KV entry into the view.
func (r *Registry) apply(e jetstream.KeyValueEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Revision() > r.rev {
		r.rev = e.Revision()
		close(r.advanced)
		r.advanced = make(chan struct{})
	}
	kind, id, ok := strings.Cut(e.Key(), ".")
	if !ok {
		return
	}
	deleted := e.Operation() != jetstream.KeyValuePut
	var err error
	switch kind {
	case "member":
		err = applyJSON(r.members, id, e.Value(), deleted)
	case "key":
		err = applyJSON(r.keys, id, e.Value(), deleted)
	case "hubkey":
		err = applyJSON(r.hubKeys, id, e.Value(), deleted)
	case "token":
		err = applyJSON(r.tokens, id, e.Value(), deleted)
	}
	if err != nil {
		r.cfg.Logger.Error("registry: unreadable record ignored", "key", e.Key(), "revision", e.Revision(), "err", err)
	}
}

func applyJSON[T any](m map[string]T, id string, value []byte, deleted bool) error {
	if deleted {
		delete(m, id)
		return nil
	}
	var v T
	if err := json.Unmarshal(value, &v); err != nil {
		return err
	}
	m[id] = v
	return nil
}

// waitFor blocks until the view has applied KV revision rev.
func (r *Registry) waitFor(ctx context.Context, rev uint64) error {
	for {
		r.mu.RLock()
		cur, ch := r.rev, r.advanced
		r.mu.RUnlock()
		if cur >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for registry revision %d: %w", rev, ctx.Err())
		}
	}
}

func (r *Registry) create(ctx context.Context, key string, v any) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	rev, err := r.kv.Create(ctx, key, b)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("%s: %w", key, ErrExists)
	}
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", key, err)
	}
	return rev, nil
}

// NewToken returns a fresh random bearer token. Tokens carry 256 bits of
// entropy, so a fast hash (SHA-256) is enough to store them.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "sxh_" + base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken returns the hex SHA-256 under which a token is stored.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CreateMember admits a member with a new token. The identity must be a STIX
// identity id not claimed by another member. The token is returned once; only
// its hash is stored.
func (r *Registry) CreateMember(ctx context.Context, name, identity string) (Member, string, error) {
	m := Member{
		ID:        "member--" + uuid.NewString(),
		Name:      name,
		Identity:  identity,
		CreatedAt: r.cfg.Now().UTC(),
	}
	token, err := NewToken()
	if err != nil {
		return Member{}, "", fmt.Errorf("create member token: %w", err)
	}
	if _, err := r.create(ctx, "identity."+identity, m.ID); err != nil {
		if errors.Is(err, ErrExists) {
			return Member{}, "", fmt.Errorf("identity %s is already claimed by another member: %w", identity, ErrExists)
		}
		return Member{}, "", err
	}
	rev, err := r.create(ctx, "token."+HashToken(token), Principal{MemberID: m.ID})
	if err == nil {
		rev, err = r.create(ctx, "member."+m.ID, m)
	}
	if err != nil {
		// Release the identity so the operator can retry.
		_ = r.kv.Delete(context.WithoutCancel(ctx), "identity."+identity)
		return Member{}, "", err
	}
	if err := r.waitFor(ctx, rev); err != nil {
		return Member{}, "", err
	}
	return m, token, nil
}

// EnsureOperatorToken registers token as the operator's, if not already.
func (r *Registry) EnsureOperatorToken(ctx context.Context, token string) error {
	h := HashToken(token)
	if p, ok := r.Authenticate(token); ok {
		if p.Operator {
			return nil
		}
		return fmt.Errorf("operator token is registered to member %s: %w", p.MemberID, ErrExists)
	}
	rev, err := r.create(ctx, "token."+h, Principal{Operator: true})
	if err != nil && !errors.Is(err, ErrExists) {
		return err
	}
	if err == nil {
		return r.waitFor(ctx, rev)
	}
	return nil
}

// Authenticate returns the principal a token belongs to.
func (r *Registry) Authenticate(token string) (Principal, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.tokens[HashToken(token)]
	return p, ok
}

// Member returns the member with the given id.
func (r *Registry) Member(id string) (Member, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m, ok := r.members[id]
	return m, ok
}

// Members returns every member, oldest first.
func (r *Registry) Members() []Member {
	r.mu.RLock()
	out := make([]Member, 0, len(r.members))
	for _, m := range r.members {
		out = append(out, m)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// AddKey registers an Ed25519 public key for a member. Registering the same
// key again for the same member returns the existing record; a key registered
// to another member is ErrExists.
func (r *Registry) AddKey(ctx context.Context, memberID string, pub ed25519.PublicKey) (Key, error) {
	if len(pub) != ed25519.PublicKeySize {
		return Key{}, fmt.Errorf("public key is %d bytes, want %d: %w", len(pub), ed25519.PublicKeySize, ErrInvalid)
	}
	if _, ok := r.Member(memberID); !ok {
		return Key{}, fmt.Errorf("member %s: %w", memberID, ErrNotFound)
	}
	k := Key{
		ID:        sign.KeyID(pub),
		MemberID:  memberID,
		PublicKey: pub,
		Status:    KeyActive,
		AddedAt:   r.cfg.Now().UTC(),
	}
	rev, err := r.create(ctx, "key."+k.ID, k)
	if errors.Is(err, ErrExists) {
		existing, gerr := r.loadKey(ctx, k.ID)
		if gerr != nil {
			return Key{}, gerr
		}
		if existing.MemberID != memberID {
			return Key{}, fmt.Errorf("key %s belongs to another member: %w", k.ID, ErrExists)
		}
		return existing, nil
	}
	if err != nil {
		return Key{}, err
	}
	if err := r.waitFor(ctx, rev); err != nil {
		return Key{}, err
	}
	return k, nil
}

func (r *Registry) loadKey(ctx context.Context, id string) (Key, error) {
	e, err := r.kv.Get(ctx, "key."+id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Key{}, fmt.Errorf("key %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Key{}, fmt.Errorf("get key %s: %w", id, err)
	}
	var k Key
	if err := json.Unmarshal(e.Value(), &k); err != nil {
		return Key{}, fmt.Errorf("decode key %s: %w", id, err)
	}
	return k, nil
}

// RevokeKey revokes a key from now on. Revoking a revoked key returns it
// unchanged.
func (r *Registry) RevokeKey(ctx context.Context, keyID, reason string) (Key, error) {
	for {
		e, err := r.kv.Get(ctx, "key."+keyID)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return Key{}, fmt.Errorf("key %s: %w", keyID, ErrNotFound)
		}
		if err != nil {
			return Key{}, fmt.Errorf("get key %s: %w", keyID, err)
		}
		var k Key
		if err := json.Unmarshal(e.Value(), &k); err != nil {
			return Key{}, fmt.Errorf("decode key %s: %w", keyID, err)
		}
		if k.Status == KeyRevoked {
			return k, nil
		}
		k.Status = KeyRevoked
		k.RevokedAt = r.cfg.Now().UTC()
		k.RevokeReason = reason
		b, err := json.Marshal(k)
		if err != nil {
			return Key{}, err
		}
		rev, err := r.kv.Update(ctx, "key."+keyID, b, e.Revision())
		if errors.Is(err, jetstream.ErrKeyExists) {
			continue // changed under us: read again
		}
		if err != nil {
			return Key{}, fmt.Errorf("revoke key %s: %w", keyID, err)
		}
		return k, r.waitFor(ctx, rev)
	}
}

// Key returns the key with the given id.
func (r *Registry) Key(id string) (Key, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.keys[id]
	return k, ok
}

// Keys returns the keys of one member, or of all members when memberID is
// empty, oldest first.
func (r *Registry) Keys(memberID string) []Key {
	r.mu.RLock()
	out := make([]Key, 0, len(r.keys))
	for _, k := range r.keys {
		if memberID == "" || k.MemberID == memberID {
			out = append(out, k)
		}
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].AddedAt.Equal(out[j].AddedAt) {
			return out[i].AddedAt.Before(out[j].AddedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// AddHubKey records a hub receipt key, if not already recorded.
func (r *Registry) AddHubKey(ctx context.Context, pub ed25519.PublicKey) (HubKey, error) {
	k := HubKey{ID: sign.KeyID(pub), PublicKey: pub, AddedAt: r.cfg.Now().UTC()}
	r.mu.RLock()
	existing, ok := r.hubKeys[k.ID]
	r.mu.RUnlock()
	if ok {
		return existing, nil
	}
	rev, err := r.create(ctx, "hubkey."+k.ID, k)
	if errors.Is(err, ErrExists) {
		return k, nil
	}
	if err != nil {
		return HubKey{}, err
	}
	return k, r.waitFor(ctx, rev)
}

// HubKeys returns the hub's receipt keys, oldest first.
func (r *Registry) HubKeys() []HubKey {
	r.mu.RLock()
	out := make([]HubKey, 0, len(r.hubKeys))
	for _, k := range r.hubKeys {
		out = append(out, k)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].AddedAt.Before(out[j].AddedAt) })
	return out
}
