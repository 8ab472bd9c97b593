package marking

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// defs is a Resolver over a map, as the hub's store would be over the
// marking-definitions it accepted.
type defs map[string]Definition

func (d defs) MarkingDefinition(id string) (Definition, bool) {
	def, ok := d[id]
	return def, ok
}

const (
	copyrightID = "marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd"
	termsID     = "marking-definition--0a1d0c0b-2bb4-4f3e-8c66-3f4f1a5d8a11"
	papID       = "marking-definition--62fd3f9b-15f3-4ebc-802c-91fce9536bcf"
	strangerID  = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ec"
)

var testDefs = defs{
	copyrightID: {ID: copyrightID, Kind: KindStatement, Statement: "Copyright 2019, Example Corp"},
	termsID:     {ID: termsID, Kind: KindStatement, Statement: "Do not resell"},
	papID:       {ID: papID, Kind: KindOther},
}

// indicator returns a typical indicator with extra properties (raw JSON
// values) appended.
func indicator(extra ...string) []byte {
	var b strings.Builder
	b.WriteString(`{
  "type": "indicator",
  "spec_version": "2.1",
  "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
  "created": "2016-04-06T20:03:48.000Z",
  "modified": "2016-04-06T20:03:48.000Z",
  "name": "Poison Ivy Malware",
  "description": "This file is part of Poison Ivy",
  "pattern": "[ file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877' ]",
  "pattern_type": "stix",
  "valid_from": "2016-01-01T00:00:00Z",
  "labels": ["finance", "crypto"],
  "external_references": [{"source_name": "capec", "external_id": "CAPEC-163", "url": "https://capec.mitre.org/data/definitions/163.html"}]`)
	for _, e := range extra {
		b.WriteString(",\n  ")
		b.WriteString(e)
	}
	b.WriteString("\n}")
	return []byte(b.String())
}

func refs(ids ...string) string {
	return `"object_marking_refs": ["` + strings.Join(ids, `", "`) + `"]`
}

