package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
)

func newVerifyCmd() *cobra.Command {
	var keysFile string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "verify [FILE...] --keys keys.json",
		Short: "Check saved subscribe output offline: member signatures, key validity, hub receipts",
		Long: `verify reads JSON lines written by ` + "`stixhub subscribe`" + ` (from each FILE, or standard
input) and checks, for every line, with nothing but the line and the key set
from ` + "`stixhub admin key export`" + `:

  - the member's Ed25519 signature over the RFC 8785 canonical object;
  - that the key belongs to the publishing member and was valid (added, not yet
    revoked) when the hub accepted the object;
  - the hub's receipt: Merkle inclusion proof, hub signature, and that it names
    this object, content digest, member, key and cursor.

It prints "ok" or "FAIL" per line and exits 1 if any line fails.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if keysFile == "" {
				return errors.New("--keys is required: the key set from `stixhub admin key export`")
			}
			data, err := os.ReadFile(keysFile)
			if err != nil {
				return err
			}
			ks, err := client.ReadKeySet(data)
			if err != nil {
				return fmt.Errorf("%s: %w", keysFile, err)
			}
			v := client.NewVerifier(ks)
			if len(args) == 0 {
				args = []string{"-"}
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			var ok, bad int
			for _, name := range args {
				var r io.Reader = cmd.InOrStdin()
				if name != "-" {
					f, err := os.Open(name)
					if err != nil {
						return err
					}
					defer f.Close()
					r = f
				}
				sc := bufio.NewScanner(r)
				sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
				for line := 1; sc.Scan(); line++ {
					if len(sc.Bytes()) == 0 {
						continue
					}
					d, err := client.UnmarshalDeliveryJSON(sc.Bytes())
					if err == nil {
						err = v.Verify(d)
					}
					if err != nil {
						bad++
						fmt.Fprintf(out, "FAIL %s:%d: %v\n", name, line, err)
						continue
					}
					ok++
					if !quiet {
						fmt.Fprintf(out, "ok   cursor=%d %s\n", d.GetCursor(), d.GetReceipt().GetObjectId())
					}
				}
				if err := sc.Err(); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
			}
			out.Flush()
			fmt.Fprintf(cmd.ErrOrStderr(), "%d verified, %d failed\n", ok, bad)
			if bad > 0 || ok == 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keysFile, "keys", "", "key set JSON from `stixhub admin key export`")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only failures")
	return cmd
}
