package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stixhub/stixhub/internal/jsonscan"
	stixmarking "github.com/stixhub/stixhub/internal/marking"
)

// addSeeds adds the rule-test objects and a few real ones to f's corpus.
func addSeeds(f *testing.F) {
	for _, props := range [][]prop{indicator, relationship, ipv4, marking, custom} {
		f.Add(object(props))
	}
	f.Add(escapeName(object(indicator), "type"))
	f.Add(object(edit(indicator, map[string]string{
		"labels":              `["a", 1]`,
		"external_references": `[{"source_name": "capec"}, {}]`,
		"object_marking_refs": `["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]`,
		"valid_until":         `"2015-01-01T00:00:00Z"`,
		"confidence":          `101`,
	})))
	f.Add([]byte(`{"type":"bundle","id":"bundle--cf20f99b-3ed2-4a9f-b4f1-d660a7fc8241","objects":[{"type":"x-a"},{}]}`))
	f.Add([]byte("{\"a\":1}\n\n{\"type\":\"bundle\",\"objects\":[]}\r\n"))
	f.Add([]byte(`[1, -0.5e+3, true, null, "\u00e9\ud83d\ude00"]`))
	f.Add([]byte("\xef\xbb\xbf{\"\\u0074ype\":\"\xc3\xa9\"}"))
	if data, err := os.ReadFile(oasisDir + "/infrastructure.json"); err == nil {
		f.Add(data)
	}
	// Every STIX type, its properties and extensions, valid and not.
	for _, file := range []string{"minimal.json", "full.json", "extension-types.json"} {
		for _, raw := range readObjects(f, validDir+"/"+file) {
			f.Add([]byte(raw))
		}
	}
	f.Add([]byte(`{"type":"observed-data","spec_version":"2.1","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",` +
		`"created":"2016-04-06T19:58:16.000Z","modified":"2016-04-06T19:58:16.000Z","first_observed":"2015-12-21T19:00:00Z",` +
		`"last_observed":"2015-12-21T19:00:00Z","number_observed":0,"objects":{"0":{"value":1}},"object_refs":[],` +
		`"granular_markings":[{"selectors":["objects.0.[1]","x..y"],"lang":"en","marking_ref":"x"}],"extensions":{"archive-ext":1}}`))
}

// fuzzOptions accepts every type and pattern, so that the fuzzer also
// reaches the paths of extension-defined types and the pattern hook.
var fuzzOptions = ParseOptions{
	KnownType:    func(string) bool { return true },
	CheckPattern: func(p string) error { return nil },
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		// The options only widen what is accepted.
		objWith, errWith := ParseWithOptions(data, fuzzOptions)
		obj, err := Parse(data)
		if err == nil && errWith != nil {
			t.Fatalf("accepted without options, refused with them: %v", errWith)
		}
		if errWith == nil && objWith == nil {
			t.Fatal("no object and no error with options")
		}

		// Parse's own JSON validator agrees with encoding/json plus UTF-8.
		trimmed := jsonscan.TrimSpace(data)
		std := json.Valid(trimmed) && utf8.Valid(trimmed)
		if got := jsonscan.Valid(trimmed); got != std {
			t.Fatalf("jsonscan.Valid = %v, json.Valid && utf8.Valid = %v", got, std)
		}

		// On valid text, ParseValidWithOptions decides as ParseWithOptions
		// does; on any text it returns.
		objValid, errValid := ParseValidWithOptions(data, fuzzOptions)
		if std && (!reflect.DeepEqual(objValid, objWith) || fmt.Sprint(errValid) != fmt.Sprint(errWith)) {
			t.Fatalf("ParseValidWithOptions = %+v, %v; ParseWithOptions = %+v, %v", objValid, errValid, objWith, errWith)
		}

		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v (%T) is not a *ValidationError", err, err)
			}
			if len(ve.Violations) == 0 || len(ve.Violations) > maxViolations+1 {
				t.Fatalf("%d violations", len(ve.Violations))
			}
			if obj != nil {
				t.Fatal("object returned with an error")
			}
			if ve.ID != "" {
				if _, problem := identifierProblem([]byte(ve.ID)); problem != "" {
					t.Fatalf("ValidationError.ID %q is malformed: %s", ve.ID, problem)
				}
			}
			_ = err.Error()
			return
		}

		if obj == nil {
			t.Fatal("no object and no error")
		}
		if !strings.HasPrefix(obj.ID, obj.Type+"--") || !IsValidType(obj.Type) {
			t.Fatalf("id %q does not belong to type %q", obj.ID, obj.Type)
		}
		if !std {
			t.Fatal("accepted text that encoding/json refuses")
		}
		// The standard decoder reads the same values. It keeps the last of
		// duplicate names, so agreement also shows there were none.
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		str := func(name string) string { s, _ := m[name].(string); return s }
		if str("type") != obj.Type || str("id") != obj.ID || str("spec_version") != obj.SpecVersion ||
			str("created_by_ref") != obj.CreatedByRef {
			t.Fatalf("Parse = %+v, encoding/json = %v", *obj, m)
		}
		if mod := str("modified"); mod != "" {
			std, err := time.Parse(time.RFC3339Nano, mod)
			if err != nil || !std.Equal(obj.Modified) {
				t.Fatalf("modified %q: Parse = %v, time.Parse = %v, %v", mod, obj.Modified, std, err)
			}
		}
		if k := obj.VersionKey(); k != "0" && (len(k) != 23 || strings.Trim(k, "0123456789") != "") {
			t.Fatalf("VersionKey = %q", k)
		}
		if s := obj.ModifiedString(); s != "" {
			back, err := time.Parse(time.RFC3339Nano, s)
			if err != nil || !back.Equal(obj.Modified) {
				t.Fatalf("ModifiedString %q does not round-trip: %v", s, err)
			}
		}
	})
}

