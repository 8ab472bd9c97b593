package pattern

import (
	"testing"
	"time"
)

// Typical indicator patterns, from the OASIS examples and the shapes the
// hub's members publish.
var benchPatterns = []struct{ name, pattern string }{
	{"ip", "[ipv4-addr:value = '198.51.100.1']"},
	{"hash", "[file:hashes.'SHA-256' = '" + sha256Hex + "']"},
	{"or5", "[domain-name:value = 'www.webserver.dynssl.com' OR ipv4-addr:value = '113.10.246.30' OR " +
		"ipv4-addr:value = '219.90.112.203' OR ipv4-addr:value = '75.126.95.138' OR ipv4-addr:value = '219.90.112.197']"},
	{"qualifiers", "([ipv4-addr:value ISSUBSET '198.51.100.0/24'] FOLLOWEDBY [domain-name:value = 'evil.example.com']) " +
		"WITHIN 600 SECONDS START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'"},
	{"regex", `[email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`},
}

func BenchmarkParse(b *testing.B) {
	for _, bp := range benchPatterns {
		b.Run(bp.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bp.pattern)))
			for b.Loop() {
				if _, err := Parse(bp.pattern); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseOASIS parses all 43 indicator patterns of the OASIS
// examples per iteration.
func BenchmarkParseOASIS(b *testing.B) {
	var pats []string
	for _, p := range oasisPatterns(b) {
		pats = append(pats, p)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range pats {
			if _, err := Parse(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkString(b *testing.B) {
	p, err := Parse(benchPatterns[3].pattern)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.String()
	}
}

func BenchmarkMatch(b *testing.B) {
	t0 := time.Date(2016, 6, 1, 10, 0, 0, 0, time.UTC)
	ip := map[string]any{"type": "ipv4-addr", "value": "198.51.100.1"}
	domain := map[string]any{"type": "domain-name", "value": "evil.example.com"}
	file := map[string]any{"type": "file", "name": "report.exe",
		"hashes": map[string]any{"SHA-256": sha256Hex, "MD5": "001dd76872d80801692ff942308c64e6"}}
	email := map[string]any{"type": "email-message", "body_multipart": []any{
		map[string]any{"body": "hi"}, map[string]any{"body_raw_ref": "file--1"}}}

	obs := func(at time.Time, objs ...map[string]any) Observation {
		o := Observation{Objects: map[string]map[string]any{}, First: at, Last: at, Count: 1}
		for i, x := range objs {
			id := []string{"0", "1", "2"}[i]
			if x["type"] == "file" {
				id = "file--1"
			}
			o.Objects[id] = x
		}
		return o
	}
	cases := []struct {
		name string
		obs  []Observation
	}{
		{"ip", []Observation{obs(t0, ip)}},
		{"hash", []Observation{obs(t0, file)}},
		{"or5", []Observation{obs(t0, file, domain, map[string]any{"type": "ipv4-addr", "value": "219.90.112.197"})}},
		{"qualifiers", []Observation{obs(t0, ip), obs(t0.Add(time.Minute), domain)}},
		{"regex", []Observation{obs(t0, email, map[string]any{"type": "file", "name": "Final Report 2016.exe"})}},
	}
	for i, c := range cases {
		p, err := Parse(benchPatterns[i].pattern)
		if err != nil {
			b.Fatal(err)
		}
		if ok, err := p.Match(c.obs); !ok || err != nil {
			b.Fatalf("%s: Match = %v, %v", c.name, ok, err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Match(c.obs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// A miss over 100 observations of 3 objects each.
	var many []Observation
	for i := 0; i < 100; i++ {
		many = append(many, obs(t0, file, map[string]any{"type": "ipv4-addr", "value": "203.0.113.9"}, domain))
	}
	p, err := Parse(benchPatterns[2].pattern)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("or5-miss-100obs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := p.Match(many); ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}
