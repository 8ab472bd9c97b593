package stix

import (
	"errors"

	"github.com/stixhub/stixhub/internal/jsonscan"
	stixmarking "github.com/stixhub/stixhub/internal/marking"
)

// Granular markings (section 7.2.3) mark parts of an object, named by
// selectors such as "external_references.[0].source_name". A selector must
// resolve to content actually present in the object. internal/marking
// resolves them, here and when it computes an object's effective markings,
// so that the hub accepts exactly the selectors it can later enforce
// markings on.

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
// checked. The object's selectors share one stixmarking.Selectors, made on
// the first, so that checking them all costs about one pass over the object
// and at most the budget behind stixmarking.ErrTooCostly.
func checkSelector(c *checker, raw []byte) {
	sel, ok := jsonscan.String(raw)
	if !ok {
		c.add("", "must be a string")
		return
	}
	if c.selectorsTooCostly {
		return // reported once, at the selector that spent the budget
	}
	if c.selectors == nil {
		s, err := stixmarking.NewSelectors(c.data)
		if err != nil {
			// Not reached: Parse has checked that c.data is a JSON object.
			c.add("", "cannot resolve selectors: "+err.Error())
			return
		}
		c.selectors = s
	}
	_, err := c.selectors.Resolve(string(sel))
	switch {
	case err == nil:
	case errors.Is(err, stixmarking.ErrTooCostly):
		c.selectorsTooCostly = true
		c.add("", err.Error()+"; the remaining selectors are not checked")
	default:
		// A *stixmarking.SelectorError, which names the selector and says
		// what does not resolve: `selector "labels.[5]": labels has 2
		// items, no [5]`.
		c.add("", err.Error())
	}
}
