package jsonscan

import (
	"encoding/json"
	"os"
	"testing"
	"unicode/utf8"
)

// benchIndicator is a typical indicator as publishers send it, marked
// TLP:AMBER; the stix, marking and jsonscan benchmarks share it. A missing
// file makes the benchmarks fail on empty input.
var benchIndicator, _ = os.ReadFile("../../testdata/stix/bench/indicator.json")

// BenchmarkValid measures Valid on the indicator.
func BenchmarkValid(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchIndicator)))
	for b.Loop() {
		if !Valid(benchIndicator) {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkStdValidBaseline is what Valid replaces, in the same run:
// json.Valid followed by utf8.Valid.
func BenchmarkStdValidBaseline(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchIndicator)))
	for b.Loop() {
		if !json.Valid(benchIndicator) || !utf8.Valid(benchIndicator) {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkObjectIter measures walking the indicator's members and
// unquoting their names, what a reader of one property does.
func BenchmarkObjectIter(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchIndicator)))
	for b.Loop() {
		it := NewObjectIter(benchIndicator)
		n := 0
		for it.Next() {
			if name, _ := String(it.Name()); string(name) == "object_marking_refs" {
				n++
			}
		}
		if n != 1 || it.Err() != nil {
			b.Fatal(n, it.Err())
		}
	}
}
