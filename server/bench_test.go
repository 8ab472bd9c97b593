package server_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// BenchmarkPublish measures the whole publish path through a real hub (TLS
// gRPC, validation, canonicalization, key check, Ed25519 verify, durable
// append with receipts) for batches of 250 pre-signed indicators from one
// connection.
func BenchmarkPublish(b *testing.B) {
	hub := hubtest.Start(b)
	m := hub.AddMember(b, "Bank A")
	c := hub.Client(b, m)
	ctx := context.Background()
	const batch = 250
	sign := func() []*stixhubv1.SignedObject {
		out := make([]*stixhubv1.SignedObject, batch)
		for i := range out {
			obj, _ := json.Marshal(map[string]any{
				"type": "indicator", "spec_version": "2.1", "id": "indicator--" + uuid.NewString(),
				"created": "2024-03-01T10:00:00.000Z", "modified": "2024-03-01T10:00:00.000Z",
				"name": "Lazarus withdrawal wallet", "indicator_types": []string{"malicious-activity"},
				"pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
				"valid_from": "2024-03-01T10:00:00Z", "confidence": 80,
			})
			so, err := client.SignObject(ctx, m.Signer, obj)
			if err != nil {
				b.Fatal(err)
			}
			out[i] = so
		}
		return out
	}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		b.StopTimer()
		objs := sign()
		b.StartTimer()
		rs, err := c.PublishSigned(ctx, objs...)
		if err != nil || rs[0].GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
			b.Fatal(err, rs[0].GetError())
		}
		n += batch
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
}