func TestEffective(t *testing.T) {
	tests := []struct {
		name string
		obj  []byte
		want Result
		max  TLP
	}{
		{
			name: "no markings",
			obj:  indicator(),
			want: Result{},
		},
		{
			name: "TLP 2.0 object marking",
			obj:  indicator(refs(tlp2Amber)),
			want: Result{TLP: Amber},
			max:  Amber,
		},
		{
			name: "TLP 1.0 WHITE is CLEAR",
			obj:  indicator(refs(tlp1White)),
			want: Result{TLP: Clear},
			max:  Clear,
		},
		{
			name: "TLP 1.0 GREEN is GREEN",
			obj:  indicator(refs(tlp1Green)),
			want: Result{TLP: Green},
			max:  Green,
		},
		{
			name: "TLP 1.0 AMBER is AMBER",
			obj:  indicator(refs(tlp1Amber)),
			want: Result{TLP: Amber},
			max:  Amber,
		},
		{
			name: "TLP 1.0 RED is RED",
			obj:  indicator(refs(tlp1Red)),
			want: Result{TLP: Red},
			max:  Red,
		},
		{
			name: "most restrictive of several wins",
			obj:  indicator(refs(tlp2Green, tlp2Red, tlp2Amber)),
			want: Result{TLP: Red},
			max:  Red,
		},
		{
			name: "AMBER+STRICT beats AMBER",
			obj:  indicator(refs(tlp2AmberStrict, tlp1Amber)),
			want: Result{TLP: AmberStrict},
			max:  AmberStrict,
		},
		{
			name: "TLP 1.0 and 2.0 mixed",
			obj:  indicator(refs(tlp1Green, tlp2Clear)),
			want: Result{TLP: Green},
			max:  Green,
		},
		{
			name: "unknown marking reported, not guessed",
			obj:  indicator(refs(strangerID)),
			want: Result{Unknown: []string{strangerID}},
		},
		{
			name: "unknown beside TLP",
			obj:  indicator(refs(tlp2Green, strangerID, strangerID)),
			want: Result{TLP: Green, Unknown: []string{strangerID}},
			max:  Green,
		},
		{
			name: "statements, each once",
			obj:  indicator(refs(copyrightID, tlp2Green, termsID, copyrightID)),
			want: Result{TLP: Green, Statements: []string{copyrightID, termsID}},
			max:  Green,
		},
		{
			name: "other known marking",
			obj:  indicator(refs(papID)),
			want: Result{Other: []string{papID}},
		},
		{
			name: "empty list",
			obj:  indicator(`"object_marking_refs": []`),
			want: Result{},
		},
		{
			name: "granular RED on description under object GREEN",
			obj: indicator(refs(tlp2Green),
				`"granular_markings": [{"marking_ref": "`+tlp2Red+`", "selectors": ["description"]}]`),
			want: Result{TLP: Green, Granular: []GranularResult{{Selector: "description", TLP: Red}}},
			max:  Red,
		},
		{
			name: "granular CLEAR cannot relax object AMBER",
			obj: indicator(refs(tlp2Amber),
				`"granular_markings": [{"marking_ref": "`+tlp2Clear+`", "selectors": ["name"]}]`),
			want: Result{TLP: Amber, Granular: []GranularResult{{Selector: "name", TLP: Amber}}},
			max:  Amber,
		},
		{
			name: "granular only",
			obj: indicator(
				`"granular_markings": [{"marking_ref": "` + tlp1Amber + `", "selectors": ["pattern", "labels.[1]"]}]`),
			want: Result{Granular: []GranularResult{{Selector: "pattern", TLP: Amber}, {Selector: "labels.[1]", TLP: Amber}}},
			max:  Amber,
		},
		{
			name: "enclosing and enclosed content",
			obj: indicator(refs(tlp2Clear), `"granular_markings": [
    {"marking_ref": "`+tlp2Green+`", "selectors": ["external_references"]},
    {"marking_ref": "`+tlp2Red+`", "selectors": ["external_references.[0].url"]},
    {"marking_ref": "`+tlp2Amber+`", "selectors": ["external_references.[0].source_name"]}]`),
			want: Result{TLP: Clear, Granular: []GranularResult{
				// The list holds the RED url, so the list as a whole is RED.
				{Selector: "external_references", TLP: Red},
				{Selector: "external_references.[0].url", TLP: Red},
				// GREEN from the enclosing list, AMBER of its own.
				{Selector: "external_references.[0].source_name", TLP: Amber},
			}},
			max: Red,
		},
		{
			name: "prefix that is not an enclosing selector",
			obj: indicator(`"x_label": "a", "x_labels": ["b"]`, `"granular_markings": [
    {"marking_ref": "`+tlp2Red+`", "selectors": ["x_label"]},
    {"marking_ref": "`+tlp2Green+`", "selectors": ["x_labels.[0]"]}]`),
			want: Result{Granular: []GranularResult{{Selector: "x_label", TLP: Red}, {Selector: "x_labels.[0]", TLP: Green}}},
			max:  Red,
		},
		{
			name: "same selector marked twice",
			obj: indicator(`"granular_markings": [
    {"marking_ref": "` + tlp2Amber + `", "selectors": ["description"]},
    {"marking_ref": "` + tlp2Green + `", "selectors": ["description"]}]`),
			want: Result{Granular: []GranularResult{{Selector: "description", TLP: Amber}}},
			max:  Amber,
		},
		{
			name: "lang granular markings",
			obj: indicator(refs(tlp2Green), `"granular_markings": [
    {"lang": "fr", "selectors": ["external_references"]},
    {"lang": "de", "selectors": ["external_references.[0].source_name"]},
    {"lang": "ja", "selectors": ["description"]}]`),
			want: Result{TLP: Green, Granular: []GranularResult{
				{Selector: "external_references", TLP: Green, Lang: "fr"},
				// The most specific language wins.
				{Selector: "external_references.[0].source_name", TLP: Green, Lang: "de"},
				{Selector: "description", TLP: Green, Lang: "ja"},
			}},
			max: Green,
		},
		{
			name: "lang and TLP on one selector",
			obj: indicator(`"granular_markings": [
    {"lang": "en", "selectors": ["name"]},
    {"marking_ref": "` + tlp2Red + `", "selectors": ["name"]}]`),
			want: Result{Granular: []GranularResult{{Selector: "name", TLP: Red, Lang: "en"}}},
			max:  Red,
		},
		{
			name: "granular statement and unknown",
			obj: indicator(refs(tlp2Amber, copyrightID), `"granular_markings": [
    {"marking_ref": "`+termsID+`", "selectors": ["pattern"]},
    {"marking_ref": "`+strangerID+`", "selectors": ["name"]},
    {"marking_ref": "`+copyrightID+`", "selectors": ["name"]}]`),
			want: Result{
				TLP:        Amber,
				Statements: []string{copyrightID, termsID},
				Unknown:    []string{strangerID},
				Granular:   []GranularResult{{Selector: "pattern", TLP: Amber}, {Selector: "name", TLP: Amber}},
			},
			max: Amber,
		},
		{
			name: "escaped property name is the same property",
			obj:  indicator(`"object\u005fmarking_refs": ["` + tlp2Red + `"]`),
			want: Result{TLP: Red},
			max:  Red,
		},
		{
			// encoding/json would decode this into an ObjectMarkingRefs
			// field; to STIX it is a custom property, not a marking.
			name: "differently cased name is not object_marking_refs",
			obj:  indicator(refs(tlp2Red), `"OBJECT_MARKING_REFS": ["`+tlp2Clear+`"]`),
			want: Result{TLP: Red},
			max:  Red,
		},
		{
			name: "markings of nested objects are content, not markings",
			obj:  indicator(`"x_inner": {"object_marking_refs": ["` + strangerID + `"]}`),
			want: Result{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Effective(tt.obj, testDefs)
			if err != nil {
				t.Fatalf("Effective: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Effective =\n %+v\nwant\n %+v", *got, tt.want)
			}
			if m := got.Max(); m != tt.max {
				t.Errorf("Max() = %v, want %v", m, tt.max)
			}
			if v, err := EffectiveValid(tt.obj, testDefs); err != nil || !reflect.DeepEqual(v, got) {
				t.Errorf("EffectiveValid = %+v, %v; Effective = %+v", v, err, got)
			}
		})
	}
}

