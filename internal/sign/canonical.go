package sign

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// SignatureExtensionID is the id of the extension-definition under which the hub
// carries member signatures inside STIX objects served over TAXII.
const SignatureExtensionID = "extension-definition--0baa6a1a-6aff-4cfc-afff-7567a9106cae"

// MaxDepth is the deepest nesting of JSON objects and arrays that Canonicalize
// accepts; the top-level object counts as 1. STIX objects nest a handful of
// levels; the limit bounds the work of the JCS library, which copies every
// nested value once per enclosing level.
const MaxDepth = 64

// MaxMembers is the largest number of members one JSON object may have for
// Canonicalize. The JCS library sorts members by insertion into a list, which
// is quadratic in the member count: unbounded, a 1 MiB object of 95,000 keys
// takes about a minute on a 2-core machine; at this limit the worst 1 MiB
// input takes about half a second.
const MaxMembers = 1000

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

var (
	extensionsKey   = []byte(`"extensions"`)
	signatureExtKey = []byte(`"` + SignatureExtensionID + `"`)
)

// Canonicalize returns the RFC 8785 canonical form of a STIX object, with the
// hub signature extension (extensions[SignatureExtensionID]) removed first; an
// "extensions" object left empty by that removal is removed too. Input must be
// a JSON object.
//
// The input is checked strictly before it reaches the JCS library
// (github.com/gowebpki/jcs), which on its own accepts some non-JSON ("tr ue",
// "01", "+1"), silently rewrites unpaired surrogates and has no bound on its
// work. The extension is removed from the canonical form rather than from the
// input: member names there are unescaped, so the extension is found however
// the input spelled its name, and removing a member from a canonical object
// leaves it canonical.
func Canonicalize(obj []byte) ([]byte, error) {
	if err := validate(obj); err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	canon, err := jcs.Transform(obj)
	if err != nil {
		return nil, fmt.Errorf("canonicalize: %w: %v", ErrInvalidJSON, err)
	}
	// Fast path: canonical text holds every member name literally, so if the
	// id does not occur anywhere there is nothing to remove.
	if !bytes.Contains(canon, signatureExtKey) {
		return canon, nil
	}
	out, err := stripSignatureExtension(canon)
	if err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	return out, nil
}

// span locates one member of a compact JSON object: b[start:nameEnd] is its
// quoted name, b[valueStart:end] its value.
type span struct {
	start, nameEnd, valueStart, end int
}

// stripSignatureExtension removes extensions[SignatureExtensionID] from a
// canonical (compact, sorted, duplicate-free) JSON object, and "extensions"
// itself if nothing else is left in it.
func stripSignatureExtension(canon []byte) ([]byte, error) {
	top, err := members(canon, 0)
	if err != nil {
		return nil, err
	}
	for i, m := range top {
		if !bytes.Equal(canon[m.start:m.nameEnd], extensionsKey) || canon[m.valueStart] != '{' {
			continue
		}
		inner, err := members(canon, m.valueStart)
		if err != nil {
			return nil, err
		}
		for j, e := range inner {
			if !bytes.Equal(canon[e.start:e.nameEnd], signatureExtKey) {
				continue
			}
			out := make([]byte, 0, len(canon))
			out = append(out, '{')
			if len(inner) == 1 {
				out = appendMembers(out, canon, top, i)
			} else {
				out = appendMembers(out, canon, top[:i], -1)
				if i > 0 {
					out = append(out, ',')
				}
				out = append(out, canon[m.start:m.valueStart]...)
				out = append(out, '{')
				out = appendMembers(out, canon, inner, j)
				out = append(out, '}')
				if i+1 < len(top) {
					out = append(out, ',')
				}
				out = appendMembers(out, canon, top[i+1:], -1)
			}
			return append(out, '}'), nil
		}
		return canon, nil
	}
	return canon, nil
}

// appendMembers appends the members ms of src, except ms[skip], to dst,
// separated by commas.
func appendMembers(dst, src []byte, ms []span, skip int) []byte {
	first := true
	for k, m := range ms {
		if k == skip {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, src[m.start:m.end]...)
	}
	return dst
}

// errCanonical reports JCS library output that is not in canonical form; it
// means a bug, not bad input.
var errCanonical = errors.New("unexpected canonical form")

// members returns the members of the compact JSON object whose opening brace
// is b[at].
func members(b []byte, at int) ([]span, error) {
	if at >= len(b) || b[at] != '{' {
		return nil, errCanonical
	}
	i := at + 1
	if i < len(b) && b[i] == '}' {
		return nil, nil
	}
	var out []span
	for {
		m := span{start: i}
		if i >= len(b) || b[i] != '"' {
			return nil, errCanonical
		}
		i = skipValue(b, i)
		if i < 0 || i >= len(b) || b[i] != ':' {
			return nil, errCanonical
		}
		m.nameEnd = i
		m.valueStart = i + 1
		i = skipValue(b, i+1)
		if i < 0 || i >= len(b) {
			return nil, errCanonical
		}
		m.end = i
		out = append(out, m)
		switch b[i] {
		case ',':
			i++
		case '}':
			return out, nil
		default:
			return nil, errCanonical
		}
	}
}

