package stix

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// oasisDir holds the OASIS STIX 2.1 examples shared by the repository.
const oasisDir = "../../testdata/stix/oasis"

// knownBad lists the objects of the real test data that genuinely break a
// rule, keyed by file and id, with the violation they must be rejected for.
// Keep it short and explain each entry: anything else in the corpus failing
// is a bug in the validator.
var knownBad = map[string]Violation{}

// TestParseRealData parses every object of the OASIS examples and of MITRE
// ATT&CK for ICS, which uses custom x-mitre-* object types.
func TestParseRealData(t *testing.T) {
	oasis, err := filepath.Glob(filepath.Join(oasisDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(oasis) == 0 {
		t.Fatalf("no test data in %s", oasisDir)
	}
	files := append(oasis, filepath.Join("..", "..", "testdata", "stix", "attack", "ics-attack-18.1.json"))
	wantCounts := map[string]int{
		"apt1.json":            76,
		"poisonivy.json":       155,
		"ics-attack-18.1.json": 1826,
	}
	bad := 0
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			raws, err := ReadObjects(f)
			if err != nil {
				t.Fatalf("ReadObjects: %v", err)
			}
			if want, ok := wantCounts[name]; ok && len(raws) != want {
				t.Errorf("ReadObjects returned %d objects, want %d", len(raws), want)
			}
			for i, raw := range raws {
				var head struct{ ID string }
				if err := json.Unmarshal(raw, &head); err != nil {
					t.Fatalf("object %d: %v", i, err)
				}
				obj, err := Parse(raw)
				var ve *ValidationError
				if errors.As(err, &ve) {
					want, ok := knownBad[name+" "+head.ID]
					if ok && len(ve.Violations) == 1 && ve.Violations[0].Field == want.Field &&
						strings.Contains(ve.Violations[0].Description, want.Description) {
						bad++
						continue
					}
				}
				if err != nil {
					t.Errorf("object %d: %v", i, err)
					continue
				}
				if _, ok := knownBad[name+" "+head.ID]; ok {
					t.Errorf("object %d (%s) is listed in knownBad but parses", i, obj.ID)
				}
				if !strings.HasPrefix(obj.ID, obj.Type+"--") {
					t.Errorf("object %d: id %q does not start with type %q", i, obj.ID, obj.Type)
				}
			}
		})
	}
	if bad != len(knownBad) {
		t.Errorf("%d known-bad objects rejected as expected, want %d", bad, len(knownBad))
	}
}
