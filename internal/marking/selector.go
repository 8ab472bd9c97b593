package marking

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"slices"
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

// maxKeyLen is the longest property name or dictionary key STIX 2.1 allows,
// and the longest internal/stix accepts in the objects it checks.
const maxKeyLen = 250

// ResolveSelector finds the content that a granular-marking selector selects
// in the STIX object obj and returns its raw JSON (a subslice of obj).
//
// A selector is a path of components separated by "." (STIX 2.1 section
// 7.2.3.1): each is a property name or dictionary key, such as description,
// or a zero-based list index in brackets, such as [0]; the path starts at the
// object itself. So "description", "labels.[1]" and
// "external_references.[0].source_name" are selectors. Property names and
// dictionary keys are 1 to 250 ASCII letters, digits, hyphens and
// underscores, as STIX 2.1 limits them, and are compared with the object's
// names exactly, after unescaping. An index is a decimal integer of at most 9
// digits without leading zeros or sign, so that each list item has one
// spelling: Effective compares selectors as text to find which content
// encloses which, and "labels.[01]" beside "labels.[1]" would defeat that.
// There is no quoting: a name holding other characters cannot be selected.
// A selector may select any kind of value, including a string as a whole,
// but nothing inside a string.
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
	ix selectorIndex
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
	return newSelectors(obj), nil
}

// newSelectors returns a Selectors for obj, already checked to be a JSON
// object.
func newSelectors(obj []byte) *Selectors {
	s := &Selectors{ix: selectorIndex{obj: obj, budget: scanBudget(obj)}}
	s.ix.members = s.ix.memberBuf[:0]
	s.ix.elements = s.ix.elementBuf[:0]
	return s
}

// Resolve is ResolveSelector on the Selectors' object. The budget behind
// ErrTooCostly covers all the calls together: once it is spent, selectors
// through content not yet indexed return ErrTooCostly.
func (s *Selectors) Resolve(selector string) (json.RawMessage, error) {
	return s.ix.resolve(selector)
}

// ErrTooCostly reports selectors that would take too long to resolve: more
// walking through the object than 16 passes over it plus 1 MiB. Real objects
// come nowhere near that; it stops a crafted object, such as deeply nested
// lists walked by a long selector, from costing quadratic time.
var ErrTooCostly = errors.New("selectors too costly to resolve: they would walk through the object more than 16 times")

// scanBudget is how many bytes resolving the selectors of obj may walk
// through: 16 full passes over the object plus 1 MiB. Each container is
// indexed once, so real objects need about as many passes as their selectors
// go deep, a handful. 16 bounds a hostile 500 KB object at tens of
// milliseconds, and admits every object that internal/stix accepted when it
// charged each selector's walk apart (at most 9 passes plus 64 KiB), so no
// object already stored becomes too costly.
func scanBudget(obj []byte) int { return 16*len(obj) + 1<<20 }

// selectorIndex resolves selectors against one object. It indexes the
// children of each object and list that a selector walks through, once, so
// that many selectors into one large list cost one pass over it, not one
// each. Indexing a container charges its length to budget.
type selectorIndex struct {
	obj    []byte
	budget int
	// few and more hold the containers indexed so far, by their offset in
	// obj: the first in few, which spares a map for most objects.
	few  [4]indexed
	nfew int
	more map[int]container
	// members and elements back the containers' slices, so that indexing
	// a container does not allocate each time; the buffers hold the first
	// ones, enough for most objects.
	members    []member
	elements   []span
	memberBuf  [24]member
	elementBuf [8]span
}

// span is where a value lies in the object: obj[start:end]. Offsets rather
// than slices keep the elements of long lists free of pointers, which the
// garbage collector would scan.
type span struct{ start, end int }

// indexed is a container and its offset in the object.
type indexed struct {
	off int
	c   container
}

// container is the index of one object (members) or list (elements).
type container struct {
	members  []member // in input order, or sorted by name if sorted
	sorted   bool
	elements []span
}

// smallObject is the most members an object may have for its index to be
// searched in order rather than sorted and searched by halves: for the
// small objects STIX is mostly made of, that is faster than sorting.
const smallObject = 32

// member is one member of an object, its name unescaped.
type member struct{ name, value []byte }

// offset returns where sub, a subslice of ix.obj, starts in it.
func (ix *selectorIndex) offset(sub []byte) int { return cap(ix.obj) - cap(sub) }

// charge spends n bytes of the budget.
func (ix *selectorIndex) charge(n int) error {
	if ix.budget -= n; ix.budget < 0 {
		return ErrTooCostly
	}
	return nil
}

