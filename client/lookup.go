package client

import (
	"context"
	"fmt"

	"github.com/stixhub/stixhub/internal/screen"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Observable is a value to screen: a type (such as "ipv4-addr",
// "cryptocurrency-wallet", "file" for hashes, or "" to infer it from the
// value) and the value.
type Observable = screen.Observable

// LookupResult is the hub's answer for one observable of a Lookup.
type LookupResult = stixhubv1.LookupResult

// LookupMatch is one object that names a looked-up observable.
type LookupMatch = stixhubv1.LookupMatch

// MaxLookupBatch is the most observables the hub takes in one Lookup call;
// Lookup sends larger inputs in several calls.
const MaxLookupBatch = 1000

type lookupOptions struct{ includeRevoked bool }

// LookupOption configures Lookup.
type LookupOption func(*lookupOptions)

// WithRevoked also reports matches that never count: revoked objects and
// objects signed by a key revoked as compromised.
func WithRevoked() LookupOption { return func(o *lookupOptions) { o.includeRevoked = true } }

// Lookup asks the hub whether it knows each observable: one result per
// observable, in order, each listing the objects (indicators, observed-data,
// cyber-observables) that name it and that this member may read. A match
// counts when its status is MATCH_STATUS_LIVE; expired indicators are
// reported with MATCH_STATUS_EXPIRED.
//
// The observables travel to the hub. To screen without disclosing them, use
// a Screener, which keeps the index inside the member.
func (c *Client) Lookup(ctx context.Context, obs []Observable, opts ...LookupOption) ([]*LookupResult, error) {
	var o lookupOptions
	for _, opt := range opts {
		opt(&o)
	}
	out := make([]*LookupResult, 0, len(obs))
	for start := 0; start < len(obs); start += MaxLookupBatch {
		end := min(start+MaxLookupBatch, len(obs))
		req := &stixhubv1.LookupRequest{IncludeRevoked: o.includeRevoked, Observables: make([]*stixhubv1.Observable, 0, end-start)}
		for _, q := range obs[start:end] {
			req.Observables = append(req.Observables, &stixhubv1.Observable{Type: q.Type, Value: q.Value})
		}
		resp, err := c.hub.Lookup(ctx, req)
		if err != nil {
			return out, err
		}
		if len(resp.GetResults()) != end-start {
			return out, fmt.Errorf("hub returned %d results for %d observables", len(resp.GetResults()), end-start)
		}
		for i, r := range resp.GetResults() {
			r.Index = uint32(start + i)
			out = append(out, r)
		}
	}
	return out, nil
}
