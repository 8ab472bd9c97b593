package stix

import (
	"bytes"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

// This file holds the value kinds of STIX 2.1 (section 2 of the
// specification) as valueChecks: each validates one raw JSON value and
// reports problems with paths relative to that value ("" is the value
// itself). The property tables (spec_*.go) are built from them.

// valueCheck validates the raw JSON value of a property or element and
// reports what is wrong through checker.add, with a path relative to the
// value. It runs only on values the JSON validator accepted.
type valueCheck func(c *checker, raw []byte)

// checkString requires a JSON string. It is also the check for open
// vocabularies (open-vocab), whose values may be any string.
func checkString(c *checker, raw []byte) {
	if !isJSONString(raw) {
		c.add("", "must be a string")
	}
}

// checkNonEmptyString requires a JSON string other than "".
func checkNonEmptyString(c *checker, raw []byte) {
	// A string literal is empty only when it is exactly "": escapes always
	// stand for at least one character.
	if !isJSONString(raw) || len(raw) == 2 {
		c.add("", "must be a non-empty string")
	}
}

// isJSONString reports whether raw, a JSON value the validator accepted, is
// a string. It does not unescape the string, which for text with escapes
// is slow.
func isJSONString(raw []byte) bool {
	return len(raw) >= 2 && raw[0] == '"'
}

// checkBool requires true or false.
func checkBool(c *checker, raw []byte) {
	if s := string(raw); s != "true" && s != "false" {
		c.add("", "must be a boolean")
	}
}

// maxInteger is the largest magnitude of a STIX integer (section 2.10): a
// signed 54-bit value, [-(2**53)+1, (2**53)-1].
const maxInteger = 1<<53 - 1

// parseInteger parses a JSON number written as an integer, without fraction
// or exponent: 50.0 and 5e1 are not integers in STIX. ok is false for
// anything else, including magnitudes beyond maxInteger.
func parseInteger(raw []byte) (n int64, ok bool) {
	digits := raw
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 16 {
		return 0, false
	}
	if digits[0] == '0' && len(digits) > 1 {
		return 0, false
	}
	for _, d := range digits {
		if d < '0' || d > '9' {
			return 0, false
		}
		n = n*10 + int64(d-'0')
	}
	if n > maxInteger {
		return 0, false
	}
	if raw[0] == '-' {
		n = -n
	}
	return n, true
}

// checkInteger requires a STIX integer.
func checkInteger(c *checker, raw []byte) {
	if _, ok := parseInteger(raw); !ok {
		c.add("", "must be an integer (no fraction or exponent, at most 2^53-1 in magnitude)")
	}
}

// checkNonNegative requires a STIX integer that is not negative.
var checkNonNegative = intIn(0, maxInteger, "must be a non-negative integer")

// intIn returns a check requiring an integer from lo to hi; describe is the
// description of any other value.
func intIn(lo, hi int64, describe string) valueCheck {
	return func(c *checker, raw []byte) {
		if n, ok := parseInteger(raw); !ok || n < lo || n > hi {
			c.add("", describe)
		}
	}
}

// parseFloat parses a JSON number as a float64.
func parseFloat(raw []byte) (float64, bool) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return f, err == nil && !math.IsInf(f, 0)
}

// checkFloat requires a JSON number.
func checkFloat(c *checker, raw []byte) {
	if _, ok := parseFloat(raw); !ok {
		c.add("", "must be a number")
	}
}

// floatIn returns a check requiring a number from lo to hi inclusive.
func floatIn(lo, hi float64, describe string) valueCheck {
	return func(c *checker, raw []byte) {
		if f, ok := parseFloat(raw); !ok || f < lo || f > hi {
			c.add("", describe)
		}
	}
}

// checkTimestamp requires a STIX timestamp. Top-level timestamps use
// timestampProp instead, which caches the parsed value.
func checkTimestamp(c *checker, raw []byte) {
	s, ok := jsonscan.String(raw)
	if ok {
		_, ok = parseTimestamp(s)
	}
	if !ok {
		c.add("", timestampHint)
	}
}

// enumOf returns a check requiring one of values, the members of a closed
// STIX enumeration (section 10, types ending in -enum).
func enumOf(name string, values ...string) valueCheck {
	describe := "must be one of the " + name + " values: " + strings.Join(values, ", ")
	return func(c *checker, raw []byte) {
		s, ok := jsonscan.String(raw)
		if ok {
			for _, v := range values {
				if string(s) == v {
					return
				}
			}
		}
		c.add("", describe)
	}
}

