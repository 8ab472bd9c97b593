package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Pattern is a parsed and checked STIX 2.1 pattern. It is immutable and safe
// for concurrent use.
type Pattern struct {
	root     *obsNode
	comps    []Comparison // every comparison, in source order
	leaves   int          // number of [ ... ] observation expressions
	temporal bool         // uses FOLLOWEDBY, WITHIN or START/STOP

	progOnce sync.Once // builds prog on the first Match
	prog     *program
	progErr  error

	arena arena // the nodes of a small pattern (alloc.go)
}

// Op is a comparison operator.
type Op uint8

// The comparison operators. The NOT forms are the same operators with
// Comparison.Negated set.
const (
	OpEqual        Op = iota + 1 // = (also written ==)
	OpNotEqual                   // != (also written <>)
	OpLess                       // <
	OpLessEqual                  // <=
	OpGreater                    // >
	OpGreaterEqual               // >=
	OpIn                         // IN (set)
	OpLike                       // LIKE
	OpMatches                    // MATCHES
	OpIsSubset                   // ISSUBSET
	OpIsSuperset                 // ISSUPERSET
	OpExists                     // EXISTS
)

var opNames = [...]string{
	OpEqual: "=", OpNotEqual: "!=", OpLess: "<", OpLessEqual: "<=",
	OpGreater: ">", OpGreaterEqual: ">=", OpIn: "IN", OpLike: "LIKE",
	OpMatches: "MATCHES", OpIsSubset: "ISSUBSET", OpIsSuperset: "ISSUPERSET",
	OpExists: "EXISTS",
}

// String returns the operator as written in a canonical pattern.
func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Kind is the type of a literal value.
type Kind uint8

// The literal kinds of the grammar.
const (
	KindString    Kind = iota + 1 // 'text'
	KindInt                       // 42, -7
	KindFloat                     // 1.5, -.5
	KindBool                      // true, false
	KindBinary                    // b'base64'
	KindHex                       // h'hex'
	KindTimestamp                 // t'2016-01-20T12:31:12.123Z'
)

var kindNames = [...]string{
	KindString: "string", KindInt: "integer", KindFloat: "float",
	KindBool: "boolean", KindBinary: "binary", KindHex: "hex",
	KindTimestamp: "timestamp",
}

// String returns the kind's name, e.g. "string".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is a literal from a pattern. Only the field for its Kind is set.
type Value struct {
	Kind Kind
	// Str is the text of a KindString (escapes resolved), or the decoded
	// bytes of a KindBinary or KindHex value.
	Str   string
	Int   int64     // KindInt
	Float float64   // KindFloat
	Bool  bool      // KindBool
	Time  time.Time // KindTimestamp, in UTC
}

// String returns the value in canonical literal syntax: strings quoted with
// \' and \\ escapes, integers in decimal, floats with a '.', hex in lower
// case, binary in padded standard base64, timestamps in RFC 3339 UTC with
// only the fractional digits needed.
func (v Value) String() string {
	var b strings.Builder
	v.write(&b)
	return b.String()
}

func (v Value) write(b *strings.Builder) {
	switch v.Kind {
	case KindString:
		writeQuoted(b, v.Str)
	case KindInt:
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case KindFloat:
		b.WriteString(formatFloat(v.Float))
	case KindBool:
		b.WriteString(strconv.FormatBool(v.Bool))
	case KindBinary:
		b.WriteString("b'")
		b.WriteString(base64.StdEncoding.EncodeToString([]byte(v.Str)))
		b.WriteByte('\'')
	case KindHex:
		b.WriteString("h'")
		b.WriteString(hex.EncodeToString([]byte(v.Str)))
		b.WriteByte('\'')
	case KindTimestamp:
		b.WriteString("t'")
		b.WriteString(v.Time.UTC().Format(time.RFC3339Nano))
		b.WriteByte('\'')
	default:
		b.WriteString("<invalid>")
	}
}

// formatFloat renders f so that it lexes as a float literal again: the
// grammar has no exponent and needs a '.'.
func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// writeQuoted writes s as a string literal.
func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\'' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('\'')
}

// StepKind says what a path step selects.
type StepKind uint8

