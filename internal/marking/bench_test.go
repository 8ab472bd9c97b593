package marking

import (
	"encoding/json"
	"os"
	"testing"
)

// benchIndicator is a typical indicator as publishers send it, marked
// TLP:AMBER; the stix, marking and jsonscan benchmarks share it. A missing
// file makes the benchmarks fail on empty input.
var benchIndicator, _ = os.ReadFile("../../testdata/stix/bench/indicator.json")

// BenchmarkEffective measures Effective on an indicator with an object
// marking, the common case on the publish path.
func BenchmarkEffective(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchIndicator)))
	for b.Loop() {
		r, err := Effective(benchIndicator, nil)
		if err != nil || r.TLP != Amber {
			b.Fatal(r, err)
		}
	}
}

// BenchmarkEffectiveGranular measures an indicator with a statement and
// three granular markings, the uncommon case.
func BenchmarkEffectiveGranular(b *testing.B) {
	obj := indicator(refs(tlp2Green, copyrightID), `"granular_markings": [
    {"marking_ref": "`+tlp2Red+`", "selectors": ["description", "external_references.[0].url"]},
    {"marking_ref": "`+tlp2Amber+`", "selectors": ["labels.[1]"]},
    {"lang": "en", "selectors": ["name"]}]`)
	b.ReportAllocs()
	b.SetBytes(int64(len(obj)))
	for b.Loop() {
		r, err := Effective(obj, testDefs)
		if err != nil || len(r.Granular) != 4 {
			b.Fatal(r, err)
		}
	}
}

// BenchmarkDecodeMapBaseline is the reference to compare with, in the same
// run: decoding the indicator into a map with encoding/json, which is what
// computing the markings the easy way would cost.
func BenchmarkDecodeMapBaseline(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchIndicator)))
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(benchIndicator, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidJSON is json.Valid alone on the indicator: Effective's
// floor, since it checks the whole text before reading markings.
func BenchmarkValidJSON(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchIndicator)))
	for b.Loop() {
		if !json.Valid(benchIndicator) {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkEffectiveValid is BenchmarkEffective without the validation
// pass, as the publish path calls it on canonical text.
func BenchmarkEffectiveValid(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchIndicator)))
	for b.Loop() {
		r, err := EffectiveValid(benchIndicator, nil)
		if err != nil || r.TLP != Amber {
			b.Fatal(r, err)
		}
	}
}
