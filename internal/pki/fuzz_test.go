package pki

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzParseSANs checks that any configured name list either fails or yields
// IP addresses and host names a certificate can hold.
func FuzzParseSANs(f *testing.F) {
	for _, s := range []string{"hub.example.org", "10.0.0.1", "::1", "*.example.org", "fe80::1%eth0", "HUB.example.org.", "a..b", "-a.b", "xn--bcher-kva.example"} {
		f.Add(s, "localhost")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ips, names, err := parseSANs([]string{a, b})
		if err != nil {
			return
		}
		for _, ip := range ips {
			if len(ip) != 4 && len(ip) != 16 {
				t.Fatalf("IP of %d bytes", len(ip))
			}
		}
		for _, n := range names {
			if _, err := netip.ParseAddr(n); err == nil {
				t.Fatalf("address %q listed as a DNS name", n)
			}
			if n != strings.ToLower(n) || !validDNSName(n) {
				t.Fatalf("invalid DNS name %q accepted", n)
			}
		}
	})
}
