package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/stixhub/stixhub/client"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

func newAdminCmd(c *conn) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Operator commands: members and keys (needs the operator token)",
		Long: `admin commands need the operator token: --token-file <data-dir>/operator.token,
or STIXHUB_TOKEN_FILE. Run from the directory holding ./stixhub-data, the local
hub's operator token and CA are used by default.`,
	}
	member := &cobra.Command{Use: "member", Short: "Admit and list members"}
	member.AddCommand(newMemberAddCmd(c), newMemberListCmd(c), newMemberTaxiiUnsignedCmd(c))
	key := &cobra.Command{Use: "key", Short: "Add, revoke, list and export member keys"}
	key.AddCommand(newKeyAddCmd(c), newKeyRevokeCmd(c), newKeyListCmd(c), newKeyExportCmd(c))
	cmd.AddCommand(member, key)
	return cmd
}

func newMemberAddCmd(c *conn) *cobra.Command {
	var name, identity, tokenOut string
	cmd := &cobra.Command{
		Use:   "add --name NAME --identity identity--<UUID> --token-out FILE",
		Short: "Admit a member; prints its id and writes its token to FILE",
		Long: `add admits a member. It prints the new member id on the first line and writes
the member's token to --token-out (mode 0600). The hub keeps only a hash of the
token: hand the file to the member over a secure channel.

--identity is the member's STIX identity id: objects the member publishes with a
created_by_ref must name it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tokenOut == "" {
				return errors.New("--token-out is required: the token is shown only once")
			}
			// Create the token file first, so a token the hub shows only
			// once always has somewhere to go.
			out, err := createSecretFile(tokenOut)
			if err != nil {
				return err
			}
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				m, token, err := cl.Admin().CreateMember(ctx, name, identity)
				if err != nil {
					out.Close()
					os.Remove(tokenOut)
					return err
				}
				_, err = out.WriteString(token + "\n")
				if cerr := out.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return fmt.Errorf("member %s created, but its token could not be saved: %w", m.GetId(), err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), m.GetId())
				fmt.Fprintf(cmd.ErrOrStderr(), "admitted %q (%s); token written to %s\n", m.GetName(), m.GetIdentity(), tokenOut)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "member's display name")
	f.StringVar(&identity, "identity", "", "member's STIX identity id, identity--<UUID>")
	f.StringVar(&tokenOut, "token-out", "", "file to write the member token to (created 0600)")
	return cmd
}

func newMemberListCmd(c *conn) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List members",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				ms, err := cl.Admin().ListMembers(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tIDENTITY\tADMITTED")
				for _, m := range ms {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.GetId(), m.GetName(), m.GetIdentity(), ts(m.GetCreatedAt()))
				}
				return tw.Flush()
			})
		},
	}
}

func newKeyAddCmd(c *conn) *cobra.Command {
	var memberID, pubFile string
	cmd := &cobra.Command{
		Use:   "add --member MEMBER-ID --public-key FILE.pub",
		Short: "Register a member's public key; prints the key id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if memberID == "" || pubFile == "" {
				return errors.New("--member and --public-key are required")
			}
			pub, err := client.LoadPublicKeyFile(pubFile)
			if err != nil {
				return err
			}
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				k, err := cl.Admin().AddKey(ctx, memberID, pub)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), k.GetId())
				fmt.Fprintf(cmd.ErrOrStderr(), "key %s active for %s since %s\n", k.GetId(), k.GetMemberId(), ts(k.GetAddedAt()))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&memberID, "member", "", "member id (from `admin member add` or `admin member list`)")
	cmd.Flags().StringVar(&pubFile, "public-key", "", "public key file written by `stixhub keygen` (FILE.pub)")
	return cmd
}

func newKeyRevokeCmd(c *conn) *cobra.Command {
	var keyID, reason string
	cmd := &cobra.Command{
		Use:   "revoke --key KEY-ID [--reason TEXT]",
		Short: "Revoke a key: objects signed with it are refused from now on",
		Long: `revoke refuses every new object signed with the key, at once. Objects the hub
accepted before stay valid: their receipts show they were accepted while the key
was active, and ` + "`stixhub verify`" + ` still accepts them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keyID == "" {
				return errors.New("--key is required")
			}
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				k, err := cl.Admin().RevokeKey(ctx, keyID, reason)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked %s (member %s) at %s\n", k.GetId(), k.GetMemberId(), ts(k.GetRevokedAt()))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&keyID, "key", "", "key id")
	cmd.Flags().StringVar(&reason, "reason", "", "why the key is revoked (recorded)")
	return cmd
}

func newKeyListCmd(c *conn) *cobra.Command {
	var memberID string
	cmd := &cobra.Command{
		Use:   "list [--member MEMBER-ID]",
		Short: "List member keys and their status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				ks, err := cl.Admin().KeySet(ctx, memberID)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "KEY\tMEMBER\tSTATUS\tADDED\tREVOKED")
				for _, k := range ks.GetKeys() {
					status := "active"
					if k.GetStatus() == stixhubv1.KeyStatus_KEY_STATUS_REVOKED {
						status = "revoked"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.GetId(), k.GetMemberId(), status, ts(k.GetAddedAt()), ts(k.GetRevokedAt()))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&memberID, "member", "", "only this member's keys")
	return cmd
}

func newKeyExportCmd(c *conn) *cobra.Command {
	var memberID string
	cmd := &cobra.Command{
		Use:   "export [--member MEMBER-ID] > keys.json",
		Short: "Print the public key set (member keys with validity, hub keys) as JSON for `stixhub verify`",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				ks, err := cl.Admin().KeySet(ctx, memberID)
				if err != nil {
					return err
				}
				return writeKeySet(cmd.OutOrStdout(), ks)
			})
		},
	}
	cmd.Flags().StringVar(&memberID, "member", "", "only this member's keys")
	return cmd
}

func ts(t *timestamppb.Timestamp) string {
	if t == nil {
		return "-"
	}
	return t.AsTime().UTC().Format(time.RFC3339)
}
