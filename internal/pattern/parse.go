package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"net/netip"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits against hostile input. Both are far above any real pattern: the
// OASIS examples are under 1 KiB and nest at most 3 levels.
const (
	// MaxLength is the longest pattern accepted, in bytes.
	MaxLength = 64 << 10
	// MaxDepth bounds nesting: square brackets, parentheses, and the
	// qualifiers stacked on one expression count one level each.
	MaxDepth = 100
	// MaxRegexLength bounds the MATCHES operands of one pattern, in bytes
	// in all. Checking a regular expression costs up to a few microseconds
	// per byte (a Unicode class such as \pL expands to hundreds of ranges),
	// so this keeps a hostile pattern's cost to milliseconds.
	MaxRegexLength = 2048
)

// Options adjusts what Parse accepts. The zero value accepts the STIX 2.1
// cyber-observable types and custom types whose names start with "x-".
type Options struct {
	// ExtraTypes, when set, is asked about every object type that is neither
	// a STIX 2.1 cyber-observable type nor an "x-" custom type, and accepts
	// it by returning true; for example the types defined by the
	// extension-definitions the hub holds (cryptocurrency-wallet).
	ExtraTypes func(typ string) bool
}

// Parse parses a STIX 2.1 pattern and checks its semantics with the default
// Options. The error, if any, is an *Error.
func Parse(s string) (*Pattern, error) {
	return ParseWithOptions(s, Options{})
}

// ParseWithOptions parses a STIX 2.1 pattern (the grammar of the OASIS
// STIXPattern.g4) and checks its semantics:
//   - object types are known (see Options);
//   - timestamps are real instants and START is before STOP;
//   - WITHIN and REPEATS counts are positive, integers fit 64 bits;
//   - MATCHES operands compile as Go regular expressions (RE2 syntax: no
//     backreferences or lookaround; see the package documentation), are at
//     most MaxRegexLength bytes in all, and are cheap enough to check (a
//     pattern with dozens of Unicode classes such as \pL, or with wide
//     case-insensitive ranges such as (?i)[\x{100}-\x{10000}], is refused);
//   - ISSUBSET and ISSUPERSET operands are IP addresses or CIDR blocks;
//   - IN sets do not mix literal types;
//   - hex hash values (file:hashes.'SHA-256' = '...') have the length of
//     their algorithm;
//   - a [ ] expression carries at most one qualifier of each type, as the
//     OASIS validator requires.
//
// Syntax errors are reported before semantic ones; the error, if any, is an
// *Error with the column of the first problem.
func ParseWithOptions(s string, o Options) (*Pattern, error) {
	if len(s) > MaxLength {
		return nil, &Error{
			Column: utf8.RuneCountInString(s[:MaxLength]) + 1,
			Msg:    "pattern longer than " + strconv.Itoa(MaxLength) + " bytes",
		}
	}
	if !utf8.ValidString(s) {
		i := 0
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, &Error{Column: utf8.RuneCountInString(s[:i]) + 1, Msg: "invalid UTF-8"}
	}
	p := parser{src: s, opts: o, pat: &Pattern{}}
	p.initAlloc(strings.Count(s, ":"))
	p.next()
	root := p.obsFollowedBy()
	if p.err == nil && p.tok.kind != tEOF {
		p.expected("AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern")
	}
	if p.err != nil {
		return nil, p.err
	}
	if p.semErr != nil {
		return nil, p.semErr
	}
	p.pat.root = root
	return p.pat, nil
}

// parser is a recursive-descent parser over an on-demand lexer. Every
// recursion goes through enter, which bounds the depth; repetition in the
// grammar is parsed with loops into n-ary nodes. Errors are recorded (the
// first one wins) and the parse functions return nil once one is recorded.
type parser struct {
	src   string
	off   int // lexer position
	tok   token
	depth int
	opts  Options
	pat   *Pattern
	// Allocation (see alloc.go): slabs, and stacks for chain operands.
	steps       []Step
	obsSlab     []obsNode
	compSlab    []compNode
	compKidSlab []*compNode
	obsKidSlab  []*obsNode
	qualSlab    []qualifier
	compStack   []*compNode
	obsStack    []*obsNode
	slab        int // slab capacity hint

	regexBytes int // MATCHES operand bytes so far
	regexCost  int // their estimated checking cost so far (regexCost)

	err    *Error // first syntax (or limit) error
	semErr *Error // first semantic error, reported if the syntax is fine
}

