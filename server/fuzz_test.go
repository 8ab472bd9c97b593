package server_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// FuzzPublish sends arbitrary publish requests to a real hub: decoded from the
// fuzz bytes as a protobuf PublishRequest, and the same bytes as one object
// signed with a registered key. Whatever arrives, the hub must answer with
// one result per object, never an internal error, and must accept only what
// verifies.
func FuzzPublish(f *testing.F) {
	hub := hubtest.Start(f)
	m := hub.AddMember(f, "Bank A")
	c := hub.Client(f, m)
	ctx := context.Background()

	valid := []byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}`)
	so, err := client.SignObject(ctx, m.Signer, valid)
	if err != nil {
		f.Fatal(err)
	}
	req, _ := proto.Marshal(&stixhubv1.PublishRequest{Objects: []*stixhubv1.SignedObject{so, {Object: []byte("{}")}}})
	f.Add(req)
	f.Add(valid)
	f.Add([]byte(`{"type":"bundle","id":"bundle--1","objects":[]}`))
	f.Add([]byte{0x0a, 0x03, 0x0a, 0x01, '{'})

	f.Fuzz(func(t *testing.T, data []byte) {
		var pr stixhubv1.PublishRequest
		if proto.Unmarshal(data, &pr) == nil && len(pr.GetObjects()) > 0 && len(pr.GetObjects()) <= 1000 {
			rs, err := c.PublishSigned(ctx, pr.GetObjects()...)
			check(t, len(pr.GetObjects()), rs, err)
		}
		rs, err := c.Publish(ctx, data)
		check(t, 1, rs, err)
	})
}

func check(t *testing.T, n int, rs []*client.PublishResult, err error) {
	t.Helper()
	if err != nil {
		if status.Code(err) == codes.InvalidArgument {
			return
		}
		t.Fatalf("publish failed as a whole: %v", err)
	}
	if len(rs) != n {
		t.Fatalf("%d results for %d objects", len(rs), n)
	}
	for _, r := range rs {
		switch r.GetOutcome() {
		case stixhubv1.Outcome_OUTCOME_ACCEPTED, stixhubv1.Outcome_OUTCOME_DUPLICATE:
			if r.GetReceipt() == nil || r.GetCursor() == 0 {
				t.Fatalf("stored without cursor or receipt: %v", r)
			}
		case stixhubv1.Outcome_OUTCOME_REJECTED:
			code := codes.Code(r.GetError().GetCode())
			if code == codes.Internal || code == codes.Unknown || r.GetError().GetMessage() == "" {
				t.Fatalf("rejection without a clear reason: %v", r.GetError())
			}
		default:
			t.Fatalf("no outcome: %v", r)
		}
	}
}