func FuzzReadObjects(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		raws, err := ReadObjects(bytes.NewReader(data))
		if err != nil {
			if raws != nil {
				t.Fatal("objects returned with an error")
			}
			return
		}
		for i, raw := range raws {
			if len(raw) == 0 || raw[0] != '{' || !jsonscan.Valid(raw) {
				t.Fatalf("object %d is not a JSON object: %q", i, raw)
			}
			if !bytes.Equal(raw, jsonscan.TrimSpace(raw)) {
				t.Fatalf("object %d is not trimmed: %q", i, raw)
			}
			if !bytes.Contains(data, raw) {
				t.Fatalf("object %d is not bytes of the input: %q", i, raw)
			}
		}
		// A single object that is not a bundle comes back whole.
		doc := jsonscan.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
		if jsonscan.Valid(doc) && doc[0] == '{' {
			var head struct{ Type any }
			if json.Unmarshal(doc, &head) == nil && head.Type != "bundle" {
				if len(raws) != 1 || !bytes.Equal(raws[0], doc) {
					t.Fatalf("single object read as %q", raws)
				}
			}
		}
	})
}

// FuzzGranularSelectors holds Parse's check of granular marking selectors to
// internal/marking, which computes the markings the hub will enforce: Parse
// refuses an object's selectors exactly when marking.Effective cannot
// compute its markings, at the same selector, and otherwise Effective gives
// each selector its markings. A custom property with fuzzed content gives
// the selectors something to select. (internal/marking's
// FuzzResolveSelector holds the resolver itself to encoding/json.)
func FuzzGranularSelectors(f *testing.F) {
	for _, seed := range []struct{ value, sel1, sel2 string }{
		{`{"a":[1,{"b":{"c-d":["e"]}}],"s":"t","o":{}}`, "x_fuzz.a.[1].b.c-d.[0]", "pattern"},
		{`{"a":[1,{"b":{"c-d":["e"]}}]}`, "x_fuzz.a.[2]", "x_fuzz.a.[1]"},
		{`{"a":1,"a":2}`, "x_fuzz.a", "x_fuzz"},
		{`[[[[[[]]]]]]`, "x_fuzz.[0].[0].[0].[0].[0]", "x_fuzz.[0].[0].[0].[0].[0].[0]"},
		{`{"s":"t"}`, "x_fuzz.s.[0]", "x_fuzz..s"},
		{`["a","b"]`, "x_fuzz.[01]", "x_fuzz.[1000000000]"},
		{`{"` + strings.Repeat("k", 251) + `":1}`, "x_fuzz." + strings.Repeat("k", 251), "[0]"},
		{`{"d\u0065":1}`, "x_fuzz.de", ""},
	} {
		f.Add([]byte(seed.value), seed.sel1, seed.sel2)
	}
	f.Fuzz(func(t *testing.T, value []byte, sel1, sel2 string) {
		if !jsonscan.Valid(value) || !utf8.ValidString(sel1) || !utf8.ValidString(sel2) {
			return // the object would not be JSON, or its selectors not these
		}
		sels, err := json.Marshal([]string{sel1, sel2})
		if err != nil {
			t.Fatal(err)
		}
		obj := object(edit(indicator, map[string]string{
			"x_fuzz":            string(value),
			"granular_markings": `[{"marking_ref": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "selectors": ` + string(sels) + `}]`,
		}))
		_, err = Parse(obj)
		refused := ""
		var ve *ValidationError
		if errors.As(err, &ve) {
			for _, v := range ve.Violations {
				if strings.HasPrefix(v.Field, "granular_markings[0].selectors[") {
					refused = v.Field
					break
				}
			}
		}
		r, effErr := stixmarking.Effective(obj, nil)
		switch {
		case refused == "" && effErr != nil:
			t.Fatalf("Parse accepts selectors %q, %q; Effective: %v", sel1, sel2, effErr)
		case refused != "" && effErr == nil:
			t.Fatalf("Parse refuses %s (%v); Effective accepts it", refused, err)
		case refused != "" && !strings.HasPrefix(effErr.Error(), refused+": "):
			t.Fatalf("Parse refuses %s first; Effective: %v", refused, effErr)
		case refused == "":
			want := []string{sel1}
			if sel2 != sel1 {
				want = append(want, sel2)
			}
			var got []string
			for _, g := range r.Granular {
				got = append(got, g.Selector)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("Effective marks %q, want %q", got, want)
			}
		}
	})
}
