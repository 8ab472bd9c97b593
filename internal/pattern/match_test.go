package pattern

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// decode turns JSON into the map an Observation holds, numbers as float64 as
// encoding/json decodes them.
func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

const fileJSON = `{
	"type": "file", "id": "file--1", "name": "report.exe", "size": 1024,
	"hashes": {"SHA-256": "EF537F25C895BFA782526529A9B63D97AA631564D5D789C2B765448C8635FB6C",
	           "MD5": "001dd76872d80801692ff942308c64e6", "SSDEEP": "3:AbC:xyz"},
	"created": "2016-06-01T01:30:00.123Z",
	"x_flags": ["a", "b"], "x_bool": true, "x_meta": "a.b(c)", "x_null": null,
	"x_key_hex": "00ff41",
	"extensions": {"windows-pebinary-ext": {"sections": [
		{"name": ".text", "entropy": 7.5}, {"name": ".data", "entropy": 3.1}]}}
}`

func TestMatchObjectOperators(t *testing.T) {
	file := decode(t, fileJSON)
	artifact := decode(t, `{"type": "artifact", "payload_bin": "QUJD", "mime_type": "x"}`)
	ipv4 := decode(t, `{"type": "ipv4-addr", "value": "198.51.100.7"}`)
	ipv4net := decode(t, `{"type": "ipv4-addr", "value": "198.51.100.0/24"}`)
	ipv6 := decode(t, `{"type": "ipv6-addr", "value": "2001:db8::1"}`)
	ipv6net := decode(t, `{"type": "ipv6-addr", "value": "2001:db8::/32"}`)
	bogus := decode(t, `{"type": "ipv4-addr", "value": "not an address"}`)
	domain := decode(t, `{"type": "domain-name", "value": "Evil.Example.COM"}`)
	url := decode(t, `{"type": "url", "value": "http://evil.example.com/A"}`)
	email := decode(t, `{"type": "email-addr", "value": "Alice@example.com"}`)
	jsonNumber := map[string]any{"type": "file", "size": json.Number("9007199254740993")}

	for _, tc := range []struct {
		pattern string
		obj     map[string]any
		want    bool
	}{
		// = and != (strings are case-sensitive)
		{"[file:name = 'report.exe']", file, true},
		{"[file:name = 'REPORT.EXE']", file, false},
		{"[file:name != 'x']", file, true},
		{"[file:name != 'report.exe']", file, false},
		{"[file:name NOT = 'x']", file, true},
		{"[file:name NOT != 'report.exe']", file, true},
		{"[ipv4-addr:value = 'report.exe']", file, false}, // no object of that type
		{"[ipv4-addr:value != 'report.exe']", file, false},
		// numbers: JSON 1024 equals 1024 and 1024.0, exactly
		{"[file:size = 1024]", file, true},
		{"[file:size = 1024.0]", file, true},
		{"[file:size = 1024.5]", file, false},
		{"[file:size = 9007199254740993]", jsonNumber, true},
		{"[file:size = 9007199254740992]", jsonNumber, false},
		{"[file:size > 9007199254740992.0]", jsonNumber, true},
		// a type mismatch is "not equal", also for != and NOT =
		{"[file:size = '1024']", file, false},
		{"[file:size != '1024']", file, true},
		{"[file:size NOT = '1024']", file, true},
		{"[file:x_bool = true]", file, true},
		{"[file:x_bool = 'true']", file, false},
		{"[file:x_bool != false]", file, true},
		// a missing (or null) property is false whatever the operator
		{"[file:x_missing != 'a']", file, false},
		{"[file:x_missing NOT = 'a']", file, false},
		{"[file:x_null != 'a']", file, false},
		{"[file:x_missing NOT IN ('a')]", file, false},
		// EXISTS
		{"[EXISTS file:name]", file, true},
		{"[EXISTS file:x_missing]", file, false},
		{"[NOT EXISTS file:x_missing]", file, true},
		{"[NOT EXISTS file:name]", file, false},
		{"[EXISTS file:x_null]", file, false},
		{"[NOT EXISTS ipv4-addr:value]", file, false}, // no ipv4-addr to lack it
		{"[EXISTS file:extensions.'windows-pebinary-ext'.sections[1]]", file, true},
		{"[EXISTS file:extensions.'windows-pebinary-ext'.sections[2]]", file, false},
		// order
		{"[file:size > 1000]", file, true},
		{"[file:size < 1000]", file, false},
		{"[file:size >= 1024]", file, true},
		{"[file:size <= 1023.5]", file, false},
		{"[file:size NOT < 1000]", file, true},
		{"[file:name > 'a']", file, true},
		{"[file:name < 'report.exf']", file, true},
		{"[file:name < 5]", file, false},     // incomparable
		{"[file:name NOT < 5]", file, false}, // incomparable, also under NOT
		{"[file:created > t'2016-01-01T00:00:00Z']", file, true},
		{"[file:created = t'2016-06-01T01:30:00.123Z']", file, true},
		{"[file:created = t'2016-06-01T01:30:00.12Z']", file, false},
		{"[file:created < t'2016-06-01T01:30:00.124Z']", file, true},
		{"[file:name = t'2016-06-01T01:30:00Z']", file, false}, // not a timestamp
		// IN
		{"[file:name IN ('a', 'report.exe')]", file, true},
		{"[file:name NOT IN ('a', 'report.exe')]", file, false},
		{"[file:name NOT IN ('a', 'b')]", file, true},
		{"[file:size IN (1, 1024)]", file, true},
		{"[file:size IN (1.5, 1024.0)]", file, true},
		{"[file:size IN ('1024')]", file, false},
		{"[file:size NOT IN ('1024')]", file, true},
		{"[file:name IN ()]", file, false},
		{"[file:name NOT IN ()]", file, true},
		// LIKE: anchored, % and _, everything else literal, case-sensitive
		{"[file:name LIKE 'report.%']", file, true},
		{"[file:name LIKE 'r_port.exe']", file, true},
		{"[file:name LIKE 'r_port.ex']", file, false},
		{"[file:name LIKE 'report']", file, false},
		{"[file:name LIKE 'port%']", file, false},
		{"[file:name LIKE '%.EXE']", file, false},
		{"[file:name LIKE '%']", file, true},
		{"[file:name LIKE '%%%%']", file, true},
		{"[file:name LIKE '__________']", file, true},
		{"[file:name LIKE '___________']", file, false},
		{"[file:name NOT LIKE '%.dll']", file, true},
		{"[file:x_meta LIKE 'a.b(c)']", file, true},
		{"[file:x_meta LIKE 'a_b(_)']", file, true},
		{"[file:x_meta LIKE 'a.b(c']", file, false},
		{"[file:name LIKE 'a.b%']", file, false}, // '.' is literal
		{"[file:size LIKE '%']", file, false},    // not a string
		{"[file:size NOT LIKE 'x']", file, false},
		// MATCHES: an unanchored search
		{`[file:name MATCHES '\\.exe$']`, file, true},
		{"[file:name MATCHES '^report']", file, true},
		{"[file:name MATCHES 'port']", file, true},
		{"[file:name MATCHES 'EXE']", file, false},
		{"[file:name MATCHES '(?i)EXE']", file, true},
		{"[file:name NOT MATCHES 'dll']", file, true},
		{"[file:size MATCHES '1']", file, false},
		{"[file:size NOT MATCHES '1']", file, false},
		// lists
		{"[file:x_flags[*] = 'b']", file, true},
		{"[file:x_flags[0] = 'b']", file, false},
		{"[file:x_flags[1] = 'b']", file, true},
		{"[file:x_flags[5] = 'b']", file, false},
		{"[file:x_flags = 'a']", file, false}, // a list is not its elements
		{"[file:x_flags[*] NOT = 'a']", file, true},
		{"[file:x_flags[*] != 'c']", file, true},
		{"[file:name[*] = 'report.exe']", file, false}, // not a list
		{"[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]", file, true},
		{"[file:extensions.'windows-pebinary-ext'.sections[1].entropy > 7.0]", file, false},
		{"[file:extensions.'windows-pebinary-ext'.sections[*].name = '.data']", file, true},
		{"[file:extensions.'windows-pebinary-ext'.sections[*].name = '.bss']", file, false},
		// AND and OR on one object
		{"[file:name = 'report.exe' AND file:size = 1024]", file, true},
		{"[file:name = 'report.exe' AND file:size = 1]", file, false},
		{"[file:name = 'x' OR file:size = 1024]", file, true},
		{"[(file:name = 'x' OR file:size = 1024) AND file:x_bool = true]", file, true},
		{"[domain-name:value = 'x' OR file:name = 'report.exe']", file, true},
		{"[domain-name:value = 'x' AND file:name = 'report.exe']", file, false},
		// case rules: hex hash values and domain names fold case
		{"[file:hashes.'SHA-256' = '" + sha256Hex + "']", file, true},
		{"[file:hashes.'SHA-256' != '" + sha256Hex + "']", file, false},
		{"[file:hashes.MD5 IN ('001DD76872D80801692FF942308C64E6')]", file, true},
		{"[file:hashes.SSDEEP = '3:abc:xyz']", file, false}, // base64-like: case matters
		{"[file:hashes.SSDEEP = '3:AbC:xyz']", file, true},
		{"[file:hashes.'SHA-256' LIKE 'ef53%']", file, false}, // LIKE stays exact
		{"[domain-name:value = 'evil.example.com']", domain, true},
		{"[domain-name:value IN ('EVIL.EXAMPLE.COM')]", domain, true},
		{"[url:value = 'http://evil.example.com/a']", url, false},
		{"[email-addr:value = 'alice@example.com']", email, false},
		// binary properties (_bin base64, _hex) against every literal kind
		{"[artifact:payload_bin = b'QUJD']", artifact, true},
		{"[artifact:payload_bin = h'414243']", artifact, true},
		{"[artifact:payload_bin = 'ABC']", artifact, true},
		{"[artifact:payload_bin = 'QUJD']", artifact, false},
		{"[artifact:payload_bin > h'4142']", artifact, true},
		{"[artifact:payload_bin < 'ABD']", artifact, true},
		{"[artifact:payload_bin < '☕']", artifact, false}, // not comparable with bytes
		{"[artifact:payload_bin MATCHES '^AB']", artifact, true},
		{"[artifact:payload_bin MATCHES '☕']", artifact, false},
		{"[artifact:payload_bin IN (h'00', b'QUJD')]", artifact, true},
		{"[artifact:mime_type = h'78']", artifact, true}, // a string compared with bytes
		{"[file:x_key_hex = h'00FF41']", file, true},
		{`[file:x_key_hex MATCHES '^\\x00\\xffA$']`, file, true},
		{"[file:x_key_hex = '00ff41']", file, false},
		// ISSUBSET / ISSUPERSET
		{"[ipv4-addr:value ISSUBSET '198.51.100.0/24']", ipv4, true},
		{"[ipv4-addr:value ISSUBSET '198.51.101.0/24']", ipv4, false},
		{"[ipv4-addr:value NOT ISSUBSET '198.51.101.0/24']", ipv4, true},
		{"[ipv4-addr:value ISSUBSET '198.51.100.9/24']", ipv4, true}, // host bits ignored
		{"[ipv4-addr:value ISSUBSET '198.51.100.7']", ipv4, true},
		{"[ipv4-addr:value ISSUBSET '0.0.0.0/0']", ipv4, true},
		{"[ipv4-addr:value ISSUBSET '198.51.100.0/24']", ipv4net, true},
		{"[ipv4-addr:value ISSUBSET '198.51.100.0/25']", ipv4net, false},
		{"[ipv4-addr:value ISSUBSET '198.51.100.0/23']", ipv4net, true},
		{"[ipv4-addr:value ISSUPERSET '198.51.100.7']", ipv4net, true},
		{"[ipv4-addr:value ISSUPERSET '198.51.100.0/25']", ipv4net, true},
		{"[ipv4-addr:value ISSUPERSET '198.51.100.0/23']", ipv4net, false},
		{"[ipv4-addr:value ISSUPERSET '198.51.100.7']", ipv4, true},
		{"[ipv4-addr:value ISSUPERSET '198.51.100.8']", ipv4, false},
		{"[ipv6-addr:value ISSUBSET '2001:db8::/32']", ipv6, true},
		{"[ipv6-addr:value ISSUBSET '2001:db9::/32']", ipv6, false},
		{"[ipv6-addr:value ISSUBSET '2001:0db8:0000::0001']", ipv6, true},
		{"[ipv6-addr:value ISSUPERSET '2001:db8:ffff::/48']", ipv6net, true},
		{"[ipv6-addr:value ISSUPERSET '2001:db9::/48']", ipv6net, false},
		{"[ipv4-addr:value ISSUBSET '::/0']", ipv4, false}, // IPv4 is not in IPv6 space
		{"[ipv4-addr:value NOT ISSUBSET '::/0']", ipv4, true},
		{"[ipv4-addr:value ISSUBSET '0.0.0.0/0']", bogus, false}, // not an address
		{"[ipv4-addr:value NOT ISSUBSET '0.0.0.0/0']", bogus, false},
		// = on addresses compares text, as the spec says
		{"[ipv6-addr:value = '2001:0db8::1']", ipv6, false},
	} {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.pattern, err)
		}
		got, err := p.MatchObject(tc.obj)
		if err != nil || got != tc.want {
			t.Errorf("%s on %v = %v, %v; want %v", tc.pattern, tc.obj["type"], got, err, tc.want)
		}
	}
}

