package screen

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// Observable is a concrete value to screen: an object type and a value of
// it, such as {"ipv4-addr", "198.51.100.7"} or {"cryptocurrency-wallet",
// "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"}. File hashes of any algorithm have
// the type "file" and the hex digest as value.
type Observable struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

func (o Observable) String() string { return o.Type + ":" + o.Value }

// The observable types with rules of their own. Every other type (custom
// "x-" types, other extension-defined types) is compared exactly.
const (
	TypeIPv4        = "ipv4-addr"
	TypeIPv6        = "ipv6-addr"
	TypeDomain      = "domain-name"
	TypeURL         = "url"
	TypeEmail       = "email-addr"
	TypeFile        = "file" // a hash of any algorithm
	TypeMAC         = "mac-addr"
	TypeWallet      = "cryptocurrency-wallet"
	TypeTransaction = "cryptocurrency-transaction"
	TypeMutex       = "mutex"
	TypeAS          = "autonomous-system"
	TypeRegistryKey = "windows-registry-key"
)

// typeAliases are the other names a lookup may give a type.
var typeAliases = map[string]string{
	"ip": "", "ipv4": TypeIPv4, "ipv6": TypeIPv6, "cidr": "", "domain": TypeDomain,
	"email": TypeEmail, "hash": TypeFile, "md5": TypeFile, "sha1": TypeFile, "sha-1": TypeFile,
	"sha256": TypeFile, "sha-256": TypeFile, "sha512": TypeFile, "sha-512": TypeFile,
	"wallet": TypeWallet, "address": TypeWallet, "transaction": TypeTransaction, "tx": TypeTransaction,
	"mac": TypeMAC, "as": TypeAS, "asn": TypeAS,
}

// identifying names, for each type with rules, the property whose value
// identifies an object of the type. Other types are identified by "value"
// when they have one.
var identifying = map[string]string{
	TypeIPv4: "value", TypeIPv6: "value", TypeDomain: "value", TypeURL: "value",
	TypeEmail: "value", TypeMAC: "value", TypeWallet: "value", TypeTransaction: "hash",
	TypeMutex: "name", TypeAS: "number", TypeRegistryKey: "key",
}

// Errors of Normalize.
var (
	// ErrEmpty means the value is empty.
	ErrEmpty = errors.New("empty value")
	// ErrBadValue means the value is not one of its type.
	ErrBadValue = errors.New("not a value of this type")
	// ErrBadType means the type is not a valid STIX type name or alias.
	ErrBadType = errors.New("unknown type")
)

// MaxValueLen is the longest value screened, in bytes.
const MaxValueLen = 2048

// CanonicalType maps a lookup type or one of its aliases ("ip", "sha256",
// "wallet", ...) to an observable type. It returns "" with ok for "" and the
// aliases that leave the type to inference ("ip", "cidr"), and false for names that
// are neither an alias nor a valid STIX type name.
func CanonicalType(t string) (string, bool) {
	t = strings.ToLower(strings.TrimSpace(t))
	if t == "" {
		return "", true
	}
	if a, ok := typeAliases[t]; ok {
		return a, true
	}
	if !validTypeName(t) {
		return "", false
	}
	return t, true
}

