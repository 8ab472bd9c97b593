// Package registry keeps the hub's member records: members, their tokens and
// their Ed25519 keys over their whole life, the hub's own receipt keys, and
// the audit log of operator actions.
//
// Records live in a Backend shared by every hub node: a JetStream KV bucket
// (the embedded default) or Vault KV v2. Both keep every version of every
// record. Each node keeps an in-memory view that the backend's watch keeps
// current, so the publish path never waits on storage; a node applies its
// own writes to its view at once (a key revoked on one node is refused by that
// node's next publish, and by every other node within the watch latency).
//
// Keys (values JSON):
//
//	member.<member-id>       Member
//	identity.<identity-id>   member id that claimed the STIX identity (uniqueness)
//	token.<sha256-hex>       Principal for the token with that hash
//	key.<key-id>             Key
//	hubkey.<key-id>          HubKey
//	group.<name>             Group
//	audit.<time>-<random>    AuditEntry
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

// KeyStatus is the stored lifecycle state of a member key. A rotated key
// stays active until its ExpiresAt; see Key.StatusAt.
type KeyStatus string

// Key states.
const (
	KeyActive  KeyStatus = "active"
	KeyRevoked KeyStatus = "revoked"
	// KeyExpired is never stored: StatusAt reports it for a rotated key
	// after its overlap.
	KeyExpired KeyStatus = "expired"
)

// Member is an institution admitted to the hub.
type Member struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Identity  string    `json:"identity"`
	CreatedAt time.Time `json:"created_at"`
	// Suspended members can neither publish nor read; their open streams
	// are closed.
	Suspended   bool      `json:"suspended,omitempty"`
	SuspendedAt time.Time `json:"suspended_at,omitzero"`
	// TaxiiUnsigned allows the member to post unsigned objects over TAXII,
	// which the hub then attests (see SetTaxiiUnsigned).
	TaxiiUnsigned bool `json:"taxii_unsigned,omitempty"`
	// Roles says what the member may do (see roles.go); empty means
	// publisher and subscriber, as members had before roles existed.
	Roles []Role `json:"roles,omitempty"`
}

