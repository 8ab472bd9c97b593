package marking

import (
	"encoding/json"
	"testing"
)

// benchIndicator is a typical indicator as publishers send it, the same one
// internal/stix benchmarks Parse with, marked TLP:AMBER.
var benchIndicator = []byte(`{
  "type": "indicator",
  "spec_version": "2.1",
  "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
  "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
  "created": "2016-04-06T20:03:48.000Z",
  "modified": "2016-04-06T20:03:48.000Z",
  "indicator_types": ["malicious-activity"],
  "name": "Poison Ivy Malware",
  "description": "This file is part of Poison Ivy",
  "pattern": "[ file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877' ]",
  "pattern_type": "stix",
  "valid_from": "2016-01-01T00:00:00Z",
  "valid_until": "2027-01-01T00:00:00Z",
  "confidence": 85,
  "labels": ["finance", "tlp-amber"],
  "external_references": [{"source_name": "capec", "external_id": "CAPEC-163"}],
  "object_marking_refs": ["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]
}`)

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
