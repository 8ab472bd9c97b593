package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/sign"
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
		Short: "Check saved subscribe output or TAXII objects offline: member signatures, key validity, hub receipts",
		Long: `verify reads JSON lines written by ` + "`stixhub subscribe`" + `, or objects fetched over
TAXII (a TAXII envelope or STIX bundle, or one object per line), which carry
the member signature and hub receipt in the hub's signature extension (from
each FILE, or standard input), and checks each, with nothing but it and the
key set from ` + "`stixhub admin key export`" + ` or ` + "`stixhub keys`" + `:

  - the member's Ed25519 signature over the RFC 8785 canonical object;
  - that the key belongs to the publishing member and was valid (added, not yet
    revoked) when the hub accepted the object;
  - the hub's receipt: Merkle inclusion proof, hub signature, and that it names
    this object, content digest, member, key and cursor.

Objects posted unsigned over TAXII (hub-attested) have no member signature:
their receipt must say so, and is all that is checked.

Key revocations in the feed (lines with "key_revocation") are applied as they
come. An object whose key was revoked as compromised at or before the hub
accepted it is reported SUSPECT, also when the revocation comes later in the
feed or only in the key set: its signature verifies, but someone else may have
made it.

It prints "ok", "revoked", "SUSPECT" or "FAIL" per object and exits 1 if any
object fails or is suspect.`,
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
				data, err := io.ReadAll(r)
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				for it := range verifyItems(data) {
					d, err := it.d, it.err
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
						fmt.Fprintf(out, "SUSPECT %s:%s: %v\n", name, it.where, err)
						continue
					case err != nil:
						bad++
						fmt.Fprintf(out, "FAIL %s:%s: %v\n", name, it.where, err)
						continue
					}
					ok++
					passed = append(passed, passedLine{where: name + ":" + it.where, cursor: d.GetCursor(),
						id: d.GetReceipt().GetObjectId(), key: d.GetObject().GetKeyId(), accepted: d.GetReceipt().GetAcceptedAt().AsTime()})
					if !quiet {
						note := ""
						if client.HubAttested(d) {
							note = " (hub-attested: posted unsigned over TAXII)"
						}
						fmt.Fprintf(out, "ok   cursor=%d %s%s\n", d.GetCursor(), d.GetReceipt().GetObjectId(), note)
					}
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

// verifyItem is one thing to verify, or why it could not be read.
type verifyItem struct {
	where string // line number, or "objects[i]"
	d     *client.Delivery
	err   error
}

// verifyItems reads subscribe JSON lines, TAXII objects one per line, or
// one TAXII envelope or STIX bundle (a JSON object with an "objects" list).
func verifyItems(data []byte) iter.Seq[verifyItem] {
	return func(yield func(verifyItem) bool) {
		var env struct {
			Objects []json.RawMessage `json:"objects"`
		}
		if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' && json.Unmarshal(t, &env) == nil && env.Objects != nil {
			for i, o := range env.Objects {
				d, err := client.DeliveryFromTAXII(o)
				if errors.Is(err, client.ErrNoSignatureExtension) && isHubDefinition(o) {
					continue // the definition of the extension itself
				}
				if !yield(verifyItem{where: fmt.Sprintf("objects[%d]", i), d: d, err: err}) {
					return
				}
			}
			return
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for line := 1; sc.Scan(); line++ {
			b := sc.Bytes()
			if len(bytes.TrimSpace(b)) == 0 {
				continue
			}
			var probe struct {
				Receipt json.RawMessage `json:"receipt"`
				Type    string          `json:"type"`
			}
			_ = json.Unmarshal(b, &probe)
			var d *client.Delivery
			var err error
			if probe.Receipt == nil && probe.Type != "" {
				d, err = client.DeliveryFromTAXII(b)
				if errors.Is(err, client.ErrNoSignatureExtension) && isHubDefinition(b) {
					continue
				}
			} else {
				d, err = client.UnmarshalDeliveryJSON(b)
			}
			if !yield(verifyItem{where: fmt.Sprint(line), d: d, err: err}) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(verifyItem{where: "read", err: err})
		}
	}
}

// isHubDefinition reports whether a STIX object is the hub's signature
// extension definition, which TAXII serves unsigned.
func isHubDefinition(o []byte) bool {
	var h struct {
		ID string `json:"id"`
	}
	return json.Unmarshal(o, &h) == nil && h.ID == sign.SignatureExtensionID
}
