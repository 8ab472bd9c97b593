package stix

import (
	"bytes"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Validation is a list of rules run over an object's top-level properties.
// A propRule checks one property (presence and value); an objectRule checks
// a relation between properties. Every object gets the common rules below;
// typeSpecs (types.go) adds each type's own. Rules never stop at the first
// problem: each reports what it finds through checker.add.

// propRule checks one top-level property.
type propRule struct {
	// name is the property name.
	name string
	// requiredIn lists the classes whose objects must have the property.
	requiredIn classSet
	// check validates a present value; field is the property's JSON path.
	check valueCheck
}

// valueCheck validates the raw JSON value of a property at path field.
type valueCheck func(c *checker, field string, raw []byte)

// objectRule checks a relation between properties of one object. It runs
// after the property rules and stays silent about properties that are
// missing or malformed, which those rules have already reported.
type objectRule func(c *checker)

// Classes that must carry each common property.
var (
	versionedClasses = setOf(classSDO, classSRO, classMarking, classMeta, classCustom)
	modifiedClasses  = setOf(classSDO, classSRO, classMeta, classCustom)
	allClasses       = setOf(classUnknown, classSDO, classSRO, classSCO, classMarking, classMeta, classCustom)
)

// commonProps are checked on every object, in this order. Read-only.
// type and id are checked before these, by checkTypeAndID, because the other
// rules depend on them.
var commonProps = []propRule{
	{name: "spec_version", requiredIn: versionedClasses, check: checkSpecVersion},
	{name: "created", requiredIn: versionedClasses, check: checkTimestamp},
	{name: "modified", requiredIn: modifiedClasses, check: checkTimestamp},
	{name: "created_by_ref", check: checkRefTo("identity", "must reference an identity")},
	{name: "revoked", check: checkBool},
	{name: "labels", check: checkListOf(checkString)},
	{name: "confidence", check: checkConfidence},
	{name: "external_references", check: checkListOf(checkExternalReference)},
	{name: "object_marking_refs", check: checkListOf(checkRefTo("marking-definition", "must reference a marking-definition"))},
}

// commonRules are the cross-property rules checked on every object. Read-only.
var commonRules = []objectRule{
	checkModifiedNotBeforeCreated,
}

// indicatorProps are the indicator's own property rules. Read-only.
var indicatorProps = []propRule{
	// Pattern syntax is checked by internal/pattern, not here.
	{name: "pattern", requiredIn: allClasses, check: checkNonEmptyString},
	{name: "pattern_type", requiredIn: allClasses, check: checkNonEmptyString},
	{name: "valid_from", requiredIn: allClasses, check: checkTimestamp},
	{name: "valid_until", check: checkTimestamp},
}

// indicatorRules are the indicator's cross-property rules. Read-only.
var indicatorRules = []objectRule{
	checkValidUntilAfterValidFrom,
}

// relationshipProps are the relationship's own property rules. Read-only.
var relationshipProps = []propRule{
	{name: "relationship_type", requiredIn: allClasses, check: checkNonEmptyString},
	{name: "source_ref", requiredIn: allClasses, check: checkIdentifier},
	{name: "target_ref", requiredIn: allClasses, check: checkIdentifier},
}

// maxViolations bounds the violations kept for one object, so that a large
// hostile input (say a million bad labels) cannot turn into an error message
// many times its own size.
const maxViolations = 100

// checker holds the state of one validation.
type checker struct {
	buf       [24]member // backing store for props.list: one allocation
	props     members
	stamps    [4]stamp // timestamps already parsed, for rules that compare them
	nstamps   int
	class     class
	typ       string // the object's type, "" if missing or malformed
	vs        []Violation
	truncated bool
}

// add records a violation.
func (c *checker) add(field, description string) {
	if len(c.vs) >= maxViolations {
		c.truncated = true
		return
	}
	c.vs = append(c.vs, Violation{Field: field, Description: description})
}

// runProps applies rules to the object's properties.
func (c *checker) runProps(rules []propRule) {
	for i := range rules {
		r := &rules[i]
		raw, ok := c.props.get(r.name)
		switch {
		case ok:
			r.check(c, r.name, raw)
		case r.requiredIn.has(c.class):
			c.add(r.name, "required")
		}
	}
}

// runRules applies cross-property rules.
func (c *checker) runRules(rules []objectRule) {
	for _, r := range rules {
		r(c)
	}
}

// stamp is a parsed timestamp property.
type stamp struct {
	name string
	t    time.Time
	ok   bool
}

// timestamp returns the property name parsed as a timestamp, if it is present
// and well formed. Results are cached: cross-property rules and Object need
// the values the property rules have already parsed.
func (c *checker) timestamp(name string) (time.Time, bool) {
	for _, s := range c.stamps[:c.nstamps] {
		if s.name == name {
			return s.t, s.ok
		}
	}
	var t time.Time
	raw, ok := c.props.get(name)
	if ok {
		var s []byte
		if s, ok = jsonString(raw); ok {
			t, ok = parseTimestamp(s)
		}
	}
	if c.nstamps < len(c.stamps) {
		c.stamps[c.nstamps] = stamp{name: name, t: t, ok: ok}
		c.nstamps++
	}
	return t, ok
}

// checkTypeAndID checks type and id, which every object needs, and sets the
// checker's type and class. It returns the type's spec (zero when the type is
// not known) and the object's id when it is a well-formed identifier, else "".
func (c *checker) checkTypeAndID() (spec typeSpec, id string) {
	raw, ok := c.props.get("type")
	switch s, isString := jsonString(raw); {
	case !ok:
		c.add("type", "required")
	case !isString:
		c.add("type", "must be a string")
	case !isValidType(s):
		c.add("type", "invalid type name: must be 3-250 characters of a-z, 0-9 and '-', start with a letter and not contain '--'")
	case string(s) == "bundle":
		c.typ = "bundle"
		c.add("type", "a bundle is not an object; publish its objects")
	default:
		if spec, ok = lookupType(s); ok {
			c.typ = spec.name
			c.class = spec.class
		} else {
			c.typ = string(s)
			c.add("type", "unknown STIX type")
		}
	}

	raw, ok = c.props.get("id")
	s, isString := jsonString(raw)
	switch {
	case !ok:
		c.add("id", "required")
	case !isString:
		c.add("id", "must be a string")
	default:
		prefix, problem := identifierProblem(s)
		switch {
		case problem != "":
			c.add("id", problem)
		case c.typ != "" && string(prefix) != c.typ:
			c.add("id", "must start with \""+c.typ+"--\", the object's type")
			id = string(s)
		default:
			id = string(s)
		}
	}
	return spec, id
}

// identifierProblem checks that s is a STIX identifier "<type>--<UUID>" and
// returns its type prefix, or a description of what is wrong with it. STIX
// 2.1 requires an RFC 4122 UUID of any version (SCOs use UUIDv5); the hub
// also requires the canonical lower-case form, so that an object has exactly
// one spelling of its id (ids are storage keys and subjects).
func identifierProblem(s []byte) (prefix []byte, problem string) {
	i := bytes.Index(s, []byte("--"))
	if i < 0 {
		return nil, "must be an identifier <type>--<UUID>"
	}
	prefix, u := s[:i], s[i+2:]
	if !isValidType(prefix) {
		return nil, "must be an identifier <type>--<UUID>: invalid type name"
	}
	if len(u) != 36 {
		return nil, "invalid UUID: must be 36 characters xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
	}
	parsed, err := uuid.ParseBytes(u)
	if err != nil {
		return nil, "invalid UUID: must be hex digits xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
	}
	if bytes.ContainsAny(u, "ABCDEF") {
		return nil, "invalid UUID: hex digits must be lower case"
	}
	if parsed.Variant() != uuid.RFC4122 {
		return nil, "invalid UUID: must be an RFC 4122 variant UUID"
	}
	return prefix, ""
}

// checkIdentifier requires a STIX identifier of any type.
func checkIdentifier(c *checker, field string, raw []byte) {
	s, ok := jsonString(raw)
	if !ok {
		c.add(field, "must be a string identifier <type>--<UUID>")
		return
	}
	if _, problem := identifierProblem(s); problem != "" {
		c.add(field, problem)
	}
}

// checkRefTo returns a check requiring an identifier of type want; describe
// is the description used when it is anything else.
func checkRefTo(want, describe string) valueCheck {
	return func(c *checker, field string, raw []byte) {
		s, ok := jsonString(raw)
		if !ok {
			c.add(field, describe)
			return
		}
		prefix, problem := identifierProblem(s)
		switch {
		case problem != "":
			c.add(field, describe+": "+problem)
		case string(prefix) != want:
			c.add(field, describe)
		}
	}
}

// checkSpecVersion requires "2.1", the only version the hub accepts.
func checkSpecVersion(c *checker, field string, raw []byte) {
	if s, ok := jsonString(raw); !ok || string(s) != "2.1" {
		c.add(field, `must be "2.1"`)
	}
}

// checkTimestamp requires a STIX timestamp. It must only be used for
// top-level properties (field is the property name): it caches the value.
func checkTimestamp(c *checker, field string, raw []byte) {
	if _, ok := c.timestamp(field); !ok {
		c.add(field, timestampHint)
	}
}

// checkString requires a JSON string.
func checkString(c *checker, field string, raw []byte) {
	if _, ok := jsonString(raw); !ok {
		c.add(field, "must be a string")
	}
}

// checkNonEmptyString requires a JSON string other than "".
func checkNonEmptyString(c *checker, field string, raw []byte) {
	// A string literal is empty only when it is exactly "": escapes always
	// stand for at least one character.
	if _, ok := jsonString(raw); !ok || len(raw) == 2 {
		c.add(field, "must be a non-empty string")
	}
}

// checkBool requires true or false.
func checkBool(c *checker, field string, raw []byte) {
	if s := string(raw); s != "true" && s != "false" {
		c.add(field, "must be a boolean")
	}
}

// checkConfidence requires an integer from 0 to 100. A JSON number with a
// fraction or exponent (50.0, 5e1) is not an integer in STIX.
func checkConfidence(c *checker, field string, raw []byte) {
	n, err := strconv.Atoi(string(raw))
	if err != nil || n < 0 || n > 100 {
		c.add(field, "must be an integer from 0 to 100")
	}
}

// checkListOf returns a check requiring a JSON array whose every element
// passes elem; element paths are field[i].
func checkListOf(elem valueCheck) valueCheck {
	return func(c *checker, field string, raw []byte) {
		it := newArrayIter(raw)
		if it.err {
			c.add(field, "must be an array")
			return
		}
		for it.next() {
			// The element check reports paths relative to the element;
			// prefix them afterwards, so that the common case (no
			// violation) builds no path strings.
			n := len(c.vs)
			elem(c, "", it.value)
			if len(c.vs) > n {
				prefix := field + "[" + strconv.Itoa(it.index) + "]"
				for i := n; i < len(c.vs); i++ {
					c.vs[i].Field = joinPath(prefix, c.vs[i].Field)
				}
			}
		}
	}
}

// joinPath joins a JSON path and a sub-path: either may be "" (the value
// itself); a non-empty sub-path is a member name.
func joinPath(prefix, sub string) string {
	switch {
	case sub == "":
		return prefix
	case prefix == "":
		return sub
	}
	return prefix + "." + sub
}

// checkExternalReference requires an external reference object with a
// source_name string. Its other properties are a later issue.
func checkExternalReference(c *checker, field string, raw []byte) {
	it := newObjectIter(raw)
	if it.err {
		c.add(field, "must be an object")
		return
	}
	var sourceName []byte
	for it.next() {
		if name, ok := jsonString(it.name); ok && string(name) == "source_name" {
			sourceName = it.value
			break
		}
	}
	switch {
	case sourceName == nil:
		c.add(joinPath(field, "source_name"), "required")
	default:
		checkString(c, joinPath(field, "source_name"), sourceName)
	}
}

// checkModifiedNotBeforeCreated: a version cannot predate the object.
func checkModifiedNotBeforeCreated(c *checker) {
	created, ok1 := c.timestamp("created")
	modified, ok2 := c.timestamp("modified")
	if ok1 && ok2 && modified.Before(created) {
		c.add("modified", "must not be before created")
	}
}

// checkValidUntilAfterValidFrom: an indicator must be valid for some time.
func checkValidUntilAfterValidFrom(c *checker) {
	from, ok1 := c.timestamp("valid_from")
	until, ok2 := c.timestamp("valid_until")
	if ok1 && ok2 && !until.After(from) {
		c.add("valid_until", "must be after valid_from")
	}
}
