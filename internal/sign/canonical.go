package sign

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// SignatureExtensionID is the id of the extension-definition under which the hub
// carries member signatures inside STIX objects served over TAXII.
const SignatureExtensionID = "extension-definition--0baa6a1a-6aff-4cfc-afff-7567a9106cae"

// MaxDepth is the deepest nesting of JSON objects and arrays that Canonicalize
// accepts; the top-level object counts as 1. STIX objects nest a handful of
// levels. The limit bounds the recursion of the parser and its work: the
// members of every object are sorted by moving their canonical text once, so
// a byte of input is moved at most once per enclosing object.
const MaxDepth = 64

// MaxMembers is the largest number of members one JSON object may have for
// Canonicalize. Members are sorted in O(n log n), so the limit is not needed
// to bound time (a 1 MiB object of 95,000 members takes about 15 ms); it caps
// the bookkeeping of one object, about 40 bytes per member, far above any
// STIX object.
const MaxMembers = 100_000

// ErrInvalidJSON is returned (wrapped) by Canonicalize for input that is not
// I-JSON (RFC 7493) text: bad syntax, invalid UTF-8, unpaired surrogate
// escapes, duplicate member names or numbers outside the IEEE 754 double range.
var ErrInvalidJSON = errors.New("invalid JSON")

// ErrNotObject is returned (wrapped) by Canonicalize when the JSON text is
// valid but its top-level value is not an object.
var ErrNotObject = errors.New("not a JSON object")

// ErrTooComplex is returned (wrapped) by Canonicalize when the input exceeds
// MaxDepth or MaxMembers.
var ErrTooComplex = errors.New("JSON too complex")

// Canonicalize returns the RFC 8785 canonical form of a STIX object, with the
// hub signature extension (extensions[SignatureExtensionID]) removed first; an
// "extensions" object left empty by that removal is removed too. Input must be
// a JSON object.
//
// Input is checked strictly (RFC 8259 syntax, UTF-8, paired surrogates, no
// duplicate names, finite numbers) in the same pass that writes the canonical
// form. Member names are compared unescaped, so the extension is found however
// the input spells its name. Numbers are formatted by github.com/gowebpki/jcs,
// which also serves as the reference implementation in the tests.
func Canonicalize(obj []byte) ([]byte, error) {
	// One allocation holds the working space for a typical STIX object.
	s := new(struct {
		buf     [2048]byte
		members [32]member
	})
	c := canonicalizer{data: obj, buf: s.buf[:0], members: s.members[:0]}
	if len(obj) > len(s.buf) {
		c.buf = make([]byte, 0, len(obj)+len(obj)/8)
	}
	out, err := c.document()
	if err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	return out, nil
}

// canonicalizer holds the state of one Canonicalize call.
type canonicalizer struct {
	data []byte // the input
	// buf holds the canonical text of the values parsed so far. The members
	// of an object are written in input order, then moved into sorted order
	// when the object ends; the top-level object is assembled in the result
	// instead.
	buf []byte
	// members holds the members of the objects being parsed, innermost last.
	members []member
	// names holds the unescaped names of members whose canonical name has
	// escapes (quotes, backslashes, control characters); other names are
	// compared in place in buf.
	names []byte
}

// member is one member of an object being parsed. buf[start:end] is its
// canonical text, "name":value, and buf[start:nameEnd] its quoted name.
type member struct {
	// prefix is the first 8 bytes of the unescaped name, zero-padded, read
	// as a big-endian number: most names differ in it.
	prefix              uint64
	start, nameEnd, end int
	// escaped is set if the canonical name has escapes; the unescaped name
	// is then names[nameOff:nameOff+nameLen].
	escaped          bool
	nameOff, nameLen int
	// drop is set for a member left out of the output: the signature
	// extension, or an "extensions" object it was alone in.
	drop bool
}

// stripMode says where the parser is relative to the signature extension.
type stripMode int

const (
	stripNone       stripMode = iota
	stripTop                  // the top-level object: look for "extensions"
	stripExtensions           // its "extensions" object: drop the signature
)