// observed builds an observation from JSON objects keyed by their ids.
func observed(t testing.TB, first, last string, count int, objs ...string) Observation {
	t.Helper()
	o := Observation{Objects: map[string]map[string]any{}, Count: count}
	for _, s := range objs {
		m := decode(t, s)
		o.Objects[m["id"].(string)] = m
	}
	parse := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	o.First, o.Last = parse(first), parse(last)
	return o
}

func TestMatchReferences(t *testing.T) {
	traffic := observed(t, "", "", 1,
		`{"type": "network-traffic", "id": "network-traffic--1", "src_ref": "ipv4-addr--1", "dst_ref": "ipv4-addr--2",
		  "dst_port": 443, "protocols": ["ipv4", "tcp"]}`,
		`{"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "10.0.0.1"}`,
		`{"type": "ipv4-addr", "id": "ipv4-addr--2", "value": "203.0.113.9"}`)
	mail := observed(t, "", "", 1,
		`{"type": "email-message", "id": "email-message--1", "is_multipart": true,
		  "subject": "[IMPORTANT] Please Review Before Signing",
		  "to_refs": ["email-addr--1", "email-addr--missing", "email-addr--2"],
		  "body_multipart": [{"body": "see attached"}, {"body_raw_ref": "file--1"}]}`,
		`{"type": "email-addr", "id": "email-addr--1", "value": "a@example.com"}`,
		`{"type": "email-addr", "id": "email-addr--2", "value": "b@example.com"}`,
		`{"type": "file", "id": "file--1", "name": "Final Report 2016.exe"}`)
	elsewhere := observed(t, "", "", 1, `{"type": "ipv4-addr", "id": "ipv4-addr--3", "value": "192.0.2.1"}`)
	dangling := observed(t, "", "", 1,
		`{"type": "network-traffic", "id": "network-traffic--2", "src_ref": "ipv4-addr--3", "dst_ref": 5}`)

	for _, tc := range []struct {
		pattern string
		obs     []Observation
		want    bool
	}{
		{"[network-traffic:src_ref.value = '10.0.0.1']", []Observation{traffic}, true},
		{"[network-traffic:dst_ref.value ISSUBSET '203.0.113.0/24']", []Observation{traffic}, true},
		{"[network-traffic:src_ref.value = '10.0.0.1' AND network-traffic:dst_port = 443]", []Observation{traffic}, true},
		{"[network-traffic:protocols[*] = 'tcp']", []Observation{traffic}, true},
		{"[ipv4-addr:value = '203.0.113.9']", []Observation{traffic}, true}, // referenced objects are roots too
		{"[network-traffic:src_ref = 'ipv4-addr--1']", []Observation{traffic}, false},
		// References resolve only inside their own observation.
		{"[network-traffic:src_ref.value = '192.0.2.1']", []Observation{dangling, elsewhere}, false},
		{"[EXISTS network-traffic:src_ref]", []Observation{dangling}, false},
		{"[EXISTS network-traffic:dst_ref.value]", []Observation{dangling}, false},
		// _refs lists keep their positions; unresolved entries select nothing.
		{"[email-message:to_refs[*].value = 'b@example.com']", []Observation{mail}, true},
		{"[email-message:to_refs[0].value = 'a@example.com']", []Observation{mail}, true},
		{"[email-message:to_refs[1].value = 'b@example.com']", []Observation{mail}, false},
		{"[email-message:to_refs[2].value = 'b@example.com']", []Observation{mail}, true},
		{"[EXISTS email-message:to_refs[1].value]", []Observation{mail}, false},
		// The OASIS example pattern, on the attachment it describes.
		{`[email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`, []Observation{mail}, true},
		{"[email-message:body_multipart[*].body_raw_ref.name = 'x' OR email-message:is_multipart = true]", []Observation{mail}, true},
	} {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.pattern, err)
		}
		got, err := p.Match(tc.obs)
		if err != nil || got != tc.want {
			t.Errorf("%s = %v, %v; want %v", tc.pattern, got, err, tc.want)
		}
	}
}