// listOf returns a check requiring a non-empty JSON array whose every
// element passes elem; element paths are [i]. STIX forbids empty lists
// (section 2.12).
func listOf(elem valueCheck) valueCheck {
	return func(c *checker, raw []byte) {
		it := jsonscan.NewArrayIter(raw)
		if it.Err() != nil {
			c.add("", "must be an array")
			return
		}
		for it.Next() {
			// The element check reports paths relative to the element;
			// prefix them afterwards, so that the common case (no
			// violation) builds no path strings.
			n := len(c.vs)
			elem(c, it.Value())
			if len(c.vs) > n {
				c.prefix(n, "["+strconv.Itoa(it.Index())+"]")
			}
		}
		if it.Index() < 0 {
			c.add("", "must not be empty: omit the property instead")
		}
	}
}

// Shared list checks.
var (
	listOfStrings     = listOf(checkString)
	listOfIdentifiers = listOf(checkIdentifier)
)

// isDictKey reports whether k is a valid dictionary key (section 2.3):
// 1 to 250 characters of a-z, A-Z, 0-9, '-' and '_'. minLen raises the
// minimum, as hashes do (3).
func isDictKey(k []byte, minLen int) bool {
	if len(k) < minLen || len(k) > 250 {
		return false
	}
	for _, b := range k {
		if !isKeyChar(b) {
			return false
		}
	}
	return true
}

func isKeyChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_'
}

// keySegment returns the path segment for member or dictionary key k: k
// itself when it is made of key characters, otherwise the key as a quoted
// string in brackets, e.g. ["bad key"].
func keySegment(k []byte) string {
	if len(k) > 0 && isDictKey(k, 1) {
		return string(k)
	}
	return "[" + strconv.Quote(string(k)) + "]"
}

// entryCheck validates the value raw of dictionary entry key.
type entryCheck func(c *checker, key, raw []byte)

// dictOf returns a check requiring a non-empty dictionary (section 2.3)
// whose keys are valid and unique and whose values pass value (nil for
// any value but null); entry paths are the keys.
func dictOf(value valueCheck) valueCheck {
	entry := func(c *checker, _, raw []byte) {
		if value != nil {
			value(c, raw)
		} else if string(raw) == "null" {
			c.add("", "must not be null")
		}
	}
	return func(c *checker, raw []byte) { c.checkDict(raw, 1, entry) }
}

// checkDict checks a dictionary whose keys have at least minLen characters
// and whose entries pass entry.
func (c *checker) checkDict(raw []byte, minLen int, entry entryCheck) {
	it := jsonscan.NewObjectIter(raw)
	if it.Err() != nil {
		c.add("", "must be an object (dictionary)")
		return
	}
	var seen nameSet
	count := 0
	for it.Next() {
		count++
		key, ok := jsonscan.String(it.Name())
		if !ok {
			continue
		}
		n := len(c.vs)
		switch {
		case seen.add(key):
			c.add("", "duplicate dictionary key")
		case !isDictKey(key, minLen):
			if minLen > 1 {
				c.add("", "invalid key: must be "+strconv.Itoa(minLen)+"-250 characters of a-z, A-Z, 0-9, '-' and '_'")
			} else {
				c.add("", "invalid key: must be 1-250 characters of a-z, A-Z, 0-9, '-' and '_'")
			}
		default:
			entry(c, key, it.Value())
		}
		if len(c.vs) > n {
			c.prefix(n, keySegment(key))
		}
	}
	if count == 0 {
		c.add("", "must not be empty: omit the property instead")
	}
}

// checkIntOrString requires an integer or a string, the values of ipfix
// and exif_tags dictionaries.
func checkIntOrString(c *checker, raw []byte) {
	if isJSONString(raw) {
		return
	}
	if _, ok := parseInteger(raw); !ok {
		c.add("", "must be an integer or a string")
	}
}

// hashFormat describes the value format of a hash-algorithm-ov entry.
type hashFormat struct {
	name  string // vocabulary name, e.g. "SHA-256"
	valid func(s []byte) bool
	hint  string
}

// hashFormats are the entries of the hash-algorithm-ov vocabulary (section
// 10.7), keyed by their normalized names (upper case, without '-' and '_'),
// so that spellings such as "sha256" are held to the same format.
var hashFormats = map[string]hashFormat{
	"MD5":     {"MD5", hexDigest(32), "must be an MD5 digest: 32 hex digits"},
	"SHA1":    {"SHA-1", hexDigest(40), "must be a SHA-1 digest: 40 hex digits"},
	"SHA256":  {"SHA-256", hexDigest(64), "must be a SHA-256 digest: 64 hex digits"},
	"SHA512":  {"SHA-512", hexDigest(128), "must be a SHA-512 digest: 128 hex digits"},
	"SHA3256": {"SHA3-256", hexDigest(64), "must be a SHA3-256 digest: 64 hex digits"},
	"SHA3512": {"SHA3-512", hexDigest(128), "must be a SHA3-512 digest: 128 hex digits"},
	"SSDEEP":  {"SSDEEP", validSSDEEP, "must be an ssdeep piecewise hash blocksize:hash:hash"},
	"TLSH":    {"TLSH", validTLSH, "must be a TLSH digest: 70 hex digits, optionally prefixed T1"},
}

