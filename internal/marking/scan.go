package marking

import (
	"bytes"
	"encoding/json"
)

// This file walks JSON text by hand, so that Effective reads the two marking
// properties and the selected content straight from the object's bytes
// without decoding the whole object. Callers check the text with validJSON
// (at the end of this file) first; the walkers still check their bounds, so
// malformed input stops them (ok false, index -1), never panics them.
//
// Names are compared after unescaping ("object\u005fmarking_refs" is
// object_marking_refs to every other JSON reader) and exactly: encoding/json
// would also match "OBJECT_MARKING_REFS" to a struct field, which would let a
// second, differently cased property override an object's markings.

// isSpace reports whether c is JSON insignificant whitespace.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// skipSpace returns the index of the first non-whitespace byte at or after i.
func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// trimSpace removes JSON whitespace from both ends of data.
func trimSpace(data []byte) []byte {
	start := skipSpace(data, 0)
	end := len(data)
	for end > start && isSpace(data[end-1]) {
		end--
	}
	return data[start:end]
}

// skipString returns the index just after the string literal starting at
// data[i], or -1 if there is none.
func skipString(data []byte, i int) int {
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipValue returns the index just after the JSON value starting at data[i],
// or -1 if there is none. It counts brackets instead of recursing, so deep
// nesting cannot exhaust the stack.
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				if i = skipString(data, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default: // number, true, false, null
		start := i
		for i < len(data) {
			switch data[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if i == start {
					return -1
				}
				return i
			}
			i++
		}
		return i
	}
}

// members walks the members of the JSON object raw, calling fn with each raw
// name literal (quotes included) and raw value until fn returns false. It
// reports false if raw is not an object or is malformed.
func members(raw []byte, fn func(name, value []byte) bool) bool {
	if len(raw) < 2 || raw[0] != '{' {
		return false
	}
	i := skipSpace(raw, 1)
	if i < len(raw) && raw[i] == '}' {
		return true
	}
	for i < len(raw) {
		end := skipString(raw, i)
		if end < 0 {
			return false
		}
		name := raw[i:end]
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return false
		}
		i = skipSpace(raw, i+1)
		end = skipValue(raw, i)
		if end < 0 {
			return false
		}
		if !fn(name, raw[i:end]) {
			return true
		}
		i = skipSpace(raw, end)
		switch {
		case i < len(raw) && raw[i] == ',':
			i = skipSpace(raw, i+1)
		case i < len(raw) && raw[i] == '}':
			return true
		default:
			return false
		}
	}
	return false
}

// elements walks the elements of the JSON array raw like members.
func elements(raw []byte, fn func(index int, value []byte) bool) bool {
	if len(raw) < 2 || raw[0] != '[' {
		return false
	}
	i := skipSpace(raw, 1)
	if i < len(raw) && raw[i] == ']' {
		return true
	}
	for n := 0; i < len(raw); n++ {
		end := skipValue(raw, i)
		if end < 0 {
			return false
		}
		if !fn(n, raw[i:end]) {
			return true
		}
		i = skipSpace(raw, end)
		switch {
		case i < len(raw) && raw[i] == ',':
			i = skipSpace(raw, i+1)
		case i < len(raw) && raw[i] == ']':
			return true
		default:
			return false
		}
	}
	return false
}

// unquote returns the contents of the JSON string literal raw, unescaped.
// ok is false if raw is not a string literal.
func unquote(raw []byte) (s string, ok bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// nameIs reports whether the raw name literal spells name, after unescaping.
// The common unescaped case allocates nothing.
func nameIs(raw []byte, name string) bool {
	if len(raw) < 2 {
		return false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner) == name
	}
	s, ok := unquote(raw)
	return ok && s == name
}

// kind names the kind of JSON value raw holds, for messages.
func kind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// maxDepth is the deepest nesting of objects and lists accepted, the same
// limit as encoding/json's.
const maxDepth = 10000

// validJSON reports whether data is one JSON value with optional whitespace
// around it: json.Valid's answer (FuzzValidJSON holds it to that), in a
// third of the time, because strings, most of a STIX object, are checked by
// a tight loop instead of a state machine.
func validJSON(data []byte) bool {
	end := validValue(data, skipSpace(data, 0), 0)
	return end >= 0 && skipSpace(data, end) == len(data)
}

// validValue returns the index just after the valid JSON value starting at
// data[i], or -1 if there is none.
func validValue(data []byte, i, depth int) int {
	if i >= len(data) {
		return -1
	}
	switch c := data[i]; {
	case c == '"':
		return validString(data, i)
	case c == '{':
		if depth++; depth > maxDepth {
			return -1
		}
		i = skipSpace(data, i+1)
		if i < len(data) && data[i] == '}' {
			return i + 1
		}
		for {
			if i = validString(data, i); i < 0 {
				return -1
			}
			if i = skipSpace(data, i); i >= len(data) || data[i] != ':' {
				return -1
			}
			if i = validValue(data, skipSpace(data, i+1), depth); i < 0 {
				return -1
			}
			if i = skipSpace(data, i); i >= len(data) {
				return -1
			}
			switch data[i] {
			case ',':
				i = skipSpace(data, i+1)
			case '}':
				return i + 1
			default:
				return -1
			}
		}
	case c == '[':
		if depth++; depth > maxDepth {
			return -1
		}
		i = skipSpace(data, i+1)
		if i < len(data) && data[i] == ']' {
			return i + 1
		}
		for {
			if i = validValue(data, i, depth); i < 0 {
				return -1
			}
			if i = skipSpace(data, i); i >= len(data) {
				return -1
			}
			switch data[i] {
			case ',':
				i = skipSpace(data, i+1)
			case ']':
				return i + 1
			default:
				return -1
			}
		}
	case c == 't':
		return literal(data, i, "true")
	case c == 'f':
		return literal(data, i, "false")
	case c == 'n':
		return literal(data, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return validNumber(data, i)
	}
	return -1
}

// validString returns the index just after the valid string literal starting
// at data[i], or -1. Like json.Valid it does not check UTF-8.
func validString(data []byte, i int) int {
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	for i++; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c == '\\':
			if i+1 >= len(data) {
				return -1
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+5 >= len(data) || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) || !isHex(data[i+5]) {
					return -1
				}
				i += 5
			default:
				return -1
			}
		}
	}
	return -1
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// validNumber returns the index just after the valid number starting at
// data[i], or -1: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(data []byte, i int) int {
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		i = digits(data, i)
	default:
		return -1
	}
	if i < len(data) && data[i] == '.' {
		start := i + 1
		if i = digits(data, start); i == start {
			return -1
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		start := i
		if i = digits(data, start); i == start {
			return -1
		}
	}
	return i
}

func digits(data []byte, i int) int {
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	return i
}

func literal(data []byte, i int, lit string) int {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}
