package pattern

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const sha256Hex = "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c"

// Patterns that pass the semantic checks with the default Options.
var semanticValid = []string{
	// Every STIX 2.1 cyber-observable type, and custom types.
	"[artifact:mime_type = 'a']", "[autonomous-system:number = 1]", "[directory:path = 'a']",
	"[domain-name:value = 'a']", "[email-addr:value = 'a']", "[email-message:subject = 'a']",
	"[file:name = 'a']", "[ipv4-addr:value = 'a']", "[ipv6-addr:value = 'a']",
	"[mac-addr:value = 'a']", "[mutex:name = 'a']", "[network-traffic:dst_port = 1]",
	"[process:pid = 1]", "[software:name = 'a']", "[url:value = 'a']",
	"[user-account:user_id = 'a']", "[windows-registry-key:key = 'a']",
	"[x509-certificate:serial_number = 'a']",
	"[x-mitre-thing:a = 1]", "[x-a:b = 1]", "[x-0-9--z:b = 1]",
	// Timestamps: leap day, leap second at the end of a month.
	"[file:created = t'2020-02-29T00:00:00Z']",
	"[file:created = t'2016-12-31T23:59:60Z']",
	"[file:created = t'2015-06-30T23:59:60.5Z']",
	"[file:name = 'a'] START t'2016-06-01T00:00:00Z' STOP t'2016-06-01T00:00:00.000000001Z'",
	// MATCHES in RE2 syntax.
	`[email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`,
	`[file:name MATCHES '(?i)^[a-z]{3,8}\\d+\\.dll$']`,
	"[file:name MATCHES '']",
	"[file:name MATCHES '" + strings.Repeat("a", MaxRegexLength) + "']",
	`[file:name MATCHES '(?i)^[а-яё]+\\pL{3}[\\x{0}-\\x{10FFFF}]$']`,
	"[file:name MATCHES '" + strings.Repeat(`\\pL`, 15) + "']",
	// Positive counts.
	"[file:name = 'a'] WITHIN 0.001 SECONDS", "[file:name = 'a'] REPEATS 1 TIMES",
	"[file:name = 'a'] REPEATS 9223372036854775807 TIMES",
	// Networks.
	"[ipv4-addr:value ISSUBSET '10.0.0.1/24']", "[ipv6-addr:value ISSUBSET '2001:db8::/32']",
	"[ipv4-addr:value ISSUPERSET '10.0.0.1']", "[ipv6-addr:value ISSUPERSET '::1']",
	"[ipv4-addr:value ISSUBSET '0.0.0.0/0']",
	// Sets.
	"[file:size IN (1, 2.5)]", "[artifact:payload_bin IN (h'00', b'AA==')]", "[file:name IN ()]",
	// Hashes: right lengths, any case, other algorithms and operators unchecked.
	"[file:hashes.'SHA-256' = '" + sha256Hex + "']",
	"[file:hashes.'SHA-256' = '" + strings.ToUpper(sha256Hex) + "']",
	"[file:hashes.md5 = '001dd76872d80801692ff942308c64e6']",
	"[file:hashes.MD5 != '001dd76872d80801692ff942308c64e6']",
	"[file:hashes.'SHA-1' IN ('2fd4e1c67a2d28fced849ee1bb76e7391b93eb12')]",
	"[file:hashes.'SHA3-512' = '" + strings.Repeat("ab", 64) + "']",
	"[file:hashes.SSDEEP = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']",
	"[file:hashes.TLSH = 'anything']",
	"[file:hashes.'x-custom' = 'a']",
	"[file:hashes.'SHA-256' LIKE 'ef53%']",
	"[file:hashes.'SHA-256' = 5]",
	"[file:extensions.'ntfs-ext'.alternate_data_streams[*].hashes.'SHA-256' = '" + sha256Hex + "']",
	// Different qualifier types on one expression; repeats in parentheses.
	"[file:name = 'a'] WITHIN 5 SECONDS REPEATS 2 TIMES START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
	"([file:name = 'a'] WITHIN 5 SECONDS) WITHIN 6 SECONDS",
}

func TestSemanticValid(t *testing.T) {
	for _, in := range semanticValid {
		p, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		checkRoundTrip(t, p, Options{})
	}
}

