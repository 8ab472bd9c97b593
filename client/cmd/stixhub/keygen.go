package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/internal/sign"
)

func newKeygenCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "keygen --out FILE",
		Short: "Generate an Ed25519 signing key",
		Long: `keygen writes a new Ed25519 private key to FILE (PKCS#8 PEM, mode 0600) and its
public key to FILE.pub (PKIX PEM). It prints the key id on the first line.
Give FILE.pub to the hub operator; keep FILE to yourself.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out is required")
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
	cmd.Flags().StringVar(&out, "out", "", "private key file to write; the public key goes to FILE.pub")
	return cmd
}
