package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

func newGroupCmd(c *conn) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "Sharing groups: the readers of TLP:AMBER objects",
		Long: `A sharing group, such as jp-exchanges or g7-cert, names the members who may
read TLP:AMBER and TLP:AMBER+STRICT objects published to it (stixhub publish
--groups). Unmarked objects get the hub's default marking, TLP:AMBER to the
publisher's own groups. A member may belong to several groups; removing it
from one cuts its open streams at once.`,
	}
	show := func(cmd *cobra.Command, g *stixhubv1.Group) {
		fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", g.GetName(), strings.Join(g.GetMembers(), ","))
	}
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a sharing group",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				g, err := cl.Admin().CreateGroup(ctx, args[0])
				if err == nil {
					show(cmd, g)
				}
				return err
			})
		},
	}
	addMember := &cobra.Command{
		Use:   "add-member NAME MEMBER-ID",
		Short: "Add a member to a sharing group",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				g, err := cl.Admin().AddGroupMember(ctx, args[0], args[1])
				if err == nil {
					show(cmd, g)
				}
				return err
			})
		},
	}
	removeMember := &cobra.Command{
		Use:   "remove-member NAME MEMBER-ID",
		Short: "Remove a member from a sharing group; its open streams are cut",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				g, err := cl.Admin().RemoveGroupMember(ctx, args[0], args[1])
				if err == nil {
					show(cmd, g)
				}
				return err
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List sharing groups and their members",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				gs, err := cl.Admin().ListGroups(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "GROUP\tMEMBERS\tCREATED")
				for _, g := range gs {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", g.GetName(), strings.Join(g.GetMembers(), ","), ts(g.GetCreatedAt()))
				}
				return tw.Flush()
			})
		},
	}
	cmd.AddCommand(add, addMember, removeMember, list)
	return cmd
}
