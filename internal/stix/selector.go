package stix

import (
	"errors"
	"strconv"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

// Granular markings (section 7.2.3) mark parts of an object, named by
// selectors: property names or dictionary keys and zero-based list indexes
// "[n]", separated by '.', e.g. "external_references.[0].source_name".
// A selector must resolve to content actually present in the object.

// granularMarkingSpec is the granular-marking type.
var granularMarkingSpec = newObjectSpec("granular marking",
	opt("lang", checkLangTag),
	opt("marking_ref", refTo("must reference a marking-definition", "marking-definition")),
	req("selectors", listOf(checkSelector)),
).with(func(c *checker, raw []byte) {
	_, lang := lookupMember(raw, "lang")
	_, ref := lookupMember(raw, "marking_ref")
	switch {
	case lang && ref:
		c.add("", "must have exactly one of marking_ref and lang, not both")
	case !lang && !ref:
		c.add("", "must have marking_ref (a data marking) or lang (a language marking)")
	}
})

// checkSelector requires a selector that resolves against the object being
// checked.
func checkSelector(c *checker, raw []byte) {
	sel, ok := jsonscan.String(raw)
	if !ok {
		c.add("", "must be a string")
		return
	}
	first, rest, problem := splitSelector(sel)
	if problem == "" {
		if first[0] == '[' {
			problem = "selector " + strconv.Quote(string(sel)) + " selects nothing: the object is not a list"
		} else if v, found := c.props.get(string(first)); !found {
			problem = "selector " + strconv.Quote(string(sel)) + " selects nothing: the object has no property " + string(first)
		} else if c.selectorBudget < 0 {
			return // reported once, when the budget ran out
		} else {
			problem = walkSelector(sel, first, v, rest, &c.selectorBudget)
			if c.selectorBudget < 0 {
				problem = "granular markings too costly to check: the selectors walk more than " +
					strconv.Itoa(selectorBudget(c.size)) + " bytes; the remaining selectors are not checked"
			}
		}
	}
	if problem != "" {
		c.add("", problem)
	}
}

// selectorBudget is the number of bytes the selectors of an object of size
// bytes may walk in all: far more than real objects need, but a bound on the
// work of a hostile object with thousands of selectors into a long list.
func selectorBudget(size int) int { return 8*size + 1<<16 }

// ResolveSelector reports whether selector, a granular marking selector
// (STIX 2.1 section 7.2.3), selects content present in obj, the JSON text of
// a STIX object: it returns nil if so, else an error saying why not, for
// example that a component is not a property of the object or that an
// index is beyond the end of a list.
func ResolveSelector(obj []byte, selector string) error {
	obj = jsonscan.TrimSpace(obj)
	if len(obj) == 0 || obj[0] != '{' || !jsonscan.Valid(obj) {
		return errors.New("not a JSON object")
	}
	sel := []byte(selector)
	first, rest, problem := splitSelector(sel)
	if problem == "" {
		if first[0] == '[' {
			problem = "selector " + strconv.Quote(selector) + " selects nothing: the object is not a list"
		} else if v, found := lookupMember(obj, string(first)); !found {
			problem = "selector " + strconv.Quote(selector) + " selects nothing: the object has no property " + string(first)
		} else {
			budget := selectorBudget(len(obj))
			problem = walkSelector(sel, first, v, rest, &budget)
		}
	}
	if problem != "" {
		return errors.New(problem)
	}
	return nil
}

// splitSelector checks the syntax of sel and returns its first component
// and the rest (after the '.'), or a description of the syntax error.
func splitSelector(sel []byte) (first, rest []byte, problem string) {
	if len(sel) == 0 {
		return nil, nil, "selector must not be empty"
	}
	for s := sel; ; {
		comp, more, found := cutDot(s)
		if !validComponent(comp) {
			return nil, nil, "invalid selector " + strconv.Quote(string(sel)) +
				": components must be property names or list indexes [n], separated by '.'"
		}
		if !found {
			break
		}
		s = more
	}
	first, rest, _ = cutDot(sel)
	return first, rest, ""
}

// cutDot splits s at its first '.'.
func cutDot(s []byte) (before, after []byte, found bool) {
	for i, b := range s {
		if b == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return s, nil, false
}

// validComponent reports whether comp is a property name or dictionary key
// (characters a-z, A-Z, 0-9, '-' and '_') or a list index "[n]".
func validComponent(comp []byte) bool {
	if len(comp) == 0 {
		return false
	}
	if comp[0] == '[' {
		_, ok := componentIndex(comp)
		return ok
	}
	return isDictKey(comp, 1)
}

// componentIndex parses the list index "[n]": a non-negative decimal
// integer without leading zeros.
func componentIndex(comp []byte) (int, bool) {
	if len(comp) < 3 || comp[0] != '[' || comp[len(comp)-1] != ']' {
		return 0, false
	}
	num := comp[1 : len(comp)-1]
	if len(num) > 9 || num[0] == '0' && len(num) > 1 {
		return 0, false
	}
	return digits(num)
}

// walkSelector follows the components in rest from v, the value selected by
// the component done, and returns "" if the whole selector sel resolves.
// Each step is charged the size of the value it walks against *budget; the
// walk stops, returning "", once the budget is spent.
func walkSelector(sel, done, v, rest []byte, budget *int) string {
	for len(rest) > 0 {
		if *budget -= len(v); *budget < 0 {
			return ""
		}
		comp, more, _ := cutDot(rest)
		if comp[0] == '[' {
			if v[0] != '[' {
				return "selector " + strconv.Quote(string(sel)) + " selects nothing: " + string(done) + " is " + jsonscan.Kind(v) + ", not a list"
			}
			i, _ := componentIndex(comp)
			it := jsonscan.NewArrayIter(v)
			found := false
			for it.Next() {
				if it.Index() == i {
					v, found = it.Value(), true
					break
				}
			}
			if !found {
				return "selector " + strconv.Quote(string(sel)) + " selects nothing: " + string(done) + " has " +
					strconv.Itoa(it.Index()+1) + " items, no index " + strconv.Itoa(i)
			}
		} else {
			if v[0] != '{' {
				return "selector " + strconv.Quote(string(sel)) + " selects nothing: " + string(done) + " is " + jsonscan.Kind(v) + ", not an object"
			}
			next, found := lookupMember(v, string(comp))
			if !found {
				return "selector " + strconv.Quote(string(sel)) + " selects nothing: " + string(done) + " has no property " + string(comp)
			}
			v = next
		}
		done = sel[:len(sel)-len(more)-boolInt(len(more) > 0)]
		rest = more
	}
	return ""
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
