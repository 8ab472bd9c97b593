package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/marking"
	"github.com/stixhub/stixhub/internal/screen"
)

func newLookupCmd(c *conn) *cobra.Command {
	var typ string
	var all bool
	cmd := &cobra.Command{
		Use:   "lookup VALUE... [--type TYPE]",
		Short: "Ask the hub whether it knows wallets, IP addresses, domains, hashes...",
		Long: `lookup screens each VALUE against everything the hub's members shared that
you may read (indicator patterns, observed-data, cyber-observables) and prints
one JSON line per match:

  {"value":...,"type":...,"status":"live","indicator_id":...,"object_id":...,
   "object_type":"indicator","member_id":...,"tlp":"TLP:AMBER",
   "valid_from":...,"valid_until":...,"confidence":90,"via":...,"cursor":N}

status is live, expired or not-yet-valid (with --all also revoked and
key-compromised). It exits 0 if any value has a live match, 1 if none has
(expired matches are printed but do not count), and 2 on error, like grep.

Without --type each value's type is inferred: an IP address or CIDR block,
a hash by its length (32, 40, 56, 64, 96 or 128 hex digits; 64 digits is also
tried as a transaction id), 0x and 40 hex digits an EVM wallet, a URL, an
e-mail address, a MAC address, a domain name, and anything else a wallet
address. --type takes a STIX type (ipv4-addr, domain-name, url, email-addr,
cryptocurrency-wallet, cryptocurrency-transaction...), file for hashes, or an
alias (ip, domain, email, hash, sha256, wallet, tx). A VALUE of - reads values
from standard input, one per line. Values go to the hub: to screen without
disclosing them, use a local screener (the Go client's NewScreener) or
` + "`stixhub watch`" + `.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, ok := screen.CanonicalType(typ)
			if !ok {
				return fmt.Errorf("--type: %q is not an observable type (ipv4-addr, domain-name, cryptocurrency-wallet, file, an alias such as ip or sha256...)", typ)
			}
			values, err := lookupValues(args, cmd.InOrStdin())
			if err != nil {
				return err
			}
			if len(values) == 0 {
				return errors.New("no values to look up")
			}
			obs := make([]client.Observable, len(values))
			for i, v := range values {
				obs[i] = client.Observable{Type: t, Value: v}
			}
			var opts []client.LookupOption
			if all {
				opts = append(opts, client.WithRevoked())
			}
			live := false
			err = c.with(cmd, false, func(ctx context.Context, cl *client.Client) error {
				rs, err := cl.Lookup(ctx, obs, opts...)
				if err != nil {
					return err
				}
				out := bufio.NewWriter(cmd.OutOrStdout())
				defer out.Flush()
				for _, r := range rs {
					for _, m := range r.GetMatches() {
						line := matchLineFromProto(values[r.GetIndex()], m)
						live = live || line.Status == string(screen.StatusLive)
						if err := writeJSONLine(out, line); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if !live {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&typ, "type", "", "type of every VALUE (default: inferred per value)")
	cmd.Flags().BoolVar(&all, "all", false, "also print revoked matches and those signed by a compromised key")
	return cmd
}

// lookupValues returns the values of args, reading standard input for "-".
func lookupValues(args []string, stdin io.Reader) ([]string, error) {
	var out []string
	for _, a := range args {
		if a != "-" {
			out = append(out, a)
			continue
		}
		vs, err := readList(stdin)
		if err != nil {
			return nil, fmt.Errorf("standard input: %w", err)
		}
		out = append(out, vs...)
	}
	return out, nil
}

// readList reads one value per line, skipping blank lines and # comments.
func readList(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out, sc.Err()
}

// matchLine is the JSON line lookup and watch print per match.
type matchLine struct {
	Value       string `json:"value"`
	Type        string `json:"type"`
	Matched     string `json:"matched,omitempty"` // the indexed value, when it differs (a CIDR block)
	Status      string `json:"status"`
	IndicatorID string `json:"indicator_id,omitempty"`
	ObjectID    string `json:"object_id"`
	ObjectType  string `json:"object_type"`
	MemberID    string `json:"member_id"`
	TLP         string `json:"tlp,omitempty"`
	ValidFrom   string `json:"valid_from,omitempty"`
	ValidUntil  string `json:"valid_until,omitempty"`
	Confidence  *int   `json:"confidence,omitempty"`
	Via         string `json:"via"`
	KeyID       string `json:"key_id"`
	Cursor      uint64 `json:"cursor"`
}

func matchLineFromProto(value string, m *client.LookupMatch) matchLine {
	l := matchLine{
		Value:      value,
		Type:       m.GetObservable().GetType(),
		Status:     strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(m.GetStatus().String(), "MATCH_STATUS_")), "_", "-"),
		ObjectID:   m.GetObjectId(),
		ObjectType: m.GetObjectType(),
		MemberID:   m.GetMemberId(),
		TLP:        m.GetTlp(),
		Via:        m.GetVia(),
		KeyID:      m.GetKeyId(),
		Cursor:     m.GetCursor(),
	}
	if m.GetValidFrom() != nil {
		l.ValidFrom = m.GetValidFrom().AsTime().Format(time.RFC3339Nano)
	}
	if m.GetValidUntil() != nil {
		l.ValidUntil = m.GetValidUntil().AsTime().Format(time.RFC3339Nano)
	}
	if m.Confidence != nil {
		c := int(m.GetConfidence())
		l.Confidence = &c
	}
	l.finish(m.GetObservable().GetValue())
	return l
}

func matchLineFromScreen(value string, m *screen.Match) matchLine {
	l := matchLine{
		Value:      value,
		Type:       m.Observable.Type,
		Status:     string(m.Status),
		ObjectID:   m.ObjectID,
		ObjectType: m.ObjectType,
		MemberID:   m.MemberID,
		Via:        m.Via,
		KeyID:      m.KeyID,
		Cursor:     m.Cursor,
	}
	if m.TLP != marking.Unknown {
		l.TLP = m.TLP.String()
	}
	if !m.ValidFrom.IsZero() {
		l.ValidFrom = m.ValidFrom.Format(time.RFC3339Nano)
	}
	if !m.ValidUntil.IsZero() {
		l.ValidUntil = m.ValidUntil.Format(time.RFC3339Nano)
	}
	if m.Confidence >= 0 {
		c := m.Confidence
		l.Confidence = &c
	}
	l.finish(m.Observable.Value)
	return l
}

// finish sets the fields that follow from the others.
func (l *matchLine) finish(matched string) {
	if l.ObjectType == "indicator" {
		l.IndicatorID = l.ObjectID
	}
	if n, err := screen.Normalize(l.Type, l.Value); err != nil || n != matched {
		l.Matched = matched
	}
}

func writeJSONLine(w *bufio.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Write(b)
	return w.WriteByte('\n')
}