// index returns the index of the object or list raw, a subslice of ix.obj,
// making it on first use.
func (ix *selectorIndex) index(raw []byte) (container, error) {
	off := ix.offset(raw)
	for _, f := range ix.few[:ix.nfew] {
		if f.off == off {
			return f.c, nil
		}
	}
	if c, ok := ix.more[off]; ok {
		return c, nil
	}
	if err := ix.charge(len(raw)); err != nil {
		return container{}, err
	}
	var c container
	if raw[0] == '{' {
		start := len(ix.members)
		it := jsonscan.NewObjectIter(raw)
		for it.Next() {
			name, _ := jsonscan.String(it.Name())
			ix.members = append(ix.members, member{name: name, value: it.Value()})
		}
		c.members = ix.members[start:len(ix.members):len(ix.members)]
		if len(c.members) > smallObject {
			slices.SortFunc(c.members, func(a, b member) int { return bytes.Compare(a.name, b.name) })
			c.sorted = true
		}
	} else {
		start := len(ix.elements)
		it := jsonscan.NewArrayIter(raw)
		for it.Next() {
			v := it.Value()
			at := ix.offset(v)
			ix.elements = append(ix.elements, span{at, at + len(v)})
		}
		c.elements = ix.elements[start:len(ix.elements):len(ix.elements)]
	}
	switch {
	case ix.nfew < len(ix.few):
		ix.few[ix.nfew] = indexed{off, c}
		ix.nfew++
	case ix.more == nil:
		ix.more = map[int]container{off: c}
	default:
		ix.more[off] = c
	}
	return c, nil
}

// lookup finds the member called name, and reports whether the object
// gives that name more than once.
func (c container) lookup(name string) (value []byte, found, twice bool) {
	if c.sorted {
		i, found := slices.BinarySearchFunc(c.members, name, compareName)
		if !found {
			return nil, false, false
		}
		twice = i+1 < len(c.members) && string(c.members[i+1].name) == name
		return c.members[i].value, true, twice
	}
	for _, m := range c.members {
		if string(m.name) == name {
			if found {
				return value, true, true
			}
			value, found = m.value, true
		}
	}
	return value, found, false
}

// compareName orders member m against the name name, as bytes.
func compareName(m member, name string) int {
	n := min(len(m.name), len(name))
	for i := range n {
		if m.name[i] != name[i] {
			return cmp.Compare(m.name[i], name[i])
		}
	}
	return cmp.Compare(len(m.name), len(name))
}

// resolve is ResolveSelector on an object already checked to be valid JSON.
func (ix *selectorIndex) resolve(selector string) (json.RawMessage, error) {
	if selector == "" {
		return nil, &SelectorError{selector, "empty selector"}
	}
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
				if where == "the object" {
					return nil, &SelectorError{selector, "the object is not a list: a selector starts with a property name"}
				}
				return nil, &SelectorError{selector, where + " is " + kind(cur) + ", not a list"}
			}
			list, err := ix.index(cur)
			if err != nil {
				return nil, err
			}
			if index >= len(list.elements) {
				return nil, &SelectorError{selector, where + " has " + plural(len(list.elements), "item") + ", no [" + strconv.Itoa(index) + "]"}
			}
			e := list.elements[index]
			cur = ix.obj[e.start:e.end]
		default:
			if !validKey(comp) {
				return nil, &SelectorError{selector, "component " + strconv.Quote(comp) + " is neither a property name nor a list index like [0]"}
			}
			if len(comp) > maxKeyLen {
				return nil, &SelectorError{selector, "component " + strconv.Quote(comp[:16]+"…") + " has " + strconv.Itoa(len(comp)) +
					" characters; property names and dictionary keys have at most " + strconv.Itoa(maxKeyLen)}
			}
			if cur[0] != '{' {
				return nil, &SelectorError{selector, where + " is " + kind(cur) + ", not an object"}
			}
			object, err := ix.index(cur)
			if err != nil {
				return nil, err
			}
			value, found, twice := object.lookup(comp)
			switch {
			case !found && where == "the object":
				return nil, &SelectorError{selector, "the object has no property " + comp}
			case !found:
				return nil, &SelectorError{selector, where + " has no property " + comp}
			case twice:
				return nil, &SelectorError{selector, where + " has property " + comp + " twice"}
			}
			cur = value
		}
		if !more {
			return cur, nil
		}
		rest = tail
	}
}

// parseIndex reads a list index component such as "[12]": a non-negative
// decimal integer of at most maxIndexDigits digits without leading zeros, so
// that each item has one spelling.
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

// validKey reports whether comp is made of the characters of a STIX property
// name or dictionary key: ASCII letters, digits, hyphen and underscore (STIX
// 2.1 sections 3.1 and 2.8 limit them so). The length limit, maxKeyLen, is
// checked apart, for a clearer message.
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