// hexDigest returns a validator for n hexadecimal digits of either case.
func hexDigest(n int) func(s []byte) bool {
	return func(s []byte) bool {
		if len(s) != n {
			return false
		}
		for _, b := range s {
			if !jsonscan.IsHex(b) {
				return false
			}
		}
		return true
	}
}

// validTLSH accepts a 35-byte TLSH digest, 70 hex digits, with or without
// the "T1" version prefix newer TLSH versions print.
func validTLSH(s []byte) bool {
	if len(s) == 72 && (s[0] == 'T' || s[0] == 't') && s[1] == '1' {
		s = s[2:]
	}
	return hexDigest(70)(s)
}

// validSSDEEP accepts blocksize:hash:hash with base64 hash characters.
func validSSDEEP(s []byte) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i == len(s) || s[i] != ':' {
		return false
	}
	parts := bytes.SplitN(s[i+1:], []byte(":"), 2)
	if len(parts) != 2 || len(parts[0]) == 0 || len(parts[1]) == 0 {
		return false
	}
	for _, p := range parts {
		for _, b := range p {
			if !isBase64Char(b) {
				return false
			}
		}
	}
	return true
}

// normalizeHashName returns name upper-cased without '-' and '_' in buf.
func normalizeHashName(buf []byte, name []byte) []byte {
	buf = buf[:0]
	for _, b := range name {
		switch {
		case b == '-' || b == '_':
		case b >= 'a' && b <= 'z':
			buf = append(buf, b-'a'+'A')
		default:
			buf = append(buf, b)
		}
	}
	return buf
}

// checkHashes requires a hashes dictionary (section 2.7): keys of 3-250
// characters naming the algorithm, string values in that algorithm's
// format. Names outside hash-algorithm-ov are allowed (it is an open
// vocabulary); their values need only be non-empty strings.
func checkHashes(c *checker, raw []byte) {
	c.checkDict(raw, 3, checkHashEntry)
}

// checkHashEntry checks the digest raw of algorithm key.
func checkHashEntry(c *checker, key, raw []byte) {
	s, ok := jsonscan.String(raw)
	if !ok || len(s) == 0 {
		c.add("", "must be a non-empty string")
		return
	}
	var buf [16]byte
	if len(key) > len(buf) {
		return
	}
	if f, known := hashFormats[string(normalizeHashName(buf[:0], key))]; known && !f.valid(s) {
		c.add("", f.hint)
	}
}

// checkHex requires a hex value (section 2.8): an even number of the
// characters 0-9 and a-f (lower case, as the specification requires).
func checkHex(c *checker, raw []byte) {
	s, ok := jsonscan.String(raw)
	if ok && len(s)%2 == 0 {
		for _, b := range s {
			if !(b >= '0' && b <= '9' || b >= 'a' && b <= 'f') {
				ok = false
				break
			}
		}
	} else {
		ok = false
	}
	if !ok {
		c.add("", "must be hex: an even number of the characters 0-9 and a-f (lower case)")
	}
}

func isBase64Char(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/'
}

// checkBinary requires a binary value (section 2.1): standard base64 with
// padding (RFC 4648 section 4).
func checkBinary(c *checker, raw []byte) {
	s, ok := jsonscan.String(raw)
	if ok {
		ok = validBase64(s)
	}
	if !ok {
		c.add("", "must be base64 (RFC 4648, with padding)")
	}
}

func validBase64(s []byte) bool {
	if len(s)%4 != 0 {
		return false
	}
	pad := 0
	if len(s) > 0 && s[len(s)-1] == '=' {
		pad++
		if s[len(s)-2] == '=' {
			pad++
		}
	}
	for _, b := range s[:len(s)-pad] {
		if !isBase64Char(b) {
			return false
		}
	}
	return true
}

// checkLangTag requires an RFC 5646 language tag.
func checkLangTag(c *checker, raw []byte) {
	if s, ok := jsonscan.String(raw); !ok || !validLangTag(s) {
		c.add("", "must be an RFC 5646 language tag, e.g. en or de-CH")
	}
}

