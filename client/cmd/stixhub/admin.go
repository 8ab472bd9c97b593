package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
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
	member := &cobra.Command{Use: "member", Short: "Admit, list, suspend and resume members"}
	member.AddCommand(newMemberAddCmd(c), newMemberListCmd(c), newMemberSuspendCmd(c, true), newMemberSuspendCmd(c, false), newMemberTaxiiUnsignedCmd(c),
		newMemberCertCmd(c), newMemberRolesCmd(c))
	key := &cobra.Command{Use: "key", Short: "Add, rotate, revoke, list and export member keys"}
	key.AddCommand(newKeyAddCmd(c), newKeyRotateCmd(c), newKeyRevokeCmd(c), newKeyListCmd(c), newKeyExportCmd(c))
	cmd.AddCommand(member, key, newGroupCmd(c), newAuditCmd(c))
	return cmd
}

func newMemberAddCmd(c *conn) *cobra.Command {
	var name, identity, tokenOut, certDir, roles string
	var validity time.Duration
	cmd := &cobra.Command{
		Use:   "add --name NAME --identity identity--<UUID> [--token-out FILE] [--cert-out DIR] [--roles R1,R2]",
		Short: "Admit a member; prints its id and writes its token to FILE and/or a client certificate to DIR",
		Long: `add admits a member. It prints the new member id on the first line and writes
the member's token to --token-out (mode 0600). The hub keeps only a hash of the
token: hand the file to the member over a secure channel.

--cert-out DIR has the hub issue a client certificate (mTLS) that authenticates
the member without a token: DIR/member.pem, DIR/member-key.pem (mode 0600; the
key is made on this machine and never sent) and DIR/ca.pem. At least one of
--token-out and --cert-out is required.

--roles sets what the member may do: publisher, subscriber, operator (default
publisher,subscriber).

--identity is the member's STIX identity id: objects the member publishes with a
created_by_ref must name it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tokenOut == "" && certDir == "" {
				return errors.New("--token-out is required, or --cert-out for a member that authenticates with a client certificate: the token is shown only once")
			}
			var certs *certOut
			if certDir != "" {
				var err error
				if certs, err = prepareCertOut(certDir, ""); err != nil {
					return err
				}
			}
			// Create the token file first, so a token the hub shows only
			// once always has somewhere to go.
			var out *os.File
			if tokenOut != "" {
				var err error
				if out, err = createSecretFile(tokenOut); err != nil {
					return err
				}
			}
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				m, token, err := cl.Admin().CreateMember(ctx, name, identity, splitList(roles)...)
				if err != nil {
					if out != nil {
						out.Close()
						os.Remove(tokenOut)
					}
					return err
				}
				if out != nil {
					_, err = out.WriteString(token + "\n")
					if cerr := out.Close(); err == nil {
						err = cerr
					}
					if err != nil {
						return fmt.Errorf("member %s created, but its token could not be saved: %w", m.GetId(), err)
					}
				}
				fmt.Fprintln(cmd.OutOrStdout(), m.GetId())
				where := ""
				if tokenOut != "" {
					where = "; token written to " + tokenOut
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "admitted %q (%s) as %s%s\n", m.GetName(), m.GetIdentity(),
					strings.Join(client.RoleNames(m), ","), where)
				if certs != nil {
					if err := certs.issue(ctx, cl, m.GetId(), validity, c.caFileInUse(), cmd.ErrOrStderr()); err != nil {
						return fmt.Errorf("member %s created, but no certificate was issued (retry with `stixhub admin member cert --member %s --cert-out %s`): %w",
							m.GetId(), m.GetId(), certDir, err)
					}
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "member's display name")
	f.StringVar(&identity, "identity", "", "member's STIX identity id, identity--<UUID>")
	f.StringVar(&tokenOut, "token-out", "", "file to write the member token to (created 0600)")
	f.StringVar(&certDir, "cert-out", "", "directory to write a client certificate to: member.pem, member-key.pem (0600), ca.pem")
	f.DurationVar(&validity, "cert-validity", 0, "how long the --cert-out certificate is valid (default 8760h)")
	f.StringVar(&roles, "roles", "", "comma-separated roles: publisher, subscriber, operator (default publisher,subscriber)")
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
				fmt.Fprintln(tw, "ID\tNAME\tIDENTITY\tADMITTED\tSTATUS\tROLES")
				for _, m := range ms {
					status := "active"
					if m.GetSuspended() {
						status = "suspended since " + ts(m.GetSuspendedAt())
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.GetId(), m.GetName(), m.GetIdentity(), ts(m.GetCreatedAt()), status,
						strings.Join(client.RoleNames(m), ","))
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
	var keyID, reason, compromisedAt string
	cmd := &cobra.Command{
		Use:   "revoke --key KEY-ID [--reason TEXT] [--reason compromised --compromised-at TIME]",
		Short: "Revoke a key: objects signed with it are refused from now on",
		Long: `revoke refuses every new object signed with the key, at once, and writes a
revocation event to the object stream, so every live subscriber and
` + "`stixhub verify`" + ` learn it.

Objects the hub accepted before stay valid: their receipts show they were
accepted while the key was active. With --reason compromised, give
--compromised-at (RFC 3339, such as 2026-11-20T08:00:00Z, or a duration ago,
such as 36h): objects accepted from that time on are flagged as suspect to
every subscriber and by ` + "`stixhub verify`" + `, not silently trusted.`,
		Example: `  stixhub admin key revoke --key 3f9c... --reason superseded
  stixhub admin key revoke --key 3f9c... --reason compromised --compromised-at 2026-11-20T08:00:00Z`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keyID == "" {
				return errors.New("--key is required")
			}
			var at time.Time
			switch {
			case reason == "compromised" && compromisedAt == "":
				return errors.New("--reason compromised needs --compromised-at: the time from which objects signed with the key are suspect (if unknown, use the time the key was added)")
			case compromisedAt != "" && reason != "compromised":
				return errors.New("--compromised-at goes with --reason compromised")
			case compromisedAt != "":
				var err error
				if at, err = parseTimeOrAgo(compromisedAt); err != nil {
					return fmt.Errorf("--compromised-at: %w", err)
				}
			}
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				var k *stixhubv1.Key
				var err error
				if at.IsZero() {
					k, err = cl.Admin().RevokeKey(ctx, keyID, reason)
				} else {
					k, err = cl.Admin().RevokeCompromisedKey(ctx, keyID, at)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked %s (member %s) at %s\n", k.GetId(), k.GetMemberId(), ts(k.GetRevokedAt()))
				if k.GetCompromisedAt() != nil {
					fmt.Fprintf(cmd.OutOrStdout(), "objects accepted since %s are flagged as suspect\n", ts(k.GetCompromisedAt()))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&keyID, "key", "", "key id")
	cmd.Flags().StringVar(&reason, "reason", "", `why the key is revoked (recorded); "compromised" flags objects as suspect`)
	cmd.Flags().StringVar(&compromisedAt, "compromised-at", "", "with --reason compromised: since when the key may have been in other hands (RFC 3339 time, or a duration ago such as 36h)")
	return cmd
}

// parseTimeOrAgo reads an RFC 3339 time or a Go duration meaning that long
// ago.
func parseTimeOrAgo(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-11-20T08:00:00Z) nor a duration ago (36h)", s)
}

func newKeyRotateCmd(c *conn) *cobra.Command {
	var memberID, pubFile string
	var overlap time.Duration
	cmd := &cobra.Command{
		Use:   "rotate --member MEMBER-ID --public-key NEW.pub [--overlap 24h]",
		Short: "Register a member's new key and retire its old ones after an overlap; prints the new key id",
		Long: `rotate registers the new public key and retires every other active key of the
member. The old keys keep verifying every object accepted before the rotation
time plus --overlap, and are refused for new objects after it, so publishers can
switch keys without a gap. --overlap 0 retires them now.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if memberID == "" || pubFile == "" {
				return errors.New("--member and --public-key are required")
			}
			if overlap < 0 {
				return errors.New("--overlap must not be negative")
			}
			pub, err := client.LoadPublicKeyFile(pubFile)
			if err != nil {
				return err
			}
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				k, retired, err := cl.Admin().RotateKey(ctx, memberID, pub, overlap)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), k.GetId())
				for _, r := range retired {
					fmt.Fprintf(cmd.ErrOrStderr(), "key %s retired: valid for objects accepted until %s\n", r.GetId(), ts(r.GetExpiresAt()))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&memberID, "member", "", "member id")
	cmd.Flags().StringVar(&pubFile, "public-key", "", "the new public key file (FILE.pub from `stixhub keygen`)")
	cmd.Flags().DurationVar(&overlap, "overlap", 24*time.Hour, "how long the old keys stay valid for new objects")
	return cmd
}

