package marking

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

// The fuzz tests hold the hand-written JSON walking to encoding/json: what
// Effective and ResolveSelector find must be what a decoder finds. Seeds
// here are repeated in testdata/fuzz together with inputs found by fuzzing.

func FuzzEffective(f *testing.F) {
	f.Add(indicator())
	f.Add(indicator(refs(tlp2Amber, tlp1Red, strangerID, copyrightID)))
	f.Add(indicator(refs(tlp2Green), `"granular_markings": [
    {"marking_ref": "`+tlp2Red+`", "selectors": ["description", "labels.[1]", "external_references.[0].url"]},
    {"lang": "fr", "selectors": ["external_references"]},
    {"marking_ref": "`+termsID+`", "selectors": ["name"]}]`))
	f.Add(indicator(`"object\u005fmarking_refs": ["`+tlp2Red+`"]`, `"OBJECT_MARKING_REFS": []`))
	f.Add(indicator(refs(tlp2Red), refs(tlp2Clear)))
	f.Add([]byte(`{"granular_markings":[{"marking_ref":"` + tlp2Red + `","selectors":["a.[0].[1]"]}],"a":[[1,{"b":2}]]}`))
	f.Add([]byte(`{"granular_markings":[{"lang":"en","selectors":["x.[99999999]","..",""]}],"x":[]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"a":"\"}`))
	for _, def := range Builtin() {
		f.Add([]byte(def))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Effective(data, testDefs)
		// On any text EffectiveValid returns (no panic, no loop); on valid
		// text, what Effective returns.
		rv, errv := EffectiveValid(data, testDefs)
		if jsonscan.Valid(jsonscan.TrimSpace(data)) && (!reflect.DeepEqual(rv, r) || fmt.Sprint(errv) != fmt.Sprint(err)) {
			t.Fatalf("EffectiveValid = %+v, %v; Effective = %+v, %v", rv, errv, r, err)
		}
		if err != nil {
			if r != nil {
				t.Fatal("result returned with an error")
			}
			return
		}
		var decoded map[string]any
		if err := json.Unmarshal(data, &decoded); err != nil {
			t.Fatalf("Effective accepted what encoding/json rejects: %v", err)
		}

		// The object-level TLP is what the decoded refs say.
		want := Unknown
		if list, ok := decoded["object_marking_refs"].([]any); ok {
			for _, v := range list {
				level, _ := LookupTLP(v.(string))
				want = max(want, level)
			}
		}
		if r.TLP != want {
			t.Fatalf("TLP %v, decoded refs say %v", r.TLP, want)
		}
		if r.Max() < r.TLP {
			t.Fatalf("Max() %v below TLP %v", r.Max(), r.TLP)
		}

		// Each id is listed once, in one list.
		seen := map[string]bool{}
		for _, list := range [][]string{r.Statements, r.Other, r.Unknown} {
			for _, id := range list {
				if seen[id] {
					t.Fatalf("%s listed twice", id)
				}
				seen[id] = true
			}
		}
		// Each granular selector is distinct, resolves, and is no less
		// restrictive than the object.
		sels := map[string]bool{}
		for _, g := range r.Granular {
			if sels[g.Selector] {
				t.Fatalf("selector %q listed twice", g.Selector)
			}
			sels[g.Selector] = true
			if _, err := ResolveSelector(data, g.Selector); err != nil {
				t.Fatalf("granular selector %q: %v", g.Selector, err)
			}
			if g.TLP < r.TLP {
				t.Fatalf("%q: %v below the object's %v", g.Selector, g.TLP, r.TLP)
			}
		}
	})
}

