package pattern

import (
	"strings"
	"testing"
	"time"
)

func TestMaxLength(t *testing.T) {
	base := "[file:name = 'a']"
	at := base + strings.Repeat(" ", MaxLength-len(base))
	if _, err := Parse(at); err != nil {
		t.Fatalf("pattern of exactly MaxLength bytes: %v", err)
	}
	over := at + " "
	_, err := Parse(over)
	if pe, ok := err.(*Error); !ok || pe.Column != MaxLength+1 || pe.Msg != "pattern longer than 65536 bytes" {
		t.Fatalf("Parse(MaxLength+1 bytes) = %v, want column %d: pattern longer than 65536 bytes", err, MaxLength+1)
	}

	// The column counts runes up to the limit.
	prefix := "[file:name = '"
	runes := prefix + strings.Repeat("é", MaxLength) + "']"
	_, err = Parse(runes)
	want := len(prefix) + (MaxLength-len(prefix))/2 + 1
	if pe, ok := err.(*Error); !ok || pe.Column != want {
		t.Fatalf("Parse(long UTF-8) = %v, want column %d", err, want)
	}
}

func TestMaxDepth(t *testing.T) {
	leaf := "[file:name = 'a']"
	obs := func(n int) string { return strings.Repeat("(", n) + leaf + strings.Repeat(")", n) }
	comp := func(n int) string {
		return "[" + strings.Repeat("(", n) + "file:name = 'a'" + strings.Repeat(")", n) + "]"
	}
	quals := func(n int) string { return "(" + leaf + ")" + strings.Repeat(" WITHIN 1 SECONDS", n) }

	for _, tc := range []struct {
		name string
		ok   string // at the limit
		bad  string // one more
		at   string
		msg  string
	}{
		{"observation parentheses", obs(MaxDepth - 1), obs(MaxDepth), "[", "nesting deeper than 100 levels"},
		{"comparison parentheses", comp(MaxDepth - 1), comp(MaxDepth), "file", "nesting deeper than 100 levels"},
		{"qualifiers", quals(MaxDepth), quals(MaxDepth + 1), "last:WITHIN", "more than 100 levels of nesting and qualifiers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.ok)
			if err != nil {
				t.Fatalf("at the limit: %v", err)
			}
			checkRoundTrip(t, p, Options{})
			_, err = Parse(tc.bad)
			at := tc.at
			if at == "file" {
				// the innermost opening parenthesis, just before the leaf
				i := strings.Index(tc.bad, at)
				at = tc.bad[i-1 : i+1]
			}
			wantError(t, tc.bad, err, at, tc.msg)
		})
	}
}

// TestLongChains checks that long flat chains, which the grammar writes as
// left recursion, parse without deep recursion and print back.
func TestLongChains(t *testing.T) {
	for _, sep := range []string{" AND ", " OR ", " FOLLOWEDBY "} {
		in := strings.Repeat("[file:name = 'a']"+sep, 2000) + "[file:name = 'b']"
		p, err := Parse(in)
		if err != nil {
			t.Fatalf("%q chain: %v", sep, err)
		}
		if p.String() != in {
			t.Fatalf("%q chain does not print back", sep)
		}
		if len(p.Comparisons()) != 2001 {
			t.Fatalf("%q chain: %d comparisons", sep, len(p.Comparisons()))
		}
	}
}

// TestAdversarialInputs parses large hostile inputs. The parser is linear:
// each of these takes a few milliseconds at most on the development
// machine. The bounds are deliberately generous (shared machines, -race)
// and only catch super-linear behaviour.
func TestAdversarialInputs(t *testing.T) {
	const n = MaxLength
	fill := func(unit string, prefix, suffix string) string {
		k := (n - len(prefix) - len(suffix)) / len(unit)
		return prefix + strings.Repeat(unit, k) + suffix
	}
	inputs := map[string]string{
		"brackets":             strings.Repeat("[", n),
		"parentheses":          strings.Repeat("(", n),
		"comparison parens":    fill("(", "[", ""),
		"OR chain":             fill("[x-a:b = 1] OR ", "", "[x-a:b = 1]"),
		"comparison AND chain": fill("x-a:b = 1 AND ", "[", "x-a:b = 1]"),
		"long string":          fill("a", "[x-a:b = '", "']"),
		"escapes":              fill(`\\`, "[x-a:b = '", "']"),
		"quote escapes":        fill(`\'`, "[x-a:b = '", "']"),
		"unterminated string":  fill("a", "[x-a:b = '", ""),
		"unterminated comment": fill("*", "/*", ""),
		"comments":             fill("/**/", "", "[x-a:b = 1]"),
		"line comments":        fill("//\n", "", "[x-a:b = 1]"),
		"long path":            fill(".a", "[x-a:b", " = 1]"),
		"list steps":           fill("[*]", "[x-a:b", " = 1]"),
		"quoted steps":         fill(".'a-b'", "[x-a:b", " = 1]"),
		"big set":              fill("1, ", "[x-a:b IN (", "1)]"),
		"big hex":              fill("ab", "[x-a:b = h'", "']"),
		"big binary":           fill("QUJD", "[x-a:b = b'", "']"),
		"timestamp shapes":     fill("t'", "[x-a:b = ", ""),
		"qualifier chain":      fill(" WITHIN 1 SECONDS", "([x-a:b = 1])", ""),
		"regex nesting":        fill("(", "[x-a:b MATCHES '", "']"),
		"regex repetition":     fill("(a{1000}){1000}", "[x-a:b MATCHES '", "']"),
		"regex alternation":    fill("a|", "[x-a:b MATCHES '", "a']"),
		"like wildcards":       fill("%_", "[x-a:b LIKE '", "']"),
		"long identifier":      fill("a", "[x-", ":b = 1]"),
		"long number":          fill("9", "[x-a:b = ", "]"),
		"long float":           fill("9", "[x-a:b = 0.", "]"),
		"white space":          fill("\u3000", "", "[x-a:b = 1]"),
		"many leaves":          fill("[x-a:b = 1] AND ", "(", "[x-a:b = 1]) REPEATS 5 TIMES"),
		"invalid char late":    fill(" ", "[x-a:b = 1]", "#"),
	}
	for name, in := range inputs {
		start := time.Now()
		p, err := Parse(in)
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: Parse took %v", name, d)
		}
		if err == nil {
			_ = p.String()
			if len(p.comps) > 0 {
				start = time.Now()
				// MatchObject compiles LIKE/MATCHES and runs every comparison.
				_, _ = p.MatchObject(map[string]any{"type": "x-a", "b": strings.Repeat("a", 200)})
				if d := time.Since(start); d > 10*time.Second {
					t.Errorf("%s: MatchObject took %v", name, d)
				}
			}
		}
	}
}
