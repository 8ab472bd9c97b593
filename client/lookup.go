package client

import (
	"context"
	"fmt"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"

	"github.com/stixhub/stixhub/internal/lookupwire"
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
		size := 0
		for i, q := range obs[start:end] {
			if !utf8.ValidString(q.Type) || !utf8.ValidString(q.Value) {
				return out, fmt.Errorf("observable %d: not valid UTF-8", start+i)
			}
			size += len(q.Type) + len(q.Value) + 8
		}
		// The request goes out already encoded (as the fields a
		// LookupRequest would marshal to), without a message per observable.
		req := &stixhubv1.LookupRequest{}
		req.ProtoReflect().SetUnknown(lookupwire.AppendRequest(make([]byte, 0, size), obs[start:end], o.includeRevoked))
		resp, err := c.hub.Lookup(ctx, req, grpc.ForceCodecV2(lookupCodec{}))
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

// lookupCodec is gRPC's proto codec, except that it decodes a
// LookupResponse into a few slabs (internal/lookupwire): a batch answers
// with many small messages, and allocating each one apart costs the
// caller's garbage collector more than the call itself.
type lookupCodec struct{}

func (lookupCodec) Marshal(v any) (mem.BufferSlice, error) {
	return encoding.GetCodecV2("proto").Marshal(v)
}

func (lookupCodec) Unmarshal(data mem.BufferSlice, v any) error {
	resp, ok := v.(*stixhubv1.LookupResponse)
	if !ok {
		return encoding.GetCodecV2("proto").Unmarshal(data, v)
	}
	return lookupwire.FromBuffers(data, func(b []byte) error { return lookupwire.Decode(b, resp) })
}

func (lookupCodec) Name() string { return "proto" }
