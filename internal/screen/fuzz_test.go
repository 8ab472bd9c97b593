package screen

import (
	"testing"
	"time"
)

// FuzzRead: any object is read without panicking, and what it yields is
// indexed and found again.
func FuzzRead(f *testing.F) {
	f.Add(string(indicator(id(1), "[ipv4-addr:value ISSUBSET '10.0.0.0/8'] OR [file:hashes.MD5 = 'cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd']", nil)))
	f.Add(`{"type":"observed-data","id":"observed-data--1","objects":{"0":{"type":"url","value":"HTTP://A.example/x"}},"object_refs":["ipv4-addr--2"]}`)
	f.Add(`{"type":"cryptocurrency-wallet","id":"cryptocurrency-wallet--1","value":"0xAbCdEf0123456789abcdef0123456789ABCDEF01"}`)
	f.Fuzz(func(t *testing.T, obj string) {
		o, err := Read([]byte(obj))
		if err != nil {
			return
		}
		x := New(Config{})
		entries := append([]Entry(nil), o.Entries...)
		x.Add(o)
		for _, e := range entries {
			ms, err := x.Lookup(nil, e.Observable, LookupOptions{Now: time.Now(), IncludeRevoked: true})
			if err != nil || len(ms) == 0 {
				t.Fatalf("entry %v not found: %v", e.Observable, err)
			}
		}
	})
}

// FuzzNormalize: normalizing is idempotent, so an indexed value and the same
// value looked up agree.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "::ffff:1.2.3.4", "Drain.Example.", "HTTPS://u@Evil.Example/P", "0xAB" + "cd", "1BoatSLR",
		"Drain.Example", " Ops@Drain.Example", "AB:CD:EF:01:23:45", "ABCDEF0123", "Ab\u00c9.example", "HKLM\\Run"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, typ := range []string{TypeIPv4, TypeIPv6, TypeDomain, TypeURL, TypeEmail, TypeFile, TypeWallet, TypeTransaction, TypeMAC, "x-custom"} {
			n, err := Normalize(typ, v)
			if err != nil {
				continue
			}
			if n2, err := Normalize(typ, n); err != nil || n2 != n {
				t.Fatalf("%s: Normalize(%q) = %q, again %q %v", typ, v, n, n2, err)
			}
			var buf [lowerBuf]byte
			if l, ok := lowered(&buf, typ, v); ok && l != n {
				t.Fatalf("%s: lowered(%q) = %q, Normalize %q", typ, v, l, n)
			}
		}
		InferTypes(v)
	})
}
