package marking

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

var (
	errNotJSON   = errors.New("not valid JSON")
	errNotObject = errors.New("not a JSON object")
)

// Kind says what a marking-definition expresses.
type Kind int

// The kinds of marking-definition.
const (
	// KindOther is any other marking: an extension-based one such as IEP or
	// PAP, or a definition_type this package does not interpret.
	KindOther Kind = iota
	// KindTLP is a TLP marking (only the built-in ids are TLP markings).
	KindTLP
	// KindStatement is a statement marking: copyright, terms of use.
	KindStatement
)

// String returns "tlp", "statement" or "other".
func (k Kind) String() string {
	switch k {
	case KindTLP:
		return "tlp"
	case KindStatement:
		return "statement"
	}
	return "other"
}

// Definition is what a marking-definition means, as far as this package
// interprets it.
type Definition struct {
	// ID is the marking-definition's id.
	ID string
	// Kind is the kind of marking.
	Kind Kind
	// TLP is the level of a KindTLP marking.
	TLP TLP
	// Statement is the text of a KindStatement marking.
	Statement string
}

// Resolver finds the marking-definitions that are not built in, such as the
// statement markings that members publish. The hub's store implements it
// over the definitions it has accepted.
type Resolver interface {
	// MarkingDefinition returns the definition with this id, or false if
	// it is not known.
	MarkingDefinition(id string) (Definition, bool)
}

// Result is the markings that apply to one object.
type Result struct {
	// TLP is the object-level TLP: the most restrictive of the TLP markings
	// in object_marking_refs, or Unknown if there is none.
	TLP TLP
	// Statements lists the ids of the statement markings applied to the
	// object or to any part of it, each once, in order of appearance.
	Statements []string
	// Other lists the ids of markings the Resolver knows that are neither
	// TLP nor statements (IEP, PAP and the like), each once.
	Other []string
	// Unknown lists the ids of markings that are neither built in nor
	// known to the Resolver, each once. They are reported, never guessed
	// at: what to do with an object carrying one is the caller's decision.
	Unknown []string
	// Granular has one entry for each distinct selector of the object's
	// granular_markings, in order of first appearance.
	Granular []GranularResult
}

// GranularResult is the markings that apply to the content one selector
// selects.
type GranularResult struct {
	// Selector is the selector, such as "external_references.[0].url".
	Selector string
	// TLP is the most restrictive TLP that applies to any of the selected
	// content: the object-level TLP, TLP granular markings on this
	// selector, on content that encloses it ("external_references" encloses
	// "external_references.[0].url") and on content within it. Someone
	// cleared for TLP may see all of the selected content.
	TLP TLP
	// Lang is the language that granular markings give the selected content
	// (the most specific one applying), or "" if none do.
	Lang string
}

// Max returns the most restrictive TLP that applies to any part of the
// object: the level a recipient needs to receive all of it.
func (r *Result) Max() TLP {
	level := r.TLP
	for _, g := range r.Granular {
		level = max(level, g.TLP)
	}
	return level
}

// Effective computes the markings of the STIX object obj from its
// object_marking_refs and granular_markings (STIX 2.1 sections 7.2.2 and
// 7.2.3). Built-in ids (Builtin) are known without a Resolver; known may be
// nil, in which case every other id is reported as Unknown.
//
// Where several TLP markings apply to the same content, the most restrictive
// wins, as the STIX TLP marking has always specified (STIX 1.2,
// TLPMarkingStructureType: "if a node is marked both GREEN and AMBER, the
// node should be considered AMBER").
//
// Effective returns an error when obj is not a JSON object, when a marking
// property has the wrong shape, or when a granular marking's selector does
// not resolve (wrapping a *SelectorError that names it, or ErrTooCostly).
// Errors begin with the JSON path of the offending property, such as
// "granular_markings[0].selectors[1]". A marking property given twice is an
// error too: JSON readers disagree on which of the two counts.
func Effective(obj []byte, known Resolver) (*Result, error) {
	obj = jsonscan.TrimSpace(obj)
	if !jsonscan.Valid(obj) {
		return nil, errNotJSON
	}
	return effective(obj, known)
}

// EffectiveValid is Effective for text the caller has already checked to be
// valid JSON, at least as strictly as jsonscan.Valid: the output of
// sign.Canonicalize, say, on the publish path, which has just validated
// (RFC 8259 and I-JSON) the text it wrote. It saves the validation pass,
// about half of Effective's time. On text that is not valid the result is
// unspecified, though EffectiveValid still neither panics nor loops.
func EffectiveValid(obj []byte, known Resolver) (*Result, error) {
	return effective(jsonscan.TrimSpace(obj), known)
}

