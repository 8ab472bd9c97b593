package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/sign"
	"github.com/stixhub/stixhub/internal/vault"
)

func newKeygenCmd() *cobra.Command {
	var out string
	var vk vaultKeyFlags
	cmd := &cobra.Command{
		Use:   "keygen --out FILE | --vault-key NAME --out FILE.pub",
		Short: "Generate an Ed25519 signing key (or export the public key of one in Vault Transit)",
		Long: `keygen writes a new Ed25519 private key to FILE (PKCS#8 PEM, mode 0600) and its
public key to FILE.pub (PKIX PEM). It prints the key id on the first line.
Give FILE.pub to the hub operator; keep FILE to yourself.

With --vault-key NAME the private key lives in Vault Transit and never leaves
it: keygen uses the ed25519 key NAME (creating it if it does not exist and your
Vault policy allows that), writes only its public key to --out, and prints its
key id. Vault is reached through VAULT_ADDR and VAULT_TOKEN.`,
		Example: `  stixhub keygen --out bank-a.key
  stixhub keygen --vault-key bank-a --out bank-a.pub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out is required")
			}
			if vk.key != "" {
				return vaultKeygen(cmd, vk, out)
			}
			pubPath := out + ".pub"
			for _, p := range []string{out, pubPath} {
				if _, err := os.Stat(p); err == nil {
					return fmt.Errorf("%s already exists; not overwriting it", p)
				}
			}
			s, err := sign.GenerateEd25519()
			if err != nil {
				return err
			}
			if err := sign.WritePrivateKeyFile(out, s.PrivateKey()); err != nil {
				return err
			}
			if err := sign.WritePublicKeyFile(pubPath, s.PublicKey()); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), s.KeyID())
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (private key, mode 0600) and %s (public key)\n", out, pubPath)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "private key file to write; the public key goes to FILE.pub (with --vault-key: the public key file)")
	vk.register(cmd)
	return cmd
}

// vaultKeygen exports the public key of a Transit key, creating the key if
// it does not exist yet.
func vaultKeygen(cmd *cobra.Command, vk vaultKeyFlags, pubPath string) error {
	if _, err := os.Stat(pubPath); err == nil {
		return fmt.Errorf("%s already exists; not overwriting it", pubPath)
	}
	ctx := cmd.Context()
	vc, err := client.VaultClient(ctx, vk.addr)
	if err != nil {
		return err
	}
	s, err := client.NewVaultSigner(ctx, vc, vk.mount, vk.key)
	if err != nil {
		if _, cerr := vault.CreateTransitKey(ctx, vc, vk.mount, vk.key); cerr != nil {
			return fmt.Errorf("--vault-key %s: %w (and creating it failed: %v)", vk.key, err, cerr)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "created ed25519 key %s/%s in Vault\n", vk.mount, vk.key)
		if s, err = client.NewVaultSigner(ctx, vc, vk.mount, vk.key); err != nil {
			return err
		}
	}
	if err := sign.WritePublicKeyFile(pubPath, s.PublicKey()); err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), s.KeyID())
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (public key of Vault key %s/%s; the private key stays in Vault)\n", pubPath, vk.mount, vk.key)
	return nil
}