// column converts a byte offset to a 1-based rune column.
func (p *parser) column(off int) int {
	return utf8.RuneCountInString(p.src[:off]) + 1
}

// failAt records a syntax-level error at byte offset off.
func (p *parser) failAt(off int, msg string) {
	if p.err == nil {
		p.err = &Error{Column: p.column(off), Msg: msg}
	}
}

// expected records "expected what, found <current token>".
func (p *parser) expected(what string) {
	p.expectedHint(what, "")
}

func (p *parser) expectedHint(what, hint string) {
	if hint == "" && p.tok.kind == tIdent {
		if up := strings.ToUpper(p.src[p.tok.pos:p.tok.end]); keyword(up) != tIdent {
			hint = "keywords are upper case: " + up
		}
	}
	if p.err == nil {
		p.err = &Error{
			Column:   p.column(p.tok.pos),
			Expected: what,
			Found:    shorten(p.src[p.tok.pos:p.tok.end]),
			Msg:      hint,
		}
	}
}

// semantic records a semantic error at byte offset off.
func (p *parser) semantic(off int, msg string) {
	if p.semErr == nil {
		p.semErr = &Error{Column: p.column(off), Msg: msg}
	}
}

// enter opens a nesting level at the current token.
func (p *parser) enter() bool {
	p.depth++
	if p.depth > MaxDepth {
		p.failAt(p.tok.pos, "nesting deeper than "+strconv.Itoa(MaxDepth)+" levels")
		return false
	}
	return true
}

// obsFollowedBy parses observationExpressions: obsOr (FOLLOWEDBY obsOr)*.
func (p *parser) obsFollowedBy() *obsNode {
	first := p.obsOr()
	if p.err != nil || p.tok.kind != tFOLLOWEDBY {
		return first
	}
	p.pat.temporal = true
	if p.obsStack == nil {
		p.obsStack = make([]*obsNode, 0, 16)
	}
	base := len(p.obsStack)
	p.obsStack = append(p.obsStack, first)
	for p.tok.kind == tFOLLOWEDBY {
		p.next()
		k := p.obsOr()
		if p.err != nil {
			return nil
		}
		p.obsStack = append(p.obsStack, k)
	}
	n := p.newObs(obsNode{kind: obsFollowedBy, kids: kids(&p.obsKidSlab, p.obsStack[base:], p.slab)})
	p.obsStack = p.obsStack[:base]
	return n
}

// obsOr parses observationExpressionOr: obsAnd (OR obsAnd)*.
func (p *parser) obsOr() *obsNode {
	first := p.obsAnd()
	if p.err != nil || p.tok.kind != tOR {
		return first
	}
	if p.obsStack == nil {
		p.obsStack = make([]*obsNode, 0, 16)
	}
	base := len(p.obsStack)
	p.obsStack = append(p.obsStack, first)
	for p.tok.kind == tOR {
		p.next()
		k := p.obsAnd()
		if p.err != nil {
			return nil
		}
		p.obsStack = append(p.obsStack, k)
	}
	n := p.newObs(obsNode{kind: obsOr, kids: kids(&p.obsKidSlab, p.obsStack[base:], p.slab)})
	p.obsStack = p.obsStack[:base]
	return n
}

// obsAnd parses observationExpressionAnd: obsExpr (AND obsExpr)*.
func (p *parser) obsAnd() *obsNode {
	first := p.obsExpr()
	if p.err != nil || p.tok.kind != tAND {
		return first
	}
	if p.obsStack == nil {
		p.obsStack = make([]*obsNode, 0, 16)
	}
	base := len(p.obsStack)
	p.obsStack = append(p.obsStack, first)
	for p.tok.kind == tAND {
		p.next()
		k := p.obsExpr()
		if p.err != nil {
			return nil
		}
		p.obsStack = append(p.obsStack, k)
	}
	n := p.newObs(obsNode{kind: obsAnd, kids: kids(&p.obsKidSlab, p.obsStack[base:], p.slab)})
	p.obsStack = p.obsStack[:base]
	return n
}