// TestOASISSubjectRegex shows a flaw in the OASIS example data: its pattern
// '^[IMPORTANT] Please Review Before' is a character class, so it does not
// match the subject "[IMPORTANT] Please Review Before..." it was written for.
func TestOASISSubjectRegex(t *testing.T) {
	p, err := Parse("[email-message:subject MATCHES '^[IMPORTANT] Please Review Before']")
	if err != nil {
		t.Fatal(err)
	}
	for subject, want := range map[string]bool{
		"[IMPORTANT] Please Review Before Signing": false,
		"T Please Review Before Signing":           true,
	} {
		got, err := p.MatchObject(map[string]any{"type": "email-message", "subject": subject})
		if err != nil || got != want {
			t.Errorf("subject %q: %v, %v; want %v", subject, got, err, want)
		}
	}
}

// TestMatchSameRoot checks that comparisons joined by AND in one [ ] must
// hold on one object, as in the OASIS reference matcher.
func TestMatchSameRoot(t *testing.T) {
	two := observed(t, "", "", 1,
		`{"type": "file", "id": "file--1", "name": "a", "size": 10}`,
		`{"type": "file", "id": "file--2", "name": "b", "size": 15}`)
	for pattern, want := range map[string]bool{
		"[file:name = 'a' AND file:size < 20]":                             true,
		"[file:name = 'a' AND file:size > 10]":                             false,
		"[file:name = 'a' OR file:size > 10]":                              true,
		"[(file:name = 'c' OR file:name = 'b') AND file:size > 10]":        true,
		"[(file:name = 'c' OR file:name = 'a') AND (file:size > 10)]":      false,
		"[file:name = 'a' AND file:size = 10 OR file:name = 'b']":          true,
		"[file:name = 'a'] AND [file:size > 10]":                           false, // two observations needed
		"[file:name = 'a' OR file:name = 'b'] AND [file:name = 'b']":       false,
		"[NOT EXISTS file:x AND file:name = 'b' AND file:size NOT = 10]":   true,
		"[file:name NOT IN ('a', 'b') OR file:size NOT IN (10, 15, 20)]":   false,
		"[file:name NOT IN ('a') AND file:size IN (15) AND file:size > 1]": true,
	} {
		p, err := Parse(pattern)
		if err != nil {
			t.Fatalf("Parse(%q): %v", pattern, err)
		}
		got, err := p.Match([]Observation{two})
		if err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", pattern, got, err, want)
		}
	}
}