// document parses the whole input, a single object, and returns its canonical
// form.
func (c *canonicalizer) document() ([]byte, error) {
	data := c.data
	i := skipSpace(data, 0)
	if i == len(data) {
		return nil, fmt.Errorf("%w: empty input", ErrInvalidJSON)
	}
	if data[i] != '{' {
		if !jsonValueStart(data[i]) {
			return nil, syntaxError(data, i, "a JSON object")
		}
		return nil, fmt.Errorf("%w: top-level value starts with %q", ErrNotObject, data[i])
	}
	i, err := c.parseMembers(i, 1, stripTop)
	if err != nil {
		return nil, err
	}
	if i = skipSpace(data, i); i != len(data) {
		return nil, syntaxError(data, i, "end of input")
	}
	ms := c.members
	if _, err := c.sortMembers(ms); err != nil {
		return nil, err
	}
	size := 2
	for _, m := range ms {
		if !m.drop {
			size += m.end - m.start + 1
		}
	}
	return c.appendObject(make([]byte, 0, size), ms), nil
}

// value parses the JSON value at data[i], within depth enclosing objects and
// arrays, appends its canonical form to buf and returns the index after it.
func (c *canonicalizer) value(i, depth int) (int, error) {
	data := c.data
	if i >= len(data) {
		return 0, syntaxError(data, i, "a value")
	}
	var err error
	switch ch := data[i]; {
	case ch == '{':
		i, _, err = c.object(i, depth, stripNone)
	case ch == '[':
		i, err = c.array(i, depth)
	case ch == '"':
		c.buf, i, err = appendString(c.buf, data, i)
	case ch == 't':
		i, err = c.literal(i, "true")
	case ch == 'f':
		i, err = c.literal(i, "false")
	case ch == 'n':
		i, err = c.literal(i, "null")
	case ch == '-' || isDigit(ch):
		start := i
		if i, err = scanNumber(data, i); err == nil {
			c.buf, err = appendNumber(c.buf, data[start:i])
		}
	default:
		err = syntaxError(data, i, "a value")
	}
	return i, err
}

func (c *canonicalizer) literal(i int, lit string) (int, error) {
	i, err := scanLiteral(c.data, i, lit)
	if err != nil {
		return 0, err
	}
	c.buf = append(c.buf, lit...)
	return i, nil
}

// array parses the array whose '[' is data[i]; see value.
func (c *canonicalizer) array(i, depth int) (int, error) {
	data := c.data
	if depth == MaxDepth {
		return 0, fmt.Errorf("%w: nesting deeper than %d at offset %d", ErrTooComplex, MaxDepth, i)
	}
	c.buf = append(c.buf, '[')
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		c.buf = append(c.buf, ']')
		return i + 1, nil
	}
	for {
		var err error
		if i, err = c.value(i, depth+1); err != nil {
			return 0, err
		}
		i = skipSpace(data, i)
		switch {
		case i < len(data) && data[i] == ',':
			c.buf = append(c.buf, ',')
			i = skipSpace(data, i+1)
		case i < len(data) && data[i] == ']':
			c.buf = append(c.buf, ']')
			return i + 1, nil
		default:
			return 0, syntaxError(data, i, "',' or ']'")
		}
	}
}

// object parses the object whose '{' is data[i], within depth enclosing
// objects and arrays, appends its canonical form to buf and returns the index
// after it. With mode stripExtensions it leaves out the signature extension
// and reports whether that left the object empty.
func (c *canonicalizer) object(i, depth int, mode stripMode) (next int, emptied bool, err error) {
	if depth == MaxDepth {
		return 0, false, fmt.Errorf("%w: nesting deeper than %d at offset %d", ErrTooComplex, MaxDepth, i)
	}
	base, first := len(c.buf), len(c.members)
	c.buf = append(c.buf, '{')
	if i, err = c.parseMembers(i, depth+1, mode); err != nil {
		return 0, false, err
	}
	ms := c.members[first:]
	moved, err := c.sortMembers(ms)
	if err != nil {
		return 0, false, err
	}
	kept := 0
	for _, m := range ms {
		if !m.drop {
			kept++
		}
	}
	if moved || kept < len(ms) {
		// Write the object again after itself, then move it into place.
		tail := len(c.buf)
		c.buf = c.appendObject(c.buf, ms)
		n := copy(c.buf[base:], c.buf[tail:])
		c.buf = c.buf[:base+n]
	} else {
		c.buf = append(c.buf, '}')
	}
	c.members = c.members[:first]
	return i, kept == 0 && len(ms) > 0, nil
}