// TestEffectiveWithoutResolver: with no Resolver only the built-ins are
// known; everything else is unknown.
func TestEffectiveWithoutResolver(t *testing.T) {
	got, err := Effective(indicator(refs(copyrightID, tlp1Amber, papID)), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{TLP: Amber, Unknown: []string{copyrightID, papID}}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("Effective = %+v, want %+v", *got, want)
	}
}

// TestEffectiveResolverTLP: a Resolver may know TLP markings of its own
// (ParseDefinition never makes one, but a caller's Resolver might).
func TestEffectiveResolverTLP(t *testing.T) {
	custom := "marking-definition--0c6ea6e4-8c4b-4a1b-9f0e-2a6c1f6f8a10"
	got, err := Effective(indicator(refs(tlp2Green, custom)), defs{custom: {ID: custom, Kind: KindTLP, TLP: AmberStrict}})
	if err != nil {
		t.Fatal(err)
	}
	if got.TLP != AmberStrict || got.Unknown != nil {
		t.Errorf("Effective = %+v", *got)
	}
}

func TestEffectiveErrors(t *testing.T) {
	gm := func(s string) string { return `"granular_markings": [` + s + `]` }
	red := `"marking_ref": "` + tlp2Red + `"`
	tests := []struct {
		name     string
		obj      []byte
		want     string // error text contains
		selector string // the *SelectorError's selector, if any
	}{
		{"not JSON", []byte(`{"type":`), "not valid JSON", ""},
		{"not an object", []byte(`["indicator"]`), "not a JSON object", ""},
		{"empty input", nil, "not valid JSON", ""},
		{"refs twice", indicator(refs(tlp2Red), refs(tlp2Clear)), "object_marking_refs: appears twice", ""},
		{"refs twice, once escaped", indicator(refs(tlp2Red), `"object_marking_r\u0065fs": []`), "object_marking_refs: appears twice", ""},
		{"granular twice", indicator(gm(`{`+red+`, "selectors": ["name"]}`), gm(`{`+red+`, "selectors": ["name"]}`)), "granular_markings: appears twice", ""},
		{"refs not a list", indicator(`"object_marking_refs": "` + tlp2Red + `"`), "object_marking_refs: must be a list, not a string", ""},
		{"ref not a string", indicator(`"object_marking_refs": ["` + tlp2Red + `", 7]`), "object_marking_refs[1]: must be a string, not a number", ""},
		{"ref to another type", indicator(refs("identity--f431f809-377b-45e0-aa1c-6a4751cae5ff")), "object_marking_refs[0]: must reference a marking-definition", ""},
		{"granular not a list", indicator(`"granular_markings": {}`), "granular_markings: must be a list, not an object", ""},
		{"granular marking not an object", indicator(gm(`"description"`)), "granular_markings[0]: must be an object, not a string", ""},
		{"no selectors", indicator(gm(`{` + red + `}`)), "granular_markings[0].selectors: required", ""},
		{"empty selectors", indicator(gm(`{` + red + `, "selectors": []}`)), "granular_markings[0].selectors: must not be empty", ""},
		{"selectors not a list", indicator(gm(`{` + red + `, "selectors": "name"}`)), "granular_markings[0].selectors: must be a list, not a string", ""},
		{"selector not a string", indicator(gm(`{` + red + `, "selectors": ["name", 1]}`)), "granular_markings[0].selectors[1]: must be a string, not a number", ""},
		{"neither ref nor lang", indicator(gm(`{"selectors": ["name"]}`)), "granular_markings[0]: needs marking_ref or lang", ""},
		{"both ref and lang", indicator(gm(`{` + red + `, "lang": "en", "selectors": ["name"]}`)), "granular_markings[0]: must not have both marking_ref and lang", ""},
		{"empty lang", indicator(gm(`{"lang": "", "selectors": ["name"]}`)), "granular_markings[0].lang: must be a language code", ""},
		{"ref not a marking", indicator(gm(`{"marking_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "selectors": ["name"]}`)), "granular_markings[0].marking_ref: must reference a marking-definition", ""},
		{"selectors twice", indicator(gm(`{` + red + `, "selectors": ["name"], "selectors": ["pattern"]}`)), "granular_markings[0].selectors: appears twice", ""},
		{
			"selector out of range",
			indicator(gm(`{` + red + `, "selectors": ["name"]}, {` + red + `, "selectors": ["description", "labels.[2]"]}`)),
			`granular_markings[1].selectors[1]: selector "labels.[2]": labels has 2 items, no [2]`, "labels.[2]",
		},
		{
			"selector wrong path",
			indicator(gm(`{` + red + `, "selectors": ["external_references.[0].name"]}`)),
			`selector "external_references.[0].name": external_references.[0] has no property name`, "external_references.[0].name",
		},
		{
			"lang selector wrong path",
			indicator(gm(`{"lang": "fr", "selectors": ["summary"]}`)),
			`selector "summary": the object has no property summary`, "summary",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Effective(tt.obj, testDefs)
			if err == nil {
				t.Fatalf("Effective = %+v, want an error", *got)
			}
			if got != nil {
				t.Errorf("result %+v returned with error", *got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			var se *SelectorError
			if errors.As(err, &se) != (tt.selector != "") || (se != nil && se.Selector != tt.selector) {
				t.Errorf("error %v: SelectorError %+v, want selector %q", err, se, tt.selector)
			}
		})
	}
}

// TestEffectiveManySelectors: thousands of selectors into one large list,
// each list item marked, resolve in one pass over the list.
func TestEffectiveManySelectors(t *testing.T) {
	const n = 20000
	var items, sel strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			items.WriteString(",")
			sel.WriteString(",")
		}
		items.WriteString(`"item"`)
		fmt.Fprintf(&sel, `"x_items.[%d]"`, i)
	}
	obj := indicator(`"x_items": [`+items.String()+`]`,
		`"granular_markings": [{"marking_ref": "`+tlp2Amber+`", "selectors": ["x_items"]}, {"marking_ref": "`+tlp2Red+`", "selectors": [`+sel.String()+`]}]`)
	got, err := Effective(obj, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Granular) != n+1 {
		t.Fatalf("%d granular results, want %d", len(got.Granular), n+1)
	}
	if g := got.Granular[0]; g.Selector != "x_items" || g.TLP != Red {
		t.Errorf("first = %+v, want x_items RED (its items are RED)", g)
	}
	if g := got.Granular[n]; g.Selector != fmt.Sprintf("x_items.[%d]", n-1) || g.TLP != Red {
		t.Errorf("last = %+v", g)
	}
}

