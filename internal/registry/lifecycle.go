package registry

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// ReasonCompromised is the revocation reason that marks a key as
// compromised: objects accepted from its CompromisedAt on are suspect.
const ReasonCompromised = "compromised"

// Revocation says why and since when a key must no longer be trusted.
type Revocation struct {
	// Reason is free text; ReasonCompromised has a meaning of its own.
	Reason string
	// CompromisedAt is required when Reason is ReasonCompromised, and not
	// allowed otherwise: the time from which objects signed with the key
	// are suspect. It may not lie in the future.
	CompromisedAt time.Time
}

// RevokeKey revokes a key from now on: new objects signed with it are
// refused at once. Revoking a revoked key returns it unchanged.
func (r *Registry) RevokeKey(ctx context.Context, keyID string, rv Revocation) (Key, error) {
	now := r.cfg.Now().UTC()
	compromised := rv.Reason == ReasonCompromised
	switch {
	case compromised && rv.CompromisedAt.IsZero():
		return Key{}, fmt.Errorf("compromised_at is required when the reason is %q: %w", ReasonCompromised, ErrInvalid)
	case !compromised && !rv.CompromisedAt.IsZero():
		return Key{}, fmt.Errorf("compromised_at needs the reason %q: %w", ReasonCompromised, ErrInvalid)
	case rv.CompromisedAt.After(now):
		return Key{}, fmt.Errorf("compromised_at %s is in the future: %w", rv.CompromisedAt.Format(time.RFC3339), ErrInvalid)
	}
	return modify(ctx, r, "key."+keyID, func(k *Key) (bool, error) {
		if k.Status == KeyRevoked {
			return false, nil
		}
		k.Status = KeyRevoked
		k.RevokedAt = now
		k.RevokeReason = rv.Reason
		if compromised {
			k.CompromisedAt = rv.CompromisedAt.UTC()
		}
		return true, nil
	})
}

// RotateKey registers pub as the member's new key and retires every other
// active key of the member: each stays valid for objects accepted before
// rotation time + overlap, and is refused after. It returns the new key and
// the keys it retired.
func (r *Registry) RotateKey(ctx context.Context, memberID string, pub ed25519.PublicKey, overlap time.Duration) (Key, []Key, error) {
	if overlap < 0 {
		return Key{}, nil, fmt.Errorf("overlap %v is negative: %w", overlap, ErrInvalid)
	}
	nk, err := r.AddKey(ctx, memberID, pub)
	if err != nil {
		return Key{}, nil, err
	}
	if nk.StatusAt(r.cfg.Now()) != KeyActive {
		return Key{}, nil, fmt.Errorf("key %s is %s and cannot become the member's key again: %w", nk.ID, nk.StatusAt(r.cfg.Now()), ErrInvalid)
	}
	end := r.cfg.Now().UTC().Add(overlap)
	var retired []Key
	for _, old := range r.Keys(memberID) {
		if old.ID == nk.ID || old.Status == KeyRevoked || (!old.ExpiresAt.IsZero() && !old.ExpiresAt.After(end)) {
			continue // the new key, or one that already ends sooner
		}
		k, err := modify(ctx, r, "key."+old.ID, func(k *Key) (bool, error) {
			if k.Status == KeyRevoked || (!k.ExpiresAt.IsZero() && !k.ExpiresAt.After(end)) {
				return false, nil
			}
			k.ExpiresAt = end
			k.ReplacedBy = nk.ID
			return true, nil
		})
		if err != nil {
			return nk, retired, err
		}
		retired = append(retired, k)
	}
	return nk, retired, nil
}

// SetSuspended suspends or resumes a member.
func (r *Registry) SetSuspended(ctx context.Context, memberID string, suspended bool) (Member, error) {
	now := r.cfg.Now().UTC()
	return modify(ctx, r, "member."+memberID, func(m *Member) (bool, error) {
		if m.Suspended == suspended {
			return false, nil
		}
		m.Suspended = suspended
		m.SuspendedAt = time.Time{}
		if suspended {
			m.SuspendedAt = now
		}
		return true, nil
	})
}

// KeyHistory returns every kept version of a key record, oldest first: when
// it was added, rotated out, revoked.
func (r *Registry) KeyHistory(ctx context.Context, keyID string) ([]Key, error) {
	recs, err := r.b.History(ctx, "key."+keyID)
	if err != nil {
		return nil, err
	}
	var out []Key
	for _, rec := range recs {
		if rec.Deleted {
			continue
		}
		var k Key
		if err := json.Unmarshal(rec.Value, &k); err != nil {
			return nil, fmt.Errorf("decode key %s version %d: %w", keyID, rec.Version, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// AuditEntry records one operator action.
type AuditEntry struct {
	ID     string            `json:"id"`
	Time   time.Time         `json:"time"`
	Actor  string            `json:"actor"`
	Action string            `json:"action"`
	Target string            `json:"target,omitempty"`
	Detail map[string]string `json:"detail,omitempty"`
}

// Audit records an operator action. The entry's ID and Time are set here.
func (r *Registry) Audit(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return AuditEntry{}, err
	}
	e.Time = r.cfg.Now().UTC()
	// Sortable by time as a string; the random part keeps ids of the same
	// nanosecond on two nodes apart.
	e.ID = fmt.Sprintf("%020d-%s", e.Time.UnixNano(), hex.EncodeToString(rnd[:]))
	b, err := json.Marshal(e)
	if err != nil {
		return AuditEntry{}, err
	}
	if _, err := r.b.Create(ctx, "audit."+e.ID, b); err != nil {
		return AuditEntry{}, err
	}
	return e, nil
}

// AuditLog returns the recorded operator actions at or after since, oldest
// first, at most limit of them (0: all).
func (r *Registry) AuditLog(ctx context.Context, since time.Time, limit int) ([]AuditEntry, error) {
	keys, err := r.b.List(ctx, "audit")
	if err != nil {
		return nil, err
	}
	sort.Strings(keys)
	lower := fmt.Sprintf("audit.%020d", since.UnixNano())
	if since.IsZero() {
		lower = ""
	}
	var out []AuditEntry
	for _, key := range keys {
		if key < lower {
			continue
		}
		rec, err := r.b.Get(ctx, key)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var e AuditEntry
		if err := json.Unmarshal(rec.Value, &e); err != nil {
			return nil, fmt.Errorf("decode %s: %w", key, err)
		}
		out = append(out, e)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}
