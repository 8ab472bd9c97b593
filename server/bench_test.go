package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/heapstat"
	"github.com/stixhub/stixhub/internal/hubtest"
	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
	"github.com/stixhub/stixhub/server"
)

// BenchmarkPublish measures the whole publish path through a real hub (TLS
// gRPC, validation, canonicalization, key check, Ed25519 verify, durable
// append with receipts) for batches of 250 pre-signed indicators from one
// connection.
func BenchmarkPublish(b *testing.B) {
	b.Run("taxii", func(b *testing.B) { benchmarkPublish(b, hubtest.Start(b)) })
	// As `stixhub bench ingest` runs it: TAXII off, no rate limits.
	b.Run("ingest", func(b *testing.B) {
		benchmarkPublish(b, hubtest.Start(b, hubtest.NoLimits, func(cfg *server.Config) { cfg.TAXIIAddr = "off" }))
	})
}

func benchmarkPublish(b *testing.B, hub *hubtest.Hub) {
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

// benchIndicators returns n signed indicators shaped like those of
// `stixhub bench ingest` (a two-observation pattern, a TLP marking,
// created_by_ref).
func benchIndicators(b *testing.B, m hubtest.Member, n int) []*stixhubv1.SignedObject {
	b.Helper()
	return benchIndicatorsFrom(b, m, 0, n)
}

// benchIndicatorsFrom is benchIndicators numbered from first: indicators
// first to first+n-1, naming their own address and domain.
func benchIndicatorsFrom(b *testing.B, m hubtest.Member, first, n int) []*stixhubv1.SignedObject {
	b.Helper()
	out := make([]*stixhubv1.SignedObject, n)
	for k := range out {
		i := first + k
		obj, _ := json.Marshal(map[string]any{
			"type": "indicator", "spec_version": "2.1", "id": "indicator--" + uuid.NewString(),
			"created": "2024-03-01T10:00:00.000Z", "modified": "2024-03-01T10:00:00.000Z",
			"created_by_ref":  m.Identity,
			"name":            fmt.Sprintf("Lazarus withdrawal wallet cluster node %d", i),
			"description":     "Address observed receiving funds from the 2018 exchange thefts; linked to DPRK operators by on-chain analysis.",
			"indicator_types": []string{"malicious-activity", "attribution"},
			"pattern":         fmt.Sprintf("[ipv4-addr:value = '10.%d.%d.%d'] OR [domain-name:value = 'wallet-%d.example']", (i>>16)&255, (i>>8)&255, i&255, i),
			"pattern_type":    "stix", "valid_from": "2024-03-01T10:00:00.000Z", "confidence": 80,
			"labels":              []string{"dprk", "cryptocurrency"},
			"object_marking_refs": []string{"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"},
		})
		so, err := client.SignObject(context.Background(), m.Signer, obj)
		if err != nil {
			b.Fatal(err)
		}
		out[k] = so
	}
	return out
}

// BenchmarkCheckContent measures the hub's per-object checks before the
// key and signature: validation with the pattern, canonical form,
// created_by_ref, effective markings and references for sharing.
func BenchmarkCheckContent(b *testing.B) {
	hub := hubtest.Start(b)
	m := hub.AddMember(b, "Bank A")
	objs := benchIndicators(b, m, 256)
	check, _ := hub.Checks(m.ID)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if e := check(objs[i%len(objs)].GetObject()); e != nil {
			b.Fatal(e)
		}
		i++
	}
}

// BenchmarkCheckObject is BenchmarkCheckContent plus the envelope, key and
// Ed25519 checks: everything a publish does to one object before the store.
func BenchmarkCheckObject(b *testing.B) {
	hub := hubtest.Start(b)
	m := hub.AddMember(b, "Bank A")
	objs := benchIndicators(b, m, 256)
	_, check := hub.Checks(m.ID)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if e := check(objs[i%len(objs)]); e != nil {
			b.Fatal(e)
		}
		i++
	}
}

// BenchmarkRefsOf measures the reference extraction of the sharing decision
// on a canonical indicator.
func BenchmarkRefsOf(b *testing.B) {
	raw, err := os.ReadFile("../testdata/stix/bench/indicator.json")
	if err != nil {
		b.Fatal(err)
	}
	canonical, err := sign.Canonicalize(raw)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(canonical)))
	for b.Loop() {
		if refs := server.RefsOf(canonical); len(refs) != 1 {
			b.Fatal(refs)
		}
	}
}

// BenchmarkRestart measures how long a hub takes to start on a data
// directory holding objects: opening JetStream, rebuilding the id index
// and the screening index from the stream (TAXII off; its index is kept on
// disk). Set STIXHUB_BENCH_RESTART_OBJECTS for another size.
func BenchmarkRestart(b *testing.B) {
	n := 20_000
	if s := os.Getenv("STIXHUB_BENCH_RESTART_OBJECTS"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil {
			b.Fatal(err)
		}
	}
	hub := hubtest.Start(b, hubtest.NoLimits, func(cfg *server.Config) { cfg.TAXIIAddr = "off" })
	m := hub.AddMember(b, "Bank A")
	c := hub.Client(b, m)
	objs := benchIndicators(b, m, n)
	for start := 0; start < n; start += 1000 {
		if _, err := c.PublishSigned(context.Background(), objs[start:min(start+1000, n)]...); err != nil {
			b.Fatal(err)
		}
	}
	c.Close()
	for b.Loop() {
		hub.Restart(b)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "us/object")
}

// BenchmarkHeapPerObject measures what each stored object costs a hub's Go
// heap, the heap its collector marks on every cycle: it publishes n
// indicators (each naming an address and a domain) into an in-process hub
// and reports, per object, the heap the GC scans for pointers (scan-B/obj)
// and the live heap (live-B/obj) after a full GC, against the same hub
// before publishing. The feed holds 1,024 messages, so that its share stays
// fixed whatever n; JetStream runs in the same process and is counted too.
// Set STIXHUB_BENCH_HEAP_OBJECTS for another n.
func BenchmarkHeapPerObject(b *testing.B) {
	n := 20_000
	if s := os.Getenv("STIXHUB_BENCH_HEAP_OBJECTS"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil {
			b.Fatal(err)
		}
	}
	hub := hubtest.Start(b, hubtest.NoLimits, func(cfg *server.Config) { cfg.TAXIIAddr = "off"; cfg.FeedCapacity = 1024 })
	m := hub.AddMember(b, "Bank A")
	c := hub.Client(b, m)
	publish := func(first, n int) {
		if _, err := c.PublishSigned(context.Background(), benchIndicatorsFrom(b, m, first, n)...); err != nil {
			b.Fatal(err)
		}
	}
	// A first batch fills the feed and settles the hub's fixed structures.
	publish(0, 1024)
	scan0, live0 := heapstat.AfterGC()
	for first := 1024; first < n; first += 1000 {
		publish(first, min(1000, n-first))
	}
	scan1, live1 := heapstat.AfterGC()
	for b.Loop() {
		runtime.GC()
	}
	stored := float64(n - 1024)
	b.ReportMetric(float64(int64(scan1)-int64(scan0))/stored, "scan-B/obj")
	b.ReportMetric(float64(int64(live1)-int64(live0))/stored, "live-B/obj")
}