var (
	extensionsName   = []byte("extensions")
	signatureExtName = []byte(SignatureExtensionID)
)

// parseMembers parses the members of the object whose '{' is data[i], whose
// values have depth enclosing objects and arrays. It appends their canonical
// text to buf in input order, separated by commas, pushes them on members and
// returns the index after the closing '}'.
func (c *canonicalizer) parseMembers(i, depth int, mode stripMode) (int, error) {
	data := c.data
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, nil
	}
	for n := 1; ; n++ {
		if i >= len(data) || data[i] != '"' {
			return 0, syntaxError(data, i, "a member name")
		}
		if n > MaxMembers {
			return 0, fmt.Errorf("%w: object with more than %d members at offset %d", ErrTooComplex, MaxMembers, i)
		}
		if n > 1 {
			c.buf = append(c.buf, ',')
		}
		m := member{start: len(c.buf)}
		var err error
		if c.buf, i, err = appendString(c.buf, data, i); err != nil {
			return 0, err
		}
		m.nameEnd = len(c.buf)
		if quoted := c.buf[m.start+1 : m.nameEnd-1]; bytes.IndexByte(quoted, '\\') >= 0 {
			m.escaped, m.nameOff = true, len(c.names)
			c.names = appendUnescaped(c.names, quoted)
			m.nameLen = len(c.names) - m.nameOff
		}
		m.prefix = namePrefix(c.name(&m))
		if i = skipSpace(data, i); i >= len(data) || data[i] != ':' {
			return 0, syntaxError(data, i, "':'")
		}
		c.buf = append(c.buf, ':')
		i = skipSpace(data, i+1)
		switch {
		case mode == stripTop && i < len(data) && data[i] == '{' && bytes.Equal(c.name(&m), extensionsName):
			i, m.drop, err = c.object(i, depth, stripExtensions)
		case mode == stripExtensions && bytes.Equal(c.name(&m), signatureExtName):
			m.drop = true
			i, err = c.value(i, depth)
		default:
			i, err = c.value(i, depth)
		}
		if err != nil {
			return 0, err
		}
		m.end = len(c.buf)
		c.members = append(c.members, m)
		switch i = skipSpace(data, i); {
		case i < len(data) && data[i] == ',':
			i = skipSpace(data, i+1)
		case i < len(data) && data[i] == '}':
			return i + 1, nil
		default:
			return 0, syntaxError(data, i, "',' or '}'")
		}
	}
}

// name returns the unescaped name of m.
func (c *canonicalizer) name(m *member) []byte {
	if m.escaped {
		return c.names[m.nameOff : m.nameOff+m.nameLen]
	}
	return c.buf[m.start+1 : m.nameEnd-1]
}

// sortMembers sorts the members of one object by name, as RFC 8785 orders
// them, and reports whether that changed their order. It fails if two members
// have the same name.
func (c *canonicalizer) sortMembers(ms []member) (moved bool, err error) {
	compare := func(a, b member) int {
		if a.prefix != b.prefix {
			return comparePrefixes(a.prefix, b.prefix)
		}
		return compareNames(c.name(&a), c.name(&b))
	}
	k := 1
	for k < len(ms) && compare(ms[k-1], ms[k]) < 0 {
		k++
	}
	if k >= len(ms) {
		return false, nil // strictly increasing: sorted, no duplicates
	}
	slices.SortFunc(ms, compare)
	for k := 1; k < len(ms); k++ {
		if compare(ms[k-1], ms[k]) == 0 {
			return false, fmt.Errorf("%w: duplicate member name %.64q", ErrInvalidJSON, c.name(&ms[k]))
		}
	}
	return true, nil
}

// appendObject appends the object made of the members ms, except dropped
// ones, to dst.
func (c *canonicalizer) appendObject(dst []byte, ms []member) []byte {
	dst = append(dst, '{')
	first := true
	for _, m := range ms {
		if m.drop {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, c.buf[m.start:m.end]...)
	}
	return append(dst, '}')
}

