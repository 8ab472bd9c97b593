package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
)

func newKeysCmd(c *conn) *cobra.Command {
	var memberID string
	cmd := &cobra.Command{
		Use:   "keys [--member MEMBER-ID] > keys.json",
		Short: "Print the hub's public key set as JSON, for `stixhub verify` (any member token)",
		Long: `keys prints every member key with its validity, and the hub's receipt keys, in
the format ` + "`stixhub verify --keys`" + ` reads (the same as ` + "`stixhub admin key export`" + `).
Public keys are not secret: any member may fetch them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.with(cmd, false, func(ctx context.Context, cl *client.Client) error {
				ks, err := cl.KeySet(ctx, memberID)
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
