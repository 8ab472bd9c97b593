package marking

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestTLPOrderAndString(t *testing.T) {
	levels := []TLP{Unknown, Clear, Green, Amber, AmberStrict, Red}
	names := []string{"unknown", "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}
	for i, level := range levels {
		if got := level.String(); got != names[i] {
			t.Errorf("%d.String() = %q, want %q", int(level), got, names[i])
		}
		if i > 0 && !(levels[i-1] < level) {
			t.Errorf("%v is not more restrictive than %v", level, levels[i-1])
		}
	}
	if got := TLP(42).String(); got != "TLP(42)" {
		t.Errorf("TLP(42).String() = %q", got)
	}
}

func TestParseTLP(t *testing.T) {
	for in, want := range map[string]TLP{
		"TLP:CLEAR": Clear, "clear": Clear, "TLP:WHITE": Clear, "white": Clear,
		"tlp:green": Green, "AMBER": Amber, " TLP:AMBER+STRICT ": AmberStrict,
		"amber+strict": AmberStrict, "Tlp:Red": Red,
	} {
		got, err := ParseTLP(in)
		if err != nil || got != want {
			t.Errorf("ParseTLP(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "unknown", "TLP:", "amber strict", "TLP:PURPLE", "TLP:AMBER+"} {
		if got, err := ParseTLP(in); err == nil {
			t.Errorf("ParseTLP(%q) = %v, want an error", in, got)
		}
	}
	// Every level's label reads back as the level.
	for _, level := range []TLP{Clear, Green, Amber, AmberStrict, Red} {
		if got, err := ParseTLP(level.String()); err != nil || got != level {
			t.Errorf("ParseTLP(%q) = %v, %v", level.String(), got, err)
		}
	}
}

func TestLookupTLP(t *testing.T) {
	tests := []struct {
		id   string
		want TLP
		ok   bool
	}{
		// TLP 2.0
		{"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", Clear, true},
		{"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", Green, true},
		{"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", Amber, true},
		{"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", AmberStrict, true},
		{"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", Red, true},
		// TLP 1.0 maps onto the same levels.
		{"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", Clear, true},
		{"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", Green, true},
		{"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", Amber, true},
		{"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", Red, true},
		// Near misses are not TLP markings: one digit off (the OASIS
		// interop example uses this one), upper case, no prefix.
		{"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ec", Unknown, false},
		{"marking-definition--E828B379-4E03-4974-9AC4-E53A884C97C1", Unknown, false},
		{"e828b379-4e03-4974-9ac4-e53a884c97c1", Unknown, false},
		{"", Unknown, false},
	}
	for _, tt := range tests {
		got, ok := LookupTLP(tt.id)
		if got != tt.want || ok != tt.ok {
			t.Errorf("LookupTLP(%q) = %v, %v; want %v, %v", tt.id, got, ok, tt.want, tt.ok)
		}
	}
	for _, level := range []TLP{Clear, Green, Amber, AmberStrict, Red} {
		if got, ok := LookupTLP(level.ID()); !ok || got != level {
			t.Errorf("LookupTLP(%v.ID()) = %v, %v", level, got, ok)
		}
	}
	if Unknown.ID() != "" {
		t.Errorf("Unknown.ID() = %q", Unknown.ID())
	}
}

// TestBuiltinMatchesPublished compares every built-in marking-definition
// with the text its publisher wrote (testdata/published), as JSON values:
// same properties, same values, nothing more, nothing less.
func TestBuiltinMatchesPublished(t *testing.T) {
	files, err := filepath.Glob("testdata/published/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no published definitions: %v", err)
	}
	published := map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var objects []map[string]any
		var bundle struct {
			Objects []map[string]any `json:"objects"`
		}
		if json.Unmarshal(data, &objects) != nil {
			if err := json.Unmarshal(data, &bundle); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			objects = bundle.Objects
		}
		for _, o := range objects {
			published[o["id"].(string)] = o
		}
	}
	if len(published) != 9 {
		t.Fatalf("%d published definitions, want 9", len(published))
	}

	defs := Builtin()
	if len(defs) != len(published) {
		t.Fatalf("Builtin() has %d definitions, want %d", len(defs), len(published))
	}
	for _, def := range defs {
		var got map[string]any
		if err := json.Unmarshal(def, &got); err != nil {
			t.Fatalf("built-in %s is not JSON: %v", def, err)
		}
		id, _ := got["id"].(string)
		want, ok := published[id]
		if !ok {
			t.Errorf("built-in %s was not published", id)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("built-in %s\n got %v\nwant %v", id, got, want)
		}
		delete(published, id)
	}
	if len(published) > 0 {
		t.Errorf("published but not built in: %v", published)
	}
}

// TestBuiltinMeaning: each built-in is a valid marking-definition whose
// content says the level its id maps to, with the level's name.
func TestBuiltinMeaning(t *testing.T) {
	seen := map[TLP]int{}
	for _, def := range Builtin() {
		d, err := ParseDefinition(def)
		if err != nil {
			t.Fatalf("%s: %v", def, err)
		}
		level, ok := LookupTLP(d.ID)
		if !ok || d.Kind != KindTLP || d.TLP != level {
			t.Errorf("%s: parsed %+v, LookupTLP = %v, %v", d.ID, d, level, ok)
		}
		var o struct{ Name string }
		if err := json.Unmarshal(def, &o); err != nil {
			t.Fatal(err)
		}
		if !isTLP1(d.ID) && o.Name != level.String() {
			t.Errorf("%s: name %q, want %q", d.ID, o.Name, level.String())
		}
		if isTLP1(d.ID) && o.Name != tlp1Label(level) {
			t.Errorf("%s: name %q, want %q", d.ID, o.Name, tlp1Label(level))
		}
		if !isTLP1(d.ID) && level.ID() != d.ID {
			t.Errorf("%v.ID() = %s, built-in TLP 2.0 object has %s", level, level.ID(), d.ID)
		}
		seen[level]++
	}
	want := map[TLP]int{Clear: 2, Green: 2, Amber: 2, AmberStrict: 1, Red: 2}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("levels of the built-ins = %v, want %v", seen, want)
	}
}

// TestBuiltinReturnsCopies: a caller that scribbles on the result cannot
// change what the next caller gets.
func TestBuiltinReturnsCopies(t *testing.T) {
	first := Builtin()
	orig := string(first[0])
	for i := range first[0] {
		first[0][i] = 'x'
	}
	if got := string(Builtin()[0]); got != orig {
		t.Fatalf("Builtin()[0] changed to %q", got)
	}
	if !strings.Contains(orig, `"tlp_2_0":"clear"`) {
		t.Fatalf("Builtin()[0] = %s, want TLP:CLEAR first", orig)
	}
}
