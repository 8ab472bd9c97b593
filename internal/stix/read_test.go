package stix

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadObjects(t *testing.T) {
	const (
		a = `{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`
		b = `{ "type": "malware", "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b", "x": [1, {"y": "}"}] }`
		c = "{\n  \"type\": \"campaign\",\n  \"name\": \"\\\"quoted\\\"\"\n}"
	)
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"bundle yields its objects", `{"type":"bundle","id":"bundle--cf20f99b-3ed2-4a9f-b4f1-d660a7fc8241","objects":[` + a + `,` + b + `]}`,
			[]string{a, b}},
		{"pretty bundle keeps each object's bytes", "{\n  \"type\": \"bundle\",\n  \"objects\": [\n    " + a + " ,\n\t" + c + "\n  ],\n  \"id\": \"bundle--cf20f99b-3ed2-4a9f-b4f1-d660a7fc8241\"\n}\n",
			[]string{a, c}},
		{"bundle with objects before type", `{"objects":[` + a + `],"type":"bundle"}`, []string{a}},
		{"bundle without objects is empty", `{"type":"bundle","id":"bundle--cf20f99b-3ed2-4a9f-b4f1-d660a7fc8241"}`, nil},
		{"bundle with empty objects", `{"type":"bundle","objects":[ ]}`, nil},
		{"single object", a, []string{a}},
		{"single object trimmed of whitespace", "\n\n  " + c + " \r\n\t", []string{c}},
		{"single pretty object that is not a bundle", c, []string{c}},
		{"object whose type is not a string is not a bundle", `{"type":["bundle"],"objects":[1]}`, []string{`{"type":["bundle"],"objects":[1]}`}},
		{"JSON lines", a + "\n" + b + "\n", []string{a, b}},
		{"JSON lines with CRLF, blank lines and indentation", "\r\n" + a + "\r\n   \r\n\t" + b + "  \r\n\r\n", []string{a, b}},
		{"JSON lines without final newline", a + "\n" + b, []string{a, b}},
		{"JSON lines mixing objects and bundles", a + "\n" + `{"type":"bundle","objects":[` + b + `,` + a + `]}` + "\n" + b,
			[]string{a, b, a, b}},
		{"byte order mark skipped", "\xef\xbb\xbf" + a, []string{a}},
		{"empty input", "", nil},
		{"only whitespace", " \n\r\n\t ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadObjects(strings.NewReader(tt.input))
			if err != nil {
				t.Fatalf("ReadObjects: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d objects %q, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if string(got[i]) != tt.want[i] {
					t.Errorf("object %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestReadObjectsErrors(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		want      string // exact error message prefix
		notObject bool   // the error wraps ErrNotObject
		syntax    bool   // the error wraps a *json.SyntaxError
	}{
		{"JSON lines error names the line", "{\"a\":1}\n\n{\"b\":2}\n{\"c\":}\n{\"d\":4}\n",
			"line 4: invalid JSON: invalid character '}'", false, true},
		{"JSON lines with a non-object line", "{\"a\":1}\n[1,2]\n",
			"line 2: got an array: not a JSON object", true, false},
		{"JSON lines with two objects on one line", "{\"a\":1}\n{\"b\":2} {\"c\":3}\n",
			"line 2: invalid JSON: invalid character '{' after top-level value", false, true},
		{"JSON lines bundle element that is not an object", "{\"a\":1}\n{\"type\":\"bundle\",\"objects\":[{}, 7]}\n",
			"line 2: bundle objects[1]: got a number: not a JSON object", true, false},
		{"pretty document error names line and column", "{\n  \"type\": \"bundle\",\n  \"objects\": [\n    {\"a\": 1,}\n  ]\n}\n",
			"line 4, column 13: invalid JSON: invalid character '}'", false, true},
		{"truncated document", "{\n  \"type\": \"bundle\",\n  \"objects\": [\n",
			"line 3, column 14: invalid JSON: unexpected end of JSON input", false, true},
		{"bundle element that is not an object names its line", "{\"type\": \"bundle\",\n\"objects\": [\n{},\n\"indicator--x\"\n]}",
			"line 4, column 1: bundle objects[1]: got a string: not a JSON object", true, false},
		{"top-level array", "[{\"type\":\"indicator\"}]",
			"line 1, column 1: got an array: not a JSON object", true, false},
		{"top-level string after blank lines", "\n\n  \"bundle\"",
			"line 3, column 3: got a string: not a JSON object", true, false},
		{"bundle objects not an array", `{"type":"bundle","objects":{"a":{}}}`,
			"line 1, column 1: bundle objects: got an object, want an array", false, false},
		{"bundle with duplicate objects", `{"type":"bundle","objects":[],"objects":[{}]}`,
			`line 1, column 1: duplicate property "objects"`, false, false},
		{"bundle with duplicate type", `{"type":"indicator","type":"bundle","objects":[]}`,
			`line 1, column 1: duplicate property "type"`, false, false},
		{"invalid UTF-8", "{\"a\":\"\xff\"}",
			"line 1, column 7: invalid JSON: not valid UTF-8", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadObjects(strings.NewReader(tt.input))
			if err == nil {
				t.Fatalf("ReadObjects = %q, want an error", got)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %q, want prefix %q", err, tt.want)
			}
			if errors.Is(err, ErrNotObject) != tt.notObject {
				t.Errorf("errors.Is(err, ErrNotObject) = %v, want %v", !tt.notObject, tt.notObject)
			}
			var se *json.SyntaxError
			if errors.As(err, &se) != tt.syntax {
				t.Errorf("errors.As(err, *json.SyntaxError) = %v, want %v", !tt.syntax, tt.syntax)
			}
		})
	}
}

func TestReadObjectsReaderError(t *testing.T) {
	boom := errors.New("boom")
	_, err := ReadObjects(io.MultiReader(strings.NewReader("{"), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) {
		t.Errorf("ReadObjects error = %v, want it to wrap %v", err, boom)
	}
}

func TestReadObjectsResultsDoNotAlias(t *testing.T) {
	// Appending to one result must not overwrite the next, though they
	// share the input buffer.
	got, err := ReadObjects(strings.NewReader(`{"type":"bundle","objects":[{"a":1},{"b":2}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = append(got[0], "XXXXXXXX"...)
	if string(got[1]) != `{"b":2}` {
		t.Errorf("second object = %q after appending to the first", got[1])
	}
}