func TestMatchObservationExpressions(t *testing.T) {
	a := `{"type": "file", "id": "file--a", "name": "a"}`
	b := `{"type": "file", "id": "file--b", "name": "b"}`
	c := `{"type": "file", "id": "file--c", "name": "c"}`
	at := func(clock string, count int, objs ...string) Observation {
		ts := "2016-06-01T" + clock + "Z"
		return observed(t, ts, ts, count, objs...)
	}
	span := func(from, to string, objs ...string) Observation {
		return observed(t, "2016-06-01T"+from+"Z", "2016-06-01T"+to+"Z", 1, objs...)
	}
	A, B, C := "[file:name = 'a']", "[file:name = 'b']", "[file:name = 'c']"

	for _, tc := range []struct {
		name    string
		pattern string
		obs     []Observation
		want    bool
	}{
		{"OR: either", A + " OR " + B, []Observation{at("10:00:00", 1, b)}, true},
		{"OR: neither", A + " OR " + B, []Observation{at("10:00:00", 1, c)}, false},
		{"AND: two observations", A + " AND " + B, []Observation{at("10:00:00", 1, a), at("11:00:00", 1, b)}, true},
		{"AND: one observation is one binding", A + " AND " + B, []Observation{at("10:00:00", 1, a, b)}, false},
		{"AND: number_observed 2 is two observations", A + " AND " + B, []Observation{at("10:00:00", 2, a, b)}, true},
		{"AND: same expression twice needs two", A + " AND " + A, []Observation{at("10:00:00", 1, a)}, false},
		{"AND: twice with count 2", A + " AND " + A, []Observation{at("10:00:00", 2, a)}, true},
		{"AND: missing side", A + " AND " + C, []Observation{at("10:00:00", 1, a), at("11:00:00", 1, b)}, false},
		{"AND binds tighter than OR", A + " AND " + C + " OR " + B, []Observation{at("10:00:00", 1, b)}, true},

		{"FOLLOWEDBY: in order", A + " FOLLOWEDBY " + B, []Observation{at("10:00:00", 1, a), at("10:05:00", 1, b)}, true},
		{"FOLLOWEDBY: out of order", A + " FOLLOWEDBY " + B, []Observation{at("10:05:00", 1, a), at("10:00:00", 1, b)}, false},
		{"FOLLOWEDBY: same time", A + " FOLLOWEDBY " + B, []Observation{at("10:00:00", 1, a), at("10:00:00", 1, b)}, true},
		{"FOLLOWEDBY: overlapping intervals", A + " FOLLOWEDBY " + B,
			[]Observation{span("10:00:00", "10:10:00", a), span("09:00:00", "10:05:00", b)}, true},
		{"FOLLOWEDBY: chain", A + " FOLLOWEDBY " + B + " FOLLOWEDBY " + C,
			[]Observation{at("10:00:00", 1, a), at("10:05:00", 1, b), at("10:10:00", 1, c)}, true},
		{"FOLLOWEDBY: chain out of order", A + " FOLLOWEDBY " + B + " FOLLOWEDBY " + C,
			[]Observation{at("10:00:00", 1, a), at("10:15:00", 1, b), at("10:10:00", 1, c)}, false},
		{"FOLLOWEDBY: picks the right candidates", A + " FOLLOWEDBY " + B,
			[]Observation{at("10:00:00", 1, b), at("10:05:00", 1, a), at("10:10:00", 1, b)}, true},

		{"WITHIN: inside", "(" + A + " AND " + B + ") WITHIN 300 SECONDS",
			[]Observation{at("10:00:00", 1, a), at("10:05:00", 1, b)}, true},
		{"WITHIN: outside", "(" + A + " AND " + B + ") WITHIN 299.5 SECONDS",
			[]Observation{at("10:00:00", 1, a), at("10:05:00", 1, b)}, false},
		{"WITHIN: fractions", "(" + A + " AND " + B + ") WITHIN 300.25 SECONDS",
			[]Observation{observed(t, "2016-06-01T10:00:00Z", "2016-06-01T10:00:00Z", 1, a),
				observed(t, "2016-06-01T10:05:00.25Z", "2016-06-01T10:05:00.25Z", 1, b)}, true},
		{"WITHIN: intervals touching the window", "(" + A + " AND " + B + ") WITHIN 60 SECONDS",
			[]Observation{span("09:00:00", "10:00:00", a), span("10:01:00", "11:00:00", b)}, true},
		{"WITHIN: another pair", "(" + A + " AND " + B + ") WITHIN 60 SECONDS",
			[]Observation{at("09:00:00", 1, a), at("10:00:00", 1, b), at("10:00:30", 1, a)}, true},
		{"WITHIN binds to the last expression", A + " AND " + B + " WITHIN 1 SECONDS",
			[]Observation{at("09:00:00", 1, a), at("10:00:00", 1, b)}, true},
		{"WITHIN: huge", "(" + A + " AND " + B + ") WITHIN 99999999999999999999.0 SECONDS",
			[]Observation{observed(t, "0001-01-01T00:00:01Z", "0001-01-01T00:00:01Z", 1, a), at("10:00:00", 1, b)}, true},

		{"START/STOP: inside", A + " START t'2016-06-01T10:00:00Z' STOP t'2016-06-01T10:05:00Z'",
			[]Observation{at("10:04:59", 1, a)}, true},
		{"START/STOP: STOP is exclusive", A + " START t'2016-06-01T10:00:00Z' STOP t'2016-06-01T10:05:00Z'",
			[]Observation{at("10:05:00", 1, a)}, false},
		{"START/STOP: START is inclusive", A + " START t'2016-06-01T10:00:00Z' STOP t'2016-06-01T10:05:00Z'",
			[]Observation{at("10:00:00", 1, a)}, true},
		{"START/STOP: overlapping interval", A + " START t'2016-06-01T10:00:00Z' STOP t'2016-06-01T10:05:00Z'",
			[]Observation{span("09:00:00", "10:00:00", a)}, true},
		{"START/STOP: before", A + " START t'2016-06-01T10:00:00Z' STOP t'2016-06-01T10:05:00Z'",
			[]Observation{span("09:00:00", "09:59:59", a)}, false},
		{"START/STOP: every bound observation", "(" + A + " AND " + B + ") START t'2016-06-01T10:00:00Z' STOP t'2016-06-01T10:05:00Z'",
			[]Observation{at("10:01:00", 1, a), at("10:06:00", 1, b)}, false},

		{"REPEATS: enough", A + " REPEATS 3 TIMES", []Observation{at("10:00:00", 2, a), at("11:00:00", 1, a)}, true},
		{"REPEATS: too few", A + " REPEATS 3 TIMES", []Observation{at("10:00:00", 2, a), at("11:00:00", 1, b)}, false},
		{"REPEATS: huge count", A + " REPEATS 1000000 TIMES", []Observation{at("10:00:00", 1000000, a)}, true},
		{"REPEATS: more than there are", A + " REPEATS 9223372036854775807 TIMES", []Observation{at("10:00:00", 1000000, a)}, false},
		{"REPEATS: counts that overflow", A + " REPEATS 9223372036854775807 TIMES",
			[]Observation{at("10:00:00", math.MaxInt, a), at("10:00:01", math.MaxInt, a), at("10:00:02", 1, b)}, true},
		{"REPEATS then WITHIN", A + " REPEATS 3 TIMES WITHIN 60 SECONDS",
			[]Observation{at("10:00:00", 1, a), at("10:01:40", 1, a), at("10:02:10", 1, a), at("10:02:30", 1, a), at("10:06:40", 1, a)}, true},
		{"REPEATS then WITHIN: spread out", A + " REPEATS 3 TIMES WITHIN 60 SECONDS",
			[]Observation{at("10:00:00", 1, a), at("10:01:40", 1, a), at("10:03:20", 1, a), at("10:05:00", 1, a)}, false},
		{"REPEATS of a compound", "(" + A + " AND " + B + ") REPEATS 2 TIMES",
			[]Observation{at("10:00:00", 2, a), at("11:00:00", 1, b), at("12:00:00", 1, b)}, true},
		{"REPEATS of a compound: one short", "(" + A + " AND " + B + ") REPEATS 2 TIMES",
			[]Observation{at("10:00:00", 2, a), at("11:00:00", 1, b)}, false},
		{"REPEATS shares observations with AND", "(" + A + " REPEATS 2 TIMES) AND " + A,
			[]Observation{at("10:00:00", 2, a), at("11:00:00", 1, a)}, true},
		{"REPEATS shares observations with AND: too few", "(" + A + " REPEATS 2 TIMES) AND " + A,
			[]Observation{at("10:00:00", 2, a)}, false},
		{"REPEATS then FOLLOWEDBY", A + " REPEATS 2 TIMES FOLLOWEDBY " + B,
			[]Observation{at("10:00:00", 1, a), at("10:01:00", 1, b), at("10:02:00", 1, a), at("10:03:00", 1, b)}, true},
		{"REPEATS then FOLLOWEDBY: b too early", A + " REPEATS 2 TIMES FOLLOWEDBY " + B,
			[]Observation{at("10:00:00", 1, a), at("10:01:00", 1, b), at("10:02:00", 1, a)}, false},
	} {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Fatalf("%s: Parse(%q): %v", tc.name, tc.pattern, err)
		}
		got, err := p.Match(tc.obs)
		if err != nil || got != tc.want {
			t.Errorf("%s: %s = %v, %v; want %v", tc.name, tc.pattern, got, err, tc.want)
		}
	}
}