// obsExpr parses observationExpression: '[' comparisonExpression ']' or
// '(' observationExpressions ')', followed by any qualifiers.
func (p *parser) obsExpr() *obsNode {
	var n *obsNode
	switch p.tok.kind {
	case tLBrack:
		if !p.enter() {
			return nil
		}
		p.next()
		c := p.compOr()
		if p.err != nil {
			return nil
		}
		if p.tok.kind != tRBrack {
			p.expected("AND, OR or ']'")
			return nil
		}
		p.depth--
		p.next()
		n = p.newObs(obsNode{kind: obsLeaf, comp: c, leaf: p.pat.leaves})
		p.pat.leaves++
	case tLParen:
		if !p.enter() {
			return nil
		}
		p.next()
		inner := p.obsFollowedBy()
		if p.err != nil {
			return nil
		}
		if p.tok.kind != tRParen {
			p.expected("AND, OR, FOLLOWEDBY, a qualifier or ')'")
			return nil
		}
		p.depth--
		p.next()
		n = p.newObs(obsNode{kind: obsParen, kids: kids(&p.obsKidSlab, []*obsNode{inner}, p.slab)})
	default:
		p.expected("'[' or '('")
		return nil
	}
	if p.tok.kind == tWITHIN || p.tok.kind == tSTART || p.tok.kind == tREPEATS {
		return p.qualifiers(n)
	}
	return n
}

// qualifiers parses the qualifiers that follow observation expression n.
func (p *parser) qualifiers(n *obsNode) *obsNode {
	var buf [4]qualifier
	quals := buf[:0]
	for p.tok.kind == tWITHIN || p.tok.kind == tSTART || p.tok.kind == tREPEATS {
		pos := p.tok.pos
		if p.depth+len(quals)+1 > MaxDepth {
			p.failAt(pos, "more than "+strconv.Itoa(MaxDepth)+" levels of nesting and qualifiers")
			return nil
		}
		q, ok := p.qualifier()
		if !ok {
			return nil
		}
		if n.kind == obsLeaf {
			for _, e := range quals {
				if e.kind == q.kind {
					p.semantic(pos, "duplicate "+qualName(q.kind)+" qualifier on one observation expression (put it in parentheses to qualify it again)")
				}
			}
		}
		quals = append(quals, q)
	}
	if len(quals) > 0 {
		n.quals = kids(&p.qualSlab, quals, 4)
	}
	return n
}

func qualName(k qualKind) string {
	switch k {
	case qualWithin:
		return "WITHIN"
	case qualStartStop:
		return "START/STOP"
	}
	return "REPEATS"
}

// qualifier parses withinQualifier, startStopQualifier or repeatedQualifier.
func (p *parser) qualifier() (qualifier, bool) {
	switch p.tok.kind {
	case tWITHIN:
		p.next()
		pos := p.tok.pos
		if (p.tok.kind != tInt && p.tok.kind != tFloat) || p.src[pos] == '-' {
			p.expected("a positive number of seconds")
			return qualifier{}, false
		}
		v := p.number()
		if withinSeconds(v) <= 0 {
			p.semantic(pos, "WITHIN must be more than 0 seconds")
		}
		p.next()
		if p.tok.kind != tSECONDS {
			p.expected("SECONDS")
			return qualifier{}, false
		}
		p.next()
		p.pat.temporal = true
		return qualifier{kind: qualWithin, within: v}, true
	case tSTART:
		p.next()
		if p.tok.kind != tTimestamp {
			p.expected("a timestamp t'...' after START")
			return qualifier{}, false
		}
		startPos := p.tok.pos
		start := p.timestamp()
		p.next()
		if p.tok.kind != tSTOP {
			p.expected("STOP")
			return qualifier{}, false
		}
		p.next()
		if p.tok.kind != tTimestamp {
			p.expected("a timestamp t'...' after STOP")
			return qualifier{}, false
		}
		stop := p.timestamp()
		p.next()
		if !start.Before(stop) {
			p.semantic(startPos, "START must be before STOP")
		}
		p.pat.temporal = true
		return qualifier{kind: qualStartStop, start: start, stop: stop}, true
	default: // tREPEATS
		p.next()
		pos := p.tok.pos
		if p.tok.kind != tInt || p.src[pos] == '-' {
			p.expected("a positive integer")
			return qualifier{}, false
		}
		v := p.number()
		if v.Int <= 0 {
			p.semantic(pos, "REPEATS must be at least 1")
		}
		p.next()
		if p.tok.kind != tTIMES {
			p.expected("TIMES")
			return qualifier{}, false
		}
		p.next()
		return qualifier{kind: qualRepeats, repeats: v.Int}, true
	}
}

