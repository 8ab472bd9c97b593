package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/stix"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

func newPublishCmd(c *conn) *cobra.Command {
	var keyFile string
	var vk vaultKeyFlags
	var to client.Audience
	cmd := &cobra.Command{
		Use:   "publish (--key KEY-FILE | --vault-key NAME) [FILE...]",
		Short: "Sign and publish STIX objects (bundle, single object or JSON lines)",
		Long: `publish reads STIX 2.1 objects from each FILE (or standard input when there is
none, or for "-"): a bundle, a single object, or JSON lines. It signs each
object with --key (a key file from ` + "`stixhub keygen`" + `) or --vault-key (an ed25519
key in Vault Transit, reached through VAULT_ADDR and VAULT_TOKEN; the private
key never leaves Vault) and publishes it. It prints one line per object:

  accepted  <id> cursor=<n>
  duplicate <id> cursor=<n>        (this version was already stored)
  rejected  <id>: <code>: <reason> [field: problem; ...]

and exits 1 if any object was rejected, 2 on any other error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			signer, err := loadSigner(cmd.Context(), keyFile, vk)
			if err != nil {
				return err
			}
			objs, err := readInputs(cmd, args)
			if err != nil {
				return err
			}
			if len(objs) == 0 {
				return errors.New("no objects in input")
			}
			return c.with(cmd, false, func(ctx context.Context, cl *client.Client) error {
				results, err := cl.PublishTo(ctx, to, objs...)
				out := bufio.NewWriter(cmd.OutOrStdout())
				var counts [4]int
				for _, r := range results {
					counts[r.GetOutcome()]++
					fmt.Fprintln(out, resultLine(r))
				}
				if ferr := out.Flush(); ferr != nil {
					return ferr
				}
				if err != nil {
					return fmt.Errorf("publish stopped after %d of %d objects: %s", len(results), len(objs), describe(err))
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%d accepted, %d duplicate, %d rejected\n",
					counts[stixhubv1.Outcome_OUTCOME_ACCEPTED], counts[stixhubv1.Outcome_OUTCOME_DUPLICATE], counts[stixhubv1.Outcome_OUTCOME_REJECTED])
				if counts[stixhubv1.Outcome_OUTCOME_REJECTED] > 0 {
					return &exitError{code: 1}
				}
				return nil
			}, client.WithSigner(signer))
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "Ed25519 private key file (from `stixhub keygen`)")
	cmd.Flags().StringSliceVar(&to.Groups, "groups", nil, "sharing groups that may read TLP:AMBER objects (default: your own groups)")
	cmd.Flags().StringSliceVar(&to.Recipients, "recipients", nil, "member ids that may read the objects whatever their TLP (the only readers of TLP:RED)")
	vk.register(cmd)
	return cmd
}

// readInputs reads every object from the named files, or standard input.
func readInputs(cmd *cobra.Command, args []string) ([]json.RawMessage, error) {
	if len(args) == 0 {
		args = []string{"-"}
	}
	var all []json.RawMessage
	for _, name := range args {
		var r io.Reader
		if name == "-" {
			r = cmd.InOrStdin()
		} else {
			f, err := os.Open(name)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			r = f
		}
		objs, err := stix.ReadObjects(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		all = append(all, objs...)
	}
	return all, nil
}

func resultLine(r *client.PublishResult) string {
	id := r.GetObjectId()
	if id == "" {
		id = fmt.Sprintf("object #%d", r.GetIndex()+1)
	}
	switch r.GetOutcome() {
	case stixhubv1.Outcome_OUTCOME_ACCEPTED:
		return fmt.Sprintf("accepted  %s cursor=%d", id, r.GetCursor())
	case stixhubv1.Outcome_OUTCOME_DUPLICATE:
		return fmt.Sprintf("duplicate %s cursor=%d", id, r.GetCursor())
	}
	return fmt.Sprintf("rejected  %s: %s", id, objectErrorText(r.GetError()))
}
