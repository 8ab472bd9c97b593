package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Observation is what one observed-data object carries: the cyber-observable
// objects seen together, when, and how many times.
type Observation struct {
	// Objects are the observation's SCOs as decoded JSON (map[string]any,
	// []any, string, float64 or json.Number, bool), keyed by the name that
	// their _ref and _refs properties use: the SCO id for STIX 2.1
	// object_refs, or the key of the deprecated "objects" dictionary.
	Objects map[string]map[string]any
	// First and Last are first_observed and last_observed. FOLLOWEDBY,
	// WITHIN and START/STOP need them; other patterns ignore them.
	First, Last time.Time
	// Count is number_observed: the observation stands for Count identical
	// observations (REPEATS counts them). Zero means 1.
	Count int
}

// MatchBudget is the number of search steps Match may take before it stops
// with ErrMatchLimit. Single-observation patterns take one step per
// candidate observation; combining observations (AND, FOLLOWEDBY, REPEATS)
// can need a search over combinations.
const MatchBudget = 1 << 20

const (
	// maxBound bounds the observations bound at once during the search,
	// which bounds its recursion.
	maxBound = 10000
	// maxGenericRepeats bounds REPEATS over a compound expression, which the
	// search unrolls.
	maxGenericRepeats = 1000
)

// Match reports whether the observations match the pattern, with the
// semantics of the OASIS reference matcher (cti-pattern-matcher):
//
//   - A [ ] expression matches one observation that holds one object (the
//     root) on which the whole comparison expression is true; comparisons
//     joined by AND must hold on the same root, so
//     [file:name = 'a' AND file:size = 1] needs one file with both. A path
//     follows _ref and _refs properties into objects of the same
//     observation, and [*] is true when any list element is.
//   - Observation AND, FOLLOWEDBY and REPEATS bind distinct observations (an
//     Observation counts Count times). FOLLOWEDBY needs the left side's
//     latest first time no later than the right side's earliest last time;
//     WITHIN n SECONDS needs some n-second window to touch every bound
//     observation's [First, Last]; START/STOP needs each one's [First, Last]
//     to overlap [START, STOP).
//   - A missing property, or a value of another type (a number against a
//     string), makes a comparison false, also under NOT; the exceptions, as
//     in the reference, are =, != and IN, where a type mismatch means "not
//     equal", so NOT = and != are true.
//   - Strings compare case-sensitively by code point, except the values of
//     hex hash keys (file:hashes.'SHA-256') and domain-name:value, whose case
//     carries no meaning. Unicode normalization is not applied.
//   - LIKE: '%' matches any run of characters and '_' exactly one; there is
//     no escape character. MATCHES searches (unanchored) with Go's RE2
//     syntax; see the package documentation for the differences from PCRE.
//     On binary properties (names ending in _bin or _hex, decoded) MATCHES
//     sees bytes as code points 0-255.
//   - ISSUBSET and ISSUPERSET compare IP addresses and CIDR blocks; an
//     address is its own /32 or /128 block, and IPv4 and IPv6 are disjoint.
//
// Observations without times are fine as long as the answer does not
// depend on them: the matcher first decides the pattern with its temporal
// rules ignored, and a "no" then is final.
//
// The error wraps ErrUnsupported (a construct the matcher does not
// evaluate), ErrNoTime (times decide the answer but are missing) or
// ErrMatchLimit; the matcher never guesses.
func (p *Pattern) Match(obs []Observation) (bool, error) {
	prog, err := p.program()
	if err != nil {
		return false, err
	}
	m := matcher{p: p, prog: prog, obs: obs}
	for i := range obs {
		if obs[i].Count < 0 {
			return false, fmt.Errorf("observation %d: negative count %d", i, obs[i].Count)
		}
		if !obs[i].First.IsZero() && !obs[i].Last.IsZero() && obs[i].First.After(obs[i].Last) {
			return false, fmt.Errorf("observation %d: first time %s is after last time %s", i,
				obs[i].First.Format(time.RFC3339Nano), obs[i].Last.Format(time.RFC3339Nano))
		}
	}
	if prog.simple {
		// An OR of [ ] expressions without qualifiers: any observation that
		// matches any of them will do.
		for i := range obs {
			for _, leaf := range prog.leaves {
				if m.matchObservation(leaf.comp, &obs[i]) {
					return true, nil
				}
			}
		}
		return false, nil
	}
	return m.search()
}

