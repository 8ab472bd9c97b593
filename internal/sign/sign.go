// Package sign holds the member signature scheme of the hub: RFC 8785
// canonicalization of STIX objects, Ed25519 signing and verification, key ids
// and key files.
//
// A signature covers Canonicalize(object): the RFC 8785 (JCS) form of the
// object with the hub's own signature extension removed, so an object served
// with its signature embedded verifies against the same bytes the member
// signed. Verifying needs nothing but the object, the signature and the public
// key.
package sign

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrInvalidKey is returned (wrapped) for key material that is not a usable
// Ed25519 key: wrong size, wrong type, inconsistent halves or an unreadable
// encoding.
var ErrInvalidKey = errors.New("invalid Ed25519 key")

// KeyID returns the id of a public key: the lowercase hex of the first 16
// bytes of SHA-256 over the raw 32-byte key. The same key has the same id
// everywhere, whatever file or service holds it.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:16])
}

// Verify reports whether sig is a valid Ed25519 signature of msg by pub. Keys
// and signatures of the wrong size are reported as invalid, never as a panic.
func Verify(pub ed25519.PublicKey, msg, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, msg, sig)
}

// Ed25519Signer signs with an in-memory Ed25519 private key. The zero value,
// and a signer made from an invalid key, refuse to sign with ErrInvalidKey.
type Ed25519Signer struct {
	priv  ed25519.PrivateKey
	pub   ed25519.PublicKey
	keyID string
}

// NewEd25519Signer returns a signer for priv, which it copies. If priv is not
// a valid Ed25519 private key (64 bytes whose second half is the public key
// of the first), the signer's Sign fails with ErrInvalidKey and PublicKey and
// KeyID return empty values.
func NewEd25519Signer(priv ed25519.PrivateKey) *Ed25519Signer {
	full, err := checkPrivateKey(priv)
	if err != nil {
		return &Ed25519Signer{}
	}
	pub := ed25519.PublicKey(bytes.Clone(full[ed25519.SeedSize:]))
	return &Ed25519Signer{priv: full, pub: pub, keyID: KeyID(pub)}
}

// checkPrivateKey returns a fresh copy of priv rebuilt from its seed, or an
// error if priv has the wrong size or a public half that does not match the
// seed (such a key makes signatures nobody can verify).
func checkPrivateKey(priv ed25519.PrivateKey) (ed25519.PrivateKey, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: private key is %d bytes, want %d", ErrInvalidKey, len(priv), ed25519.PrivateKeySize)
	}
	full := ed25519.NewKeyFromSeed(priv.Seed())
	if !bytes.Equal(full[ed25519.SeedSize:], priv[ed25519.SeedSize:]) {
		return nil, fmt.Errorf("%w: public half does not match the seed", ErrInvalidKey)
	}
	return full, nil
}

// GenerateEd25519 returns a signer for a new random key.
func GenerateEd25519() (*Ed25519Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate Ed25519 key: %w", err)
	}
	return NewEd25519Signer(priv), nil
}

// KeyID returns the id of the signer's public key (see KeyID).
func (s *Ed25519Signer) KeyID() string { return s.keyID }

// PublicKey returns a copy of the signer's public key.
func (s *Ed25519Signer) PublicKey() ed25519.PublicKey { return bytes.Clone(s.pub) }

// PrivateKey returns a copy of the private key, for writing key files.
func (s *Ed25519Signer) PrivateKey() ed25519.PrivateKey { return bytes.Clone(s.priv) }

// Sign returns the Ed25519 signature of msg. The context is only checked for
// cancellation: signing in memory does no I/O, but Sign satisfies the same
// interfaces as remote signers that do.
func (s *Ed25519Signer) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if s.priv == nil {
		return nil, fmt.Errorf("sign: %w: signer has no valid key", ErrInvalidKey)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return ed25519.Sign(s.priv, msg), nil
}
