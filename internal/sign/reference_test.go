package sign

// This file keeps the previous implementation of Canonicalize as the
// reference for differential tests: a strict checker (refValidate), then
// github.com/gowebpki/jcs, then removal of the signature extension from the
// canonical text. It is slow (the JCS library sorts members by insertion) but
// independent of the production code, whose helpers are copied here rather
// than shared.

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// referenceCanonicalize is Canonicalize as it was before it had its own
// RFC 8785 transform.
func referenceCanonicalize(obj []byte) ([]byte, error) {
	if err := refValidate(obj); err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	canon, err := jcs.Transform(obj)
	if err != nil {
		return nil, fmt.Errorf("canonicalize: %w: %v", ErrInvalidJSON, err)
	}
	if !bytes.Contains(canon, refSignatureExtKey) {
		return canon, nil
	}
	out, err := refStripSignatureExtension(canon)
	if err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	return out, nil
}

var (
	refExtensionsKey   = []byte(`"extensions"`)
	refSignatureExtKey = []byte(`"` + SignatureExtensionID + `"`)
)

// refSpan locates one member of a compact JSON object: b[start:nameEnd] is its
// quoted name, b[valueStart:end] its value.
type refSpan struct {
	start, nameEnd, valueStart, end int
}

// refStripSignatureExtension removes extensions[SignatureExtensionID] from a
// canonical (compact, sorted, duplicate-free) JSON object, and "extensions"
// itself if nothing else is left in it.
func refStripSignatureExtension(canon []byte) ([]byte, error) {
	top, err := refMembers(canon, 0)
	if err != nil {
		return nil, err
	}
	for i, m := range top {
		if !bytes.Equal(canon[m.start:m.nameEnd], refExtensionsKey) || canon[m.valueStart] != '{' {
			continue
		}
		inner, err := refMembers(canon, m.valueStart)
		if err != nil {
			return nil, err
		}
		for j, e := range inner {
			if !bytes.Equal(canon[e.start:e.nameEnd], refSignatureExtKey) {
				continue
			}
			out := make([]byte, 0, len(canon))
			out = append(out, '{')
			if len(inner) == 1 {
				out = refAppendMembers(out, canon, top, i)
			} else {
				out = refAppendMembers(out, canon, top[:i], -1)
				if i > 0 {
					out = append(out, ',')
				}
				out = append(out, canon[m.start:m.valueStart]...)
				out = append(out, '{')
				out = refAppendMembers(out, canon, inner, j)
				out = append(out, '}')
				if i+1 < len(top) {
					out = append(out, ',')
				}
				out = refAppendMembers(out, canon, top[i+1:], -1)
			}
			return append(out, '}'), nil
		}
		return canon, nil
	}
	return canon, nil
}

// refAppendMembers appends the refMembers ms of src, except ms[skip], to dst,
// separated by commas.
func refAppendMembers(dst, src []byte, ms []refSpan, skip int) []byte {
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

// refErrCanonical reports JCS library output that is not in canonical form; it
// means a bug, not bad input.
var refErrCanonical = errors.New("unexpected canonical form")

// refMembers returns the refMembers of the compact JSON object whose opening brace
// is b[at].
func refMembers(b []byte, at int) ([]refSpan, error) {
	if at >= len(b) || b[at] != '{' {
		return nil, refErrCanonical
	}
	i := at + 1
	if i < len(b) && b[i] == '}' {
		return nil, nil
	}
	var out []refSpan
	for {
		m := refSpan{start: i}
		if i >= len(b) || b[i] != '"' {
			return nil, refErrCanonical
		}
		i = refSkipValue(b, i)
		if i < 0 || i >= len(b) || b[i] != ':' {
			return nil, refErrCanonical
		}
		m.nameEnd = i
		m.valueStart = i + 1
		i = refSkipValue(b, i+1)
		if i < 0 || i >= len(b) {
			return nil, refErrCanonical
		}
		m.end = i
		out = append(out, m)
		switch b[i] {
		case ',':
			i++
		case '}':
			return out, nil
		default:
			return nil, refErrCanonical
		}
	}
}

// refSkipValue returns the index just after the compact JSON value starting at
// b[i], or -1 if there is none.
func refSkipValue(b []byte, i int) int {
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

// refValidate checks that data is a single JSON object (RFC 8259) whose strings
// are valid UTF-8 without unpaired surrogate escapes, within MaxDepth and
// MaxMembers. It does not allocate.
func refValidate(data []byte) error {
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
	i := refSkipSpace(data, 0)
	if i == len(data) {
		return fmt.Errorf("%w: empty input", ErrInvalidJSON)
	}
	if data[i] != '{' {
		if !refJSONValueStart(data[i]) {
			return refSyntaxError(data, i, "a JSON object")
		}
		return fmt.Errorf("%w: top-level value starts with %q", ErrNotObject, data[i])
	}
	st := stValue
	for {
		i = refSkipSpace(data, i)
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
				i, err = refScanString(data, i)
			case c == 't':
				i, err = refScanLiteral(data, i, "true")
			case c == 'f':
				i, err = refScanLiteral(data, i, "false")
			case c == 'n':
				i, err = refScanLiteral(data, i, "null")
			case c == '-' || refIsDigit(c):
				i, err = refScanNumber(data, i)
			default:
				err = refSyntaxError(data, i, "a value")
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
				return refSyntaxError(data, i, "a member name")
			}
			top := &stack[depth-1]
			top.members++
			if top.members > MaxMembers {
				return fmt.Errorf("%w: object with more than %d refMembers at offset %d", ErrTooComplex, MaxMembers, i)
			}
			var err error
			if i, err = refScanString(data, i); err != nil {
				return err
			}
			st = stColon
		case stColon:
			if c != ':' {
				return refSyntaxError(data, i, "':'")
			}
			i++
			st = stValue
		case stAfterValue:
			if depth == 0 {
				return refSyntaxError(data, i, "end of input")
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
				return refSyntaxError(data, i, "',' or a closing bracket")
			}
			i++
		}
	}
}