// compOr parses comparisonExpression: compAnd (OR compAnd)*.
func (p *parser) compOr() *compNode {
	first := p.compAnd()
	if p.err != nil || p.tok.kind != tOR {
		return first
	}
	if p.compStack == nil {
		p.compStack = make([]*compNode, 0, 16)
	}
	base := len(p.compStack)
	p.compStack = append(p.compStack, first)
	for p.tok.kind == tOR {
		p.next()
		k := p.compAnd()
		if p.err != nil {
			return nil
		}
		p.compStack = append(p.compStack, k)
	}
	n := p.newComp(compNode{kind: compOr, kids: kids(&p.compKidSlab, p.compStack[base:], 2*p.slab)})
	p.compStack = p.compStack[:base]
	return n
}

// compAnd parses comparisonExpressionAnd: propTest (AND propTest)*.
func (p *parser) compAnd() *compNode {
	first := p.propTest()
	if p.err != nil || p.tok.kind != tAND {
		return first
	}
	if p.compStack == nil {
		p.compStack = make([]*compNode, 0, 16)
	}
	base := len(p.compStack)
	p.compStack = append(p.compStack, first)
	for p.tok.kind == tAND {
		p.next()
		k := p.propTest()
		if p.err != nil {
			return nil
		}
		p.compStack = append(p.compStack, k)
	}
	n := p.newComp(compNode{kind: compAnd, kids: kids(&p.compKidSlab, p.compStack[base:], 2*p.slab)})
	p.compStack = p.compStack[:base]
	return n
}

// propTest parses one propTest alternative.
func (p *parser) propTest() *compNode {
	var c Comparison
	switch p.tok.kind {
	case tLParen:
		if !p.enter() {
			return nil
		}
		p.next()
		inner := p.compOr()
		if p.err != nil {
			return nil
		}
		if p.tok.kind != tRParen {
			p.expected("AND, OR or ')'")
			return nil
		}
		p.depth--
		p.next()
		return p.newComp(compNode{kind: compParen, kids: kids(&p.compKidSlab, []*compNode{inner}, 2*p.slab)})
	case tNOT, tEXISTS:
		if p.tok.kind == tNOT {
			p.next()
			if p.tok.kind != tEXISTS {
				p.expectedHint("EXISTS", "NOT before an object path only negates EXISTS; write path NOT = value")
				return nil
			}
			c.Negated = true
		}
		p.next()
		c.Op = OpExists
		if !p.objectPath(&c.Path) {
			return nil
		}
	default:
		if p.tok.kind != tIdent && p.tok.kind != tIdentHyphen {
			p.expected("a comparison: an object path, EXISTS or '('")
			return nil
		}
		if !p.objectPath(&c.Path) {
			return nil
		}
		if p.tok.kind == tNOT {
			c.Negated = true
			p.next()
		}
		if !p.operator(&c) {
			return nil
		}
	}
	return p.newComp(compNode{kind: compTest, test: p.addComparison(&c)})
}

