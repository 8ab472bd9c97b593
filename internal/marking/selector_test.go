package marking

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// specVulnerability is the example object of STIX 2.1 section 7.2.3.1
// (selector syntax), plus a dictionary, an extension and a nested list.
const specVulnerability = `{
  "id": "vulnerability--ee916c28-c7a4-4d0d-ad56-a8d357f89fef",
  "created": "2016-02-14T00:00:00.000Z",
  "modified": "2016-02-14T00:00:00.000Z",
  "type": "vulnerability",
  "name": "CVE-2014-0160",
  "description": "The (1) TLS...",
  "external_references": [{
    "source_name": "cve",
    "external_id": "CVE-2014-0160",
    "hashes": {"SHA-256": "6db2f1d6b3a4f9e1fbb2c0a1d1e1f0e7b2c3d4e5f60718293a4b5c6d7e8f9a0b"}
  }],
  "labels": ["heartbleed", "has-logo"],
  "x_matrix": [[1, 2], [3]],
  "extensions": {"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": {"extension_type": "property-extension", "rank": 5}},
  "x_empty_list": [],
  "x_empty_object": {}
}`

func TestResolveSelector(t *testing.T) {
	tests := []struct {
		selector string
		want     string // raw JSON selected
	}{
		{"description", `"The (1) TLS..."`},
		{"external_references.[0].source_name", `"cve"`},
		{"labels.[0]", `"heartbleed"`},
		{"labels.[1]", `"has-logo"`},
		{"labels", `["heartbleed", "has-logo"]`},
		{"external_references.[0].hashes.SHA-256", `"6db2f1d6b3a4f9e1fbb2c0a1d1e1f0e7b2c3d4e5f60718293a4b5c6d7e8f9a0b"`},
		{"x_matrix.[1].[0]", `3`},
		{"x_matrix.[0].[1]", `2`},
		{"x_matrix.[0]", `[1, 2]`},
		{"extensions.extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e.rank", `5`},
		{"x_empty_list", `[]`},
		{"x_empty_object", `{}`},
		{"id", `"vulnerability--ee916c28-c7a4-4d0d-ad56-a8d357f89fef"`},
	}
	for _, tt := range tests {
		got, err := ResolveSelector([]byte(specVulnerability), tt.selector)
		if err != nil || string(got) != tt.want {
			t.Errorf("ResolveSelector(%q) = %s, %v; want %s", tt.selector, got, err, tt.want)
		}
	}
}