func FuzzResolveSelector(f *testing.F) {
	obj := []byte(specVulnerability)
	for _, sel := range []string{
		"description", "external_references.[0].source_name", "labels.[1]", "labels.[2]",
		"x_matrix.[1].[0]", "extensions.extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e.rank",
		"", ".", "[0]", "labels.[-1]", "labels.[01]", "labels..[0]", "a b",
		"labels.[+1]", "labels.[1000000000]", "labels.[999999999]",
	} {
		f.Add(obj, sel)
	}
	f.Add([]byte(`{"a\u0062":[{"c":[true,null]}],"ab":0}`), "ab.[0].c.[1]")
	f.Add([]byte(`{"a":{"b":1,"b":2}}`), "a.b")
	f.Add([]byte(`{"a":[[[[]]]]}`), "a.[0].[0].[0]")
	f.Add([]byte(`{"a":`), "a")
	f.Add([]byte(`{"`+strings.Repeat("k", 250)+`":1,"`+strings.Repeat("k", 251)+`":2}`), strings.Repeat("k", 251))
	f.Fuzz(func(t *testing.T, data []byte, selector string) {
		got, err := ResolveSelector(data, selector)
		if errors.Is(err, ErrTooCostly) {
			return
		}
		ref, refErr := referenceResolve(data, selector)
		var se *SelectorError
		switch {
		case err == nil:
			if refErr != nil {
				t.Fatalf("selected %s; encoding/json finds nothing: %v", got, refErr)
			}
			if len(got) == 0 || !bytes.Contains(data, got) {
				t.Fatalf("result %q is not part of the input", got)
			}
			var v any
			d := json.NewDecoder(bytes.NewReader(got))
			d.UseNumber()
			if err := d.Decode(&v); err != nil {
				t.Fatalf("result %q is not JSON: %v", got, err)
			}
			if !reflect.DeepEqual(v, ref) {
				t.Fatalf("selected %#v, encoding/json finds %#v", v, ref)
			}
		case errors.As(err, &se):
			if se.Selector != selector || !strings.Contains(err.Error(), se.Reason) {
				t.Fatalf("SelectorError %+v for selector %q", se, selector)
			}
			// A name given twice is ambiguous to us; encoding/json takes
			// the last one. Otherwise both must find nothing.
			if refErr == nil && !strings.Contains(se.Reason, "twice") {
				t.Fatalf("error %v; encoding/json finds %#v", err, ref)
			}
		default:
			if json.Valid(data) && utf8.Valid(data) && bytes.HasPrefix(jsonscan.TrimSpace(data), []byte("{")) {
				t.Fatalf("object rejected: %v", err)
			}
		}
	})
}

// The selector components of STIX 2.1 section 7.2.3.1, spelled apart from
// parseIndex and validKey so that the fuzzer checks them too: a property
// name or dictionary key of 1 to 250 characters, or a list index without
// sign or leading zeros, of at most 9 digits.
var (
	refKey   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,250}$`)
	refIndex = regexp.MustCompile(`^\[(0|[1-9][0-9]{0,8})\]$`)
)

// referenceResolve resolves a selector over the object as encoding/json
// decodes it.
func referenceResolve(data []byte, selector string) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var cur any
	if err := d.Decode(&cur); err != nil {
		return nil, err
	}
	if _, ok := cur.(map[string]any); !ok {
		return nil, errors.New("not an object")
	}
	for _, comp := range strings.Split(selector, ".") {
		if refIndex.MatchString(comp) {
			i, _ := strconv.Atoi(comp[1 : len(comp)-1])
			list, ok := cur.([]any)
			if !ok || i >= len(list) {
				return nil, errors.New("no such item")
			}
			cur = list[i]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok || !refKey.MatchString(comp) {
			return nil, errors.New("no such property")
		}
		if cur, ok = m[comp]; !ok {
			return nil, errors.New("no such property")
		}
	}
	return cur, nil
}

func FuzzValidate(f *testing.F) {
	for _, def := range Builtin() {
		f.Add([]byte(def))
	}
	f.Add(def(copyrightID, `"definition_type": "statement"`, `"definition": {"statement": "Copyright 2019, Example Corp"}`))
	f.Add(def(tlp2Red, `"definition_type": "statement"`, `"definition": {"statement": "Share freely"}`))
	f.Add(def(strangerID, `"definition_type": "tlp"`, `"definition": {"tlp": "white"}`))
	f.Add(def(strangerID, `"name": "TLP:RED"`, `"extensions": {`+tlp2Ext+`: {"extension_type": "property-extension", "tlp_2_0": "red"}}`))
	f.Add(def(strangerID, `"object_marking_refs": ["`+strangerID+`"]`, `"granular_markings": [{"marking_ref": "`+strangerID+`", "selectors": ["id"]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		problems := Validate(data)
		d, err := ParseDefinition(data)
		if (len(problems) > 0) != (err != nil) {
			t.Fatalf("Validate = %v but ParseDefinition error = %v", problems, err)
		}
		if err != nil {
			return
		}
		// Only the built-in ids are TLP markings, each with its own level.
		level, builtin := LookupTLP(d.ID)
		if (d.Kind == KindTLP) != builtin || d.TLP != level {
			t.Fatalf("ParseDefinition = %+v; LookupTLP = %v, %v", d, level, builtin)
		}
	})
}