func newMemberSuspendCmd(c *conn, suspend bool) *cobra.Command {
	use, short := "suspend MEMBER-ID", "Suspend a member: it can neither publish nor read; its open streams are closed"
	if !suspend {
		use, short = "resume MEMBER-ID", "Lift a member's suspension"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				var m *stixhubv1.Member
				var err error
				if suspend {
					m, err = cl.Admin().SuspendMember(ctx, args[0])
				} else {
					m, err = cl.Admin().ResumeMember(ctx, args[0])
				}
				if err != nil {
					return err
				}
				state := "active"
				if m.GetSuspended() {
					state = "suspended since " + ts(m.GetSuspendedAt())
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s (%s): %s\n", m.GetId(), m.GetName(), state)
				return nil
			})
		},
	}
}

func newAuditCmd(c *conn) *cobra.Command {
	var since string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit [--since TIME] [--limit N] [--json]",
		Short: "List recorded operator actions (who, what, when), oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var from time.Time
			if since != "" {
				var err error
				if from, err = parseTimeOrAgo(since); err != nil {
					return fmt.Errorf("--since: %w", err)
				}
			}
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				entries, err := cl.Admin().Audit(ctx, from, limit)
				if err != nil {
					return err
				}
				if asJSON {
					for _, e := range entries {
						b, err := protojson.Marshal(e)
						if err != nil {
							return err
						}
						fmt.Fprintln(cmd.OutOrStdout(), string(b))
					}
					return nil
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tTARGET\tDETAIL")
				for _, e := range entries {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ts(e.GetTime()), e.GetActor(), e.GetAction(), e.GetTarget(), detailString(e.GetDetail()))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "only actions since this RFC 3339 time or duration ago (such as 24h)")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many entries (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	return cmd
}

func detailString(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + d[k]
	}
	return strings.Join(parts, " ")
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
				fmt.Fprintln(tw, "KEY\tMEMBER\tSTATUS\tADDED\tENDS\tREVOKED\tCOMPROMISED")
				for _, k := range ks.GetKeys() {
					status := "active"
					switch k.GetStatus() {
					case stixhubv1.KeyStatus_KEY_STATUS_REVOKED:
						status = "revoked"
					case stixhubv1.KeyStatus_KEY_STATUS_EXPIRED:
						status = "expired"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.GetId(), k.GetMemberId(), status, ts(k.GetAddedAt()),
						ts(k.GetExpiresAt()), ts(k.GetRevokedAt()), ts(k.GetCompromisedAt()))
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
