package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

// ReadObjects reads a STIX input in any of three shapes and returns the raw
// JSON of each object it holds, byte for byte as in the input, without
// surrounding whitespace:
//
//   - a bundle {"type":"bundle","id":"bundle--…","objects":[…]}: its objects;
//   - a single object {…}: that object;
//   - JSON lines: one object or one bundle per line; blank lines are ignored.
//
// ReadObjects checks only the shape: each result is a JSON object, not yet a
// valid STIX object (use Parse). A value that is not an object, where one is
// expected, is an error wrapping ErrNotObject. Errors name the line (JSON
// lines) or the line and column (one document), e.g.
// "line 3: invalid JSON: …"; syntax errors wrap the *json.SyntaxError.
//
// An input that is empty or only whitespace holds no objects and is not an
// error. A leading UTF-8 byte order mark is skipped. ReadObjects reads all of
// r into memory: bound r (io.LimitReader) when it is untrusted.
func ReadObjects(r io.Reader) ([]json.RawMessage, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read STIX input: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	doc := jsonscan.TrimSpace(data)
	if len(doc) == 0 {
		return nil, nil
	}
	if jsonscan.Valid(doc) || !firstLineIsJSON(data) {
		// One document, possibly spread over many lines.
		base := jsonscan.SkipSpace(data, 0)
		return readDocument(nil, base, doc, func(off int) string {
			line, col := lineCol(data, off)
			return "line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col)
		})
	}
	// JSON lines.
	var out []json.RawMessage
	lineNo := 0
	for rest := data; len(rest) > 0; {
		lineNo++
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		text := jsonscan.TrimSpace(line)
		if len(text) == 0 {
			continue
		}
		where := "line " + strconv.Itoa(lineNo)
		out, err = readDocument(out, 0, text, func(int) string { return where })
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// firstLineIsJSON reports whether the first non-blank line of data is a JSON
// value on its own: then data is JSON lines, otherwise one document.
func firstLineIsJSON(data []byte) bool {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if line = jsonscan.TrimSpace(line); len(line) > 0 {
			return jsonscan.Valid(line)
		}
	}
	return false
}

// readDocument appends the objects of one document (a bundle or an object)
// to out. doc is the trimmed document; base is its offset in the whole input,
// and where names an offset in the input for error messages.
func readDocument(out []json.RawMessage, base int, doc []byte, where func(off int) string) ([]json.RawMessage, error) {
	if !jsonscan.Valid(doc) {
		off, err := jsonError(doc)
		return nil, fmt.Errorf("%s: invalid JSON: %w", where(base+off), err)
	}
	if doc[0] != '{' {
		return nil, fmt.Errorf("%s: got %s: %w", where(base), jsonscan.Kind(doc), ErrNotObject)
	}
	objects, isBundle, err := bundleObjects(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where(base), err)
	}
	if !isBundle {
		return append(out, json.RawMessage(doc[:len(doc):len(doc)])), nil
	}
	it := jsonscan.NewArrayIter(objects.value)
	for it.Next() {
		v := it.Value()
		if v[0] != '{' {
			return nil, fmt.Errorf("%s: bundle objects[%d]: got %s: %w",
				where(base+objects.offset+it.Offset()), it.Index(), jsonscan.Kind(v), ErrNotObject)
		}
		// The three-index slice stops an append to one object from
		// overwriting the next in the shared buffer.
		out = append(out, json.RawMessage(v[:len(v):len(v)]))
	}
	return out, nil
}

// rawAt is a raw JSON value and its offset in the enclosing document.
type rawAt struct {
	value  []byte
	offset int
}

// bundleObjects reports whether the object doc is a bundle and returns its
// objects array (empty when the bundle has none).
func bundleObjects(doc []byte) (objects rawAt, isBundle bool, err error) {
	var typ []byte
	var typeSeen, objsSeen bool
	it := jsonscan.NewObjectIter(doc)
	for it.Next() {
		name, _ := jsonscan.String(it.Name())
		switch string(name) {
		case "type":
			if typeSeen {
				return rawAt{}, false, errors.New(`duplicate property "type"`)
			}
			typeSeen, typ = true, it.Value()
		case "objects":
			if objsSeen {
				return rawAt{}, false, errors.New(`duplicate property "objects"`)
			}
			objsSeen = true
			objects = rawAt{value: it.Value(), offset: it.Offset()}
		}
	}
	if s, ok := jsonscan.String(typ); !ok || string(s) != "bundle" {
		return rawAt{}, false, nil
	}
	if !objsSeen {
		return rawAt{value: []byte("[]")}, true, nil
	}
	if objects.value[0] != '[' {
		return rawAt{}, true, fmt.Errorf("bundle objects: got %s, want an array", jsonscan.Kind(objects.value))
	}
	return objects, true, nil
}

// lineCol returns the 1-based line and column (in bytes) of offset off in data.
func lineCol(data []byte, off int) (line, col int) {
	off = max(0, min(off, len(data)))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = off - bytes.LastIndexByte(before, '\n')
	return line, col
}
