package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/stixhub/stixhub/internal/receipt"
	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// KeySet is the public key set of a hub: member keys with their validity and
// the hub's receipt keys. `stixhub admin key export` writes it as JSON.
type KeySet = stixhubv1.ListKeysResponse

// Errors from Verifier.Verify, wrapped with detail.
var (
	// ErrUnknownKey means the delivery names a key the key set lacks.
	ErrUnknownKey = errors.New("unknown key")
	// ErrBadSignature means the member signature does not verify.
	ErrBadSignature = errors.New("member signature does not verify")
	// ErrKeyNotValid means the key was not valid when the hub accepted the
	// object (added later, or revoked before).
	ErrKeyNotValid = errors.New("key not valid at acceptance time")
	// ErrBadReceipt means the hub receipt does not verify or does not match
	// the delivery.
	ErrBadReceipt = errors.New("bad receipt")
	// ErrSuspect means everything verifies, but the key was revoked as
	// compromised at or before the hub accepted the object: someone else may
	// have signed it. Do not trust it.
	ErrSuspect = errors.New("suspect: key revoked as compromised before acceptance")
)

// Verifier checks deliveries offline against a key set: the member's
// signature over the canonical object, the key's owner and validity, and the
// hub's receipt.
type Verifier struct {
	keys    map[string]*stixhubv1.Key
	hubKeys map[string]ed25519.PublicKey
}

// NewVerifier returns a verifier for a key set.
func NewVerifier(ks *KeySet) *Verifier {
	v := &Verifier{keys: make(map[string]*stixhubv1.Key), hubKeys: make(map[string]ed25519.PublicKey)}
	for _, k := range ks.GetKeys() {
		v.keys[k.GetId()] = k
	}
	for _, k := range ks.GetHubKeys() {
		v.hubKeys[k.GetId()] = ed25519.PublicKey(k.GetPublicKey())
	}
	return v
}

// KeySet fetches the hub's public key set with a member token (all members'
// keys when memberID is empty).
func (c *Client) KeySet(ctx context.Context, memberID string) (*KeySet, error) {
	resp, err := c.hub.GetKeySet(ctx, &stixhubv1.GetKeySetRequest{MemberId: memberID})
	if err != nil {
		return nil, err
	}
	return &KeySet{Keys: resp.GetKeys(), HubKeys: resp.GetHubKeys()}, nil
}

// ReadKeySet decodes a key set written by `stixhub admin key export`.
func ReadKeySet(data []byte) (*KeySet, error) {
	var ks KeySet
	if err := protojson.Unmarshal(data, &ks); err != nil {
		return nil, fmt.Errorf("decode key set: %w", err)
	}
	return &ks, nil
}

// MarshalKeySet encodes a key set as indented JSON.
func MarshalKeySet(ks *KeySet) ([]byte, error) {
	return protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(ks)
}

// Learn updates the key set from a key revocation delivered on the stream,
// so objects checked afterwards are judged by it. It reports whether d was a
// revocation.
func (v *Verifier) Learn(d *Delivery) bool {
	k := d.GetKeyRevocation().GetKey()
	if k == nil {
		return false
	}
	if old, ok := v.keys[k.GetId()]; ok && old.GetMemberId() != k.GetMemberId() {
		return true // a revocation never moves a key to another member
	}
	cur := v.keys[k.GetId()]
	if cur == nil || cur.GetStatus() != stixhubv1.KeyStatus_KEY_STATUS_REVOKED {
		v.keys[k.GetId()] = k
	}
	return true
}

