package store

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stixhub/stixhub/internal/heapstat"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// gcIDs is how many ids BenchmarkIndexPerObject indexes.
const gcIDs = 200_000

// gcIndex builds an id index of n objects shaped as a hub's: one version
// each, from one of a few members, with one of two sharings read from each
// message's header.
func gcIndex(n int) *index {
	x := newIndex()
	shs := []string{
		encodeSharing(&stixhubv1.Sharing{Tlp: "amber", Groups: []string{"finance"}}),
		encodeSharing(&stixhubv1.Sharing{Tlp: "green"}),
	}
	for i := range n {
		x.observe(fmt.Sprintf("indicator--%08x-4e5f-4a3c-9d51-6f7e2c1a9b10", i), fmt.Sprintf("20260101000000%09d", i),
			fmt.Sprintf("member--%08d-0000-4000-8000-000000000000", i%8), uint64(i+1), shs[i%2])
	}
	return x
}

// BenchmarkIndexPerObject is one full garbage collection with an id index of
// gcIDs objects live. It reports, per indexed object, the heap the GC scans
// (scan-B/obj) and the live heap (live-B/obj): the index's share, with it
// minus without it.
func BenchmarkIndexPerObject(b *testing.B) {
	scan0, live0 := heapstat.AfterGC()
	x := gcIndex(gcIDs)
	scan1, live1 := heapstat.AfterGC()
	for b.Loop() {
		runtime.GC()
	}
	b.ReportMetric(float64(int64(scan1)-int64(scan0))/gcIDs, "scan-B/obj")
	b.ReportMetric(float64(int64(live1)-int64(live0))/gcIDs, "live-B/obj")
	runtime.KeepAlive(x)
}