// operator parses the operator and operand of a propTest.
func (p *parser) operator(c *Comparison) bool {
	switch p.tok.kind {
	case tEQ, tNEQ:
		c.Op = OpEqual
		if p.tok.kind == tNEQ {
			c.Op = OpNotEqual
		}
		p.next()
		pos := p.tok.pos
		if !p.literal(&c.Value, true) {
			return false
		}
		p.checkHash(c, c.Value, pos)
	case tLT, tLE, tGT, tGE:
		c.Op = tokOps[p.tok.kind]
		p.next()
		if !p.literal(&c.Value, false) {
			return false
		}
	case tIN:
		c.Op = OpIn
		p.next()
		return p.set(c)
	case tLIKE, tMATCHES, tISSUBSET, tISSUPERSET:
		c.Op = tokOps[p.tok.kind]
		p.next()
		pos := p.tok.pos
		if p.tok.kind != tString {
			p.expected("a string literal after " + c.Op.String())
			return false
		}
		c.Value = Value{Kind: KindString, Str: p.tok.str}
		p.next()
		switch c.Op {
		case OpMatches:
			p.regexBytes += len(c.Value.Str)
			if p.regexBytes > MaxRegexLength {
				p.semantic(pos, "MATCHES operands longer than "+strconv.Itoa(MaxRegexLength)+" bytes in all")
				break
			}
			p.regexCost += regexCost(c.Value.Str)
			if p.regexCost > maxRegexCost {
				p.semantic(pos, "MATCHES operands too costly to check: use fewer Unicode classes (\\p) and narrower case-insensitive ranges")
			} else if _, err := syntax.Parse(c.Value.Str, syntax.Perl); err != nil {
				p.semantic(pos, "MATCHES: invalid regular expression: "+strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			}
		case OpIsSubset, OpIsSuperset:
			if _, ok := parseNet(c.Value.Str); !ok {
				p.semantic(pos, c.Op.String()+" needs an IPv4 or IPv6 address or CIDR block, e.g. '198.51.100.0/24'")
			}
		}
	default:
		if c.Negated {
			p.expected("a comparison operator after NOT")
		} else {
			p.expected("a comparison operator")
		}
		return false
	}
	return true
}

// tokOps maps operator tokens to operators.
var tokOps = [...]Op{
	tLT: OpLess, tLE: OpLessEqual, tGT: OpGreater, tGE: OpGreaterEqual,
	tLIKE: OpLike, tMATCHES: OpMatches, tISSUBSET: OpIsSubset, tISSUPERSET: OpIsSuperset,
}

// set parses setLiteral: '(' ')' or '(' literal (',' literal)* ')'.
func (p *parser) set(c *Comparison) bool {
	if p.tok.kind != tLParen {
		p.expected("'(' to start the IN set")
		return false
	}
	p.next()
	c.Set = []Value{}
	if p.tok.kind == tRParen {
		p.next()
		return true
	}
	for {
		pos := p.tok.pos
		var v Value
		if !p.literal(&v, true) {
			return false
		}
		if len(c.Set) > 0 && kindClass(v.Kind) != kindClass(c.Set[0].Kind) {
			p.semantic(pos, "IN set mixes "+c.Set[0].Kind.String()+" and "+v.Kind.String()+" values")
		}
		p.checkHash(c, v, pos)
		c.Set = append(c.Set, v)
		switch p.tok.kind {
		case tComma:
			p.next()
		case tRParen:
			p.next()
			return true
		default:
			p.expected("',' or ')'")
			return false
		}
	}
}

// kindClass groups the kinds that compare with each other.
func kindClass(k Kind) Kind {
	switch k {
	case KindFloat:
		return KindInt
	case KindHex:
		return KindBinary
	}
	return k
}

// literal parses a primitiveLiteral (orderableLiteral or BoolLiteral when
// allowBool) into v.
func (p *parser) literal(v *Value, allowBool bool) bool {
	switch p.tok.kind {
	case tString:
		*v = Value{Kind: KindString, Str: p.tok.str}
	case tInt, tFloat:
		*v = p.number()
	case tBool:
		if !allowBool {
			p.expectedHint("a number, string, binary, hex or timestamp literal", "booleans are not ordered")
			return false
		}
		*v = Value{Kind: KindBool, Bool: p.src[p.tok.pos] == 't'}
	case tHex:
		b, _ := hex.DecodeString(p.src[p.tok.pos+2 : p.tok.end-1]) // shape checked by the lexer
		*v = Value{Kind: KindHex, Str: string(b)}
	case tBinary:
		b, err := base64.StdEncoding.DecodeString(p.src[p.tok.pos+2 : p.tok.end-1])
		if err != nil {
			p.semantic(p.tok.pos, "invalid base64 in binary literal")
		}
		*v = Value{Kind: KindBinary, Str: string(b)}
	case tTimestamp:
		*v = Value{Kind: KindTimestamp, Time: p.timestamp()}
	default:
		if allowBool {
			p.expected("a literal value")
		} else {
			p.expected("a number, string, binary, hex or timestamp literal")
		}
		return false
	}
	p.next()
	return true
}

// number converts the current tInt or tFloat token.
func (p *parser) number() Value {
	text := p.src[p.tok.pos:p.tok.end]
	if p.tok.kind == tInt {
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			p.semantic(p.tok.pos, "integer out of the 64-bit range")
		}
		return Value{Kind: KindInt, Int: n}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) {
		p.semantic(p.tok.pos, "float out of range")
		f = 0
	}
	return Value{Kind: KindFloat, Float: f}
}

