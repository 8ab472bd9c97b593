package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/screen"
)

func newWatchCmd(c *conn) *cobra.Command {
	var listFile, typ, from string
	var count int
	cmd := &cobra.Command{
		Use:   "watch --list FILE [--type TYPE] [--from now|beginning|CURSOR] [--count N]",
		Short: "Alert when a newly accepted indicator names a value on your list",
		Long: `watch follows the hub's feed and prints one JSON line whenever a newly
accepted object (an indicator, observed-data or cyber-observable) names a
value of the list in FILE: wallet addresses, IP addresses or CIDR blocks,
domains, hashes..., one per line (blank lines and # comments ignored).
The list never leaves this machine: every object is checked here, as it
arrives. Lines look like those of ` + "`stixhub lookup`" + `, with value the listed
value and cursor the object's position in the feed:

  {"value":...,"type":...,"status":"live","indicator_id":...,"member_id":...,
   "tlp":...,"valid_from":...,"confidence":...,"via":...,"cursor":N}

Revoked, expired and not-yet-valid objects raise no alert. Each value's type
is inferred as in lookup unless --type is given. --from now (the default)
watches what is accepted from now on; pass the last cursor printed to resume
after a restart without missing anything. --count N exits after N alerts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if listFile == "" {
				return errors.New("--list FILE required: the values to watch, one per line")
			}
			t, ok := screen.CanonicalType(typ)
			if !ok {
				return fmt.Errorf("--type: %q is not an observable type", typ)
			}
			pos, err := parsePosition(from)
			if err != nil {
				return err
			}
			if count < 0 {
				return errors.New("--count must be positive")
			}
			f, err := os.Open(listFile)
			if err != nil {
				return err
			}
			values, err := readList(f)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", listFile, err)
			}
			items := make([]screen.Observable, len(values))
			for i, v := range values {
				items[i] = screen.Observable{Type: t, Value: v}
			}
			wl, err := screen.NewWatchlist(items)
			if err != nil {
				var ie *screen.ItemError
				if errors.As(err, &ie) {
					return fmt.Errorf("%s: %q: %v", listFile, values[ie.Item], ie.Err)
				}
				return err
			}
			return c.with(cmd, false, func(ctx context.Context, cl *client.Client) error {
				out := bufio.NewWriter(cmd.OutOrStdout())
				defer out.Flush()
				n := 0
				err := cl.Subscribe(ctx, pos, func(_ context.Context, d *client.Delivery) error {
					o, err := screen.Read(d.GetObject().GetObject())
					if err != nil {
						return nil // not screened
					}
					o.Source = screen.Source{MemberID: d.GetMemberId(), KeyID: d.GetObject().GetKeyId(), Cursor: d.GetCursor(),
						AcceptedAt: d.GetReceipt().GetAcceptedAt().AsTime()}
					for _, h := range wl.Match(o, time.Now()) {
						if err := writeJSONLine(out, matchLineFromScreen(h.Listed.Value, &h.Match)); err != nil {
							return err
						}
						n++
						if count > 0 && n >= count {
							return errEnough
						}
					}
					return out.Flush()
				}, client.OnStart(func(after uint64) {
					fmt.Fprintf(cmd.ErrOrStderr(), "watching %d values after cursor %d\n", wl.Len(), after)
				}))
				if errors.Is(err, errEnough) || errors.Is(err, context.Canceled) {
					return nil
				}
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&listFile, "list", "", "file of values to watch, one per line")
	f.StringVar(&typ, "type", "", "type of every listed value (default: inferred per value)")
	f.StringVar(&from, "from", "now", "where to start: now, beginning, or a cursor to resume after")
	f.IntVar(&count, "count", 0, "exit after this many alerts (0: run until interrupted)")
	return cmd
}
