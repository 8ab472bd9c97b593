package taxii

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzParseQuery feeds arbitrary query strings to every endpoint's
// parameter parser: it must never panic, and what it accepts must be
// within bounds.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"limit=10&added_after=2024-01-01T00:00:00Z",
		"match[id]=indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f,malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		"match[type]=indicator,malware&match[version]=first,last,2024-01-01T00:00:00.123Z",
		"match[spec_version]=2.1&next=AAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAA",
		"limit=-1", "limit=99999999999999999999", "match[version]=", "match[x]=1", "added_after=2024-13-01T00:00:00Z",
	} {
		f.Add(s)
	}
	all, _ := collection("all")
	tok := tokens{secret: []byte("fuzz")}
	f.Fuzz(func(t *testing.T, raw string) {
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		for ep := range allowedParams {
			p, err := parseQuery(vals, ep, all, "")
			if err != nil {
				if _, ok := err.(*badRequest); !ok {
					t.Fatalf("%s: error %T", ep, err)
				}
				continue
			}
			if p.q.Limit < 1 || p.q.Limit > MaxLimit {
				t.Fatalf("limit %d", p.q.Limit)
			}
			for _, id := range p.q.IDs {
				if id != strings.ToLower(id) {
					t.Fatalf("id %q not lower case", id)
				}
			}
			if p.next != "" {
				_, _ = tok.open("member", p.fingerprint, p.next)
			}
		}
	})
}

func TestNextTokenRoundTrip(t *testing.T) {
	tok := tokens{secret: []byte("secret")}
	s := tok.issue("member--a", "fp", 12345)
	if k, err := tok.open("member--a", "fp", s); err != nil || k != 12345 {
		t.Fatalf("open: %d %v", k, err)
	}
	for _, c := range []struct{ member, fp, tok string }{
		{"member--b", "fp", s}, {"member--a", "fp2", s}, {"member--a", "fp", s[:len(s)-1]}, {"member--a", "fp", "x" + s[1:]},
	} {
		if _, err := tok.open(c.member, c.fp, c.tok); err == nil {
			t.Fatalf("token accepted for %+v", c)
		}
	}
	if _, err := (tokens{secret: []byte("other")}).open("member--a", "fp", s); err == nil {
		t.Fatal("token accepted under another secret")
	}
}