func refSyntaxError(data []byte, i int, want string) error {
	if i >= len(data) {
		return fmt.Errorf("%w: unexpected end of input, want %s", ErrInvalidJSON, want)
	}
	return fmt.Errorf("%w: unexpected byte %q at offset %d, want %s", ErrInvalidJSON, data[i], i, want)
}

func refSkipSpace(data []byte, i int) int {
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

func refIsDigit(c byte) bool { return c >= '0' && c <= '9' }

func refJSONValueStart(c byte) bool {
	return c == '[' || c == '"' || c == 't' || c == 'f' || c == 'n' || c == '-' || refIsDigit(c)
}

func refScanLiteral(data []byte, i int, lit string) (int, error) {
	if !bytes.HasPrefix(data[i:], []byte(lit)) {
		return 0, refSyntaxError(data, i, lit)
	}
	return i + len(lit), nil
}

// refScanNumber scans an RFC 8259 number starting at data[i] and returns the
// index after it.
func refScanNumber(data []byte, i int) (int, error) {
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && refIsDigit(data[i]):
		for i < len(data) && refIsDigit(data[i]) {
			i++
		}
	default:
		return 0, refSyntaxError(data, i, "a digit")
	}
	if i < len(data) && data[i] == '.' {
		i++
		if i >= len(data) || !refIsDigit(data[i]) {
			return 0, refSyntaxError(data, i, "a digit after '.'")
		}
		for i < len(data) && refIsDigit(data[i]) {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || !refIsDigit(data[i]) {
			return 0, refSyntaxError(data, i, "a digit in the exponent")
		}
		for i < len(data) && refIsDigit(data[i]) {
			i++
		}
	}
	return i, nil
}

// refScanString scans the JSON string whose opening quote is data[i] and returns
// the index after its closing quote.
func refScanString(data []byte, i int) (int, error) {
	i++
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(data) {
				return 0, refSyntaxError(data, i+1, "an escape")
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				r, ok := refHex4(data, i+2)
				if !ok {
					return 0, fmt.Errorf("%w: bad \\u escape at offset %d", ErrInvalidJSON, i)
				}
				switch {
				case r >= 0xdc00 && r <= 0xdfff:
					return 0, fmt.Errorf("%w: unpaired surrogate \\u%04x at offset %d", ErrInvalidJSON, r, i)
				case r >= 0xd800 && r <= 0xdbff:
					lo, ok := refHex4(data, i+8)
					if !ok || data[i+6] != '\\' || data[i+7] != 'u' || lo < 0xdc00 || lo > 0xdfff {
						return 0, fmt.Errorf("%w: unpaired surrogate \\u%04x at offset %d", ErrInvalidJSON, r, i)
					}
					i += 12
				default:
					i += 6
				}
			default:
				return 0, refSyntaxError(data, i+1, "an escape character")
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

// refHex4 decodes the four hex digits at data[i:i+4].
func refHex4(data []byte, i int) (rune, bool) {
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
