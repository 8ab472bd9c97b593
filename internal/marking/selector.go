package marking

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

// SelectorError reports a granular-marking selector that does not select
// anything in the object: it is malformed, or names a property or list item
// the object does not have. STIX 2.1 section 7.2.3.1: selectors "MUST refer
// to properties or list items that are actually present on the marked
// object".
type SelectorError struct {
	// Selector is the selector as written.
	Selector string
	// Reason says what is wrong, e.g. "labels has 2 items, no [5]".
	Reason string
}

// Error returns `selector "labels.[5]": labels has 2 items, no [5]`.
func (e *SelectorError) Error() string {
	return "selector " + strconv.Quote(e.Selector) + ": " + e.Reason
}

// maxIndexDigits bounds a list index, so that parsing it cannot overflow.
const maxIndexDigits = 9

// ResolveSelector finds the content that a granular-marking selector selects
// in the STIX object obj and returns its raw JSON (a subslice of obj).
//
// A selector is a path of components separated by "." (STIX 2.1 section
// 7.2.3.1): each is a property name or dictionary key, such as description,
// or a zero-based list index in brackets, such as [0]; the path starts at the
// object itself. So "description", "labels.[1]" and
// "external_references.[0].source_name" are selectors. Property names and
// dictionary keys are limited to ASCII letters, digits, hyphen and
// underscore, as STIX 2.1 limits them.
//
// The error is a *SelectorError naming the selector when the selector is
// malformed or selects nothing, or passes through a property that the object
// gives twice (which one counts depends on the reader); ErrTooCostly for a
// crafted object that would take quadratic time; or a plain error when obj is
// not a JSON object.
//
// Each call walks the object afresh: to check all the selectors of an
// object, use Selectors, which shares that work between them.
func ResolveSelector(obj []byte, selector string) (json.RawMessage, error) {
	s, err := NewSelectors(obj)
	if err != nil {
		return nil, err
	}
	return s.Resolve(selector)
}

// Selectors resolves selectors against one object, indexing each object and
// list it walks through once, so that checking every selector of an object
// costs about one pass over it. Resolving each from scratch costs one pass
// per selector: a 500 KB object with 20,000 selectors into one list takes
// seconds that way and milliseconds this way. A Selectors is not safe for
// concurrent use.
type Selectors struct {
	ix *selectorIndex
}

// NewSelectors returns a Selectors for the STIX object obj, or an error if
// obj is not a JSON object. obj must not change while the Selectors is used.
func NewSelectors(obj []byte) (*Selectors, error) {
	obj = jsonscan.TrimSpace(obj)
	if !jsonscan.Valid(obj) {
		return nil, errNotJSON
	}
	if len(obj) == 0 || obj[0] != '{' {
		return nil, errNotObject
	}
	return &Selectors{newSelectorIndex(obj)}, nil
}

// Resolve is ResolveSelector on the Selectors' object. The budget behind
// ErrTooCostly covers all the calls together.
func (s *Selectors) Resolve(selector string) (json.RawMessage, error) {
	return s.ix.resolve(selector)
}

// ErrTooCostly reports selectors that would take too long to resolve: more
// walking through the object than 32 passes over it plus 1 MiB. Real objects
// come nowhere near that; it stops a crafted object, such as deeply nested
// lists walked by a long selector, from costing quadratic time.
var ErrTooCostly = errors.New("selectors too costly to resolve")

// scanBudget is how many bytes resolving the selectors of obj may walk
// through: 32 full passes over the object plus 1 MiB.
func scanBudget(obj []byte) int { return 32*len(obj) + 1<<20 }

// selectorIndex resolves selectors against one object. It indexes the
// children of each object and list that a selector walks through, once, so
// that many selectors into one large list cost one pass over it, not one
// each. Indexing a container charges its length to budget.
type selectorIndex struct {
	obj     []byte
	budget  int
	objects map[int]map[string]member // by the container's offset in obj
	lists   map[int][][]byte
}

// member is one name of an object; dup marks a name given more than once.
type member struct {
	value []byte
	dup   bool
}

func newSelectorIndex(obj []byte) *selectorIndex {
	return &selectorIndex{obj: obj, budget: scanBudget(obj)}
}

