package sign

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"
)

// SignatureExtensionID is the id of the extension-definition under which the hub
// carries member signatures inside STIX objects served over TAXII.
const SignatureExtensionID = "extension-definition--0baa6a1a-6aff-4cfc-afff-7567a9106cae"

// MaxDepth is the deepest nesting of JSON objects and arrays that Canonicalize
// accepts; the top-level object counts as 1. STIX objects nest a handful of
// levels. The limit bounds the work of Canonicalize, which writes every object
// a second time to sort its members: a byte of input is moved once per
// enclosing object (64 levels around 1 MiB take about 6 ms).
const MaxDepth = 64

// MaxMembers is the largest number of members one JSON object may have for
// Canonicalize. Members are sorted in O(n log n), so the limit no longer
// bounds time (a 1 MiB object of 108,000 members takes about 50 ms); it is a
// sanity bound far above any STIX object and above what a 1 MiB object holds
// with ordinary names. Memory, 56 bytes per member of the objects being
// parsed (72 while a large one is sorted), is bounded by the size of the
// input, which callers limit.
const MaxMembers = 1 << 17

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
// The input is checked strictly (RFC 8259 syntax, UTF-8, paired surrogate
// escapes, unique member names, numbers within the double range) in the same
// pass that writes the canonical form. Member names are compared unescaped,
// so the extension is found however the input spells its name. The tests
// check the output against github.com/gowebpki/jcs, the implementation that
// Canonicalize used before, which was an order of magnitude slower and
// quadratic in the number of members.
func Canonicalize(obj []byte) ([]byte, error) {
	// Working space for most STIX objects (90% of a real corpus are below
	// 2 KiB, none has more than 21 members), on the stack: the result is
	// then the only allocation.
	var (
		buf     [2048]byte
		members [32]member
	)
	work := buf[:0]
	if len(obj) > len(buf) {
		work = make([]byte, 0, len(obj)+len(obj)/8)
	}
	out, err := canonicalize(obj, work, members[:0])
	if err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	return out, nil
}

// member is a member of an object being parsed. buf[start:end] is its
// canonical text, "name":value, and buf[start:nameEnd] its quoted name.
type member struct {
	// prefix is the sort key of the first 8 bytes of the unescaped name (see
	// namePrefix): most names differ in it.
	prefix              uint64
	start, nameEnd, end int
	// If nameLen > 0, the canonical name has escapes (quotes, backslashes,
	// control characters) and the unescaped name is
	// names[nameOff:nameOff+nameLen].
	nameOff, nameLen int
	// drop is set for a member left out of the output: the signature
	// extension, or an "extensions" object it was alone in.
	drop bool
	// inner is the strip mode of the value if it is an object.
	inner stripMode
}

// stripMode says where an object is relative to the signature extension.
type stripMode uint8

const (
	stripNone       stripMode = iota
	stripTop                  // the top-level object: look for "extensions"
	stripExtensions           // its "extensions" object: drop the signature
)

var (
	extensionsName   = []byte("extensions")
	signatureExtName = []byte(SignatureExtensionID)
)