var semanticInvalid = []struct {
	in, at, msg string
}{
	// Object types.
	{"[foo:bar = 1]", "foo", "unknown object type 'foo': not a STIX 2.1 cyber-observable type or an 'x-' custom type"},
	{"[win-registry-key:key = 'a']", "win", "unknown object type 'win-registry-key'"},
	{"[file:name = 'a' OR ipv4addr:value = 'b']", "ipv4addr", "unknown object type 'ipv4addr'"},
	{"[X-foo:a = 1]", "X-foo", "unknown object type"},
	{"[x-:a = 1]", "x-", "unknown object type"},
	{"[x_foo:a = 1]", "x_foo", "unknown object type"},
	{"[x-Foo:a = 1]", "x-Foo", "unknown object type"},
	{"[EXISTS cryptocurrency-wallet:value]", "crypto", "unknown object type 'cryptocurrency-wallet'"},
	{"[x-" + strings.Repeat("a", 249) + ":a = 1]", "x-", "unknown object type"},
	// Timestamps.
	{"[file:created = t'2021-02-29T00:00:00Z']", "t'", "invalid timestamp: February 2021 has 28 days"},
	{"[file:created = t'2020-04-31T00:00:00Z']", "t'", "April 2020 has 30 days"},
	{"[file:created = t'2016-06-01T12:00:60Z']", "t'", "second 60 is only valid for a leap second"},
	{"[file:created = t'2016-06-29T23:59:60Z']", "t'", "second 60 is only valid for a leap second"},
	{"[file:name = 'a'] START t'2016-06-01T00:00:00Z' STOP t'2016-06-01T00:00:00Z'", "t'2016", "START must be before STOP"},
	{"[file:name = 'a'] START t'2017-06-01T00:00:00Z' STOP t'2016-06-01T00:00:00Z'", "t'2017", "START must be before STOP"},
	{"[file:name = 'a'] START t'2016-06-01T00:00:00.5Z' STOP t'2016-06-01T00:00:00.1Z'", "t'2016", "START must be before STOP"},
	// MATCHES.
	{"[file:name MATCHES '(']", "'('", "MATCHES: invalid regular expression: missing closing )"},
	{"[file:name MATCHES 'a{2,1}']", "'a{", "MATCHES: invalid regular expression: invalid repeat count"},
	{"[file:name MATCHES '(?=a)b']", "'(?=", "invalid or unsupported Perl syntax"},
	{`[file:name MATCHES '(a)\\1']`, `'(a)`, "invalid escape sequence"},
	{"[file:name MATCHES 'a**']", "'a**'", "invalid nested repetition operator"},
	{"[file:name MATCHES 'a{1001}']", "'a{", "invalid repeat count"},
	// MATCHES operands are bounded in size and in checking cost.
	{"[file:name MATCHES '" + strings.Repeat("a", MaxRegexLength+1) + "']", "'aaa", "MATCHES operands longer than 2048 bytes in all"},
	{"[file:name MATCHES '" + strings.Repeat("a", 1500) + "' OR file:name MATCHES '" + strings.Repeat("b", 600) + "']",
		"'bbb", "MATCHES operands longer than 2048 bytes in all"},
	{`[file:name MATCHES '(?i)[\\x{100}-\\x{10000}]']`, "'(?i)", "MATCHES operands too costly to check: use fewer Unicode classes (\\p) and narrower case-insensitive ranges"},
	{`[file:name MATCHES '(?i:[Ā-ꀀ])']`, "'(?i", "too costly"},
	{"[file:name MATCHES '" + strings.Repeat(`\\pL`, 30) + "']", "'\\\\pL", "too costly"},
	{"[file:name MATCHES '" + strings.Repeat(`\\pL`, 15) + "' AND file:name MATCHES '" + strings.Repeat(`\\PN`, 15) + "']",
		"last:'\\\\PN", "too costly"},
	// Counts.
	{"[file:name = 'a'] WITHIN 0 SECONDS", "0 SECONDS", "WITHIN must be more than 0 seconds"},
	{"[file:name = 'a'] WITHIN 0.0 SECONDS", "0.0", "WITHIN must be more than 0 seconds"},
	{"[file:name = 'a'] WITHIN +.0 SECONDS", "+.0", "WITHIN must be more than 0 seconds"},
	{"[file:name = 'a'] REPEATS 0 TIMES", "0 TIMES", "REPEATS must be at least 1"},
	{"[file:name = 'a'] REPEATS 9223372036854775808 TIMES", "9223", "integer out of the 64-bit range"},
	{"[file:size = 9223372036854775808]", "9223", "integer out of the 64-bit range"},
	{"[file:size = -9223372036854775809]", "-9223", "integer out of the 64-bit range"},
	{"[file:x[99999999999999999999] = 1]", "9999", "list index out of the 64-bit range"},
	{"[file:size = " + strings.Repeat("9", 400) + ".0]", "9999", "float out of range"},
	// Networks.
	{"[ipv4-addr:value ISSUBSET '10.0.0.0/33']", "'10", "ISSUBSET needs an IPv4 or IPv6 address or CIDR block"},
	{"[ipv4-addr:value ISSUBSET 'example.com']", "'ex", "ISSUBSET needs"},
	{"[ipv4-addr:value ISSUPERSET '10.0.0.256']", "'10", "ISSUPERSET needs"},
	{"[ipv6-addr:value ISSUBSET 'fe80::1%eth0']", "'fe80", "ISSUBSET needs"},
	{"[ipv4-addr:value ISSUBSET '010.0.0.1']", "'010", "ISSUBSET needs"},
	{"[ipv4-addr:value ISSUBSET '']", "''", "ISSUBSET needs"},
	// Sets.
	{"[file:name IN ('a', 1)]", "1)", "IN set mixes string and integer values"},
	{"[file:name IN (1, true)]", "true", "IN set mixes integer and boolean values"},
	{"[file:name IN (t'2016-06-01T00:00:00Z', 'x')]", "'x'", "IN set mixes timestamp and string values"},
	{"[file:name IN (b'AA==', 'x')]", "'x'", "IN set mixes binary and string values"},
	// Hashes.
	{"[file:hashes.'SHA-256' = 'f00']", "'f00'", "'f00' is not a valid SHA-256 hash: want 64 hex digits"},
	{"[file:hashes.md5 = '" + sha256Hex + "']", "'ef", "is not a valid md5 hash: want 32 hex digits"},
	{"[file:hashes.'SHA-256' = '" + sha256Hex[:63] + "g']", "'ef", "is not a valid SHA-256 hash"},
	{"[file:hashes.'SHA-1' IN ('2fd4e1c67a2d28fced849ee1bb76e7391b93eb12', 'abc')]", "'abc'", "'abc' is not a valid SHA-1 hash"},
	{"[file:hashes.'SHA-256' NOT != 'x']", "'x'", "not a valid SHA-256 hash"},
	{"[artifact:hashes.'SHA-512' = 'x']", "'x'", "want 128 hex digits"},
	// Duplicate qualifiers on a [ ] expression (as the OASIS validator).
	{"[file:name = 'a'] WITHIN 5 SECONDS WITHIN 6 SECONDS", "WITHIN 6", "duplicate WITHIN qualifier on one observation expression"},
	{"([file:name = 'a'] REPEATS 2 TIMES REPEATS 3 TIMES)", "REPEATS 3", "duplicate REPEATS qualifier"},
	{"[file:name = 'a'] START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z' START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z'",
		"last:START", "duplicate START/STOP qualifier"},
	// The first semantic error wins.
	{"[foo:a = 1] AND [bar:b = 2]", "foo", "'foo'"},
	{"[file:size = 1] WITHIN 0 SECONDS AND [bar:b = 2]", "0 SECONDS", "WITHIN"},
}

