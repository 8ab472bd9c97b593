// Package jsonscan scans JSON text already in memory without allocating: it
// checks it (Valid, ValidObject), steps over its values (SkipSpace,
// SkipString, SkipValue), walks the members of objects and the elements of
// arrays (ObjectIter, ArrayIter), and reads string literals (String).
//
// It exists so that internal/stix, which decides what the hub accepts, and
// internal/marking, which decides the markings of what it accepted, read
// JSON the same way: one validator, one set of walkers. Both look at raw
// bytes instead of decoding into maps, to see duplicate names (which
// encoding/json silently merges), to keep each value's bytes and offset for
// messages, and for speed.
//
// What is JSON is decided once, by Valid: RFC 8259 text that is also valid
// UTF-8 (section 8.1), as json.Valid plus utf8.Valid decide, which the fuzz
// tests hold it to. The other functions are meant for text Valid accepted.
// They still check their bounds, so malformed input stops them (-1, false,
// ErrMalformed), never panics them or makes them loop.
package jsonscan

import (
	"bytes"
	"encoding/json"
)

// isSpace reports whether c is JSON insignificant whitespace.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// SkipSpace returns the index of the first byte at or after i that is not
// JSON whitespace (space, tab, line feed, carriage return), or len(data).
func SkipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// TrimSpace returns data without the JSON whitespace at either end. Unlike
// bytes.TrimSpace it leaves other Unicode spaces, which are not JSON's, in
// place for the validator to refuse.
func TrimSpace(data []byte) []byte {
	start := SkipSpace(data, 0)
	end := len(data)
	for end > start && isSpace(data[end-1]) {
		end--
	}
	return data[start:end]
}

// SkipString returns the index just after the string literal starting at
// data[i], or -1 if data[i] is not '"' or the literal is not terminated. A
// quote ends the literal unless an odd number of backslashes precede it;
// searching for quotes with bytes.IndexByte is much faster than stepping
// over each byte. It does not check the contents: that is Valid's job.
func SkipString(data []byte, i int) int {
	if i < 0 || i >= len(data) || data[i] != '"' {
		return -1
	}
	start := i + 1
	for i = start; ; {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return -1
		}
		end := i + j
		k := end - 1
		for k >= start && data[k] == '\\' {
			k--
		}
		if (end-1-k)%2 == 0 {
			return end + 1
		}
		i = end + 1
	}
}

// SkipValue returns the index just after the JSON value starting at data[i],
// or -1 if there is none. It counts brackets instead of recursing, so deep
// nesting cannot exhaust the stack, and it does not check what it skips.
func SkipValue(data []byte, i int) int {
	if i < 0 || i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return SkipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				if i = SkipString(data, i); i < 0 {
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

// String returns the contents of the JSON string literal raw, unescaped, or
// false if raw is not a string literal. Without escapes, the common case,
// the result aliases raw and nothing is allocated: it must not be modified.
//
// raw must be a literal Valid accepted, such as a name or value from an
// iterator over valid text. Escapes are decoded as encoding/json decodes
// them (a lone surrogate becomes U+FFFD); an unescaped literal is returned
// as it is, unchecked.
func String(raw []byte) (s []byte, ok bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, true
	}
	var str string
	if err := json.Unmarshal(raw, &str); err != nil {
		return nil, false
	}
	return []byte(str), true
}

// Kind names the kind of JSON value raw holds, for messages: "an object",
// "an array", "a string", "a boolean", "null", "a number", or "nothing"
// for empty raw. It looks only at the first byte.
func Kind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
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

// IsHex reports whether c is a hexadecimal digit of either case, as in a
// \u escape.
func IsHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