// compareNames compares two member names, UTF-8 encoded, in the order of
// their UTF-16 code units, which RFC 8785 section 3.2.3 prescribes.
//
// UTF-8 byte order is code point order. UTF-16 order differs from it in one
// case only: a code point above U+FFFF, a surrogate pair D800-DBFF DC00-DFFF
// in UTF-16, sorts before U+E000-U+FFFF. In UTF-8 those are the 4-byte
// sequences (first byte F0-F4) and the 3-byte ones starting with EE or EF.
func compareNames(a, b []byte) int {
	i := commonPrefix(a, b)
	if i == len(a) || i == len(b) {
		return cmp.Compare(len(a), len(b))
	}
	return compareBytes(a[i], b[i])
}

// compareBytes compares the first different bytes x and y of two names.
func compareBytes(x, y byte) int {
	if x >= 0xee && y >= 0xee && (x >= 0xf0) != (y >= 0xf0) {
		// Both start a character (a continuation byte is below 0xc0),
		// one above U+FFFF and the other in U+E000-U+FFFF.
		if x >= 0xf0 {
			return -1
		}
		return 1
	}
	return cmp.Compare(x, y)
}

// namePrefix returns the first 8 bytes of name, zero-padded, as a big-endian
// number.
func namePrefix(name []byte) uint64 {
	if len(name) >= 8 {
		return binary.BigEndian.Uint64(name)
	}
	var b [8]byte
	copy(b[:], name)
	return binary.BigEndian.Uint64(b[:])
}

// comparePrefixes compares the different name prefixes p and q (see
// namePrefix) as compareNames compares the names. Padding can make the
// prefixes of different names equal, but never different prefixes compare
// otherwise than their names: where a name ends, the other has more bytes.
func comparePrefixes(p, q uint64) int {
	shift := 56 - bits.LeadingZeros64(p^q)&^7 // of the first different byte
	return compareBytes(byte(p>>shift), byte(q>>shift))
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for ; i+8 <= n; i += 8 {
		if d := binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]); d != 0 {
			return i + bits.TrailingZeros64(d)/8
		}
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// appendNumber appends the canonical form of the JSON number lit: that of
// ECMAScript's Number.prototype.toString for the nearest IEEE 754 double.
func appendNumber(dst, lit []byte) ([]byte, error) {
	// Fast path: an integer of up to 15 digits without leading zeros is an
	// exact double and is written as it is.
	digits := lit
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) <= 15 && (digits[0] != '0' || len(lit) == 1) && !slices.ContainsFunc(digits, func(b byte) bool { return !isDigit(b) }) {
		return append(dst, lit...), nil
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return dst, fmt.Errorf("%w: number %.32s is outside the IEEE 754 double range", ErrInvalidJSON, lit)
	}
	s, err := jcs.NumberToJSON(f)
	if err != nil {
		return dst, fmt.Errorf("%w: number %.32s: %v", ErrInvalidJSON, lit, err)
	}
	return append(dst, s...), nil
}