func TestSemanticInvalid(t *testing.T) {
	for _, tc := range semanticInvalid {
		p, err := Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%q) = %q, want an error", tc.in, p)
			continue
		}
		wantError(t, tc.in, err, tc.at, tc.msg)
	}
}

// TestSyntaxBeforeSemantics checks that a syntax error anywhere is reported
// before a semantic error earlier in the pattern.
func TestSyntaxBeforeSemantics(t *testing.T) {
	in := "[foo:a = 1] AND [file:name = ]"
	_, err := Parse(in)
	wantError(t, in, err, "last:]", "expected a literal value, found ']'")
}

func TestExtraTypes(t *testing.T) {
	var asked []string
	o := Options{ExtraTypes: func(typ string) bool {
		asked = append(asked, typ)
		return typ == "cryptocurrency-wallet"
	}}
	in := "[cryptocurrency-wallet:value = 'bc1q...' AND file:name = 'a' AND x-foo:b = 1]"
	if _, err := ParseWithOptions(in, o); err != nil {
		t.Fatalf("Parse(%q): %v", in, err)
	}
	if !reflect.DeepEqual(asked, []string{"cryptocurrency-wallet"}) {
		t.Errorf("ExtraTypes asked about %q, want only the unknown type", asked)
	}
	bad := "[cryptocurrency-transaction:hash = 'a']"
	_, err := ParseWithOptions(bad, o)
	wantError(t, bad, err, "crypto", "unknown object type 'cryptocurrency-transaction'")
}

