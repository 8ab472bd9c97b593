package stix

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// benchIndicator is a typical indicator as publishers send it, marked
// TLP:AMBER; the stix, marking and jsonscan benchmarks share it. A missing
// file makes the benchmarks fail on empty input.
var benchIndicator, _ = os.ReadFile("../../testdata/stix/bench/indicator.json")

// BenchmarkParseIndicator measures Parse on the hub's hot path.
func BenchmarkParseIndicator(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchIndicator)))
	for b.Loop() {
		if _, err := Parse(benchIndicator); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseValidIndicator is BenchmarkParseIndicator for text known
// to be valid, as the publish path parses after canonicalizing.
func BenchmarkParseValidIndicator(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchIndicator)))
	for b.Loop() {
		if _, err := ParseValidWithOptions(benchIndicator, ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeMapBaseline is the reference Parse is measured against:
// decoding the same indicator into a map with encoding/json, which alone
// does no validation and cannot see duplicate names.
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

// BenchmarkReadObjectsBundle measures splitting a large real bundle.
func BenchmarkReadObjectsBundle(b *testing.B) {
	data, err := os.ReadFile("../../testdata/stix/attack/ics-attack-18.1.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ReadObjects(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseCorpus measures Parse over every object of the OASIS
// examples and the ATT&CK for ICS bundle, the mix a bulk import sees. It
// reports objects validated per second; the one known-bad object is parsed
// like the others.
func BenchmarkParseCorpus(b *testing.B) {
	objs := corpusObjects(b)
	var size int64
	for _, o := range objs {
		size += int64(len(o))
	}
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		for _, o := range objs {
			_, _ = Parse(o)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(objs))/b.Elapsed().Seconds(), "objects/s")
}

// corpusObjects returns the raw objects of the real test data.
func corpusObjects(tb testing.TB) []json.RawMessage {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(oasisDir, "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	files = append(files, "../../testdata/stix/attack/ics-attack-18.1.json")
	var objs []json.RawMessage
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		raws, err := ReadObjects(bytes.NewReader(data))
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		objs = append(objs, raws...)
	}
	return objs
}

// benchGranular is benchIndicator with granular markings: TLP:RED on the
// description and an external id, TLP:AMBER on a label, and a language.
var benchGranular = bytes.Replace(benchIndicator, []byte(`"object_marking_refs"`), []byte(`"granular_markings": [
    {"marking_ref": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "selectors": ["description", "external_references.[0].external_id"]},
    {"marking_ref": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "selectors": ["labels.[1]"]},
    {"lang": "en", "selectors": ["name"]}],
  "object_marking_refs"`), 1)

// BenchmarkParseGranular measures Parse on an indicator with granular
// markings, whose selectors it resolves.
func BenchmarkParseGranular(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchGranular)))
	for b.Loop() {
		if _, err := Parse(benchGranular); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseManySelectors measures Parse on a hostile object of about
// 500 KB: 20,000 selectors into the far end of a list of 40,000 labels.
// Resolving each selector from scratch would walk the list 20,000 times.
func BenchmarkParseManySelectors(b *testing.B) {
	const items, selectors = 40000, 20000
	last := `"labels.[` + strconv.Itoa(items-1) + `]"`
	obj := object(edit(indicator, map[string]string{
		"labels": `["x"` + strings.Repeat(`,"x"`, items-1) + `]`,
		"granular_markings": `[{"marking_ref": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "selectors": [` +
			last + strings.Repeat(","+last, selectors-1) + `]}]`,
	}))
	b.ReportAllocs()
	b.SetBytes(int64(len(obj)))
	for b.Loop() {
		if _, err := Parse(obj); err != nil {
			b.Fatal(err)
		}
	}
}