func TestMatchErrors(t *testing.T) {
	a := `{"type": "file", "id": "file--a", "name": "a"}`
	b := `{"type": "file", "id": "file--b", "name": "b"}`
	untimed := observed(t, "", "", 1, a)
	timed := observed(t, "2016-06-01T10:00:00Z", "2016-06-01T10:00:00Z", 1, b)

	check := func(pattern string, obs []Observation, want error) {
		t.Helper()
		p, err := Parse(pattern)
		if err != nil {
			t.Fatalf("Parse(%q): %v", pattern, err)
		}
		got, err := p.Match(obs)
		if got || !errors.Is(err, want) {
			t.Errorf("%s = %v, %v; want error %v", pattern, got, err, want)
		}
	}
	// Times are needed where the pattern uses them and the observation matches.
	check("[file:name = 'a'] FOLLOWEDBY [file:name = 'b']", []Observation{untimed, timed}, ErrNoTime)
	check("[file:name = 'a'] WITHIN 5 SECONDS", []Observation{untimed}, ErrNoTime)
	check("[file:name = 'a'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'", []Observation{untimed}, ErrNoTime)
	// Without times, a "no" that holds whatever the times is still given.
	for _, pattern := range []string{
		"[file:name = 'c'] FOLLOWEDBY [file:name = 'b']",
		"[file:name = 'a'] FOLLOWEDBY [file:name = 'c']",
		"[file:name = 'a'] FOLLOWEDBY [file:name = 'a']",
		"[file:name = 'a'] REPEATS 2 TIMES WITHIN 5 SECONDS",
	} {
		p, _ := Parse(pattern)
		if got, err := p.Match([]Observation{untimed, timed}); got || err != nil {
			t.Errorf("%s with an untimed observation = %v, %v; want false", pattern, got, err)
		}
	}
	p, _ := Parse("[file:name = 'a'] REPEATS 2 TIMES")
	if got, err := p.Match([]Observation{untimed, untimed}); !got || err != nil {
		t.Errorf("REPEATS needs no times: %v, %v", got, err)
	}

	// Negative list indexes are not evaluated.
	check("[file:x[-1] = 'a']", []Observation{untimed}, ErrUnsupported)
	p, _ = Parse("[file:x[-1] = 'a']")
	if _, err := p.MatchObject(map[string]any{"type": "file"}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("MatchObject with a negative index: %v", err)
	}

	// REPEATS over a compound expression unrolls; a huge count is refused.
	big := observed(t, "", "", 5000, a, b)
	check("([file:name = 'a'] AND [file:name = 'b']) REPEATS 2000 TIMES", []Observation{big}, ErrUnsupported)

	// A search that would take too long stops with ErrMatchLimit: thirty
	// observations of 'a', all after the only 'b'.
	obs := []Observation{observed(t, "2016-06-01T09:00:00Z", "2016-06-01T09:00:00Z", 1, b)}
	for i := 0; i < 30; i++ {
		ts := time.Date(2016, 6, 1, 10, i, 0, 0, time.UTC)
		o := observed(t, "", "", 1, a)
		o.First, o.Last = ts, ts
		obs = append(obs, o)
	}
	A := "[file:name = 'a']"
	check("("+strings.Repeat(A+" AND ", 4)+A+") FOLLOWEDBY [file:name = 'b']", obs, ErrMatchLimit)

	// Bad observations.
	for _, o := range []Observation{
		{Objects: untimed.Objects, Count: -1},
		{Objects: untimed.Objects, First: timed.First.Add(time.Second), Last: timed.First},
	} {
		p, _ := Parse("[file:name = 'a']")
		if got, err := p.Match([]Observation{o}); got || err == nil {
			t.Errorf("bad observation %+v: %v, %v", o, got, err)
		}
	}
}