func TestCompareSelectors(t *testing.T) {
	sorted := []string{"a", "a.[0]", "a.[0].b", "a.[1]", "a.b", "a-b", "a-b.c", "ab", "b"}
	for i := range sorted {
		for j := range sorted {
			if got, want := compareSelectors(sorted[i], sorted[j]), cmp.Compare(i, j); got != want {
				t.Errorf("compareSelectors(%q, %q) = %d, want %d", sorted[i], sorted[j], got, want)
			}
		}
	}
}

// TestCombineMatchesPairwise checks combine against the definition it
// implements, comparing every pair of selectors, on a tree with siblings
// whose names are prefixes of each other.
func TestCombineMatchesPairwise(t *testing.T) {
	sels := []string{"a-b", "a", "a.[1]", "ab", "a.[0].x", "a.[0]", "a-b.c", "a.[10]", "b", "a.[0].x-y"}
	levels := []TLP{Green, Unknown, Red, Amber, Clear, AmberStrict, Red, Green, Unknown, Amber}
	langs := []string{"", "fr", "", "", "de", "", "", "", "it", ""}
	var marks []applied
	for i, s := range sels {
		marks = append(marks, applied{selector: s, tlp: levels[i], lang: langs[i]})
	}
	for _, object := range []TLP{Unknown, Green} {
		got := combine(marks, object)
		for i, s := range sels {
			want := GranularResult{Selector: s, TLP: object}
			specific := -1
			for j, o := range sels {
				if encloses(o, s) || encloses(s, o) {
					want.TLP = max(want.TLP, levels[j])
				}
				if encloses(o, s) && langs[j] != "" && len(o) > specific {
					want.Lang, specific = langs[j], len(o)
				}
			}
			if got[i] != want {
				t.Errorf("object %v: %s = %+v, want %+v", object, s, got[i], want)
			}
		}
	}
}