// validTypeName is the STIX type name rule: 3 to 250 characters of a-z, 0-9
// and '-', starting with a letter, without "--".
func validTypeName(s string) bool {
	if len(s) < 3 || len(s) > 250 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// The answers of InferTypes, shared: callers must not modify them.
var (
	inferIPv4        = []string{TypeIPv4}
	inferIPv6        = []string{TypeIPv6}
	inferWallet      = []string{TypeWallet}
	inferTransaction = []string{TypeTransaction}
	inferURL         = []string{TypeURL}
	inferEmail       = []string{TypeEmail}
	inferMAC         = []string{TypeMAC}
	inferDomain      = []string{TypeDomain}
	inferFile        = []string{TypeFile}
	inferHash64      = []string{TypeFile, TypeTransaction}
)

// InferTypes guesses the types a bare value may be, most likely first:
// an IP address or CIDR block, a hash (hex of 32, 40, 56, 64, 96 or 128
// digits; 64 digits may also be a transaction id), an EVM address (0x and 40
// hex digits) or transaction (0x and 64), a URL (scheme://), an e-mail
// address, a MAC address, a domain name (dotted labels ending in letters),
// and otherwise a cryptocurrency wallet address. The slice is shared: do
// not modify it.
func InferTypes(v string) []string {
	v = strings.TrimSpace(v)
	// Each test runs only when v has the characters it needs (classify).
	c := classify(v)
	if c&(classDot|classColon) != 0 && c&classNotIP == 0 {
		if p, ok := parseIP(v); ok {
			if p.Addr().Is4() {
				return inferIPv4
			}
			return inferIPv6
		}
	}
	if h, ok := strings.CutPrefix(v, "0x"); ok && isHex(h) {
		switch len(h) {
		case 40:
			return inferWallet
		case 64:
			return inferTransaction
		}
	}
	if c&classNonHex == 0 && v != "" {
		switch len(v) {
		case 64:
			return inferHash64
		case 32, 40, 56, 96, 128:
			return inferFile
		}
	}
	switch {
	case c&classColon != 0 && strings.Contains(v, "://"):
		return inferURL
	case c&classAt != 0 && isEmail(v):
		return inferEmail
	case isMAC(v):
		return inferMAC
	case c&classDot != 0 && isDomain(v):
		return inferDomain
	}
	return inferWallet
}

// Classes of characters that InferTypes tells types apart by, as bits:
// classify ORs those of every byte of a value.
const (
	classDot        = 1 << iota // '.'
	classColon                  // ':'
	classAt                     // '@'
	classNonHex                 // not a hex digit
	classUpper                  // 'A' to 'Z'
	classNonASCII               // a byte of a multi-byte UTF-8 sequence, or not UTF-8
	classNotIP                  // not in an address or CIDR block: a hex digit, '.', ':' or '/'
	classNotDecimal             // not a decimal digit, nor '.'
)

// byteClasses are the classes of each byte. Never modified.
var byteClasses = func() (c [256]uint8) {
	for b := range c {
		if !('0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F') {
			c[b] |= classNonHex
			if b != '.' && b != ':' && b != '/' {
				c[b] |= classNotIP
			}
		}
		if !('0' <= b && b <= '9' || b == '.') {
			c[b] |= classNotDecimal
		}
		switch {
		case 'A' <= b && b <= 'Z':
			c[b] |= classUpper
		case b >= 0x80:
			c[b] |= classNonASCII
		case b == '.':
			c[b] |= classDot
		case b == ':':
			c[b] |= classColon
		case b == '@':
			c[b] |= classAt
		}
	}
	return c
}()

// classify returns the classes of the bytes of s.
func classify(s string) uint8 {
	var c, d uint8 // two chains, to OR two bytes per cycle
	i := 0
	for ; i+1 < len(s); i += 2 {
		c |= byteClasses[s[i]]
		d |= byteClasses[s[i+1]]
	}
	if i < len(s) {
		c |= byteClasses[s[i]]
	}
	return c | d
}

// Normalize returns the form of a value of type typ that the index keys on:
//   - ipv4-addr, ipv6-addr: the address or the masked CIDR block, IPv4-mapped
//     IPv6 addresses as IPv4, a /32 (/128) block as its address;
//   - domain-name: lower case, without a final dot;
//   - email-addr, mac-addr, windows-registry-key: lower case;
//   - file (hashes): hex digests in lower case, other digests (SSDEEP, TLSH)
//     as they are;
//   - url: scheme and host in lower case, the rest as it is;
//   - cryptocurrency-wallet: as it is (addresses are case-sensitive), except
//     EVM addresses, 0x and 40 hex digits, in lower case: their letter case
//     is only a checksum (EIP-55);
//   - cryptocurrency-transaction: hex ids (with or without 0x) in lower
//     case, others as they are;
//   - every other type: as it is.
//
// Surrounding white space is removed first.
func Normalize(typ, v string) (string, error) {
	n, err := normalize(typ, v)
	if err == nil && len(n) > MaxValueLen { // lower case can be longer
		return "", fmt.Errorf("%w: longer than %d bytes", ErrBadValue, MaxValueLen)
	}
	return n, err
}

func normalize(typ, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", ErrEmpty
	}
	if len(v) > MaxValueLen {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrBadValue, MaxValueLen)
	}
	if !utf8.ValidString(v) {
		return "", fmt.Errorf("%w: not valid UTF-8", ErrBadValue)
	}
	switch typ {
	case TypeIPv4, TypeIPv6:
		p, ok := parseIP(v)
		if !ok {
			return "", fmt.Errorf("%w: not an IP address or CIDR block", ErrBadValue)
		}
		if p.Addr().Is4() != (typ == TypeIPv4) {
			return "", fmt.Errorf("%w: not an %s address", ErrBadValue, map[bool]string{true: "IPv4", false: "IPv6"}[typ == TypeIPv4])
		}
		// Most values are already in normal form: return them as they are
		// rather than a new string.
		var buf [64]byte
		n := buf[:0]
		if p.IsSingleIP() {
			n = p.Addr().AppendTo(n)
		} else {
			n = p.AppendTo(n)
		}
		if string(n) == v {
			return v, nil
		}
		return string(n), nil
	case TypeDomain:
		d := strings.ToLower(v)
		for {
			t := strings.TrimSpace(strings.TrimSuffix(d, "."))
			if t == d {
				break
			}
			d = t
		}
		if d == "" {
			return "", ErrEmpty
		}
		return d, nil
	case TypeEmail, TypeMAC, TypeRegistryKey:
		return strings.ToLower(v), nil
	case TypeFile:
		if isHex(v) {
			return strings.ToLower(v), nil
		}
		return v, nil
	case TypeURL:
		return normalizeURL(v), nil
	case TypeWallet:
		if h, ok := strings.CutPrefix(v, "0x"); ok && len(h) == 40 && isHex(h) {
			return strings.ToLower(v), nil
		}
		return v, nil
	case TypeTransaction:
		if h, _ := strings.CutPrefix(v, "0x"); isHex(h) {
			return strings.ToLower(v), nil
		}
		return v, nil
	}
	return v, nil
}

