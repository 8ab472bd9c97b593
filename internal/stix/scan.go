package stix

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"unicode/utf8"
)

// This file checks and walks JSON text by hand. The validator (below) checks
// the whole text in one pass and hands Parse every top-level member, so Parse
// can reject duplicate names, which encoding/json silently merges, and look
// at each property's raw bytes without decoding the object into a map. The
// skip functions and iterators then walk values the validator has accepted;
// they still check their bounds, so malformed input stops them, never panics
// them. The fuzz tests hold the validator to json.Valid plus utf8.Valid.

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
// data[i] (which must be '"'), or -1 if it is not terminated. A quote ends
// the literal unless an odd number of backslashes precede it; searching for
// quotes with bytes.IndexByte is much faster than stepping over each byte.
func skipString(data []byte, i int) int {
	if i >= len(data) || data[i] != '"' {
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

// skipValue returns the index just after the JSON value starting at data[i],
// or -1 if there is none. It does not recurse, so deep nesting cannot exhaust
// the stack.
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
				i = skipString(data, i)
				if i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
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

// objectIter walks the members of a JSON object. Use it as
//
//	it := newObjectIter(raw)
//	for it.next() { use(it.name, it.value) }
//	if it.err { ... }
type objectIter struct {
	data   []byte
	pos    int
	name   []byte // raw name literal, quotes included
	value  []byte // raw value
	offset int    // offset of value within data
	err    bool   // set when the walk stopped on malformed input
}

// newObjectIter returns an iterator over the members of the object raw. If
// raw is not an object, the first call to next reports false and sets err.
func newObjectIter(raw []byte) objectIter {
	it := objectIter{data: raw}
	if len(raw) < 2 || raw[0] != '{' {
		it.err = true
		it.pos = len(raw)
		return it
	}
	it.pos = skipSpace(raw, 1)
	if it.pos < len(raw) && raw[it.pos] == '}' {
		it.pos = len(raw)
	}
	return it
}

// next advances to the next member and reports whether there is one.
func (it *objectIter) next() bool {
	if it.err || it.pos >= len(it.data) {
		return false
	}
	d := it.data
	i := it.pos
	end := skipString(d, i)
	if end < 0 {
		return it.fail()
	}
	it.name = d[i:end]
	i = skipSpace(d, end)
	if i >= len(d) || d[i] != ':' {
		return it.fail()
	}
	i = skipSpace(d, i+1)
	end = skipValue(d, i)
	if end < 0 {
		return it.fail()
	}
	it.offset = i
	it.value = d[i:end]
	i = skipSpace(d, end)
	switch {
	case i < len(d) && d[i] == ',':
		it.pos = skipSpace(d, i+1)
	case i < len(d) && d[i] == '}':
		it.pos = len(d)
	default:
		return it.fail()
	}
	return true
}

func (it *objectIter) fail() bool {
	it.err = true
	it.pos = len(it.data)
	return false
}

// arrayIter walks the elements of a JSON array, like objectIter. offset is
// the element's byte offset in the array text, used for error positions.
type arrayIter struct {
	data   []byte
	pos    int
	index  int // index of value; -1 before the first call to next
	offset int // offset of value within data
	value  []byte
	err    bool
}

// newArrayIter returns an iterator over the elements of the array raw. If raw
// is not an array, the first call to next reports false and sets err.
func newArrayIter(raw []byte) arrayIter {
	it := arrayIter{data: raw, index: -1}
	if len(raw) < 2 || raw[0] != '[' {
		it.err = true
		it.pos = len(raw)
		return it
	}
	it.pos = skipSpace(raw, 1)
	if it.pos < len(raw) && raw[it.pos] == ']' {
		it.pos = len(raw)
	}
	return it
}

// next advances to the next element and reports whether there is one.
func (it *arrayIter) next() bool {
	if it.err || it.pos >= len(it.data) {
		return false
	}
	d := it.data
	i := it.pos
	end := skipValue(d, i)
	if end < 0 {
		return it.fail()
	}
	it.index++
	it.offset = i
	it.value = d[i:end]
	i = skipSpace(d, end)
	switch {
	case i < len(d) && d[i] == ',':
		it.pos = skipSpace(d, i+1)
	case i < len(d) && d[i] == ']':
		it.pos = len(d)
	default:
		return it.fail()
	}
	return true
}

func (it *arrayIter) fail() bool {
	it.err = true
	it.pos = len(it.data)
	return false
}

// jsonString returns the unescaped contents of the JSON string literal raw.
// ok is false if raw is not a string literal. The result aliases raw when
// raw has no escapes, the common case, so it must not be modified.
func jsonString(raw []byte) (s []byte, ok bool) {
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

// jsonKind names the kind of JSON value raw holds, for messages.
func jsonKind(raw []byte) string {
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

// maxDepth is the deepest nesting of arrays and objects accepted, the same
// limit as encoding/json's.
const maxDepth = 10000

// validator checks JSON text in one pass: the grammar of RFC 8259 and, unlike
// json.Valid, UTF-8 in strings. It is several times faster than json.Valid
// followed by utf8.Valid, which matters on Parse's hot path.
type validator struct {
	data []byte
	// top, if not nil, receives the members of the outermost object.
	top *members
}

// validJSON reports whether data is exactly one JSON value, surrounded by
// optional whitespace, and valid UTF-8.
func validJSON(data []byte) bool {
	v := validator{data: data}
	end := v.value(skipSpace(data, 0), 0)
	return end >= 0 && skipSpace(data, end) == len(data)
}

// value checks the value starting at data[i] and returns the index just
// after it, or -1 if it is invalid.
func (v *validator) value(i, depth int) int {
	d := v.data
	if i >= len(d) {
		return -1
	}
	switch c := d[i]; {
	case c == '"':
		return v.str(i)
	case c == '{':
		return v.object(i, depth+1)
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

// object checks the object starting at data[i] and returns the index just
// after it, or -1. Members of the outermost object (depth 1) go to v.top.
func (v *validator) object(i, depth int) int {
	if depth > maxDepth {
		return -1
	}
	d := v.data
	i = skipSpace(d, i+1)
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
		i = skipSpace(d, i)
		if i >= len(d) || d[i] != ':' {
			return -1
		}
		valStart := skipSpace(d, i+1)
		i = v.value(valStart, depth)
		if i < 0 {
			return -1
		}
		if depth == 1 && v.top != nil {
			v.top.add(d[nameStart:nameEnd], d[valStart:i])
		}
		i = skipSpace(d, i)
		if i >= len(d) {
			return -1
		}
		switch d[i] {
		case ',':
			i = skipSpace(d, i+1)
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

// array checks the array starting at data[i] and returns the index just
// after it, or -1.
func (v *validator) array(i, depth int) int {
	if depth > maxDepth {
		return -1
	}
	d := v.data
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == ']' {
		return i + 1
	}
	for {
		i = v.value(i, depth)
		if i < 0 {
			return -1
		}
		i = skipSpace(d, i)
		if i >= len(d) {
			return -1
		}
		switch d[i] {
		case ',':
			i = skipSpace(d, i+1)
		case ']':
			return i + 1
		default:
			return -1
		}
	}
}

// str checks the string literal starting at data[i] and returns the index
// just after it, or -1.
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
				if i+6 > len(d) || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) || !isHex(d[i+5]) {
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

// number checks the number starting at data[i] and returns the index just
// after it, or -1.
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

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
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