// Key is a member's Ed25519 public key and its validity.
type Key struct {
	ID        string            `json:"id"`
	MemberID  string            `json:"member_id"`
	PublicKey ed25519.PublicKey `json:"public_key"`
	Status    KeyStatus         `json:"status"`
	AddedAt   time.Time         `json:"added_at"`
	// ExpiresAt ends the key's validity for new objects; set when the key
	// is rotated out (rotation time plus overlap). Zero means no end.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// ReplacedBy is the key that rotated this one out.
	ReplacedBy   string    `json:"replaced_by,omitempty"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
	// CompromisedAt, set on a revocation for compromise, is when the key
	// may have fallen into other hands: objects accepted from then on are
	// suspect even though they were accepted before the revocation.
	CompromisedAt time.Time `json:"compromised_at,omitzero"`
}

// ActiveAt reports whether the key may sign an object accepted at t.
func (k Key) ActiveAt(t time.Time) bool {
	if t.Before(k.AddedAt) {
		return false
	}
	if !k.ExpiresAt.IsZero() && !t.Before(k.ExpiresAt) {
		return false
	}
	return k.Status != KeyRevoked || t.Before(k.RevokedAt)
}

// SuspectAt reports whether an object accepted at t with this key must be
// treated as suspect: the key was revoked as compromised at or before t.
func (k Key) SuspectAt(t time.Time) bool {
	return !k.CompromisedAt.IsZero() && !t.Before(k.CompromisedAt)
}

// StatusAt is the key's state at t: revoked, expired (rotated out and past
// its overlap) or active.
func (k Key) StatusAt(t time.Time) KeyStatus {
	switch {
	case k.Status == KeyRevoked:
		return KeyRevoked
	case !k.ExpiresAt.IsZero() && !t.Before(k.ExpiresAt):
		return KeyExpired
	}
	return KeyActive
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
	// Logger receives watch errors. Default slog.Default().
	Logger *slog.Logger
	// Now returns the current time. Default time.Now.
	Now func() time.Time
	// OnMemberChange, if set, is called on every node after a member record
	// changes in its view (for example to close a suspended member's
	// streams). It must not block.
	OnMemberChange func(Member)
	// OnGroupLeave, if set, is called on every node with the members that
	// just left a group (to cut their streams). It must not block.
	OnGroupLeave func(group string, members []string)
}

// viewKinds are the record kinds the in-memory view holds.
var viewKinds = []string{"member", "token", "key", "hubkey", "group"}

// Registry is the member registry: the logic over a Backend, and a view of
// it in memory.
type Registry struct {
	b   Backend
	cfg Config

	mu       sync.RWMutex
	versions map[string]uint64 // record key -> version applied to the view
	members  map[string]Member
	keys     map[string]Key
	hubKeys  map[string]HubKey
	tokens   map[string]Principal // by token hash
	groups   map[string]Group
	// memberGroups is member id -> group names, derived from groups.
	memberGroups map[string]map[string]bool

	stop context.CancelFunc
	done chan struct{}
}

// Open loads the registry from b and starts following its changes. It
// returns once the in-memory view holds every record.
func Open(ctx context.Context, b Backend, cfg Config) (*Registry, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	wctx, stop := context.WithCancel(context.Background())
	updates, err := b.Watch(wctx, viewKinds)
	if err != nil {
		stop()
		return nil, err
	}
	r := &Registry{
		b:            b,
		cfg:          cfg,
		versions:     make(map[string]uint64),
		members:      make(map[string]Member),
		keys:         make(map[string]Key),
		hubKeys:      make(map[string]HubKey),
		tokens:       make(map[string]Principal),
		groups:       make(map[string]Group),
		stop:         stop,
		memberGroups: make(map[string]map[string]bool),
		done:         make(chan struct{}),
	}
	for loaded := false; !loaded; {
		select {
		case rec, ok := <-updates:
			if !ok {
				stop()
				return nil, fmt.Errorf("%s: watch closed while loading", b)
			}
			if rec.Key == "" {
				loaded = true
				continue
			}
			r.apply(rec)
		case <-ctx.Done():
			stop()
			return nil, fmt.Errorf("load registry from %s: %w", b, ctx.Err())
		}
	}
	go func() {
		defer close(r.done)
		for rec := range updates {
			if rec.Key != "" {
				r.apply(rec)
			}
		}
	}()
	return r, nil
}

// Close stops following the backend.
func (r *Registry) Close() error {
	r.stop()
	<-r.done
	return nil
}

// Backend returns the storage the registry is kept in.
func (r *Registry) Backend() Backend { return r.b }

// Check reports whether the registry's storage can be reached now.
func (r *Registry) Check(ctx context.Context) error { return r.b.Check(ctx) }

// apply folds one record into the view, unless the view already holds that
// version or a later one.
func (r *Registry) apply(rec Record) {
	kind, id, ok := strings.Cut(rec.Key, ".")
	if !ok {
		return
	}
	r.mu.Lock()
	if rec.Version <= r.versions[rec.Key] {
		r.mu.Unlock()
		return
	}
	r.versions[rec.Key] = rec.Version
	var err error
	switch kind {
	case "member":
		err = applyJSON(r.members, id, rec.Value, rec.Deleted)
	case "key":
		err = applyJSON(r.keys, id, rec.Value, rec.Deleted)
	case "hubkey":
		err = applyJSON(r.hubKeys, id, rec.Value, rec.Deleted)
	case "group":
		err = applyJSON(r.groups, id, rec.Value, rec.Deleted)
	case "token":
		err = applyJSON(r.tokens, id, rec.Value, rec.Deleted)
	}
	var left []string
	if kind == "group" && err == nil {
		left = r.indexGroup(id, r.groups[id], rec.Deleted)
	}
	m, isMember := r.members[id]
	r.mu.Unlock()
	if len(left) > 0 && r.cfg.OnGroupLeave != nil {
		r.cfg.OnGroupLeave(id, left)
	}
	if err != nil {
		r.cfg.Logger.Error("registry: unreadable record ignored", "key", rec.Key, "version", rec.Version, "err", err)
		return
	}
	if kind == "member" && isMember && r.cfg.OnMemberChange != nil {
		r.cfg.OnMemberChange(m)
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

// create stores a new record and applies it to the view.
func (r *Registry) create(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	rec, err := r.b.Create(ctx, key, b)
	if err != nil {
		return err
	}
	r.apply(rec)
	return nil
}

// modify applies change to the record at key with a compare-and-set,
// reading again when another writer got there first. change reports false
// to leave the record as it is.
func modify[T any](ctx context.Context, r *Registry, key string, change func(*T) (bool, error)) (T, error) {
	for {
		var v T
		cur, err := r.b.Get(ctx, key)
		if err != nil {
			return v, err
		}
		if err := json.Unmarshal(cur.Value, &v); err != nil {
			return v, fmt.Errorf("decode %s: %w", key, err)
		}
		changed, err := change(&v)
		if err != nil || !changed {
			return v, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return v, err
		}
		rec, err := r.b.Update(ctx, key, b, cur.Version)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return v, err
		}
		r.apply(rec)
		return v, nil
	}
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
func (r *Registry) CreateMember(ctx context.Context, name, identity string, opts ...MemberOption) (Member, string, error) {
	m := Member{
		ID:        "member--" + uuid.NewString(),
		Name:      name,
		Identity:  identity,
		CreatedAt: r.cfg.Now().UTC(),
	}
	for _, o := range opts {
		if err := o(&m); err != nil {
			return Member{}, "", err
		}
	}
	token, err := NewToken()
	if err != nil {
		return Member{}, "", fmt.Errorf("create member token: %w", err)
	}
	if err := r.create(ctx, "identity."+identity, m.ID); err != nil {
		if errors.Is(err, ErrExists) {
			return Member{}, "", fmt.Errorf("identity %s is already claimed by another member: %w", identity, ErrExists)
		}
		return Member{}, "", err
	}
	err = r.create(ctx, "token."+HashToken(token), Principal{MemberID: m.ID})
	if err == nil {
		err = r.create(ctx, "member."+m.ID, m)
	}
	if err != nil {
		// Release the identity so the operator can retry.
		_ = r.b.Delete(context.WithoutCancel(ctx), "identity."+identity)
		return Member{}, "", err
	}
	return m, token, nil
}

// EnsureOperatorToken registers token as the operator's, if not already.
func (r *Registry) EnsureOperatorToken(ctx context.Context, token string) error {
	if p, ok := r.Authenticate(token); ok {
		if p.Operator {
			return nil
		}
		return fmt.Errorf("operator token is registered to member %s: %w", p.MemberID, ErrExists)
	}
	err := r.create(ctx, "token."+HashToken(token), Principal{Operator: true})
	if errors.Is(err, ErrExists) {
		return nil // another node registered it first
	}
	return err
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

// Suspended reports whether a member is suspended.
func (r *Registry) Suspended(memberID string) bool {
	m, _ := r.Member(memberID)
	return m.Suspended
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
	err := r.create(ctx, "key."+k.ID, k)
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
	return k, nil
}

func (r *Registry) loadKey(ctx context.Context, id string) (Key, error) {
	rec, err := r.b.Get(ctx, "key."+id)
	if err != nil {
		return Key{}, err
	}
	var k Key
	if err := json.Unmarshal(rec.Value, &k); err != nil {
		return Key{}, fmt.Errorf("decode key %s: %w", id, err)
	}
	return k, nil
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
	err := r.create(ctx, "hubkey."+k.ID, k)
	if errors.Is(err, ErrExists) {
		return k, nil
	}
	if err != nil {
		return HubKey{}, err
	}
	return k, nil
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
