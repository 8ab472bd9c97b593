// Package heapstat reads what a garbage collection leaves: the benchmarks
// that measure how much of the heap a structure costs the collector use it.
package heapstat

import (
	"runtime"
	"runtime/metrics"
)

// AfterGC runs a full garbage collection and returns /gc/scan/heap:bytes
// (the heap the collector scans for pointers) and /gc/heap/live:bytes.
func AfterGC() (scan, live uint64) {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}
