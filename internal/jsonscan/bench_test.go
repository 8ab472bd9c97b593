package jsonscan

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// benchIndicator is a typical indicator as publishers send it, the object
// internal/stix and internal/marking benchmark with.
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