// effective is Effective for valid text without surrounding whitespace.
func effective(obj []byte, known Resolver) (*Result, error) {
	var refs, granular []byte
	props := jsonscan.NewObjectIter(obj)
	for props.Next() {
		name, _ := jsonscan.String(props.Name())
		var slot *[]byte
		switch string(name) {
		case "object_marking_refs":
			slot = &refs
		case "granular_markings":
			slot = &granular
		default:
			continue
		}
		if *slot != nil {
			// Readers disagree on which of two same-named properties
			// counts; a marking must not depend on the reader.
			return nil, errors.New(string(name) + ": appears twice")
		}
		*slot = props.Value()
	}
	if props.Err() != nil {
		return nil, errNotObject
	}

	c := collector{known: known}
	r := &Result{}
	if refs != nil {
		it := jsonscan.NewArrayIter(refs)
		for it.Next() {
			id, err := markingID(it.Value())
			if err != nil {
				return nil, fmt.Errorf("object_marking_refs[%d]: %w", it.Index(), err)
			}
			r.TLP = max(r.TLP, c.add(r, id))
		}
		if it.Err() != nil {
			return nil, fmt.Errorf("object_marking_refs: must be a list, not %s", kind(refs))
		}
	}
	if granular != nil {
		if err := c.granular(r, obj, granular); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// collector accumulates the markings of one object.
type collector struct {
	known     Resolver
	selectors *Selectors          // made on the first granular marking
	listed    map[string]struct{} // ids already in a list of the Result
}

// add records the marking id in r and returns its TLP level (Unknown for
// markings that are not TLP markings).
func (c *collector) add(r *Result, id string) TLP {
	if level, ok := LookupTLP(id); ok {
		return level
	}
	if c.known != nil {
		if def, ok := c.known.MarkingDefinition(id); ok {
			switch def.Kind {
			case KindTLP:
				return def.TLP
			case KindStatement:
				c.list(&r.Statements, id)
			default:
				c.list(&r.Other, id)
			}
			return Unknown
		}
	}
	c.list(&r.Unknown, id)
	return Unknown
}

// list appends id to *list unless it is already listed. A set, not a scan
// of the list, so that thousands of ids cost linear time.
func (c *collector) list(list *[]string, id string) {
	if _, ok := c.listed[id]; ok {
		return
	}
	if c.listed == nil {
		c.listed = map[string]struct{}{}
	}
	c.listed[id] = struct{}{}
	*list = append(*list, id)
}

// markingID reads a reference to a marking-definition.
func markingID(raw []byte) (string, error) {
	id, ok := jsonscan.String(raw)
	if !ok {
		return "", fmt.Errorf("must be a string, not %s", kind(raw))
	}
	if !bytes.HasPrefix(id, []byte("marking-definition--")) {
		return "", errors.New("must reference a marking-definition")
	}
	return string(id), nil
}

// applied is one selector of one granular marking.
type applied struct {
	selector string
	tlp      TLP
	lang     string
}

// granular reads the granular_markings list raw of obj into r.Granular.
func (c *collector) granular(r *Result, obj, raw []byte) error {
	var marks []applied
	it := jsonscan.NewArrayIter(raw)
	for it.Next() {
		var err error
		marks, err = c.granularMarking(r, obj, it.Value(), "granular_markings["+strconv.Itoa(it.Index())+"]", marks)
		if err != nil {
			return err
		}
	}
	if it.Err() != nil {
		return fmt.Errorf("granular_markings: must be a list, not %s", kind(raw))
	}

	r.Granular = combine(marks, r.TLP)
	return nil
}

// node is one distinct selector while combine works.
type node struct {
	selector string
	order    int // first appearance
	own      TLP // most restrictive TLP marked on exactly this selector
	ownLang  string
	down     TLP    // own and every enclosing selector's
	up       TLP    // own and every enclosed selector's
	lang     string // the most specific language: own, or the nearest enclosing one
}

// combine works out, for each distinct selector in marks, the TLP and
// language that apply to the content it selects, given the object-level TLP.
// It sorts the selectors so that each one's enclosed selectors follow it
// (compareSelectors), then walks them with a stack of enclosing selectors:
// O(n log n) where comparing every pair would be O(n²), which matters
// because a 1 MiB object can carry a hundred thousand selectors.
func combine(marks []applied, object TLP) []GranularResult {
	byName := make(map[string]int, len(marks))
	nodes := make([]node, 0, len(marks))
	for _, m := range marks {
		i, ok := byName[m.selector]
		if !ok {
			i = len(nodes)
			byName[m.selector] = i
			nodes = append(nodes, node{selector: m.selector, order: i})
		}
		n := &nodes[i]
		n.own = max(n.own, m.tlp)
		if m.lang != "" && n.ownLang == "" {
			n.ownLang = m.lang
		}
	}
	slices.SortFunc(nodes, func(a, b node) int { return compareSelectors(a.selector, b.selector) })

	var stack []*node
	pop := func() {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if len(stack) > 0 {
			parent := stack[len(stack)-1]
			parent.up = max(parent.up, top.up)
		}
	}
	for i := range nodes {
		n := &nodes[i]
		for len(stack) > 0 && !encloses(stack[len(stack)-1].selector, n.selector) {
			pop()
		}
		n.down, n.up, n.lang = n.own, n.own, n.ownLang
		if len(stack) > 0 {
			parent := stack[len(stack)-1]
			n.down = max(n.down, parent.down)
			if n.lang == "" {
				n.lang = parent.lang
			}
		}
		stack = append(stack, n)
	}
	for len(stack) > 0 {
		pop()
	}

	out := make([]GranularResult, len(nodes))
	for _, n := range nodes {
		out[n.order] = GranularResult{Selector: n.selector, TLP: max(object, n.down, n.up), Lang: n.lang}
	}
	return out
}

// compareSelectors orders selectors as strings but with "." before every
// other byte, so that the selectors a selector encloses ("a.b", "a.[0]")
// come right after it, before its siblings ("a-b", "ab").
func compareSelectors(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		switch {
		case ca == cb:
			continue
		case ca == '.':
			return -1
		case cb == '.':
			return 1
		}
		return cmp.Compare(ca, cb)
	}
	return cmp.Compare(len(a), len(b))
}

// granularMarking reads one granular marking gm at JSON path path, appending
// one applied entry per selector to marks.
func (c *collector) granularMarking(r *Result, obj, gm []byte, path string, marks []applied) ([]applied, error) {
	var selectors, ref, lang []byte
	props := jsonscan.NewObjectIter(gm)
	for props.Next() {
		name, _ := jsonscan.String(props.Name())
		var slot *[]byte
		switch string(name) {
		case "selectors":
			slot = &selectors
		case "marking_ref":
			slot = &ref
		case "lang":
			slot = &lang
		default:
			continue
		}
		if *slot != nil {
			return marks, fmt.Errorf("%s.%s: appears twice", path, name)
		}
		*slot = props.Value()
	}
	if props.Err() != nil {
		return marks, fmt.Errorf("%s: must be an object, not %s", path, kind(gm))
	}
	switch {
	case selectors == nil:
		return marks, fmt.Errorf("%s.selectors: required", path)
	case ref == nil && lang == nil:
		return marks, fmt.Errorf("%s: needs marking_ref or lang", path)
	case ref != nil && lang != nil:
		// STIX 2.1 section 7.2.3.1: if one is present the other MUST NOT be.
		return marks, fmt.Errorf("%s: must not have both marking_ref and lang", path)
	}

	var level TLP
	var language string
	if ref != nil {
		id, err := markingID(ref)
		if err != nil {
			return marks, fmt.Errorf("%s.marking_ref: %w", path, err)
		}
		level = c.add(r, id)
	} else {
		s, ok := jsonscan.String(lang)
		if !ok || len(s) == 0 {
			return marks, fmt.Errorf("%s.lang: must be a language code", path)
		}
		language = string(s)
	}

	it := jsonscan.NewArrayIter(selectors)
	for it.Next() {
		s, ok := jsonscan.String(it.Value())
		if !ok {
			return marks, fmt.Errorf("%s.selectors[%d]: must be a string, not %s", path, it.Index(), kind(it.Value()))
		}
		sel := string(s)
		if c.selectors == nil {
			c.selectors = newSelectors(obj)
		}
		if _, err := c.selectors.Resolve(sel); err != nil {
			return marks, fmt.Errorf("%s.selectors[%d]: %w", path, it.Index(), err)
		}
		marks = append(marks, applied{selector: sel, tlp: level, lang: language})
	}
	if it.Err() != nil {
		return marks, fmt.Errorf("%s.selectors: must be a list, not %s", path, kind(selectors))
	}
	if it.Index() < 0 {
		return marks, fmt.Errorf("%s.selectors: must not be empty", path)
	}
	return marks, nil
}

// encloses reports whether the content selector outer selects contains the
// content inner selects (or is the same).
func encloses(outer, inner string) bool {
	return inner == outer || (len(inner) > len(outer) && inner[len(outer)] == '.' && strings.HasPrefix(inner, outer))
}