// canonicalize returns the canonical form of data, which must be a single
// JSON object. It writes the canonical text of values to buf as it parses
// them, the members of an object in input order; when the object ends, it
// sorts them and writes the object again in order. It pushes the members of
// the objects being parsed on members: the last one is the member whose value
// is being parsed. The top-level object goes straight to the result.
//
// canonicalize is one loop with an explicit stack, not recursive functions,
// so that buf and members can live on the caller's stack: Go's escape
// analysis moves to the heap what mutually recursive functions pass along.
func canonicalize(data, buf []byte, members []member) ([]byte, error) {
	const (
		stValue        = iota // a value is required
		stValueOrClose        // after '[': a value or ']'
		stName                // after ',' in an object: a member name
		stNameOrClose         // after '{': a member name or '}'
		stColon               // after a member name
		stAfterValue          // ',' or a closing bracket, or the end at depth 0
	)
	// level is an object or array being parsed.
	type level struct {
		base   int // offset of its '{' or '[' in buf
		first  int // index of its first member in members
		object bool
		mode   stripMode // of an object
	}
	var (
		stack [MaxDepth]level
		depth int
		names []byte // unescaped names with escapes; see member
		out   []byte // the result
	)
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
	st := stValue
	for {
		i = skipSpace(data, i)
		if i == len(data) {
			if st == stAfterValue && depth == 0 {
				return out, nil
			}
			return nil, fmt.Errorf("%w: unexpected end of input", ErrInvalidJSON)
		}
		c := data[i]
		if c == '}' && (st == stNameOrClose || st == stAfterValue && depth > 0 && stack[depth-1].object) {
			// The end of the object at depth: write it again with its
			// members sorted (or into the result, at the top level).
			top := &stack[depth-1]
			ms := members[top.first:]
			if st == stAfterValue {
				ms[len(ms)-1].end = len(buf)
			}
			t := memberNames{buf, names}
			moved, err := t.sort(ms)
			if err != nil {
				return nil, err
			}
			kept, size := 0, 2 // members kept, and the size of the object
			for _, m := range ms {
				if !m.drop {
					kept++
					size += m.end - m.start
				}
			}
			size += max(kept-1, 0) // commas
			switch {
			case depth == 1:
				out = t.appendObject(make([]byte, 0, size), ms)
			case moved || kept < len(ms):
				tail := len(buf)
				buf = t.appendObject(buf, ms)
				n := copy(buf[top.base:], buf[tail:])
				buf = buf[:top.base+n]
			default:
				buf = append(buf, '}')
			}
			if top.mode == stripExtensions && kept == 0 && len(ms) > 0 {
				// The signature extension was alone: leave "extensions" out too.
				members[top.first-1].drop = true
			}
			members = members[:top.first]
			depth--
			i++
			st = stAfterValue
			continue
		}
		switch st {
		case stValue, stValueOrClose:
			if st == stValueOrClose && c == ']' {
				buf = append(buf, ']')
				depth--
				i++
				st = stAfterValue
				continue
			}
			var err error
			switch {
			case c == '{' || c == '[':
				if depth == MaxDepth {
					return nil, fmt.Errorf("%w: nesting deeper than %d at offset %d", ErrTooComplex, MaxDepth, i)
				}
				l := level{object: c == '{', base: len(buf), first: len(members)}
				switch {
				case depth == 0:
					l.mode = stripTop
				case l.object && stack[depth-1].object:
					l.mode = members[len(members)-1].inner
				}
				stack[depth] = l
				depth++
				buf = append(buf, c)
				i++
				if c == '{' {
					st = stNameOrClose
				} else {
					st = stValueOrClose
				}
				continue
			case c == '"':
				buf, i, err = appendString(buf, data, i)
			case c == 't':
				buf, i, err = appendLiteral(buf, data, i, "true")
			case c == 'f':
				buf, i, err = appendLiteral(buf, data, i, "false")
			case c == 'n':
				buf, i, err = appendLiteral(buf, data, i, "null")
			case c == '-' || isDigit(c):
				start := i
				if i, err = scanNumber(data, i); err == nil {
					var ok bool
					if buf, ok = appendNumber(buf, data[start:i]); !ok {
						err = fmt.Errorf("%w: number outside the IEEE 754 double range at offset %d", ErrInvalidJSON, start)
					}
				}
			default:
				err = syntaxError(data, i, "a value")
			}
			if err != nil {
				return nil, err
			}
			st = stAfterValue
		case stName, stNameOrClose:
			top := &stack[depth-1]
			if c != '"' {
				return nil, syntaxError(data, i, "a member name")
			}
			if n := len(members) - top.first; n == MaxMembers {
				return nil, fmt.Errorf("%w: object with more than %d members at offset %d", ErrTooComplex, MaxMembers, i)
			} else if n > 0 {
				buf = append(buf, ',')
			}
			m := member{start: len(buf)}
			var err error
			if buf, i, err = appendString(buf, data, i); err != nil {
				return nil, err
			}
			m.nameEnd = len(buf)
			name := buf[m.start+1 : m.nameEnd-1]
			if bytes.IndexByte(name, '\\') >= 0 {
				m.nameOff = len(names)
				names = appendUnescaped(names, name)
				m.nameLen = len(names) - m.nameOff
				name = names[m.nameOff:]
			}
			m.prefix = namePrefix(name)
			switch {
			case top.mode == stripTop && bytes.Equal(name, extensionsName):
				m.inner = stripExtensions
			case top.mode == stripExtensions && bytes.Equal(name, signatureExtName):
				m.drop = true
			}
			if len(members) == cap(members) {
				// Double: append grows large slices by only 1.25, which
				// for 100,000 members allocates 5 times their size.
				members = slices.Grow(members, len(members))
			}
			members = append(members, m)
			st = stColon
			continue
		case stColon:
			if c != ':' {
				return nil, syntaxError(data, i, "':'")
			}
			buf = append(buf, ':')
			i++
			st = stValue
			continue
		case stAfterValue:
			if depth == 0 {
				return nil, syntaxError(data, i, "end of input")
			}
			top := &stack[depth-1]
			switch {
			case c == ',' && top.object:
				members[len(members)-1].end = len(buf)
				st = stName
			case c == ',':
				buf = append(buf, ',')
				st = stValue
			case c == ']' && !top.object:
				buf = append(buf, ']')
				depth--
			default:
				return nil, syntaxError(data, i, "',' or a closing bracket")
			}
			i++
		}
	}
}

