package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
)

// newMemberTaxiiUnsignedCmd lets the operator allow or refuse a member's
// unsigned posts over TAXII.
func newMemberTaxiiUnsignedCmd(c *conn) *cobra.Command {
	var member string
	var allow, deny bool
	cmd := &cobra.Command{
		Use:   "taxii-unsigned --member MEMBER-ID --allow|--deny",
		Short: "Allow or refuse a member's unsigned posts over TAXII (hub-attested objects)",
		Long: `taxii-unsigned sets whether a member may post objects over TAXII without a
member signature. TAXII clients cannot sign; the hub stores such objects
hub-attested (its receipt names the member, no member key or signature) after
the same validation as signed ones. Objects that carry the hub's signature
extension are verified as signed whatever this flag says, but only members
with the flag may post over TAXII at all (can_write).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if member == "" || allow == deny {
				return errors.New("--member and exactly one of --allow or --deny are required")
			}
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				m, err := cl.Admin().SetTaxiiUnsigned(ctx, member, allow)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s taxii-unsigned=%v\n", m.GetId(), m.GetTaxiiUnsigned())
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&member, "member", "", "member id")
	f.BoolVar(&allow, "allow", false, "allow unsigned posts")
	f.BoolVar(&deny, "deny", false, "refuse unsigned posts")
	return cmd
}