// MatchObject reports whether a single SCO matches the pattern, as an
// observation that holds only obj (so references cannot be followed) and
// was seen once at an unknown time. A pattern that needs two observations
// (AND, FOLLOWEDBY) is false; one whose answer depends on times (WITHIN,
// START/STOP) is an ErrNoTime error.
func (p *Pattern) MatchObject(obj map[string]any) (bool, error) {
	key := "0"
	if id, ok := obj["id"].(string); ok {
		key = id
	}
	return p.Match([]Observation{{Objects: map[string]map[string]any{key: obj}, Count: 1}})
}

// program is what Match needs beyond the syntax tree, built once per
// pattern: compiled regular expressions, parsed networks, case rules.
type program struct {
	comps  []compiled // parallel to Pattern.comps
	leaves []*obsNode // by leaf index
	simple bool       // an OR of unqualified leaves
}

type compiled struct {
	re       *regexp.Regexp // LIKE, MATCHES
	reBinary bool           // MATCHES: the regexp has only code points < 256
	net      netip.Prefix   // ISSUBSET, ISSUPERSET
	fold     bool           // compare strings case-insensitively
}

func (p *Pattern) program() (*program, error) {
	p.progOnce.Do(func() { p.prog, p.progErr = compile(p) })
	return p.prog, p.progErr
}