// appendString appends the canonical form (RFC 8785 section 3.2.2.2) of the
// JSON string whose opening quote is data[i] to dst, and returns the index
// after its closing quote. Only '"', '\\' and control characters are escaped,
// with the short escapes where JSON has them and \u00xx otherwise; everything
// else is written as UTF-8.
func appendString(dst, data []byte, i int) ([]byte, int, error) {
	dst = append(dst, '"')
	i++
	run := i // data[run:i] is to be copied as it is
	for i < len(data) {
		for i+8 <= len(data) && plain8(binary.LittleEndian.Uint64(data[i:])) {
			i += 8
		}
		if i >= len(data) {
			break
		}
		c := data[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return dst, 0, fmt.Errorf("%w: invalid UTF-8 at offset %d", ErrInvalidJSON, i)
			}
			i += size
			continue
		}
		dst = append(dst, data[run:i]...)
		switch {
		case c == '"':
			return append(dst, '"'), i + 1, nil
		case c < 0x20:
			return dst, 0, fmt.Errorf("%w: unescaped control character %#02x at offset %d", ErrInvalidJSON, c, i)
		}
		// A backslash.
		if i+1 >= len(data) {
			return dst, 0, syntaxError(data, i+1, "an escape")
		}
		switch data[i+1] {
		case '"', '\\', 'b', 'f', 'n', 'r', 't':
			dst = append(dst, data[i:i+2]...)
			i += 2
		case '/':
			dst = append(dst, '/')
			i += 2
		case 'u':
			r, ok := hex4(data, i+2)
			if !ok {
				return dst, 0, fmt.Errorf("%w: bad \\u escape at offset %d", ErrInvalidJSON, i)
			}
			switch {
			case r >= 0xdc00 && r <= 0xdfff:
				return dst, 0, fmt.Errorf("%w: unpaired surrogate \\u%04x at offset %d", ErrInvalidJSON, r, i)
			case r >= 0xd800 && r <= 0xdbff:
				lo, ok := hex4(data, i+8)
				if !ok || data[i+6] != '\\' || data[i+7] != 'u' || lo < 0xdc00 || lo > 0xdfff {
					return dst, 0, fmt.Errorf("%w: unpaired surrogate \\u%04x at offset %d", ErrInvalidJSON, r, i)
				}
				dst = utf8.AppendRune(dst, 0x10000+(r-0xd800)<<10+(lo-0xdc00))
				i += 12
			default:
				dst = appendRune(dst, r)
				i += 6
			}
		default:
			return dst, 0, syntaxError(data, i+1, "an escape character")
		}
		run = i
	}
	return dst, 0, fmt.Errorf("%w: unterminated string", ErrInvalidJSON)
}

// plain8 reports whether the 8 bytes of x are all ASCII characters that a
// canonical string holds as they are: none is '"', '\\' or a control
// character.
func plain8(x uint64) bool {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	// With no high bit set in x, a byte of x - ones*n has its high bit set
	// if the byte of x is below n, or if a lower byte was (the borrow); so
	// the high bits tell whether any byte is below n, or equal to n after
	// the xor.
	return (x|(x-ones*0x20)|(x^ones*'"'-ones)|(x^ones*'\\'-ones))&high == 0
}

// appendRune appends the canonical form of r, a character inside a string.
func appendRune(dst []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	switch r {
	case '"', '\\':
		return append(dst, '\\', byte(r))
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	if r < 0x20 {
		return append(dst, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
	}
	return utf8.AppendRune(dst, r)
}

// appendUnescaped appends the characters of s, the inside of a string in
// canonical form, to dst.
func appendUnescaped(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			i++
			switch c = s[i]; c {
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'u': // \u00xx
				hi, _ := hex4(s, i+1)
				c = byte(hi)
				i += 4
			}
		}
		dst = append(dst, c)
	}
	return dst
}

func syntaxError(data []byte, i int, want string) error {
	if i >= len(data) {
		return fmt.Errorf("%w: unexpected end of input, want %s", ErrInvalidJSON, want)
	}
	return fmt.Errorf("%w: unexpected byte %q at offset %d, want %s", ErrInvalidJSON, data[i], i, want)
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func jsonValueStart(c byte) bool {
	return c == '[' || c == '"' || c == 't' || c == 'f' || c == 'n' || c == '-' || isDigit(c)
}

func scanLiteral(data []byte, i int, lit string) (int, error) {
	if !bytes.HasPrefix(data[i:], []byte(lit)) {
		return 0, syntaxError(data, i, lit)
	}
	return i + len(lit), nil
}

// scanNumber scans an RFC 8259 number starting at data[i] and returns the
// index after it.
func scanNumber(data []byte, i int) (int, error) {
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && isDigit(data[i]):
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	default:
		return 0, syntaxError(data, i, "a digit")
	}
	if i < len(data) && data[i] == '.' {
		i++
		if i >= len(data) || !isDigit(data[i]) {
			return 0, syntaxError(data, i, "a digit after '.'")
		}
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || !isDigit(data[i]) {
			return 0, syntaxError(data, i, "a digit in the exponent")
		}
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	return i, nil
}

// hex4 decodes the four hex digits at data[i:i+4].
func hex4(data []byte, i int) (rune, bool) {
	if i < 0 || i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
