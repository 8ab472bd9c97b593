package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validDir holds hand-made valid objects: minimal.json has the smallest
// valid object of every STIX 2.1 type; full.json has objects that use every
// property of their type, every predefined extension, TLP markings, custom
// content and extension-definition based extensions; extension-types.json
// has objects of types defined by an extension-definition.
const validDir = "testdata/valid"

// readObjects returns the objects of a test data file.
func readObjects(tb testing.TB, path string) []json.RawMessage {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	raws, err := ReadObjects(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return raws
}

// objectType returns the type of the raw object.
func objectType(tb testing.TB, raw []byte) string {
	tb.Helper()
	var head struct{ Type string }
	if err := json.Unmarshal(raw, &head); err != nil {
		tb.Fatal(err)
	}
	return head.Type
}

func TestValidObjects(t *testing.T) {
	for _, file := range []string{"minimal.json", "full.json"} {
		t.Run(file, func(t *testing.T) {
			for i, raw := range readObjects(t, filepath.Join(validDir, file)) {
				if _, err := Parse(raw); err != nil {
					t.Errorf("object %d (%s): %v", i, objectType(t, raw), err)
				}
			}
		})
	}
}

func TestMinimalObjectOfEveryType(t *testing.T) {
	seen := map[string]bool{}
	for _, raw := range readObjects(t, filepath.Join(validDir, "minimal.json")) {
		seen[objectType(t, raw)] = true
	}
	for name := range typeSpecs {
		if !seen[name] {
			t.Errorf("minimal.json has no %s", name)
		}
	}
	if len(typeSpecs) != 42 {
		t.Errorf("%d type specs, want the 42 types of STIX 2.1", len(typeSpecs))
	}
}

func TestRuleHashes(t *testing.T) {
	check := func(where string, rules []propRule) {
		for _, r := range rules {
			if r.hash != hashName(r.name) {
				t.Errorf("%s: rule %s has hash %d, want hashName = %d", where, r.name, r.hash, hashName(r.name))
			}
		}
	}
	check("common", commonProps)
	for name, spec := range typeSpecs {
		check(name, spec.props)
	}
}

func TestTypeClassesAgreeWithSpecs(t *testing.T) {
	if len(typeClasses) != len(typeSpecs) {
		t.Errorf("typeClasses has %d types, typeSpecs %d", len(typeClasses), len(typeSpecs))
	}
	for name, spec := range typeSpecs {
		if typeClasses[name] != spec.class {
			t.Errorf("%s: typeClasses says class %d, typeSpecs %d", name, typeClasses[name], spec.class)
		}
	}
}

func TestExtensionDefinedTypes(t *testing.T) {
	known := func(typ string) bool { return strings.HasPrefix(typ, "my-favorite-") }
	for i, raw := range readObjects(t, filepath.Join(validDir, "extension-types.json")) {
		typ := objectType(t, raw)
		if _, err := ParseWithOptions(raw, ParseOptions{KnownType: known}); err != nil {
			t.Errorf("object %d (%s) with KnownType: %v", i, typ, err)
		}
		_, err := Parse(raw)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Violations[0].Field != "type" || !strings.Contains(ve.Violations[0].Description, "unknown STIX type") {
			t.Errorf("object %d (%s) without KnownType: error %v, want unknown STIX type", i, typ, err)
		}
	}
}