// memberNames gives the unescaped names of members from the working space
// of canonicalize.
type memberNames struct {
	buf, names []byte
}

// name returns the unescaped name of m.
func (t *memberNames) name(m *member) []byte {
	if m.nameLen > 0 {
		return t.names[m.nameOff : m.nameOff+m.nameLen]
	}
	return t.buf[m.start+1 : m.nameEnd-1]
}

// sortLarge sorts many members by sorting small keys, most of which compare
// by their prefix alone, then moving every member once.
func (t *memberNames) sortLarge(ms []member) {
	type key struct {
		prefix uint64
		index  int // in ms
	}
	keys := make([]key, len(ms))
	for i := range ms {
		keys[i] = key{ms[i].prefix, i}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.prefix != b.prefix {
			return cmp.Compare(a.prefix, b.prefix)
		}
		return compareNames(t.name(&ms[a.index]), t.name(&ms[b.index]))
	})
	// Put ms[keys[i].index] at i, following each cycle of the permutation.
	for i := range keys {
		if keys[i].index < 0 {
			continue
		}
		m, j := ms[i], i
		for {
			k := keys[j].index
			keys[j].index = -1
			if k == i {
				ms[j] = m
				break
			}
			ms[j] = ms[k]
			j = k
		}
	}
}

// compare compares the names of a and b; see compareNames.
func (t *memberNames) compare(a, b *member) int {
	if a.prefix != b.prefix {
		return cmp.Compare(a.prefix, b.prefix)
	}
	return compareNames(t.name(a), t.name(b))
}

// sort sorts the members of one object by name, as RFC 8785 orders them, and
// reports whether that changed their order. It fails if two members have the
// same name.
func (t *memberNames) sort(ms []member) (moved bool, err error) {
	k := 1
	for k < len(ms) && t.compare(&ms[k-1], &ms[k]) < 0 {
		k++
	}
	if k >= len(ms) {
		return false, nil // strictly increasing: sorted, no duplicates
	}
	if len(ms) <= 32 {
		// Insertion sort from the first member out of order: cheaper for
		// the few members of STIX objects (at most 21 in a large corpus).
		for ; k < len(ms); k++ {
			m := ms[k]
			j := k
			for ; j > 0 && (ms[j-1].prefix > m.prefix || ms[j-1].prefix == m.prefix && compareNames(t.name(&ms[j-1]), t.name(&m)) > 0); j-- {
				ms[j] = ms[j-1]
			}
			ms[j] = m
		}
	} else {
		t.sortLarge(ms)
	}
	for k := 1; k < len(ms); k++ {
		if t.compare(&ms[k-1], &ms[k]) == 0 {
			// The name is copied: the error must not keep buf.
			return false, fmt.Errorf("%w: duplicate member name %.64q", ErrInvalidJSON, string(t.name(&ms[k])))
		}
	}
	return true, nil
}

