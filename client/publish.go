package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"

	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// MaxBatch is the most objects Publish sends in one call; larger inputs are
// sent in several calls.
const MaxBatch = 500

// ErrNoSigner means Publish was called on a client made without WithSigner.
var ErrNoSigner = errors.New("client has no signer: use WithSigner")

// PublishResult is the hub's outcome for one object.
type PublishResult = stixhubv1.PublishResult

// Publish signs each object with the client's signer and publishes them, in
// batches of at most MaxBatch. It returns one result per object, in order,
// with Index set to the object's position in objs. An object that cannot be
// signed (it is not JSON) gets a REJECTED result without being sent; the
// others are still published.
//
// The error is non-nil only when a whole call failed (hub unreachable, bad
// token); results then hold the outcomes of the batches sent before.
func (c *Client) Publish(ctx context.Context, objs ...json.RawMessage) ([]*PublishResult, error) {
	return c.PublishTo(ctx, Audience{}, objs...)
}

// Audience says who, beyond what the objects' TLP markings allow, may read
// published objects: the sharing groups for TLP:AMBER and AMBER+STRICT
// objects (empty: the publisher's own groups), and recipient member ids,
// who may read the objects whatever their TLP (the only readers of TLP:RED).
type Audience struct {
	Groups     []string
	Recipients []string
}

// PublishTo is Publish with an audience for the objects.
func (c *Client) PublishTo(ctx context.Context, to Audience, objs ...json.RawMessage) ([]*PublishResult, error) {
	if c.signer == nil {
		return nil, ErrNoSigner
	}
	results := make([]*PublishResult, len(objs))
	signed := make([]*stixhubv1.SignedObject, 0, len(objs))
	positions := make([]int, 0, len(objs))
	for i, obj := range objs {
		so, err := SignObject(ctx, c.signer, obj)
		if err != nil {
			results[i] = &PublishResult{
				Index:   uint32(i),
				Outcome: stixhubv1.Outcome_OUTCOME_REJECTED,
				Error: &stixhubv1.ObjectError{
					Code:            uint32(codes.InvalidArgument),
					Message:         "not signed: " + err.Error(),
					FieldViolations: []*stixhubv1.FieldViolation{{Field: "object", Description: err.Error()}},
				},
			}
			continue
		}
		signed = append(signed, so)
		positions = append(positions, i)
	}
	got, err := c.PublishSignedTo(ctx, to, signed...)
	for j, r := range got {
		r.Index = uint32(positions[j])
		results[positions[j]] = r
	}
	if err != nil {
		return compact(results), err
	}
	return results, nil
}

// compact drops the results of objects never sent.
func compact(rs []*PublishResult) []*PublishResult {
	out := rs[:0]
	for _, r := range rs {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// SignObject signs the RFC 8785 canonical form of obj. The returned object
// carries obj as given; the hub canonicalizes it again to verify.
func SignObject(ctx context.Context, s Signer, obj json.RawMessage) (*stixhubv1.SignedObject, error) {
	canonical, err := sign.Canonicalize(obj)
	if err != nil {
		return nil, err
	}
	sig, err := s.Sign(ctx, canonical)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return &stixhubv1.SignedObject{Object: obj, KeyId: s.KeyID(), Signature: sig}, nil
}

// PublishSigned publishes objects already signed, in batches of at most
// MaxBatch, and returns one result per object with Index set to its position
// in objs. A batch the hub refuses for the member's rate limit (nothing of
// it stored) is sent again after the wait the hub names, as long as ctx
// allows.
func (c *Client) PublishSigned(ctx context.Context, objs ...*stixhubv1.SignedObject) ([]*PublishResult, error) {
	return c.PublishSignedTo(ctx, Audience{}, objs...)
}

// PublishSignedTo is PublishSigned with an audience for the objects.
func (c *Client) PublishSignedTo(ctx context.Context, to Audience, objs ...*stixhubv1.SignedObject) ([]*PublishResult, error) {
	results := make([]*PublishResult, 0, len(objs))
	for start := 0; start < len(objs); start += MaxBatch {
		end := min(start+MaxBatch, len(objs))
		resp, err := publishPaced(ctx, c.hub, &stixhubv1.PublishRequest{Objects: objs[start:end], Groups: to.Groups, Recipients: to.Recipients})
		if err != nil {
			return results, err
		}
		if len(resp.GetResults()) != end-start {
			return results, fmt.Errorf("hub returned %d results for %d objects", len(resp.GetResults()), end-start)
		}
		for i, r := range resp.GetResults() {
			r.Index = uint32(start + i)
			results = append(results, r)
		}
	}
	return results, nil
}
