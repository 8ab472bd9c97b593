package client

import (
	"context"
	"crypto/ed25519"

	"github.com/hashicorp/vault/api"

	"github.com/stixhub/stixhub/internal/vault"
)

// VaultSigner signs with an ed25519 key in HashiCorp Vault's Transit engine:
// the member's private key never leaves the member's Vault. Its signatures
// are the same as a key file's and verify with the same code; register its
// PublicKey with the hub like any other key.
type VaultSigner struct {
	t *vault.TransitSigner
}

// NewVaultSigner binds the newest version of the Transit key name on mount
// ("" means "transit"). vc is a logged-in Vault client whose policy allows
// reading transit/keys/<name> and updating transit/sign/<name> (see
// deploy/vault/member.hcl.tmpl); VaultClient makes one from the standard
// Vault environment.
func NewVaultSigner(ctx context.Context, vc *api.Client, mount, name string) (*VaultSigner, error) {
	t, err := vault.NewTransitSigner(ctx, vc, mount, name)
	if err != nil {
		return nil, err
	}
	return &VaultSigner{t: t}, nil
}

// VaultClient returns a Vault client configured from the standard
// environment (VAULT_ADDR, VAULT_TOKEN, VAULT_CACERT, ...), addr overriding
// VAULT_ADDR when not empty.
func VaultClient(ctx context.Context, addr string) (*api.Client, error) {
	return vault.Connect(ctx, vault.Config{Addr: addr})
}

// KeyID is the hub key id of the Transit key.
func (s *VaultSigner) KeyID() string { return s.t.KeyID() }

// PublicKey is the Transit key's raw Ed25519 public key.
func (s *VaultSigner) PublicKey() ed25519.PublicKey { return s.t.PublicKey() }

// Sign asks Vault to sign msg.
func (s *VaultSigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	return s.t.Sign(ctx, msg)
}
