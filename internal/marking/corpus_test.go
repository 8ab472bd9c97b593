package marking

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The repository's shared STIX test data.
const (
	oasisDir   = "../../testdata/stix/oasis"
	attackFile = "../../testdata/stix/attack/ics-attack-18.1.json"
)

// The statement marking MITRE puts on every ATT&CK object.
const attackCopyright = "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168"

// corpusObjects returns the objects of a bundle or single-object file.
func corpusObjects(t *testing.T, file string) []json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var top struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if top.Type == "bundle" {
		return top.Objects
	}
	return []json.RawMessage{data}
}

// TestCorpus computes the markings of every object of the OASIS examples and
// of MITRE ATT&CK for ICS, with the marking-definitions each file carries as
// the Resolver, as the hub would have them after accepting the file.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(oasisDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test data in %s: %v", oasisDir, err)
	}
	files = append(files, attackFile)

	// What is marked, by file and object id; every other object is unmarked.
	want := map[string]map[string]Result{
		"interop-objectmarking-test.json": {
			// TLP 1.0 RED, and an id one digit away from it that no one
			// defines: reported, not mistaken for RED.
			"campaign--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061": {
				TLP:     Red,
				Unknown: []string{"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ec"},
			},
		},
	}
	wantCounts := map[string]int{"ics-attack-18.1.json": 1826, "poisonivy.json": 155, "apt1.json": 76}

	for _, file := range files {
		base := filepath.Base(file)
		t.Run(base, func(t *testing.T) {
			objects := corpusObjects(t, file)
			if n, ok := wantCounts[base]; ok && len(objects) != n {
				t.Fatalf("%d objects, want %d", len(objects), n)
			}
			known := defs{}
			for _, o := range objects {
				var head struct{ Type string }
				if err := json.Unmarshal(o, &head); err != nil {
					t.Fatal(err)
				}
				if head.Type != "marking-definition" {
					continue
				}
				if problems := Validate(o); len(problems) > 0 {
					t.Errorf("Validate(%s) = %v", o, problems)
				}
				d, err := ParseDefinition(o)
				if err != nil {
					t.Fatal(err)
				}
				known[d.ID] = d
			}

			marked := 0
			for _, o := range objects {
				var head struct{ ID string }
				if err := json.Unmarshal(o, &head); err != nil {
					t.Fatal(err)
				}
				got, err := Effective(o, known)
				if err != nil {
					t.Errorf("%s: %v", head.ID, err)
					continue
				}
				exp, ok := want[base][head.ID]
				if base == filepath.Base(attackFile) && head.ID != attackCopyright {
					exp, ok = Result{Statements: []string{attackCopyright}}, true
				}
				if !reflect.DeepEqual(*got, exp) {
					t.Errorf("%s: Effective = %+v, want %+v", head.ID, *got, exp)
				}
				if ok {
					marked++
				}
			}
			wantMarked := len(want[base])
			if base == filepath.Base(attackFile) {
				wantMarked = 1825 // all but the marking-definition itself
			}
			if marked != wantMarked {
				t.Errorf("%d marked objects, want %d", marked, wantMarked)
			}
		})
	}
}

// TestCorpusWithoutResolver: without the bundle's own marking-definition,
// ATT&CK's copyright statement is an unknown marking, never taken for a TLP.
func TestCorpusWithoutResolver(t *testing.T) {
	unknown := 0
	for _, o := range corpusObjects(t, attackFile) {
		got, err := Effective(o, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.TLP != Unknown || got.Statements != nil || got.Granular != nil {
			t.Fatalf("Effective = %+v", *got)
		}
		switch {
		case reflect.DeepEqual(got.Unknown, []string{attackCopyright}):
			unknown++
		case got.Unknown != nil:
			t.Fatalf("Unknown = %v", got.Unknown)
		}
	}
	if unknown != 1825 {
		t.Errorf("%d objects with the copyright as unknown marking, want 1825", unknown)
	}
}