func compile(p *Pattern) (*program, error) {
	prog := &program{comps: make([]compiled, len(p.comps)), leaves: make([]*obsNode, p.leaves)}
	for i := range p.comps {
		c := &p.comps[i]
		cc := &prog.comps[i]
		for _, s := range c.Path.Steps {
			if s.Kind == StepIndex && s.Index < 0 {
				return nil, fmt.Errorf("%s: %w: negative list index %d", c.Path, ErrUnsupported, s.Index)
			}
		}
		var err error
		switch c.Op {
		case OpLike:
			cc.re, err = regexp.Compile(likeRegexp(c.Value.Str))
		case OpMatches:
			cc.re, err = regexp.Compile(c.Value.Str)
			cc.reBinary = true
			for _, r := range c.Value.Str {
				if r >= 256 {
					cc.reBinary = false
					break
				}
			}
		case OpIsSubset, OpIsSuperset:
			cc.net, _ = parseNet(c.Value.Str) // checked by Parse
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", c.Path, c.Op, err)
		}
		_, n := hashAlgo(c.Path)
		cc.fold = n > 0 || c.Path.Type == "domain-name" && len(c.Path.Steps) == 1 && c.Path.Steps[0].Key == "value"
	}
	prog.simple = true
	var walk func(n *obsNode)
	walk = func(n *obsNode) {
		if len(n.quals) > 0 || (n.kind != obsLeaf && n.kind != obsOr && n.kind != obsParen) {
			prog.simple = false
		}
		if n.kind == obsLeaf {
			prog.leaves[n.leaf] = n
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(p.root)
	return prog, nil
}

// likeRegexp translates a LIKE operand to an anchored regular expression.
// Every other character is quoted, so any string is a valid LIKE operand.
func likeRegexp(like string) string {
	var b strings.Builder
	b.WriteString(`^(?s:`)
	prev := rune(-1)
	for _, r := range like {
		switch r {
		case '%':
			if prev != '%' { // %% is %
				b.WriteString(".*")
			}
		case '_':
			b.WriteByte('.')
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
		prev = r
	}
	b.WriteString(`)$`)
	return b.String()
}

// matcher holds the state of one Match call.
type matcher struct {
	p    *Pattern
	prog *program
	obs  []Observation

	caps  []int     // instances per observation (Count, at least 1)
	used  []int     // instances bound by the current partial binding
	total int       // sum of caps
	hits  [][]int32 // per leaf, the observations it matches
	bound int       // instances bound now
	// ignoreTime disables FOLLOWEDBY, WITHIN and START/STOP, to find out
	// whether a pattern can match at all when times are missing.
	ignoreTime bool
	// impossible marks the subexpressions that cannot match even ignoring
	// disjointness and times, so that the search skips them.
	impossible map[*obsNode]bool
	steps      int
	err        error

	scratch [2][]any // path resolution buffers
}

// span summarizes the times of a binding: the latest First and the earliest
// Last of its observations. Every temporal rule only needs these two.
type span struct {
	first, last time.Time
	set         bool
}

func (a span) merge(b span) span {
	if !a.set {
		return b
	}
	if !b.set {
		return a
	}
	if b.first.After(a.first) {
		a.first = b.first
	}
	if b.last.Before(a.last) {
		a.last = b.last
	}
	return a
}

// within reports whether a window of d seconds touches every observation of
// s: latest first - earliest last <= d.
func within(s span, d float64) bool {
	if !s.first.After(s.last) {
		return true
	}
	secs := s.first.Unix() - s.last.Unix()
	nanos := s.first.Nanosecond() - s.last.Nanosecond()
	if nanos < 0 {
		secs--
		nanos += 1e9
	}
	whole := math.Floor(d)
	switch {
	case float64(secs) < whole:
		return true
	case float64(secs) > whole:
		return false
	}
	return float64(nanos) <= (d-whole)*1e9
}

// okFn says whether a (partial) binding's span can still satisfy the
// temporal rules above it. Every rule is monotone: binding more observations
// only makes it harder, so the search prunes as soon as okFn fails.
type okFn func(span) bool

// emitFn receives a complete binding of a subexpression (its observations
// marked in matcher.used) and returns true to stop the search.
type emitFn func(span) bool

// search decides a pattern that combines observations: a depth-first search
// for a binding, pruned by the temporal rules, within MatchBudget steps.
func (m *matcher) search() (bool, error) {
	obs := m.obs
	m.caps = make([]int, len(obs))
	m.used = make([]int, len(obs))
	for i := range obs {
		m.caps[i] = max(obs[i].Count, 1)
		m.total = addSat(m.total, m.caps[i])
	}
	m.hits = make([][]int32, len(m.prog.leaves))
	untimed := -1 // the first matching observation without times
	for i := range obs {
		hit := false
		for l, leaf := range m.prog.leaves {
			if m.matchObservation(leaf.comp, &obs[i]) {
				m.hits[l] = append(m.hits[l], int32(i))
				hit = true
			}
		}
		if hit && untimed < 0 && m.p.temporal && (obs[i].First.IsZero() || obs[i].Last.IsZero()) {
			untimed = i
		}
	}
	m.impossible = map[*obsNode]bool{}
	m.markImpossible(m.p.root)
	// Without the times of every candidate, only a "no" is certain: decide
	// the pattern with its temporal rules ignored, which can only add
	// bindings.
	m.ignoreTime = untimed >= 0
	found := m.solve(m.p.root, func(span) bool { return true }, func(span) bool { return true })
	if m.err != nil {
		return false, m.err
	}
	if found && m.ignoreTime {
		return false, fmt.Errorf("observation %d: %w (the pattern uses FOLLOWEDBY, WITHIN or START/STOP)", untimed, ErrNoTime)
	}
	return found, nil
}

// addSat adds non-negative a and b, saturating at math.MaxInt.
func addSat(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// step counts one search step; false when the budget is spent.
func (m *matcher) step() bool {
	m.steps++
	if m.steps > MatchBudget {
		if m.err == nil {
			m.err = fmt.Errorf("%w (%d steps)", ErrMatchLimit, MatchBudget)
		}
		return false
	}
	return true
}

func (m *matcher) spanOf(i int32) span {
	return span{first: m.obs[i].First, last: m.obs[i].Last, set: true}
}

// bind marks n instances of observation i as bound; false (with an error)
// when too many are bound at once.
func (m *matcher) bind(i int32, n int) bool {
	m.used[i] += n
	m.bound++
	if m.bound > maxBound {
		if m.err == nil {
			m.err = fmt.Errorf("%w (more than %d observations in one binding)", ErrMatchLimit, maxBound)
		}
		return false
	}
	return true
}

func (m *matcher) unbind(i int32, n int) {
	m.used[i] -= n
	m.bound--
}

func (m *matcher) solve(n *obsNode, ok okFn, emit emitFn) bool {
	if m.impossible[n] {
		return false
	}
	return m.solveQ(n, len(n.quals), ok, emit)
}

// solveQ solves n with only its first k qualifiers applied.
func (m *matcher) solveQ(n *obsNode, k int, ok okFn, emit emitFn) bool {
	if m.err != nil {
		return true
	}
	if k == 0 {
		return m.solveBase(n, ok, emit)
	}
	q := &n.quals[k-1]
	if m.ignoreTime && q.kind != qualRepeats {
		return m.solveQ(n, k-1, ok, emit)
	}
	switch q.kind {
	case qualWithin:
		d := withinSeconds(q.within)
		return m.solveQ(n, k-1, func(s span) bool { return within(s, d) && ok(s) }, emit)
	case qualStartStop:
		return m.solveQ(n, k-1, func(s span) bool {
			return s.first.Before(q.stop) && !s.last.Before(q.start) && ok(s)
		}, emit)
	default: // qualRepeats
		if q.repeats > int64(m.total) {
			return false // each repetition needs its own observation
		}
		count := int(q.repeats)
		if k == 1 && n.kind == obsLeaf {
			return m.repeatLeaf(n.leaf, 0, count, span{}, ok, emit)
		}
		if count > maxGenericRepeats {
			m.err = fmt.Errorf("%w: REPEATS %d TIMES over a qualified or compound expression (at most %d)",
				ErrUnsupported, count, maxGenericRepeats)
			return true
		}
		return m.repeat(n, k-1, count, span{}, ok, emit)
	}
}

// markImpossible fills m.impossible for n and below, and reports whether n
// can match: a leaf needs a matching observation, AND and FOLLOWEDBY need
// all their operands, OR one, and REPEATS k over a leaf k instances.
func (m *matcher) markImpossible(n *obsNode) bool {
	possible := false
	switch n.kind {
	case obsLeaf:
		possible = len(m.hits[n.leaf]) > 0
	case obsOr:
		for _, k := range n.kids {
			if m.markImpossible(k) {
				possible = true
			}
		}
	default: // obsParen, obsAnd, obsFollowedBy
		possible = true
		for _, k := range n.kids {
			if !m.markImpossible(k) {
				possible = false
			}
		}
	}
	if possible && n.kind == obsLeaf {
		instances := 0
		for _, i := range m.hits[n.leaf] {
			instances = addSat(instances, m.caps[i])
		}
		for _, q := range n.quals {
			if q.kind == qualRepeats && q.repeats > int64(instances) {
				possible = false
			}
		}
	}
	if !possible {
		m.impossible[n] = true
	}
	return possible
}

func (m *matcher) solveBase(n *obsNode, ok okFn, emit emitFn) bool {
	switch n.kind {
	case obsLeaf:
		return m.leaf(n.leaf, ok, emit)
	case obsParen:
		return m.solve(n.kids[0], ok, emit)
	case obsOr:
		for _, k := range n.kids {
			if m.solve(k, ok, emit) {
				return true
			}
		}
		return false
	case obsAnd:
		return m.and(n.kids, span{}, ok, emit)
	default: // obsFollowedBy
		return m.followedBy(n.kids, 0, span{}, ok, emit)
	}
}

// leaf binds one instance of each observation the leaf matches in turn.
func (m *matcher) leaf(l int, ok okFn, emit emitFn) bool {
	for _, i := range m.hits[l] {
		if m.used[i] >= m.caps[i] {
			continue
		}
		if !m.step() {
			return true
		}
		s := m.spanOf(i)
		if !ok(s) {
			continue
		}
		stop := !m.bind(i, 1) || emit(s)
		m.unbind(i, 1)
		if stop {
			return true
		}
	}
	return false
}

// and binds kids[0], then kids[1] with what is left, and so on.
func (m *matcher) and(kids []*obsNode, acc span, ok okFn, emit emitFn) bool {
	if len(kids) == 0 {
		return emit(acc)
	}
	return m.solve(kids[0],
		func(s span) bool { return ok(acc.merge(s)) },
		func(s span) bool { return m.and(kids[1:], acc.merge(s), ok, emit) })
}

// followedBy is and, with ((k0 FOLLOWEDBY k1) FOLLOWEDBY k2)...: each kid's
// earliest last time must not precede the latest first time before it.
func (m *matcher) followedBy(kids []*obsNode, i int, acc span, ok okFn, emit emitFn) bool {
	if i == len(kids) {
		return emit(acc)
	}
	return m.solve(kids[i],
		func(s span) bool {
			return (i == 0 || m.ignoreTime || !acc.first.After(s.last)) && ok(acc.merge(s))
		},
		func(s span) bool { return m.followedBy(kids, i+1, acc.merge(s), ok, emit) })
}

// repeat binds left more disjoint bindings of n (first k qualifiers).
func (m *matcher) repeat(n *obsNode, k, left int, acc span, ok okFn, emit emitFn) bool {
	if left == 0 {
		return emit(acc)
	}
	return m.solveQ(n, k,
		func(s span) bool { return ok(acc.merge(s)) },
		func(s span) bool { return m.repeat(n, k, left-1, acc.merge(s), ok, emit) })
}

// repeatLeaf binds left instances of observations that leaf l matches,
// taking them in index order (several instances of one observation at
// once) so that each combination is tried once.
func (m *matcher) repeatLeaf(l, from, left int, acc span, ok okFn, emit emitFn) bool {
	hits := m.hits[l]
	for j := from; j < len(hits); j++ {
		i := hits[j]
		avail := m.caps[i] - m.used[i]
		if avail <= 0 {
			continue
		}
		if !m.step() {
			return true
		}
		s := acc.merge(m.spanOf(i))
		if !ok(s) {
			continue
		}
		for t := min(avail, left); t >= 1; t-- {
			var stop bool
			if !m.bind(i, t) {
				stop = true
			} else if t == left {
				stop = emit(s)
			} else {
				stop = m.repeatLeaf(l, j+1, left-t, s, ok, emit)
			}
			m.unbind(i, t)
			if stop || (t > 1 && !m.step()) {
				return true
			}
		}
	}
	return false
}

// matchObservation reports whether some object of o satisfies c.
func (m *matcher) matchObservation(c *compNode, o *Observation) bool {
	for _, obj := range o.Objects {
		if m.eval(c, o, obj) {
			return true
		}
	}
	return false
}

// eval evaluates a comparison expression on one root object.
func (m *matcher) eval(c *compNode, o *Observation, root map[string]any) bool {
	switch c.kind {
	case compTest:
		return m.test(c.test, o, root)
	case compParen:
		return m.eval(c.kids[0], o, root)
	case compAnd:
		for _, k := range c.kids {
			if !m.eval(k, o, root) {
				return false
			}
		}
		return true
	default: // compOr
		for _, k := range c.kids {
			if m.eval(k, o, root) {
				return true
			}
		}
		return false
	}
}

// test evaluates one comparison on a root object.
func (m *matcher) test(idx int, o *Observation, root map[string]any) bool {
	c := &m.p.comps[idx]
	if t, _ := root["type"].(string); t != c.Path.Type {
		return false
	}
	vals := m.resolve(c.Path.Steps, o, root)
	if c.Op == OpExists {
		return (len(vals) > 0) != c.Negated
	}
	cc := &m.prog.comps[idx]
	for _, v := range vals {
		if r, comparable := compare(c, cc, v); comparable && r != c.Negated {
			return true
		}
	}
	return false
}

// binaryValue is the decoded value of a property whose name ends in _bin
// (base64) or _hex.
type binaryValue string

// resolve returns the values the path selects in root. The result aliases a
// scratch buffer, valid until the next call.
func (m *matcher) resolve(steps []Step, o *Observation, root map[string]any) []any {
	cur := append(m.scratch[0][:0], root)
	next := m.scratch[1][:0]
	for _, s := range steps {
		next = next[:0]
		for _, v := range cur {
			switch s.Kind {
			case StepKey:
				obj, ok := v.(map[string]any)
				if !ok {
					continue
				}
				x, ok := obj[s.Key]
				if !ok || x == nil {
					continue
				}
				next = appendProperty(next, s.Key, x, o)
			case StepIndex:
				if list, ok := v.([]any); ok && s.Index < int64(len(list)) && list[s.Index] != nil {
					next = append(next, list[s.Index])
				}
			case StepAny:
				if list, ok := v.([]any); ok {
					for _, e := range list {
						if e != nil {
							next = append(next, e)
						}
					}
				}
			}
		}
		cur, next = next, cur
	}
	m.scratch[0], m.scratch[1] = cur, next
	return cur
}

// appendProperty appends the value of property key, following references
// and decoding binary properties.
func appendProperty(dst []any, key string, x any, o *Observation) []any {
	switch {
	case strings.HasSuffix(key, "_ref"):
		if id, ok := x.(string); ok {
			if obj, ok := o.Objects[id]; ok && obj != nil {
				dst = append(dst, obj)
			}
		}
		return dst
	case strings.HasSuffix(key, "_refs"):
		list, ok := x.([]any)
		if !ok {
			return dst
		}
		objs := make([]any, len(list)) // unresolved references stay nil
		for i, e := range list {
			if id, ok := e.(string); ok {
				if obj, ok := o.Objects[id]; ok && obj != nil {
					objs[i] = obj
				}
			}
		}
		return append(dst, objs)
	case strings.HasSuffix(key, "_hex"):
		if s, ok := x.(string); ok {
			if b, err := hex.DecodeString(s); err == nil {
				return append(dst, binaryValue(b))
			}
		}
	case strings.HasSuffix(key, "_bin"):
		if s, ok := x.(string); ok {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				return append(dst, binaryValue(b))
			}
		}
	}
	return append(dst, x)
}

// compare applies c's operator (without NOT) to a value. comparable is
// false when the operator does not apply to the value's type; the
// comparison is then false whatever the negation.
func compare(c *Comparison, cc *compiled, v any) (result, comparable bool) {
	switch c.Op {
	case OpEqual:
		return equal(c.Value, v, cc.fold), true
	case OpNotEqual:
		return !equal(c.Value, v, cc.fold), true
	case OpIn:
		for _, s := range c.Set {
			if equal(s, v, cc.fold) {
				return true, true
			}
		}
		return false, true
	case OpLess, OpLessEqual, OpGreater, OpGreaterEqual:
		o, ok := order(v, c.Value)
		if !ok {
			return false, false
		}
		switch c.Op {
		case OpLess:
			return o < 0, true
		case OpLessEqual:
			return o <= 0, true
		case OpGreater:
			return o > 0, true
		}
		return o >= 0, true
	case OpLike:
		s, ok := v.(string)
		if !ok {
			return false, false
		}
		return cc.re.MatchString(s), true
	case OpMatches:
		switch x := v.(type) {
		case string:
			return cc.re.MatchString(x), true
		case binaryValue:
			if !cc.reBinary {
				return false, false
			}
			return cc.re.MatchString(latin1(string(x))), true
		}
		return false, false
	case OpIsSubset, OpIsSuperset:
		s, ok := v.(string)
		if !ok {
			return false, false
		}
		pf, ok := parseNet(s)
		if !ok {
			return false, false
		}
		if c.Op == OpIsSubset {
			return contains(cc.net, pf), true
		}
		return contains(pf, cc.net), true
	}
	return false, false
}

// contains reports whether block outer contains block inner.
func contains(outer, inner netip.Prefix) bool {
	if outer.Addr().Is4() != inner.Addr().Is4() || outer.Bits() > inner.Bits() {
		return false
	}
	return outer.Masked().Contains(inner.Addr())
}

// latin1 maps each byte of b to the code point of the same number.
func latin1(b string) string {
	var sb strings.Builder
	sb.Grow(len(b) * 2)
	for i := 0; i < len(b); i++ {
		sb.WriteRune(rune(b[i]))
	}
	return sb.String()
}

// textToBytes converts text whose code points are all below 256 to the
// bytes of the same numbers (the spec's rule for comparing a string with a
// binary value).
func textToBytes(s string) (string, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r >= 256 {
			return "", false
		}
		b = append(b, byte(r))
	}
	return string(b), true
}

// equal compares a literal with a value for =, != and IN.
func equal(lit Value, v any, fold bool) bool {
	switch lit.Kind {
	case KindString:
		switch x := v.(type) {
		case string:
			if fold {
				return strings.EqualFold(x, lit.Str)
			}
			return x == lit.Str
		case binaryValue:
			b, ok := textToBytes(lit.Str)
			return ok && b == string(x)
		}
	case KindInt, KindFloat:
		n, ok := toNumber(v)
		if !ok {
			return false
		}
		o, ok := cmpNumber(n, litNumber(lit))
		return ok && o == 0
	case KindBool:
		b, ok := v.(bool)
		return ok && b == lit.Bool
	case KindBinary, KindHex:
		switch x := v.(type) {
		case binaryValue:
			return string(x) == lit.Str
		case string:
			b, ok := textToBytes(x)
			return ok && b == lit.Str
		}
	case KindTimestamp:
		t, ok := toTime(v)
		return ok && t.Equal(lit.Time)
	}
	return false
}

// order compares a value with a literal: -1, 0 or +1 for value <, =, >
// literal; false when they are not of comparable types.
func order(v any, lit Value) (int, bool) {
	switch lit.Kind {
	case KindInt, KindFloat:
		n, ok := toNumber(v)
		if !ok {
			return 0, false
		}
		return cmpNumber(n, litNumber(lit))
	case KindString:
		switch x := v.(type) {
		case string:
			return strings.Compare(x, lit.Str), true
		case binaryValue:
			b, ok := textToBytes(lit.Str)
			if !ok {
				return 0, false
			}
			return strings.Compare(string(x), b), true
		}
	case KindBinary, KindHex:
		switch x := v.(type) {
		case binaryValue:
			return strings.Compare(string(x), lit.Str), true
		case string:
			b, ok := textToBytes(x)
			if !ok {
				return 0, false
			}
			return strings.Compare(b, lit.Str), true
		}
	case KindTimestamp:
		t, ok := toTime(v)
		if !ok {
			return 0, false
		}
		return t.Compare(lit.Time), true
	}
	return 0, false
}

// number is an integer or a float, compared exactly.
type number struct {
	i     int64
	f     float64
	isInt bool
}

func litNumber(v Value) number {
	if v.Kind == KindInt {
		return number{i: v.Int, isInt: true}
	}
	return number{f: v.Float}
}

// toNumber accepts the numbers decoded JSON holds (float64, json.Number)
// and Go's integer and float types.
func toNumber(v any) (number, bool) {
	switch x := v.(type) {
	case float64:
		return number{f: x}, true
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return number{i: i, isInt: true}, true
		}
		f, err := x.Float64()
		return number{f: f}, err == nil
	case int:
		return number{i: int64(x), isInt: true}, true
	case int64:
		return number{i: x, isInt: true}, true
	case int32:
		return number{i: int64(x), isInt: true}, true
	case uint32:
		return number{i: int64(x), isInt: true}, true
	case uint64:
		if x <= math.MaxInt64 {
			return number{i: int64(x), isInt: true}, true
		}
		return number{f: float64(x)}, true
	case float32:
		return number{f: float64(x)}, true
	}
	return number{}, false
}

// cmpNumber compares a and b exactly, also an int64 with a float64.
func cmpNumber(a, b number) (int, bool) {
	switch {
	case a.isInt && b.isInt:
		return cmpInt(a.i, b.i), true
	case !a.isInt && !b.isInt:
		if math.IsNaN(a.f) || math.IsNaN(b.f) {
			return 0, false
		}
		return cmpFloat(a.f, b.f), true
	case a.isInt:
		o, ok := cmpIntFloat(a.i, b.f)
		return o, ok
	default:
		o, ok := cmpIntFloat(b.i, a.f)
		return -o, ok
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpIntFloat compares an int64 with a float64 without rounding the int.
func cmpIntFloat(i int64, f float64) (int, bool) {
	switch {
	case math.IsNaN(f):
		return 0, false
	case f >= 1<<63:
		return -1, true
	case f < -(1 << 63):
		return 1, true
	}
	t := math.Trunc(f)
	if o := cmpInt(i, int64(t)); o != 0 {
		return o, true
	}
	return cmpFloat(0, f-t), true
}

// toTime accepts an RFC 3339 string or a time.Time.
func toTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		return t, err == nil
	case time.Time:
		return x, true
	}
	return time.Time{}, false
}
