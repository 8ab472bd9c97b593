package pattern

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// anyType accepts every object type, so that grammar tests exercise the
// syntax alone; semantic tests use the default Options.
var anyType = Options{ExtraTypes: func(string) bool { return true }}

// tree renders the structure of p fully parenthesized, so tests can see
// precedence and associativity: AND(...), OR(...), FOLLOWEDBY(...), (...)
// for parentheses, {x QUALIFIER...} for qualifiers.
func tree(p *Pattern) string {
	var b strings.Builder
	var obs func(n *obsNode)
	var comp func(n *compNode)
	comp = func(n *compNode) {
		switch n.kind {
		case compTest:
			b.WriteString(p.comps[n.test].String())
		case compParen:
			b.WriteByte('(')
			comp(n.kids[0])
			b.WriteByte(')')
		case compAnd, compOr:
			b.WriteString(map[compKind]string{compAnd: "AND(", compOr: "OR("}[n.kind])
			for i, k := range n.kids {
				if i > 0 {
					b.WriteString(", ")
				}
				comp(k)
			}
			b.WriteByte(')')
		}
	}
	obs = func(n *obsNode) {
		if len(n.quals) > 0 {
			b.WriteByte('{')
		}
		switch n.kind {
		case obsLeaf:
			b.WriteByte('[')
			comp(n.comp)
			b.WriteByte(']')
		case obsParen:
			b.WriteByte('(')
			obs(n.kids[0])
			b.WriteByte(')')
		default:
			b.WriteString(map[obsKind]string{obsAnd: "AND(", obsOr: "OR(", obsFollowedBy: "FOLLOWEDBY("}[n.kind])
			for i, k := range n.kids {
				if i > 0 {
					b.WriteString(", ")
				}
				obs(k)
			}
			b.WriteByte(')')
		}
		if len(n.quals) > 0 {
			writeQuals(&b, n.quals)
			b.WriteByte('}')
		}
	}
	obs(p.root)
	return b.String()
}

// samePattern reports whether a and b are the same parsed pattern.
func samePattern(a, b *Pattern) bool {
	return reflect.DeepEqual(a.root, b.root) && reflect.DeepEqual(a.comps, b.comps) &&
		a.leaves == b.leaves && a.temporal == b.temporal
}

// checkRoundTrip checks that the canonical form parses back to the same
// pattern and is stable.
func checkRoundTrip(t *testing.T, p *Pattern, o Options) {
	t.Helper()
	s := p.String()
	q, err := ParseWithOptions(s, o)
	if err != nil {
		t.Fatalf("canonical form %q does not parse: %v", s, err)
	}
	if !samePattern(p, q) {
		t.Fatalf("canonical form %q parses to a different pattern:\n got %s\nwant %s", s, tree(q), tree(p))
	}
	if s2 := q.String(); s2 != s {
		t.Fatalf("canonical form is not stable: %q then %q", s, s2)
	}
}

// wantError checks that err is an *Error at the column where at first
// occurs in input ("last:x" for the last occurrence of x, "$" for the end
// of input) whose text contains msg.
func wantError(t *testing.T, input string, err error, at, msg string) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("Parse(%q) error = %v (%T), want *Error", input, err, err)
	}
	col := utf8.RuneCountInString(input) + 1
	if at != "$" {
		i := strings.Index(input, at)
		if last, ok := strings.CutPrefix(at, "last:"); ok {
			i = strings.LastIndex(input, last)
		}
		if i < 0 {
			t.Fatalf("bad test: %q not in %q", at, input)
		}
		col = utf8.RuneCountInString(input[:i]) + 1
	}
	if pe.Column != col || !strings.Contains(pe.Error(), msg) {
		t.Fatalf("Parse(%q)\n error %q\n want column %d containing %q", shorten(input), pe.Error(), col, msg)
	}
}
