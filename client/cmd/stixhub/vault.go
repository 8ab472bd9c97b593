package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
)

// vaultKeyFlags select a member signing key in Vault Transit.
type vaultKeyFlags struct {
	key, mount, addr string
}

func (f *vaultKeyFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.key, "vault-key", "", "sign with this ed25519 key of Vault Transit instead of a key file (Vault from VAULT_ADDR / VAULT_TOKEN)")
	cmd.Flags().StringVar(&f.mount, "vault-transit-mount", "transit", "Vault Transit mount of --vault-key")
	cmd.Flags().StringVar(&f.addr, "vault-addr", "", "Vault address (default $VAULT_ADDR)")
}

// loadSigner returns the signer named by --key or --vault-key.
func loadSigner(ctx context.Context, keyFile string, vk vaultKeyFlags) (client.Signer, error) {
	switch {
	case keyFile != "" && vk.key != "":
		return nil, errors.New("--key and --vault-key exclude each other: sign with a key file or with Vault")
	case keyFile != "":
		return client.LoadKeyFile(keyFile)
	case vk.key != "":
		return vaultSigner(ctx, vk)
	}
	return nil, errors.New("--key is required (or --vault-key): a private key file from `stixhub keygen`, or an ed25519 key in Vault Transit")
}

func vaultSigner(ctx context.Context, vk vaultKeyFlags) (*client.VaultSigner, error) {
	vc, err := client.VaultClient(ctx, vk.addr)
	if err != nil {
		return nil, err
	}
	s, err := client.NewVaultSigner(ctx, vc, vk.mount, vk.key)
	if err != nil {
		return nil, fmt.Errorf("--vault-key %s: %w", vk.key, err)
	}
	return s, nil
}
