package jsonscan

import (
	"encoding/binary"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects Valid accepts,
// encoding/json's limit: a value nested MaxDepth deep is accepted, one
// deeper is not. RFC 8259 section 9 lets parsers set such a limit.
const MaxDepth = 10000

// Valid reports whether data is exactly one JSON value, with optional JSON
// whitespace around it, and valid UTF-8: RFC 8259's grammar, and its
// section 8.1 (text exchanged between systems MUST be UTF-8). That is
// json.Valid(data) && utf8.Valid(data), in one pass and several times
// faster, because strings, most of a STIX object, are skipped eight bytes at
// a time.
//
// UTF-8 is checked as RFC 3629 defines it, like utf8.Valid: overlong forms
// and encoded surrogates (ED A0 80) are refused. A \u escape of a lone
// surrogate ("\ud800") is accepted: RFC 8259's grammar allows it (section
// 8.2), and so does encoding/json, which decodes it to U+FFFD.
func Valid(data []byte) bool {
	v := validator{data: data}
	end := v.value(SkipSpace(data, 0), 0)
	return end >= 0 && SkipSpace(data, end) == len(data)
}

// ValidObject is Valid for text that must be one JSON object, calling
// member with the raw name literal and raw value of each of the object's
// own members (not those of nested objects) as it checks them, in order,
// duplicates included. It saves a second walk over the object for callers
// that want its members. member may have been called before a later error
// is found: when ValidObject reports false, discard what it collected.
func ValidObject(data []byte, member func(name, value []byte)) bool {
	i := SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	v := validator{data: data}
	end := v.object(i, 1, member)
	return end >= 0 && SkipSpace(data, end) == len(data)
}

// validator checks JSON text in one pass: the grammar of RFC 8259 and,
// unlike json.Valid, UTF-8 in strings (the grammar puts every byte above
// 0x7F inside a string). Each method checks the value starting at data[i]
// and returns the index just after it, or -1 if it is invalid. Recursion is
// bounded by MaxDepth.
type validator struct {
	data []byte
}

func (v *validator) value(i, depth int) int {
	d := v.data
	if i >= len(d) {
		return -1
	}
	switch c := d[i]; {
	case c == '"':
		return v.str(i)
	case c == '{':
		return v.object(i, depth+1, nil)
	case c == '[':
		return v.array(i, depth+1)
	case c == '-' || (c >= '0' && c <= '9'):
		return v.number(i)
	case c == 't':
		return v.literal(i, "true")
	case c == 'f':
		return v.literal(i, "false")
	case c == 'n':
		return v.literal(i, "null")
	}
	return -1
}

// object checks an object at nesting depth depth (the outermost is 1),
// calling member, if not nil, with each of its members. member is a
// parameter, not a field of validator, so that escape analysis sees that it
// does not escape: a caller's method value then costs no allocation.
func (v *validator) object(i, depth int, member func(name, value []byte)) int {
	if depth > MaxDepth {
		return -1
	}
	d := v.data
	i = SkipSpace(d, i+1)
	if i < len(d) && d[i] == '}' {
		return i + 1
	}
	for {
		nameStart := i
		i = v.str(i)
		if i < 0 {
			return -1
		}
		nameEnd := i
		i = SkipSpace(d, i)
		if i >= len(d) || d[i] != ':' {
			return -1
		}
		valStart := SkipSpace(d, i+1)
		i = v.value(valStart, depth)
		if i < 0 {
			return -1
		}
		if member != nil {
			member(d[nameStart:nameEnd], d[valStart:i])
		}
		i = SkipSpace(d, i)
		if i >= len(d) {
			return -1
		}
		switch d[i] {
		case ',':
			i = SkipSpace(d, i+1)
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

// array checks an array at nesting depth depth.
func (v *validator) array(i, depth int) int {
	if depth > MaxDepth {
		return -1
	}
	d := v.data
	i = SkipSpace(d, i+1)
	if i < len(d) && d[i] == ']' {
		return i + 1
	}
	for {
		i = v.value(i, depth)
		if i < 0 {
			return -1
		}
		i = SkipSpace(d, i)
		if i >= len(d) {
			return -1
		}
		switch d[i] {
		case ',':
			i = SkipSpace(d, i+1)
		case ']':
			return i + 1
		default:
			return -1
		}
	}
}

// str checks a string literal: no control characters, only the escapes of
// RFC 8259 section 7, and valid UTF-8.
func (v *validator) str(i int) int {
	d := v.data
	if i >= len(d) || d[i] != '"' {
		return -1
	}
	i++
	for i < len(d) {
		// Skip plain ASCII eight bytes at a time: most of a STIX object
		// is string contents.
		for i+8 <= len(d) && plainASCII(binary.LittleEndian.Uint64(d[i:])) {
			i += 8
		}
		if i >= len(d) {
			break
		}
		c := d[i]
		switch {
		case c == '"':
			return i + 1
		case c == '\\':
			if i+1 >= len(d) {
				return -1
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || !IsHex(d[i+2]) || !IsHex(d[i+3]) || !IsHex(d[i+4]) || !IsHex(d[i+5]) {
					return -1
				}
				i += 6
			default:
				return -1
			}
		case c < 0x20:
			return -1
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				return -1
			}
			i += size
		}
	}
	return -1
}

// number checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (v *validator) number(i int) int {
	d := v.data
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		i = skipDigits(d, i)
	default:
		return -1
	}
	if i < len(d) && d[i] == '.' {
		j := skipDigits(d, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := skipDigits(d, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

// literal checks that lit (true, false or null) starts at data[i].
func (v *validator) literal(i int, lit string) int {
	if len(v.data)-i < len(lit) || string(v.data[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// skipDigits returns the index of the first non-digit at or after i.
func skipDigits(d []byte, i int) int {
	for i < len(d) && d[i] >= '0' && d[i] <= '9' {
		i++
	}
	return i
}

// plainASCII reports whether the eight bytes packed in x are all printable
// ASCII other than '"' and '\\', that is, bytes a string scan can skip.
//
// Once no byte has its high bit set, subtracting 0x01 (or 0x20) from every
// byte sets the high bit of some byte exactly when some byte was 0x00 (or
// below 0x20): the classic "has a zero byte" test, exact as to whether such
// a byte exists. XOR turns '"' and '\\' into zero bytes.
func plainASCII(x uint64) bool {
	const (
		ones   = 0x0101010101010101
		highs  = 0x8080808080808080
		quote  = ones * '"'
		bslash = ones * '\\'
	)
	if x&highs != 0 {
		return false // non-ASCII
	}
	control := x - ones*0x20
	q := (x ^ quote) - ones
	b := (x ^ bslash) - ones
	return (control|q|b)&highs == 0
}