// timestamp converts the current tTimestamp token, whose shape the lexer
// checked, and checks that it names a real instant.
func (p *parser) timestamp() time.Time {
	b := p.src[p.tok.pos+2 : p.tok.end-1]
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	year, month, day := num(b[0:4]), time.Month(num(b[5:7])), num(b[8:10])
	hour, minute, sec := num(b[11:13]), num(b[14:16]), num(b[17:19])
	nsec := 0
	if len(b) > 20 {
		frac := b[20 : len(b)-1]
		if len(frac) > 9 {
			frac = frac[:9] // finer than a nanosecond: truncated
		}
		nsec = num(frac)
		for i := len(frac); i < 9; i++ {
			nsec *= 10
		}
	}
	last := daysIn(month, year)
	if day > last {
		p.semantic(p.tok.pos, "invalid timestamp: "+time.Month(month).String()+" "+strconv.Itoa(year)+" has "+strconv.Itoa(last)+" days")
	}
	if sec == 60 && !(hour == 23 && minute == 59 && day == last) {
		p.semantic(p.tok.pos, "invalid timestamp: second 60 is only valid for a leap second, 23:59:60 on the last day of a month")
	}
	// A leap second becomes the first instant of the next day, which Go can
	// represent.
	return time.Date(year, month, day, hour, minute, sec, nsec, time.UTC)
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// objectPath parses objectPath into path.
func (p *parser) objectPath(path *Path) bool {
	pos := p.tok.pos
	if p.tok.kind != tIdent && p.tok.kind != tIdentHyphen {
		p.expected("an object path such as ipv4-addr:value")
		return false
	}
	path.Type = p.src[pos:p.tok.end]
	p.checkType(path.Type, pos)
	typeTok := p.tok
	p.next()
	if p.tok.kind != tColon {
		if up := strings.ToUpper(path.Type); keyword(up) != tIdent {
			p.tok = typeTok // a lower-case keyword, not an object type
			p.expectedHint("a comparison: an object path, EXISTS or '('", "keywords are upper case: "+up)
			return false
		}
		p.expected("':' after the object type")
		return false
	}
	p.next()
	start := len(p.steps)
	if !p.key("a property name") {
		return false
	}
	for {
		switch p.tok.kind {
		case tDot:
			p.next()
			if !p.key("a property name after '.'") {
				return false
			}
			continue
		case tLBrack:
			p.next()
			switch p.tok.kind {
			case tInt:
				n, err := strconv.ParseInt(p.src[p.tok.pos:p.tok.end], 10, 64)
				if err != nil {
					p.semantic(p.tok.pos, "list index out of the 64-bit range")
				}
				p.addStep(Step{Kind: StepIndex, Index: n})
			case tAsterisk:
				p.addStep(Step{Kind: StepAny})
			default:
				p.expected("a list index or '*'")
				return false
			}
			p.next()
			if p.tok.kind != tRBrack {
				p.expected("']'")
				return false
			}
			p.next()
			continue
		}
		break
	}
	path.Steps = p.steps[start:len(p.steps):len(p.steps)]
	return true
}

// key parses a property name: IdentifierWithoutHyphen or StringLiteral.
func (p *parser) key(what string) bool {
	var k string
	switch p.tok.kind {
	case tIdent:
		k = p.src[p.tok.pos:p.tok.end]
	case tString:
		k = p.tok.str
	case tIdentHyphen:
		p.expectedHint(what, "quote property names that contain '-', e.g. 'SHA-256'")
		return false
	default:
		if p.tok.kind >= tAND || p.tok.kind == tBool {
			p.expectedHint(what, "quote property names that are keywords")
		} else {
			p.expected(what)
		}
		return false
	}
	p.addStep(Step{Kind: StepKey, Key: k})
	p.next()
	return true
}

// checkType records an error for an object type that is not known.
func (p *parser) checkType(typ string, pos int) {
	if isSCOType(typ) || isCustomType(typ) {
		return
	}
	if p.opts.ExtraTypes != nil && p.opts.ExtraTypes(typ) {
		return
	}
	p.semantic(pos, "unknown object type '"+shorten(typ)+"': not a STIX 2.1 cyber-observable type or an 'x-' custom type")
}

// checkHash checks a string compared by =, != or IN with a path ending in
// hashes.<algorithm>, for the hex algorithms whose digest length is fixed.
func (p *parser) checkHash(c *Comparison, v Value, pos int) {
	if v.Kind != KindString {
		return
	}
	algo, n := hashAlgo(c.Path)
	if n == 0 {
		return
	}
	ok := len(v.Str) == n
	for i := 0; ok && i < len(v.Str); i++ {
		ok = isHexDigit(v.Str[i])
	}
	if !ok {
		p.semantic(pos, "'"+shorten(v.Str)+"' is not a valid "+algo+" hash: want "+strconv.Itoa(n)+" hex digits")
	}
}

// parseNet parses an IP address or CIDR block (no zone).
func parseNet(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		pf, err := netip.ParsePrefix(s)
		return pf, err == nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}