func TestResolveSelectorErrors(t *testing.T) {
	tests := []struct {
		name, selector, reason string
	}{
		{"missing property", "pattern", "the object has no property pattern"},
		{"missing nested property", "external_references.[0].url", "external_references.[0] has no property url"},
		{"index out of range", "labels.[2]", "labels has 2 items, no [2]"},
		{"index into one item", "external_references.[1].source_name", "external_references has 1 item, no [1]"},
		{"index into empty list", "x_empty_list.[0]", "x_empty_list has 0 items, no [0]"},
		{"index into a string", "description.[0]", "description is a string, not a list"},
		{"property of a list", "labels.first", "labels is a list, not an object"},
		{"property of a string", "name.length", "name is a string, not an object"},
		{"property of a number", "x_matrix.[0].[1].x", "x_matrix.[0].[1] is a number, not an object"},
		{"index at the root", "[0]", "the object is not a list"},
		{"wrong case", "Description", "the object has no property Description"},
		{"empty selector", "", "empty selector"},
		{"empty component", "labels..[0]", "empty component"},
		{"trailing dot", "labels.", "empty component"},
		{"leading dot", ".labels", "empty component"},
		{"index without dot", "labels[0]", `component "labels[0]" is neither a property name nor a list index like [0]`},
		{"negative index", "labels.[-1]", `component "[-1]" is neither`},
		{"empty index", "labels.[]", `component "[]" is neither`},
		{"leading zero", "labels.[01]", `component "[01]" is neither`},
		{"unclosed index", "labels.[0", `component "[0" is neither`},
		{"huge index", "labels.[99999999999999999999]", `component "[99999999999999999999]" is neither`},
		{"ten-digit index", "labels.[1000000000]", `component "[1000000000]" is neither`},
		{"nine-digit index", "labels.[999999999]", "labels has 2 items, no [999999999]"},
		{"plus sign", "labels.[+1]", `component "[+1]" is neither`},
		{"space in index", "labels.[ 1]", `component "[ 1]" is neither`},
		{"key too long", "x_" + strings.Repeat("k", 249), `component "x_kkkkkkkkkkkkkk…" has 251 characters; property names and dictionary keys have at most 250`},
		{"space in name", "external references", `component "external references" is neither`},
		{"quote in name", `"labels"`, `is neither`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveSelector([]byte(specVulnerability), tt.selector)
			var se *SelectorError
			if !errors.As(err, &se) {
				t.Fatalf("ResolveSelector(%q) = %s, %v; want a *SelectorError", tt.selector, got, err)
			}
			if se.Selector != tt.selector || !strings.Contains(se.Reason, tt.reason) {
				t.Errorf("error %+v, want selector %q and reason containing %q", se, tt.selector, tt.reason)
			}
			if !strings.Contains(err.Error(), strconv.Quote(tt.selector)) {
				t.Errorf("error %q does not name the selector", err)
			}
		})
	}
}

// TestResolveSelectorNames: names are compared after unescaping, exactly,
// and a name given twice is ambiguous.
func TestResolveSelectorNames(t *testing.T) {
	obj := `{"de\u0073cription": "escaped", "Name": "upper", "x": 1, "x": 2}`
	if got, err := ResolveSelector([]byte(obj), "description"); err != nil || string(got) != `"escaped"` {
		t.Errorf("escaped name: %s, %v", got, err)
	}
	if _, err := ResolveSelector([]byte(obj), "name"); err == nil {
		t.Error(`"name" selected "Name"`)
	}
	_, err := ResolveSelector([]byte(obj), "x")
	var se *SelectorError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "has property x twice") {
		t.Errorf("duplicate name: %v", err)
	}
}

// TestResolveSelectorKeyLength: a component is a property name or dictionary
// key, at most 250 characters, as internal/stix requires of the object's own
// names; a longer name in custom content cannot be selected.
func TestResolveSelectorKeyLength(t *testing.T) {
	k250, k251 := strings.Repeat("k", 250), strings.Repeat("k", 251)
	obj := `{"x_custom": {"` + k250 + `": 1, "` + k251 + `": 2}}`
	if got, err := ResolveSelector([]byte(obj), "x_custom."+k250); err != nil || string(got) != "1" {
		t.Errorf("250 characters: %s, %v", got, err)
	}
	_, err := ResolveSelector([]byte(obj), "x_custom."+k251)
	var se *SelectorError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "has 251 characters") {
		t.Errorf("251 characters: %v", err)
	}
}

func TestResolveSelectorNotAnObject(t *testing.T) {
	for _, obj := range []string{``, `[1]`, `"s"`, `{"a":`, `{"a":1}x`, `{"a" 1}`} {
		if _, err := ResolveSelector([]byte(obj), "a"); err == nil || errors.As(err, new(*SelectorError)) {
			t.Errorf("ResolveSelector(%q) = %v, want a non-selector error", obj, err)
		}
	}
	// Surrounding whitespace is fine.
	if got, err := ResolveSelector([]byte(" \n{\"a\": [true]}\t"), "a.[0]"); err != nil || string(got) != "true" {
		t.Errorf("with whitespace: %s, %v", got, err)
	}
}