func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		err  Error
		want string
	}{
		{Error{Column: 17, Expected: "']'", Found: "AND"}, "column 17: expected ']', found 'AND'"},
		{Error{Column: 3, Expected: "a literal value"}, "column 3: expected a literal value, found end of pattern"},
		{Error{Column: 2, Expected: "EXISTS", Found: "x", Msg: "hint"}, "column 2: expected EXISTS, found 'x' (hint)"},
		{Error{Column: 1, Msg: "START must be before STOP"}, "column 1: START must be before STOP"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	// Columns count runes, not bytes.
	in := "[file:name = 'é☕'] AND [foo:a = 1]"
	_, err := Parse(in)
	var pe *Error
	if !errors.As(err, &pe) || pe.Column != 25 {
		t.Fatalf("Parse(%q) = %v, want column 25", in, err)
	}
	// Long tokens are shortened in Found.
	long := "[file:name = 1 " + strings.Repeat("x", 100) + "]"
	_, err = Parse(long)
	if !errors.As(err, &pe) || len(pe.Found) > maxFound+3 || !strings.HasSuffix(pe.Found, "...") {
		t.Fatalf("Parse(long) = %v, want a shortened Found", err)
	}
}

// oasisPatterns returns the patterns of every indicator in the OASIS
// example bundles.
func oasisPatterns(t testing.TB) map[string]string {
	files, err := filepath.Glob("../../testdata/stix/oasis/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no OASIS examples: %v", err)
	}
	out := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var bundle struct {
			Objects []map[string]any `json:"objects"`
		}
		if err := json.Unmarshal(data, &bundle); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, o := range bundle.Objects {
			if o["type"] == "indicator" {
				if o["pattern_type"] != "stix" {
					t.Fatalf("%s: %s has pattern_type %v", f, o["id"], o["pattern_type"])
				}
				out[filepath.Base(f)+" "+o["id"].(string)] = o["pattern"].(string)
			}
		}
	}
	return out
}

func TestOASISIndicatorPatterns(t *testing.T) {
	pats := oasisPatterns(t)
	if len(pats) != 43 {
		t.Errorf("found %d indicator patterns, want the 43 of the OASIS examples", len(pats))
	}
	for name, in := range pats {
		p, err := Parse(in)
		if err != nil {
			t.Errorf("%s: Parse(%q): %v", name, in, err)
			continue
		}
		checkRoundTrip(t, p, Options{})
	}
}