func TestMatchObjectNeedsOneObservation(t *testing.T) {
	obj := map[string]any{"type": "file", "name": "a"}
	for pattern, want := range map[string]bool{
		"[file:name = 'a']":                                      true,
		"[file:name = 'b'] OR ([file:name = 'a'])":               true,
		"[file:name = 'a'] AND [file:name = 'a']":                false,
		"[file:name = 'a'] FOLLOWEDBY [file:name = 'a']":         false,
		"[file:name = 'a'] REPEATS 2 TIMES":                      false,
		"[file:name = 'a'] REPEATS 1 TIMES":                      true,
		"[file:name = 'b'] WITHIN 5 SECONDS":                     false,
		"[file:name = 'b'] AND [file:name = 'a'] OR [x-a:b = 1]": false,
	} {
		p, err := Parse(pattern)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.MatchObject(obj)
		if err != nil || got != want {
			t.Errorf("MatchObject(%s) = %v, %v; want %v", pattern, got, err, want)
		}
	}
}

// TestMatchConcurrent runs one pattern from many goroutines (with -race).
func TestMatchConcurrent(t *testing.T) {
	p, err := Parse("[file:name LIKE 'rep%' AND file:name MATCHES 'exe$'] OR [ipv4-addr:value ISSUBSET '10.0.0.0/8']")
	if err != nil {
		t.Fatal(err)
	}
	file := decode(t, fileJSON)
	done := make(chan bool)
	for i := 0; i < 8; i++ {
		go func() {
			ok, err := p.MatchObject(file)
			done <- ok && err == nil
		}()
	}
	for i := 0; i < 8; i++ {
		if !<-done {
			t.Error("concurrent MatchObject failed")
		}
	}
}