// offset returns where sub, a subslice of ix.obj, starts in it.
func (ix *selectorIndex) offset(sub []byte) int { return cap(ix.obj) - cap(sub) }

// charge spends n bytes of the budget.
func (ix *selectorIndex) charge(n int) error {
	if ix.budget -= n; ix.budget < 0 {
		return ErrTooCostly
	}
	return nil
}

// members returns the members of the object container, by unescaped name.
func (ix *selectorIndex) members(container []byte) (map[string]member, error) {
	off := ix.offset(container)
	if m, ok := ix.objects[off]; ok {
		return m, nil
	}
	if err := ix.charge(len(container)); err != nil {
		return nil, err
	}
	m := map[string]member{}
	it := jsonscan.NewObjectIter(container)
	for it.Next() {
		name, _ := jsonscan.String(it.Name())
		_, seen := m[string(name)]
		m[string(name)] = member{value: it.Value(), dup: seen}
	}
	if ix.objects == nil {
		ix.objects = map[int]map[string]member{}
	}
	ix.objects[off] = m
	return m, nil
}

// elements returns the elements of the list container.
func (ix *selectorIndex) elements(container []byte) ([][]byte, error) {
	off := ix.offset(container)
	if l, ok := ix.lists[off]; ok {
		return l, nil
	}
	if err := ix.charge(len(container)); err != nil {
		return nil, err
	}
	var l [][]byte
	it := jsonscan.NewArrayIter(container)
	for it.Next() {
		l = append(l, it.Value())
	}
	if ix.lists == nil {
		ix.lists = map[int][][]byte{}
	}
	ix.lists[off] = l
	return l, nil
}

// resolve is ResolveSelector on an object already checked to be valid JSON.
func (ix *selectorIndex) resolve(selector string) (json.RawMessage, error) {
	cur := ix.obj
	rest := selector
	for {
		comp, tail, more := strings.Cut(rest, ".")
		// where names the content cur holds, for messages.
		where := strings.TrimSuffix(selector[:len(selector)-len(rest)], ".")
		if where == "" {
			where = "the object"
		}
		switch {
		case comp == "":
			return nil, &SelectorError{selector, "empty component"}
		case comp[0] == '[':
			index, ok := parseIndex(comp)
			if !ok {
				return nil, &SelectorError{selector, "component " + strconv.Quote(comp) + " is neither a property name nor a list index like [0]"}
			}
			if cur[0] != '[' {
				return nil, &SelectorError{selector, where + " is " + kind(cur) + ", not a list"}
			}
			list, err := ix.elements(cur)
			if err != nil {
				return nil, err
			}
			if index >= len(list) {
				return nil, &SelectorError{selector, where + " has " + plural(len(list), "item") + ", no [" + strconv.Itoa(index) + "]"}
			}
			cur = list[index]
		default:
			if !validKey(comp) {
				return nil, &SelectorError{selector, "component " + strconv.Quote(comp) + " is neither a property name nor a list index like [0]"}
			}
			if cur[0] != '{' {
				return nil, &SelectorError{selector, where + " is " + kind(cur) + ", not an object"}
			}
			m, err := ix.members(cur)
			if err != nil {
				return nil, err
			}
			found, ok := m[comp]
			switch {
			case !ok && where == "the object":
				return nil, &SelectorError{selector, "the object has no property " + comp}
			case !ok:
				return nil, &SelectorError{selector, where + " has no property " + comp}
			case found.dup:
				return nil, &SelectorError{selector, where + " has property " + comp + " twice"}
			}
			cur = found.value
		}
		if !more {
			return cur, nil
		}
		rest = tail
	}
}

// parseIndex reads a list index component such as "[12]": a non-negative
// decimal integer without leading zeros, so that each item has one spelling
// (internal/stix's validator reads indexes the same way).
func parseIndex(comp string) (int, bool) {
	if len(comp) < 3 || comp[0] != '[' || comp[len(comp)-1] != ']' {
		return 0, false
	}
	digits := comp[1 : len(comp)-1]
	if len(digits) > maxIndexDigits || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// validKey reports whether comp may be a STIX property name or dictionary
// key: ASCII letters, digits, hyphen and underscore (STIX 2.1 sections 3.1
// and 2.8 limit them so).
func validKey(comp string) bool {
	for i := 0; i < len(comp); i++ {
		c := comp[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return comp != ""
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