// TestResolveSelectorBudget: a crafted object, deeply nested lists walked by
// a long selector, costs quadratic time to resolve; the scan budget stops it.
func TestResolveSelectorBudget(t *testing.T) {
	const depth = 9000 // json.Valid allows 10000
	obj := `{"a":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "}"
	selector := "a" + strings.Repeat(".[0]", depth-1)
	_, err := ResolveSelector([]byte(obj), selector)
	if !errors.Is(err, ErrTooCostly) {
		t.Fatalf("err = %v, want ErrTooCostly", err)
	}
	// The same shape, shallow, resolves.
	obj = `{"a":` + strings.Repeat("[", 50) + strings.Repeat("]", 50) + "}"
	if _, err := ResolveSelector([]byte(obj), "a"+strings.Repeat(".[0]", 49)); err != nil {
		t.Fatalf("shallow: %v", err)
	}
}

// TestSelectors: one Selectors answers like ResolveSelector, call after call,
// including for content it has already indexed.
func TestSelectors(t *testing.T) {
	s, err := NewSelectors([]byte(specVulnerability))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for _, sel := range []string{"labels.[1]", "labels.[0]", "labels.[2]", "external_references.[0].hashes.SHA-256", "external_references.[0].url", "x_matrix.[1].[0]"} {
			got, err := s.Resolve(sel)
			want, wantErr := ResolveSelector([]byte(specVulnerability), sel)
			if string(got) != string(want) || (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
				t.Errorf("Resolve(%q) = %s, %v; ResolveSelector = %s, %v", sel, got, err, want, wantErr)
			}
		}
	}
	for _, obj := range []string{`[]`, `{`, ``} {
		if _, err := NewSelectors([]byte(obj)); err == nil {
			t.Errorf("NewSelectors(%q) succeeded", obj)
		}
	}
}

// TestSelectorsLargeContainers: objects of more members than are searched in
// order, lists and objects past the first buffers, and more containers than
// are held without a map all resolve as encoding/json reads them, before and
// after the index grows.
func TestSelectorsLargeContainers(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"big": {`)
	for i := range 3 * smallObject {
		fmt.Fprintf(&b, `"k%d": %d, `, i, i)
	}
	b.WriteString(`"dup": 1, "k7x": [], "dup": 2, "trip": 1, "trip": 2, "trip": 3}, "lists": [`)
	for i := range 12 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `[%d, [%d, %d]]`, i, i, i+1)
	}
	b.WriteString(`]}`)
	obj := []byte(b.String())

	var sels []string
	for i := range 3 * smallObject {
		sels = append(sels, "big.k"+strconv.Itoa(i))
	}
	sels = append(sels, "big.k7x", "big.k", "big.k1000", "big.a", "big.zzz", "big.dup", "big.trip")
	for i := range 13 {
		sels = append(sels, fmt.Sprintf("lists.[%d].[1].[1]", i), fmt.Sprintf("lists.[%d]", i))
	}
	s, err := NewSelectors(obj)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		for _, sel := range sels {
			got, err := s.Resolve(sel)
			ref, refErr := referenceResolve(obj, sel)
			var se *SelectorError
			switch {
			case sel == "big.dup" || sel == "big.trip":
				if !errors.As(err, &se) || !strings.Contains(se.Reason, "twice") {
					t.Errorf("round %d: Resolve(%q) = %s, %v; want a name given twice", round, sel, got, err)
				}
			case refErr != nil:
				if !errors.As(err, &se) {
					t.Errorf("round %d: Resolve(%q) = %s, %v; want a *SelectorError", round, sel, got, err)
				}
			case err != nil:
				t.Errorf("round %d: Resolve(%q) = %v; encoding/json finds %v", round, sel, err, ref)
			default:
				d := json.NewDecoder(bytes.NewReader(got))
				d.UseNumber()
				var v any
				if err := d.Decode(&v); err != nil || !reflect.DeepEqual(v, ref) {
					t.Errorf("round %d: Resolve(%q) = %s; encoding/json finds %v", round, sel, got, ref)
				}
			}
		}
	}
}
