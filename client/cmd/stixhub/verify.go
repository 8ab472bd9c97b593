package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// passedLine is what verify remembers of a line that passed, to flag it if
// a later revocation in the feed makes it suspect.
type passedLine struct {
	where    string
	cursor   uint64
	id, key  string
	accepted time.Time
}

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

Key revocations in the feed (lines with "key_revocation") are applied as they
come. An object whose key was revoked as compromised at or before the hub
accepted it is reported SUSPECT, also when the revocation comes later in the
feed or only in the key set: its signature verifies, but someone else may have
made it.

It prints "ok", "revoked", "SUSPECT" or "FAIL" per line and exits 1 if any
line fails or is suspect.`,
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
			var ok, bad, suspect int
			var passed []passedLine                    // to re-judge after later revocations
			compromised := map[string]*stixhubv1.Key{} // key id -> revocation with compromised_at
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
					if err == nil && v.Learn(d) {
						k := d.GetKeyRevocation().GetKey()
						if k.GetCompromisedAt() != nil {
							compromised[k.GetId()] = k
						}
						fmt.Fprintf(out, "revoked cursor=%d key=%s member=%s reason=%q compromised_at=%s\n",
							d.GetCursor(), k.GetId(), k.GetMemberId(), k.GetRevokeReason(), ts(k.GetCompromisedAt()))
						continue
					}
					if err == nil {
						err = v.Verify(d)
					}
					switch {
					case errors.Is(err, client.ErrSuspect):
						suspect++
						fmt.Fprintf(out, "SUSPECT %s:%d: %v\n", name, line, err)
						continue
					case err != nil:
						bad++
						fmt.Fprintf(out, "FAIL %s:%d: %v\n", name, line, err)
						continue
					}
					ok++
					passed = append(passed, passedLine{where: fmt.Sprintf("%s:%d", name, line), cursor: d.GetCursor(),
						id: d.GetReceipt().GetObjectId(), key: d.GetObject().GetKeyId(), accepted: d.GetReceipt().GetAcceptedAt().AsTime()})
					if !quiet {
						fmt.Fprintf(out, "ok   cursor=%d %s\n", d.GetCursor(), d.GetReceipt().GetObjectId())
					}
				}
				if err := sc.Err(); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
			}
			// Revocations later in the feed make earlier lines suspect.
			for _, p := range passed {
				if k, found := compromised[p.key]; found && !p.accepted.Before(k.GetCompromisedAt().AsTime()) {
					ok--
					suspect++
					fmt.Fprintf(out, "SUSPECT %s: cursor %d %s: key %s compromised since %s, object accepted %s: %v\n", p.where, p.cursor, p.id,
						p.key, ts(k.GetCompromisedAt()), p.accepted.UTC().Format(time.RFC3339), client.ErrSuspect)
				}
			}
			out.Flush()
			fmt.Fprintf(cmd.ErrOrStderr(), "%d verified, %d failed, %d suspect\n", ok, bad, suspect)
			if bad > 0 || suspect > 0 || ok == 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keysFile, "keys", "", "key set JSON from `stixhub admin key export`")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only failures")
	return cmd
}