// parseIP parses an address or a CIDR block (no zone), masked, with
// IPv4-mapped IPv6 read as IPv4.
func parseIP(s string) (netip.Prefix, bool) {
	if !strings.ContainsAny(s, ".:") {
		return netip.Prefix{}, false // not an address; spare the parser's error allocation
	}
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if a := p.Addr(); a.Is4In6() {
			if p.Bits() < 96 {
				return netip.Prefix{}, false
			}
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// parseIPv4 parses an IPv4 address in dotted-decimal form as
// netip.ParseAddr does (four fields of 0 to 255, without leading zeros),
// without the error that netip returns, and allocates, for anything else.
func parseIPv4(s string) ([4]byte, bool) {
	var a [4]byte
	field, val, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if digits == 0 || field == 3 {
				return a, false
			}
			a[field] = byte(val)
			field, val, digits = field+1, 0, 0
		case '0' <= c && c <= '9':
			if digits == 1 && val == 0 {
				return a, false // leading zero
			}
			val, digits = val*10+int(c-'0'), digits+1
			if val > 255 {
				return a, false
			}
		default:
			return a, false
		}
	}
	if field != 3 || digits == 0 {
		return a, false
	}
	a[3] = byte(val)
	return a, true
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func isEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && !strings.ContainsAny(local, " \t") && isDomain(domain)
}

func isMAC(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		if i%3 == 2 {
			if s[i] != ':' && s[i] != '-' {
				return false
			}
		} else if !isHex(s[i : i+1]) {
			return false
		}
	}
	return true
}

// isDomain reports whether s looks like a domain name: two or more labels of
// letters, digits, '-' and '_', the last of letters (or an IDN "xn--" label).
func isDomain(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	start := 0 // of the label
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if n := i - start; n == 0 || n > 63 {
				return false
			}
			start = i + 1
			continue
		}
		c := s[i] | 0x20
		if !('a' <= c && c <= 'z' || '0' <= s[i] && s[i] <= '9' || s[i] == '-' || s[i] == '_') {
			return false
		}
	}
	tld := s[strings.LastIndexByte(s, '.')+1:] // of ASCII letters, digits, '-' and '_'
	if len(tld) >= 4 && tld[0]|0x20 == 'x' && tld[1]|0x20 == 'n' && tld[2] == '-' && tld[3] == '-' {
		return true
	}
	for i := 0; i < len(tld); i++ {
		if c := tld[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return len(tld) >= 2
}

// normalizeURL lowers the case of the scheme and host of an absolute URL.
func normalizeURL(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	end := len(s)
	if j := strings.IndexAny(s[i+3:], "/?#"); j >= 0 {
		end = i + 3 + j
	}
	authority := s[i+3 : end]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		// Keep user information as it is.
		return strings.ToLower(s[:i+3]) + authority[:at+1] + strings.ToLower(authority[at+1:]) + s[end:]
	}
	return strings.ToLower(s[:end]) + s[end:]
}