func TestComparisons(t *testing.T) {
	in := "[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value ISSUBSET '203.0.113.0/24'] AND " +
		"[file:hashes.'SHA-256' NOT IN ('" + sha256Hex + "')] FOLLOWEDBY [NOT EXISTS x-foo:a[*].b]"
	p, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	key := func(k string) Step { return Step{Kind: StepKey, Key: k} }
	want := []Comparison{
		{Path: Path{Type: "ipv4-addr", Steps: []Step{key("value")}}, Op: OpEqual,
			Value: Value{Kind: KindString, Str: "198.51.100.1"}},
		{Path: Path{Type: "ipv4-addr", Steps: []Step{key("value")}}, Op: OpIsSubset,
			Value: Value{Kind: KindString, Str: "203.0.113.0/24"}},
		{Path: Path{Type: "file", Steps: []Step{key("hashes"), key("SHA-256")}}, Op: OpIn, Negated: true,
			Set: []Value{{Kind: KindString, Str: sha256Hex}}},
		{Path: Path{Type: "x-foo", Steps: []Step{key("a"), {Kind: StepAny}, key("b")}}, Op: OpExists, Negated: true},
	}
	got := p.Comparisons()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Comparisons() =\n%#v\nwant\n%#v", got, want)
	}
	got[0].Op = OpLike // the result is a copy
	if p.Comparisons()[0].Op != OpEqual {
		t.Error("Comparisons() returned the pattern's own slice")
	}
	if s := got[2].Path.String(); s != "file:hashes.'SHA-256'" {
		t.Errorf("Path.String() = %q", s)
	}
	if got := p.ObjectTypes(); !reflect.DeepEqual(got, []string{"ipv4-addr", "file", "x-foo"}) {
		t.Errorf("ObjectTypes() = %q", got)
	}
}

func TestValueString(t *testing.T) {
	ts := time.Date(2016, 6, 1, 1, 30, 0, 120000000, time.UTC)
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{Value{Kind: KindString, Str: `it's a \ test`}, `'it\'s a \\ test'`},
		{Value{Kind: KindInt, Int: -7}, "-7"},
		{Value{Kind: KindFloat, Float: 3}, "3.0"},
		{Value{Kind: KindFloat, Float: 1e21}, "1000000000000000000000.0"},
		{Value{Kind: KindFloat, Float: 0.000001}, "0.000001"},
		{Value{Kind: KindBool, Bool: true}, "true"},
		{Value{Kind: KindBinary, Str: "ABC"}, "b'QUJD'"},
		{Value{Kind: KindHex, Str: "\x00\xff"}, "h'00ff'"},
		{Value{Kind: KindTimestamp, Time: ts}, "t'2016-06-01T01:30:00.12Z'"},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.v, got, tc.want)
		}
		// Every rendering lexes back to the same value.
		in := "[x-t:a = " + tc.want + "]"
		p, err := ParseWithOptions(in, anyType)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got := p.Comparisons()[0].Value; !reflect.DeepEqual(got, tc.v) {
			t.Errorf("Parse(%q) value = %#v, want %#v", in, got, tc.v)
		}
	}
	if s := Op(99).String(); s != "Op(99)" {
		t.Errorf("Op(99).String() = %q", s)
	}
	if s := Kind(99).String(); s != "Kind(99)" {
		t.Errorf("Kind(99).String() = %q", s)
	}
}

func TestRegexCost(t *testing.T) {
	for _, tc := range []struct {
		re       string
		min, max int // the estimate's bounds, in microseconds
	}{
		{"abc", 0, 5},
		{strings.Repeat("a", 2048), 0, 600},
		{`\pL`, 50, 60},
		{`\p{Greek}\PL`, 100, 110},
		{`[a-z]`, 0, 5},
		{`(?i)[a-z]`, 0, 10},
		{`(?i)[\x{100}-\x{10000}]`, 2000, 3000},
		{`[\x{100}-\x{10000}]`, 0, 10},                 // no folding: cheap
		{`(?i)[\x{0}-\x{10FFFF}]`, 0, 10},              // covers all folds: cheap
		{`(?i)[Ā-ꀀ]`, 1500, 2000},                      // literal endpoints
		{`(?i)[\0-\777]`, 10, 30},                      // octal endpoints
		{`(?i)[\Q\E\]-\x{10000}]`, 2000, 3000},         // escaped ] as an endpoint
		{`[(?i)]` + `[\x{100}-\x{10000}]`, 2000, 3000}, // conservative: any (?i
		{`\Q\pL\E`, 0, 5},                              // quoted text
		{`[[:alpha:]\pL]`, 50, 60},
	} {
		if got := regexCost(tc.re); got < tc.min || got > tc.max {
			t.Errorf("regexCost(%q) = %d, want %d..%d", tc.re, got, tc.min, tc.max)
		}
	}
}