// validURL reports whether s is an absolute URI (RFC 3986): a scheme, a
// colon, then only URI characters with well-formed percent-encodings.
func validURL(s []byte) bool {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' ||
		i > 0 && (s[i] >= '0' && s[i] <= '9' || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != ':' || i+1 == len(s) {
		return false
	}
	for i++; i < len(s); i++ {
		b := s[i]
		switch {
		case b == '%':
			if i+2 >= len(s) || !jsonscan.IsHex(s[i+1]) || !jsonscan.IsHex(s[i+2]) {
				return false
			}
			i += 2
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		case strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", b) >= 0:
		default:
			return false
		}
	}
	return true
}

// checkURL requires a URL (RFC 3986).
func checkURL(c *checker, raw []byte) {
	if s, ok := jsonscan.String(raw); !ok || !validURL(s) {
		c.add("", "must be a URL (RFC 3986) with a scheme, e.g. https://example.com/a")
	}
}

// checkIPv4 requires one or more IPv4 addresses in CIDR notation; the /32
// suffix may be omitted.
func checkIPv4(c *checker, raw []byte) {
	if s, ok := jsonscan.String(raw); !ok || !validCIDR(s, true) {
		c.add("", "must be an IPv4 address or CIDR block, e.g. 198.51.100.3 or 198.51.100.0/24")
	}
}

// checkIPv6 requires one or more IPv6 addresses in CIDR notation; the /128
// suffix may be omitted.
func checkIPv6(c *checker, raw []byte) {
	if s, ok := jsonscan.String(raw); !ok || !validCIDR(s, false) {
		c.add("", "must be an IPv6 address or CIDR block, e.g. 2001:db8::1 or 2001:db8::/96")
	}
}

func validCIDR(s []byte, v4 bool) bool {
	text := string(s)
	if strings.IndexByte(text, '/') >= 0 {
		p, err := netip.ParsePrefix(text)
		return err == nil && p.Addr().Is4() == v4
	}
	a, err := netip.ParseAddr(text)
	return err == nil && a.Zone() == "" && a.Is4() == v4
}

// checkMAC requires a colon-delimited, lower-case MAC-48 address with
// leading zeros, e.g. 00:00:ab:cd:ef:01.
func checkMAC(c *checker, raw []byte) {
	s, ok := jsonscan.String(raw)
	if ok && len(s) == 17 {
		for i, b := range s {
			if i%3 == 2 {
				ok = ok && b == ':'
			} else {
				ok = ok && (b >= '0' && b <= '9' || b >= 'a' && b <= 'f')
			}
		}
	} else {
		ok = false
	}
	if !ok {
		c.add("", "must be a lower-case, colon-delimited MAC-48 address, e.g. 00:00:ab:cd:ef:01")
	}
}

// checkDomainName requires a domain name in the preferred syntax of RFC
// 1034 (letters, digits and hyphens, labels of 1-63 octets that neither
// start nor end with a hyphen), allowing the non-ASCII labels of IDNA (RFC
// 5890) and a final root dot.
func checkDomainName(c *checker, raw []byte) {
	if s, ok := jsonscan.String(raw); !ok || !validDomainName(s) {
		c.add("", "must be a domain name (RFC 1034), e.g. example.com")
	}
}

func validDomainName(s []byte) bool {
	s = bytes.TrimSuffix(s, []byte("."))
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for label := range bytes.SplitSeq(s, []byte(".")) {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, b := range label {
			if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b >= 0x80) {
				return false
			}
		}
	}
	return true
}

// checkEmailAddress requires an RFC 5322 addr-spec, local@domain, without
// a display name.
func checkEmailAddress(c *checker, raw []byte) {
	if s, ok := jsonscan.String(raw); !ok || !validAddrSpec(s) {
		c.add("", "must be an email address local@domain (RFC 5322 addr-spec) without a display name")
	}
}

func validAddrSpec(s []byte) bool {
	at := bytes.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	quoted := len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"'
	for _, b := range domain {
		if b <= ' ' || b == 0x7f || strings.IndexByte("<>()[]\\,;:\"@", b) >= 0 && b != '[' && b != ']' {
			return false
		}
	}
	if quoted {
		return true
	}
	for _, b := range local {
		if b <= ' ' || b == 0x7f || strings.IndexByte("<>()[]\\,;:\"@", b) >= 0 {
			return false
		}
	}
	return true
}

// checkCPE requires the shape of a CPE 2.3 formatted string: "cpe:2.3:",
// a part (a, h, o, * or -) and ten more colon-separated components.
func checkCPE(c *checker, raw []byte) {
	if s, ok := jsonscan.String(raw); !ok || !validCPE23(s) {
		c.add("", "must be a CPE 2.3 formatted string, e.g. cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*")
	}
}

func validCPE23(s []byte) bool {
	rest, ok := bytes.CutPrefix(s, []byte("cpe:2.3:"))
	if !ok || len(rest) < 2 || strings.IndexByte("aho*-", rest[0]) < 0 || rest[1] != ':' {
		return false
	}
	fields := 1 // the part; each unescaped colon starts another component
	for i := 1; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			i++
		case ':':
			fields++
		}
	}
	return fields == 11
}