// The path steps.
const (
	StepKey   StepKind = iota + 1 // .name, .'quoted-name' (and the first component)
	StepIndex                     // [n]
	StepAny                       // [*]
)

// Step is one component of an object path after the object type.
type Step struct {
	Kind  StepKind
	Key   string // StepKey: property or dictionary key, unquoted
	Index int64  // StepIndex: list index (the grammar allows negative ones)
}

// Path is an object path: an object type and the steps into the object,
// e.g. file:hashes.'SHA-256' is {Type: "file", Steps: [hashes, SHA-256]}.
// The first step is always a StepKey.
type Path struct {
	Type  string
	Steps []Step
}

// String returns the path in canonical syntax, quoting only the keys that
// need it.
func (p Path) String() string {
	var b strings.Builder
	p.write(&b)
	return b.String()
}

func (p Path) write(b *strings.Builder) {
	b.WriteString(p.Type)
	b.WriteByte(':')
	for i, s := range p.Steps {
		switch s.Kind {
		case StepKey:
			if i > 0 {
				b.WriteByte('.')
			}
			if isPlainKey(s.Key) {
				b.WriteString(s.Key)
			} else {
				writeQuoted(b, s.Key)
			}
		case StepIndex:
			b.WriteByte('[')
			b.WriteString(strconv.FormatInt(s.Index, 10))
			b.WriteByte(']')
		case StepAny:
			b.WriteString("[*]")
		}
	}
}

// isPlainKey reports whether key can be written unquoted: an
// IdentifierWithoutHyphen that is not a keyword.
func isPlainKey(key string) bool {
	if key == "" || !isIdentStart(key[0]) {
		return false
	}
	for i := 1; i < len(key); i++ {
		if !isIdentPart(key[i]) {
			return false
		}
	}
	return keyword(key) == tIdent
}

// Comparison is one comparison expression, e.g. ipv4-addr:value = '1.2.3.4'.
type Comparison struct {
	Path Path
	Op   Op
	// Negated is true for the NOT forms: "NOT =", "NOT IN", "NOT EXISTS"...
	Negated bool
	// Value is the right operand; unset for OpIn and OpExists.
	Value Value
	// Set holds the members of an IN set literal (possibly none).
	Set []Value
}

// String returns the comparison in canonical syntax.
func (c Comparison) String() string {
	var b strings.Builder
	c.write(&b)
	return b.String()
}

func (c *Comparison) write(b *strings.Builder) {
	if c.Op == OpExists {
		if c.Negated {
			b.WriteString("NOT ")
		}
		b.WriteString("EXISTS ")
		c.Path.write(b)
		return
	}
	c.Path.write(b)
	b.WriteByte(' ')
	if c.Negated {
		b.WriteString("NOT ")
	}
	b.WriteString(c.Op.String())
	b.WriteByte(' ')
	if c.Op == OpIn {
		b.WriteByte('(')
		for i, v := range c.Set {
			if i > 0 {
				b.WriteString(", ")
			}
			v.write(b)
		}
		b.WriteByte(')')
		return
	}
	c.Value.write(b)
}

// Comparisons returns every comparison of the pattern in source order, with
// its object type, path, operator, operand and negation. The slices inside
// are shared with the pattern: do not modify them.
//
// A comparison says nothing about how it combines with the others (AND, OR,
// FOLLOWEDBY, qualifiers); it is what an observable index needs to extract
// concrete values such as ipv4-addr:value = '198.51.100.1'.
func (p *Pattern) Comparisons() []Comparison {
	out := make([]Comparison, len(p.comps))
	copy(out, p.comps)
	return out
}

// ObjectTypes returns the distinct object types the pattern's comparisons
// name, in order of first appearance.
func (p *Pattern) ObjectTypes() []string {
	var out []string
next:
	for i := range p.comps {
		t := p.comps[i].Path.Type
		for _, s := range out {
			if s == t {
				continue next
			}
		}
		out = append(out, t)
	}
	return out
}

// obsKind is the kind of an observation-level node.
type obsKind uint8

