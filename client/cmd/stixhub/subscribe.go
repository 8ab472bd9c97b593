package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
)

// errEnough ends a subscription that has delivered --count objects.
var errEnough = errors.New("count reached")

func newSubscribeCmd(c *conn) *cobra.Command {
	var from string
	var types []string
	var count int
	cmd := &cobra.Command{
		Use:   "subscribe [--from beginning|now|CURSOR] [--type TYPE]... [--count N]",
		Short: "Stream accepted objects as JSON lines",
		Long: `subscribe prints one JSON line per delivered object:

  {"cursor":N,"member_id":...,"key_id":...,"signature":...,"receipt":{...},"object":{...}}

--from beginning starts with the first object ever stored, now with the next
one, and a CURSOR resumes after that cursor (the last one you processed): no
object is missed or repeated. The connection is re-established by itself if it
drops. Save the output and check it offline with ` + "`stixhub verify`" + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pos, err := parsePosition(from)
			if err != nil {
				return err
			}
			if count < 0 {
				return errors.New("--count must be positive")
			}
			return c.with(cmd, false, func(ctx context.Context, cl *client.Client) error {
				out := bufio.NewWriter(cmd.OutOrStdout())
				defer out.Flush()
				n := 0
				opts := []client.SubscribeOption{
					client.WithTypes(types...),
					client.OnStart(func(after uint64) {
						fmt.Fprintf(cmd.ErrOrStderr(), "subscribed after cursor %d\n", after)
					}),
				}
				err := cl.Subscribe(ctx, pos, func(_ context.Context, d *client.Delivery) error {
					line, err := client.MarshalDeliveryJSON(d)
					if err != nil {
						return err
					}
					out.Write(line)
					out.WriteByte('\n')
					if d.GetKeyRevocation() != nil {
						k := d.GetKeyRevocation().GetKey()
						fmt.Fprintf(cmd.ErrOrStderr(), "key %s of %s revoked (%s)\n", k.GetId(), k.GetMemberId(), k.GetRevokeReason())
						return out.Flush() // events do not count toward --count
					}
					n++
					if count > 0 && n >= count {
						return errEnough
					}
					// Flush when nothing else is queued, so lines appear live.
					return out.Flush()
				}, opts...)
				if errors.Is(err, errEnough) || errors.Is(err, context.Canceled) {
					return nil
				}
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "now", "where to start: beginning, now, or a cursor to resume after")
	f.StringSliceVar(&types, "type", nil, "only objects of this STIX type (repeatable)")
	f.IntVar(&count, "count", 0, "exit after this many objects (0: run until interrupted)")
	return cmd
}

func parsePosition(s string) (client.Position, error) {
	switch strings.ToLower(s) {
	case "beginning", "start", "0":
		return client.Beginning(), nil
	case "now", "":
		return client.Now(), nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return client.Position{}, fmt.Errorf("--from: want beginning, now or a cursor number, got %q", s)
	}
	return client.After(n), nil
}
