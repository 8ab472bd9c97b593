package screen

import (
	"net/netip"
	"strings"
	"testing"
)

// refIsDomain is isDomain as it was written first, with strings.Split and
// strings.ToLower (which allocate): the reference isDomain must agree with.
func refIsDomain(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i] | 0x20
			if !('a' <= c && c <= 'z' || '0' <= l[i] && l[i] <= '9' || l[i] == '-' || l[i] == '_') {
				return false
			}
		}
	}
	tld := strings.ToLower(labels[len(labels)-1])
	if strings.HasPrefix(tld, "xn--") {
		return true
	}
	for i := 0; i < len(tld); i++ {
		if tld[i] < 'a' || tld[i] > 'z' {
			return false
		}
	}
	return len(tld) >= 2
}

// FuzzIsDomain: isDomain agrees with the reference.
func FuzzIsDomain(f *testing.F) {
	for _, s := range []string{"wallet-drain.example", "Wallet-Drain.EXAMPLE.", "xn--80ak6aa92e.xn--p1ai", "XN--80AK.XN--P1AI", "a.x1", "a.xn-", "a..b",
		".a.b", "a.b.", "a.b..", "d_r.ex_ample", "a.b", "a." + strings.Repeat("b", 64), strings.Repeat("a.", 127) + "bc", "a.\u00e9x", "a.[x", "a.`x", "a.{x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isDomain(s), refIsDomain(s); got != want {
			t.Fatalf("isDomain(%q) = %v, want %v", s, got, want)
		}
	})
}

// TestIsDomainDoesNotAllocate: inferring a domain name costs no allocation.
func TestIsDomainDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { isDomain("Wallet-Drain.XN--P1AI") }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// FuzzParseIPv4: parseIPv4 accepts exactly the dotted-decimal addresses
// netip.ParseAddr accepts, with the same value.
func FuzzParseIPv4(f *testing.F) {
	for _, s := range []string{"198.51.100.7", "0.0.0.0", "255.255.255.255", "256.0.0.1", "01.2.3.4", "1.2.3.00", "1.2.3", "1.2.3.4.5",
		"1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4a", "1.2.3.-4", "1.2.3.4/8", "::1", "1.2.3.0004", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := parseIPv4(s)
		want, err := netip.ParseAddr(s)
		if wok := err == nil && want.Is4(); ok != wok || ok && a != want.As4() {
			t.Fatalf("parseIPv4(%q) = %v, %v; netip.ParseAddr: %v, %v", s, a, ok, want, err)
		}
	})
}

// refInferTypes is InferTypes as it was written first, each test scanning
// the value: the reference InferTypes must agree with.
func refInferTypes(v string) []string {
	v = strings.TrimSpace(v)
	if p, ok := parseIP(v); ok {
		if p.Addr().Is4() {
			return inferIPv4
		}
		return inferIPv6
	}
	if h, ok := strings.CutPrefix(v, "0x"); ok && isHex(h) {
		switch len(h) {
		case 40:
			return inferWallet
		case 64:
			return inferTransaction
		}
	}
	if isHex(v) {
		switch len(v) {
		case 64:
			return inferHash64
		case 32, 40, 56, 96, 128:
			return inferFile
		}
	}
	switch {
	case strings.Contains(v, "://"):
		return inferURL
	case isEmail(v):
		return inferEmail
	case isMAC(v):
		return inferMAC
	case refIsDomain(v):
		return inferDomain
	}
	return inferWallet
}

// FuzzInferTypes: InferTypes agrees with the reference.
func FuzzInferTypes(f *testing.F) {
	for _, v := range untypedValues() {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := InferTypes(v), refInferTypes(v); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("InferTypes(%q) = %v, want %v", v, got, want)
		}
	})
}