// skipValue returns the index just after the compact JSON value starting at
// b[i], or -1 if there is none.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(b) {
				return -1
			}
			i++
		case '{', '[':
			depth++
			i++
		case '}', ']', ',', ':':
			if depth == 0 {
				return -1
			}
			if b[i] == '}' || b[i] == ']' {
				depth--
			}
			i++
		default: // a number or literal, which ends at a delimiter
			for i < len(b) && b[i] != ',' && b[i] != ':' && b[i] != '}' && b[i] != ']' {
				i++
			}
		}
		if depth == 0 {
			return i
		}
	}
	return -1
}

// validate checks that data is a single JSON object (RFC 8259) whose strings
// are valid UTF-8 without unpaired surrogate escapes, within MaxDepth and
// MaxMembers. It does not allocate.
func validate(data []byte) error {
	const (
		stValue        = iota // a value is required
		stValueOrClose        // after '[': a value or ']'
		stName                // after ',' in an object: a member name
		stNameOrClose         // after '{': a member name or '}'
		stColon               // after a member name
		stAfterValue          // ',' or a closing bracket, or the end at depth 0
	)
	type level struct {
		object  bool
		members int
	}
	var stack [MaxDepth]level
	depth := 0
	i := skipSpace(data, 0)
	if i == len(data) {
		return fmt.Errorf("%w: empty input", ErrInvalidJSON)
	}
	if data[i] != '{' {
		if !jsonValueStart(data[i]) {
			return syntaxError(data, i, "a JSON object")
		}
		return fmt.Errorf("%w: top-level value starts with %q", ErrNotObject, data[i])
	}
	st := stValue
	for {
		i = skipSpace(data, i)
		if i == len(data) {
			if st == stAfterValue && depth == 0 {
				return nil
			}
			return fmt.Errorf("%w: unexpected end of input", ErrInvalidJSON)
		}
		c := data[i]
		switch st {
		case stValue, stValueOrClose:
			if st == stValueOrClose && c == ']' {
				depth--
				i++
				st = stAfterValue
				continue
			}
			var err error
			switch {
			case c == '{' || c == '[':
				if depth == MaxDepth {
					return fmt.Errorf("%w: nesting deeper than %d at offset %d", ErrTooComplex, MaxDepth, i)
				}
				stack[depth] = level{object: c == '{'}
				depth++
				i++
				if c == '{' {
					st = stNameOrClose
				} else {
					st = stValueOrClose
				}
				continue
			case c == '"':
				i, err = scanString(data, i)
			case c == 't':
				i, err = scanLiteral(data, i, "true")
			case c == 'f':
				i, err = scanLiteral(data, i, "false")
			case c == 'n':
				i, err = scanLiteral(data, i, "null")
			case c == '-' || isDigit(c):
				i, err = scanNumber(data, i)
			default:
				err = syntaxError(data, i, "a value")
			}
			if err != nil {
				return err
			}
			st = stAfterValue
		case stName, stNameOrClose:
			if st == stNameOrClose && c == '}' {
				depth--
				i++
				st = stAfterValue
				continue
			}
			if c != '"' {
				return syntaxError(data, i, "a member name")
			}
			top := &stack[depth-1]
			top.members++
			if top.members > MaxMembers {
				return fmt.Errorf("%w: object with more than %d members at offset %d", ErrTooComplex, MaxMembers, i)
			}
			var err error
			if i, err = scanString(data, i); err != nil {
				return err
			}
			st = stColon
		case stColon:
			if c != ':' {
				return syntaxError(data, i, "':'")
			}
			i++
			st = stValue
		case stAfterValue:
			if depth == 0 {
				return syntaxError(data, i, "end of input")
			}
			top := stack[depth-1]
			switch {
			case c == ',' && top.object:
				st = stName
			case c == ',':
				st = stValue
			case c == '}' && top.object, c == ']' && !top.object:
				depth--
				st = stAfterValue
			default:
				return syntaxError(data, i, "',' or a closing bracket")
			}
			i++
		}
	}
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

// scanString scans the JSON string whose opening quote is data[i] and returns
// the index after its closing quote.
func scanString(data []byte, i int) (int, error) {
	i++
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(data) {
				return 0, syntaxError(data, i+1, "an escape")
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				r, ok := hex4(data, i+2)
				if !ok {
					return 0, fmt.Errorf("%w: bad \\u escape at offset %d", ErrInvalidJSON, i)
				}
				switch {
				case r >= 0xdc00 && r <= 0xdfff:
					return 0, fmt.Errorf("%w: unpaired surrogate \\u%04x at offset %d", ErrInvalidJSON, r, i)
				case r >= 0xd800 && r <= 0xdbff:
					lo, ok := hex4(data, i+8)
					if !ok || data[i+6] != '\\' || data[i+7] != 'u' || lo < 0xdc00 || lo > 0xdfff {
						return 0, fmt.Errorf("%w: unpaired surrogate \\u%04x at offset %d", ErrInvalidJSON, r, i)
					}
					i += 12
				default:
					i += 6
				}
			default:
				return 0, syntaxError(data, i+1, "an escape character")
			}
		case c < 0x20:
			return 0, fmt.Errorf("%w: unescaped control character %#02x at offset %d", ErrInvalidJSON, c, i)
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, fmt.Errorf("%w: invalid UTF-8 at offset %d", ErrInvalidJSON, i)
			}
			i += size
		}
	}
	return 0, fmt.Errorf("%w: unterminated string", ErrInvalidJSON)
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