// appendObject appends the object made of the members ms, except dropped
// ones, to dst.
func (t *memberNames) appendObject(dst []byte, ms []member) []byte {
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
		dst = append(dst, t.buf[m.start:m.end]...)
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

// namePrefix returns a number that orders names as compareNames does where
// they differ in their first 8 bytes: those bytes, zero-padded, read as a
// big-endian number, with the lead bytes of 4-byte UTF-8 sequences (F0-F4)
// moved before those of U+E000-U+FFFF (EE, EF); see compareNames. Zero
// padding can make the prefixes of different names equal, but never orders
// them wrongly: where a name ends, the other has more bytes.
func namePrefix(name []byte) uint64 {
	var b [8]byte
	copy(b[:], name)
	if p := binary.BigEndian.Uint64(b[:]); p&0x8080808080808080 == 0 {
		return p // ASCII
	}
	for i, c := range b {
		switch {
		case c >= 0xf0:
			b[i] = c - 2 // F0-F4 to EE-F2
		case c >= 0xee:
			b[i] = c + 6 // EE-EF to F4-F5
		}
	}
	return binary.BigEndian.Uint64(b[:])
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

// appendNumber appends the canonical form of the JSON number lit (RFC 8785
// section 3.2.2.3): Number.prototype.toString of ECMAScript for the nearest
// IEEE 754 double. It fails if lit is beyond the largest double (numbers
// closer to zero than the smallest become 0, as in the JCS library).
func appendNumber(dst, lit []byte) ([]byte, bool) {
	// Fast path: an integer of up to 15 digits without leading zeros is an
	// exact double, which is written as it is.
	digits := lit
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) <= 15 && (digits[0] != '0' || len(lit) == 1) && !slices.ContainsFunc(digits, func(b byte) bool { return !isDigit(b) }) {
		return append(dst, lit...), true
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil { // lit is well-formed, so the error is ErrRange
		return dst, false
	}
	return appendES6Number(dst, f), true
}

// appendES6Number appends the finite f as Number.prototype.toString of
// ECMAScript writes it: the shortest digits that read back as f, in
// positional notation from 1e-6 up to 1e21 and in exponent notation (1e+21,
// 1e-7) outside; zero, also negative zero, as 0. The tests check it against
// jcs.NumberToJSON of github.com/gowebpki/jcs, which does the same with an
// allocation.
func appendES6Number(dst []byte, f float64) []byte {
	if f == 0 {
		return append(dst, '0')
	}
	format := byte('e')
	if a := math.Abs(f); a >= 1e-6 && a < 1e21 {
		format = 'f'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	// Go writes at least two exponent digits (1e+09), ECMAScript no
	// leading zero (1e+9).
	if n := len(dst); format == 'e' && dst[n-2] == '0' && (dst[n-3] == '+' || dst[n-3] == '-') {
		dst[n-2] = dst[n-1]
		dst = dst[:n-1]
	}
	return dst
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
	for {
		// Find the next byte that is not copied as it is, 8 at a time.
		for i+8 <= len(data) {
			if m := special8(binary.LittleEndian.Uint64(data[i:])); m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		for i < len(data) && data[i] >= 0x20 && data[i] != '"' && data[i] != '\\' && data[i] < utf8.RuneSelf {
			i++
		}
		if i >= len(data) {
			break
		}
		c := data[i]
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

// special8 finds the characters of a string that are not copied as they are:
// '"', '\\', control characters and non-ASCII bytes. Of the 8 bytes of x,
// little-endian, the first such byte is the one whose high bit is the lowest
// set in the result; none is if the result is 0.
func special8(x uint64) uint64 {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	// A byte of 0x80 or more is flagged by x itself. For a byte b below
	// 0x80, the byte of x - ones*n has its high bit set if b < n, or if a
	// borrow came from a lower byte, which happens only if that byte was
	// below n: so the lowest high bit set is exact. With n = 1 after an
	// xor, b < n means that b equals what was xored.
	return (x | (x - ones*0x20) | (x ^ ones*'"' - ones) | (x ^ ones*'\\' - ones)) & high
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

// appendLiteral appends lit, which must be at data[i], to dst.
func appendLiteral(dst, data []byte, i int, lit string) ([]byte, int, error) {
	if !bytes.HasPrefix(data[i:], []byte(lit)) {
		return dst, 0, syntaxError(data, i, lit)
	}
	return append(dst, lit...), i + len(lit), nil
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