// Verify checks one delivery. It needs nothing but the delivery and the key
// set. A key revocation delivery is learnt (see Learn) and passes.
func (v *Verifier) Verify(d *Delivery) error {
	if v.Learn(d) {
		return nil
	}
	obj := d.GetObject()
	canonical, err := sign.Canonicalize(obj.GetObject())
	if err != nil {
		return fmt.Errorf("cursor %d: canonicalize object: %w", d.GetCursor(), err)
	}
	var head struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(canonical, &head)
	where := fmt.Sprintf("cursor %d %s", d.GetCursor(), head.ID)

	if HubAttested(d) {
		// Posted unsigned over TAXII: the receipt alone vouches for it,
		// and must say so (no member key).
		return v.verifyReceipt(d, where, canonical, head.ID, nil)
	}
	key, ok := v.keys[obj.GetKeyId()]
	if !ok {
		return fmt.Errorf("%s: key %s: %w", where, obj.GetKeyId(), ErrUnknownKey)
	}
	if key.GetMemberId() != d.GetMemberId() {
		return fmt.Errorf("%s: key %s belongs to %s, not to publisher %s: %w", where, key.GetId(), key.GetMemberId(), d.GetMemberId(), ErrBadSignature)
	}
	if !sign.Verify(ed25519.PublicKey(key.GetPublicKey()), canonical, obj.GetSignature()) {
		return fmt.Errorf("%s: key %s: %w", where, key.GetId(), ErrBadSignature)
	}

	return v.verifyReceipt(d, where, canonical, head.ID, key)
}

// verifyReceipt checks the hub receipt of a delivery, and that key (nil
// for a hub-attested object) was valid when the hub accepted it.
func (v *Verifier) verifyReceipt(d *Delivery, where string, canonical []byte, id string, key *stixhubv1.Key) error {
	obj := d.GetObject()
	r := d.GetReceipt()
	hubPub, ok := v.hubKeys[r.GetHubKeyId()]
	if !ok {
		return fmt.Errorf("%s: hub key %s: %w: %w", where, r.GetHubKeyId(), ErrUnknownKey, ErrBadReceipt)
	}
	if err := receipt.Verify(r, hubPub); err != nil {
		return fmt.Errorf("%s: %w: %w", where, ErrBadReceipt, err)
	}
	digest := sha256.Sum256(canonical)
	switch {
	case !bytes.Equal(r.GetObjectSha256(), digest[:]):
		return fmt.Errorf("%s: receipt is for other content: %w", where, ErrBadReceipt)
	case r.GetCursor() != d.GetCursor():
		return fmt.Errorf("%s: receipt names cursor %d: %w", where, r.GetCursor(), ErrBadReceipt)
	case r.GetMemberId() != d.GetMemberId() || r.GetKeyId() != obj.GetKeyId():
		return fmt.Errorf("%s: receipt names member %s key %s: %w", where, r.GetMemberId(), r.GetKeyId(), ErrBadReceipt)
	case r.GetObjectId() != id:
		return fmt.Errorf("%s: receipt names object %s: %w", where, r.GetObjectId(), ErrBadReceipt)
	}
	if key == nil {
		return nil
	}
	accepted := r.GetAcceptedAt().AsTime()
	if !keyValidAt(key, accepted) {
		return fmt.Errorf("%s: key %s at %s: %w", where, key.GetId(), accepted.Format(time.RFC3339), ErrKeyNotValid)
	}
	if c := key.GetCompromisedAt(); c != nil && !accepted.Before(c.AsTime()) {
		return fmt.Errorf("%s: key %s compromised since %s, object accepted %s: %w", where, key.GetId(),
			c.AsTime().Format(time.RFC3339), accepted.Format(time.RFC3339), ErrSuspect)
	}
	return nil
}

func keyValidAt(k *stixhubv1.Key, t time.Time) bool {
	if k.GetAddedAt() != nil && t.Before(k.GetAddedAt().AsTime()) {
		return false
	}
	if k.GetExpiresAt() != nil && !t.Before(k.GetExpiresAt().AsTime()) {
		return false
	}
	if k.GetStatus() == stixhubv1.KeyStatus_KEY_STATUS_REVOKED {
		return k.GetRevokedAt() != nil && t.Before(k.GetRevokedAt().AsTime())
	}
	return true
}
