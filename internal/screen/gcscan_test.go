package screen

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stixhub/stixhub/internal/heapstat"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// gcObjects is how many objects BenchmarkGCPerObject indexes.
const gcObjects = 200_000

// gcIndex builds an index of n objects shaped as the hub stores them: an
// indicator naming two values, from one of a few members and keys, with its
// own Sharing message (as decoded from the stream), accepted at its own time.
func gcIndex(n int) *Index {
	x := New(Config{})
	for i := range n {
		o := &Object{ID: fmt.Sprintf("indicator--%08d-0000-4000-8000-000000000000", i), Type: "indicator",
			Modified: t0.Add(time.Duration(i) * time.Millisecond), ValidFrom: t0, Confidence: 80,
			Source: Source{MemberID: fmt.Sprintf("member-%d", i%8), KeyID: fmt.Sprintf("key-%d", i%16), Cursor: uint64(i + 1),
				AcceptedAt: t0.Add(time.Duration(i) * time.Millisecond),
				Sharing:    &stixhubv1.Sharing{Tlp: "amber", Groups: []string{"finance"}}},
			Entries: []Entry{
				{Observable{TypeWallet, benchWallet(i)}, "cryptocurrency-wallet:value ="},
				{Observable{TypeIPv4, benchIP(i).String()}, "ipv4-addr:value ="},
			}}
		x.Add(o)
	}
	return x
}

// BenchmarkGCPerObject is one full garbage collection with an index of
// gcObjects objects live; it reports the heap the GC scans per indexed
// object (scan-B/obj, the index's share: with it minus without it).
func BenchmarkGCPerObject(b *testing.B) {
	before, _ := heapstat.AfterGC()
	x := gcIndex(gcObjects)
	after, _ := heapstat.AfterGC()
	for b.Loop() {
		runtime.GC()
	}
	b.ReportMetric(float64(int64(after)-int64(before))/gcObjects, "scan-B/obj")
	runtime.KeepAlive(x)
}