const (
	obsLeaf       obsKind = iota + 1 // [ comparison expression ]
	obsParen                         // ( observation expressions )
	obsAnd                           // kids joined by AND
	obsOr                            // kids joined by OR
	obsFollowedBy                    // kids joined by FOLLOWEDBY, left-associative
)

// obsNode is an observation expression. Chains of one operator are n-ary
// (kids); parentheses are kept so that String reproduces the tree exactly.
type obsNode struct {
	kind  obsKind
	comp  *compNode   // obsLeaf
	leaf  int         // obsLeaf: index among the pattern's leaves
	kids  []*obsNode  // obsAnd, obsOr, obsFollowedBy; obsParen has one
	quals []qualifier // applied in order to leaf and paren nodes
}

// qualKind is the kind of a qualifier.
type qualKind uint8

const (
	qualWithin qualKind = iota + 1
	qualStartStop
	qualRepeats
)

// qualifier is WITHIN n SECONDS, START t STOP t or REPEATS n TIMES.
type qualifier struct {
	kind        qualKind
	within      Value // qualWithin: KindInt or KindFloat, > 0
	start, stop time.Time
	repeats     int64 // qualRepeats: > 0
}

// compKind is the kind of a comparison-level node.
type compKind uint8

const (
	compTest  compKind = iota + 1 // one comparison
	compParen                     // ( comparison expression )
	compAnd
	compOr
)

// compNode is a comparison expression inside [ ].
type compNode struct {
	kind compKind
	test int         // compTest: index into Pattern.comps
	kids []*compNode // compAnd, compOr; compParen has one
}

// String returns the pattern in canonical form: single spaces around
// operators, keywords in upper case, no comments, literals and paths in
// canonical syntax (see Value.String and Path.String), and the parentheses
// of the original. Parse(p.String()) yields a pattern equal to p.
func (p *Pattern) String() string {
	var b strings.Builder
	b.Grow(64)
	p.writeObs(&b, p.root)
	return b.String()
}

func (p *Pattern) writeObs(b *strings.Builder, n *obsNode) {
	switch n.kind {
	case obsLeaf:
		b.WriteByte('[')
		p.writeComp(b, n.comp)
		b.WriteByte(']')
	case obsParen:
		b.WriteByte('(')
		p.writeObs(b, n.kids[0])
		b.WriteByte(')')
	case obsAnd, obsOr, obsFollowedBy:
		sep := " AND "
		switch n.kind {
		case obsOr:
			sep = " OR "
		case obsFollowedBy:
			sep = " FOLLOWEDBY "
		}
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			p.writeObs(b, k)
		}
	}
	writeQuals(b, n.quals)
}

// writeQuals writes qualifiers, each preceded by a space.
func writeQuals(b *strings.Builder, quals []qualifier) {
	for _, q := range quals {
		switch q.kind {
		case qualWithin:
			b.WriteString(" WITHIN ")
			q.within.write(b)
			b.WriteString(" SECONDS")
		case qualStartStop:
			b.WriteString(" START ")
			Value{Kind: KindTimestamp, Time: q.start}.write(b)
			b.WriteString(" STOP ")
			Value{Kind: KindTimestamp, Time: q.stop}.write(b)
		case qualRepeats:
			b.WriteString(" REPEATS ")
			b.WriteString(strconv.FormatInt(q.repeats, 10))
			b.WriteString(" TIMES")
		}
	}
}

func (p *Pattern) writeComp(b *strings.Builder, n *compNode) {
	switch n.kind {
	case compTest:
		p.comps[n.test].write(b)
	case compParen:
		b.WriteByte('(')
		p.writeComp(b, n.kids[0])
		b.WriteByte(')')
	case compAnd, compOr:
		sep := " AND "
		if n.kind == compOr {
			sep = " OR "
		}
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			p.writeComp(b, k)
		}
	}
}

// withinSeconds returns a WITHIN value in seconds.
func withinSeconds(v Value) float64 {
	if v.Kind == KindInt {
		return float64(v.Int)
	}
	return v.Float
}

// maxWithin caps WITHIN for time arithmetic: beyond it every pair of
// representable times is "within".
const maxWithin = float64(math.MaxInt64 / int64(time.Second))
