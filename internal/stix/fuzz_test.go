package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stixhub/stixhub/internal/jsonscan"
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

func FuzzResolveSelector(f *testing.F) {
	obj := `{"type":"x","a":[1,{"b":{"c-d":["e"]}}],"s":"t","o":{}}`
	for _, sel := range []string{"a", "a.[1].b.c-d.[0]", "a.[2]", "s.[0]", "o.x", "a..b", "[0]", ""} {
		f.Add([]byte(obj), sel)
	}
	f.Fuzz(func(t *testing.T, data []byte, sel string) {
		err := ResolveSelector(data, sel)
		// Compare with a walk over encoding/json's decoding.
		var v any
		if json.Unmarshal(data, &v) != nil || !utf8.Valid(data) {
			if err == nil {
				t.Fatalf("resolved %q in invalid JSON", sel)
			}
			return
		}
		if _, isObject := v.(map[string]any); !isObject {
			if err == nil {
				t.Fatalf("resolved %q in a non-object", sel)
			}
			return
		}
		if hasDuplicateNames(data) {
			return // encoding/json keeps the last duplicate, ResolveSelector the first
		}
		if want := resolveDecoded(v, sel); want != (err == nil) {
			t.Fatalf("ResolveSelector(%s, %q) = %v, want resolved=%v", data, sel, err, want)
		}
	})
}

// resolveDecoded resolves a selector in a value decoded by encoding/json.
func resolveDecoded(v any, sel string) bool {
	if sel == "" {
		return false
	}
	for _, comp := range strings.Split(sel, ".") {
		if !validComponent([]byte(comp)) {
			return false
		}
		if comp[0] == '[' {
			list, ok := v.([]any)
			i, _ := componentIndex([]byte(comp))
			if !ok || i >= len(list) {
				return false
			}
			v = list[i]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[comp]; !ok {
			return false
		}
	}
	return true
}

// hasDuplicateNames reports whether some JSON object in data repeats a name.
func hasDuplicateNames(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		names  map[string]bool
		key    bool // the next string token is a name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if s, ok := tok.(string); ok {
				if top.names[s] {
					return true
				}
				top.names[s] = true
				top.key = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, names: map[string]bool{}, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].key = true
		}
	}
}
