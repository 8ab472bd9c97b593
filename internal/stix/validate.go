package stix

import (
	"bytes"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/stixhub/stixhub/internal/jsonscan"
	stixmarking "github.com/stixhub/stixhub/internal/marking"
)

// Validation is a list of rules run over an object's properties. A
// propRule checks one property (presence and value kind); an objectRule
// checks a relation between properties. Every object gets the common rules
// below; typeSpecs (types.go, spec_*.go) adds each type's own. Properties
// that neither define are custom properties and must follow the naming
// rules of sections 7.3.2 and 11.1. Rules never stop at the first problem:
// each reports what it finds through checker.add.

// Classes that must carry each common property.
var (
	versionedClasses = setOf(classSDO, classSRO, classMarking, classLanguage, classExtension, classCustom)
	modifiedClasses  = setOf(classSDO, classSRO, classLanguage, classExtension, classCustom)
)

// commonProps are the common properties (section 3.2), checked on every
// object in this order. Read-only. type and id are checked before these, by
// checkTypeAndID, because the other rules depend on them.
var commonProps = []propRule{
	reqIn(versionedClasses, "spec_version", checkSpecVersion),
	reqIn(versionedClasses, "created", versionStamp("created")),
	reqIn(modifiedClasses, "modified", versionStamp("modified")),
	reqIn(setOf(classExtension), "created_by_ref", refTo("must reference an identity", "identity")),
	opt("revoked", checkBool),
	opt("labels", listOfStrings),
	opt("confidence", intIn(0, 100, "must be an integer from 0 to 100")),
	opt("lang", checkLangTag),
	opt("external_references", listOf(objectOf(externalReferenceSpec))),
	opt("object_marking_refs", listOf(refTo("must reference a marking-definition", "marking-definition"))),
	opt("granular_markings", listOf(objectOf(granularMarkingSpec))),
	opt("defanged", checkDefanged),
	opt("extensions", checkExtensions),
}

// commonRules are the cross-property rules checked on every object. Read-only.
var commonRules = []objectRule{
	timeOrder("created", "modified", false, "must not be before created"),
}

// externalReferenceSpec is the external-reference type (section 2.5).
var externalReferenceSpec = newObjectSpec("external reference",
	req("source_name", checkString),
	opt("description", checkString),
	opt("url", checkURL),
	opt("hashes", checkHashes),
	opt("external_id", checkString),
).with(func(c *checker, raw []byte) {
	_, d := lookupMember(raw, "description")
	_, u := lookupMember(raw, "url")
	_, e := lookupMember(raw, "external_id")
	if !d && !u && !e {
		c.add("", "must have at least one of description, url or external_id besides source_name")
	}
})

// killChainPhaseSpec is the kill-chain-phase type (section 2.11).
var killChainPhaseSpec = newObjectSpec("kill chain phase",
	req("kill_chain_name", checkString),
	req("phase_name", checkString),
)

// listOfKillChainPhases checks a kill_chain_phases property.
var listOfKillChainPhases = listOf(objectOf(killChainPhaseSpec))

// reservedNames are the property names reserved by section 3.8; they must
// not appear in STIX content.
var reservedNames = []string{"severity", "username", "phone_number", "action"}

// maxViolations bounds the violations kept for one object, so that a large
// hostile input (say a million bad labels) cannot turn into an error message
// many times its own size.
const maxViolations = 100

// checker holds the state of one validation.
type checker struct {
	buf     [24]member // backing store for props.list: one allocation
	props   members
	stamps  [8]stamp // timestamps already parsed, for rules that compare them
	nstamps int
	class   class
	spec    *typeSpec // nil when the type is missing, malformed or unknown
	typ     string    // the object's type, "" if missing or malformed
	id      string    // the object's id when well formed, else ""
	defined uint64    // bit i: props.list[i] was checked by a property rule
	size    int       // length of the object's JSON text
	data    []byte    // the object's JSON text, for rules that read it whole
	// selectors resolves the granular marking selectors, made on the
	// first; selectorsTooCostly is set once they have spent its budget.
	selectors          *stixmarking.Selectors
	selectorsTooCostly bool
	opts               ParseOptions
	vs                 []Violation
	truncated          bool
}

// violationAt reports whether a violation was recorded at path.
func (c *checker) violationAt(path string) bool {
	for _, v := range c.vs {
		if v.Field == path {
			return true
		}
	}
	return false
}

// add records a violation.
func (c *checker) add(field, description string) {
	if len(c.vs) >= maxViolations {
		c.truncated = true
		return
	}
	c.vs = append(c.vs, Violation{Field: field, Description: description})
}

// prefix turns the paths of the violations recorded since the n-th, which
// are relative to a value, into paths relative to what contains the value:
// seg is the value's member name or "[i]" list index.
func (c *checker) prefix(n int, seg string) {
	for i := n; i < len(c.vs); i++ {
		c.vs[i].Field = joinPath(seg, c.vs[i].Field)
	}
}

// joinPath joins a path and a sub-path: either may be "" (the value
// itself); a sub-path starting with '[' is an index and needs no dot.
func joinPath(prefix, sub string) string {
	switch {
	case sub == "":
		return prefix
	case prefix == "":
		return sub
	case sub[0] == '[':
		return prefix + sub
	}
	return prefix + "." + sub
}

// has reports whether the object has the top-level property name.
func (c *checker) has(name string) bool {
	_, ok := c.props.get(name)
	return ok
}

// reqIn builds a rule for a property required in the classes of set.
func reqIn(set classSet, name string, check valueCheck) propRule {
	return propRule{name: name, requiredIn: set, check: check, hash: hashName(name)}
}

// runProps applies rules to the object's top-level properties, and marks
// the properties found as defined (not custom).
func (c *checker) runProps(rules []propRule) {
	for i := range rules {
		r := &rules[i]
		pos, _ := c.props.findHashed(r.name, r.hash)
		switch {
		case pos >= 0:
			if pos < 64 {
				c.defined |= 1 << pos
			}
			raw := c.props.list[pos].value
			n := len(c.vs)
			r.check(c, raw)
			c.prefix(n, r.name)
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

// checkCustomProperties applies the naming rules to every top-level
// property that the object's type does not define.
func (c *checker) checkCustomProperties() {
	if c.spec == nil {
		return // the type is unknown: nothing tells custom properties apart
	}
	for i := range c.props.list {
		m := &c.props.list[i]
		if i < 64 {
			// The property rules have marked the defined properties they
			// found; type and id are checked apart.
			if c.defined&(1<<i) != 0 || string(m.name) == "type" || string(m.name) == "id" {
				continue
			}
		} else if _, ok := c.spec.known[string(m.name)]; ok {
			continue
		}
		n := len(c.vs)
		c.checkCustomProperty(m.name, m.value)
		if len(c.vs) > n {
			c.prefix(n, keySegment(m.name))
		}
	}
}

// checkCustomProperty checks a property the specification does not define
// for where it appears: a custom property (section 11.1), a top-level or
// nested extension property (section 7.3), or a property of a custom
// object. Its name must be 3-250 characters of a-z, 0-9 and '_' and not
// reserved; a name ending in _ref or _refs holds identifiers (section 3.1),
// except that a custom *_ref may be "" (see below).
func (c *checker) checkCustomProperty(name, value []byte) {
	for _, r := range reservedNames {
		if string(name) == r {
			c.add("", "reserved property name: must not be used (STIX 2.1 section 3.8)")
			return
		}
	}
	switch {
	case !isPropertyName(name):
		c.add("", "invalid property name: custom and extension property names must be 3-250 characters of a-z, 0-9 and _")
	case bytes.HasSuffix(name, []byte("_refs")):
		checkRefsName(c, value)
	case bytes.HasSuffix(name, []byte("_ref")):
		// An empty string is tolerated in a custom *_ref: it refers to
		// nothing, and MITRE ATT&CK (the most used custom STIX content)
		// ships it on data components.
		if string(value) != `""` {
			checkRefName(c, value)
		}
	}
}

// checkRefName and checkRefsName hold custom properties named *_ref and
// *_refs to what their names promise.
var (
	checkRefName  = refTo("a property named *_ref must hold an identifier <type>--<UUID>")
	checkRefsName = listOf(refTo("a property named *_refs must hold a list of identifiers <type>--<UUID>"))
)

// stamp is a parsed timestamp property.
type stamp struct {
	name string
	t    time.Time
	ok   bool
}

// timestamp returns the top-level property name parsed as a timestamp, if
// it is present and well formed. Results are cached: cross-property rules
// and Object need the values the property rules have already parsed.
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
		if s, ok = jsonscan.String(raw); ok {
			t, ok = parseTimestamp(s)
		}
	}
	if c.nstamps < len(c.stamps) {
		c.stamps[c.nstamps] = stamp{name: name, t: t, ok: ok}
		c.nstamps++
	}
	return t, ok
}

// tsProp returns the rule for the top-level timestamp property name; its
// value is cached for the cross-property rules.
func tsProp(name string, required bool) propRule {
	r := opt(name, func(c *checker, raw []byte) {
		if _, ok := c.timestamp(name); !ok {
			c.add("", timestampHint)
		}
	})
	if required {
		r.requiredIn = allClasses
	}
	return r
}

// versionStamp returns the check of created or modified: a timestamp of
// at least millisecond precision (section 3.2).
func versionStamp(name string) valueCheck {
	return func(c *checker, raw []byte) {
		if _, ok := c.timestamp(name); !ok {
			c.add("", timestampHint)
			return
		}
		if s, _ := jsonscan.String(raw); len(s) < len("2006-01-02T15:04:05.000Z") || s[19] != '.' {
			c.add("", "must have at least millisecond precision, e.g. 2016-05-12T08:17:27.000Z")
		}
	}
}

// timeOrder returns a rule requiring the timestamp later to be after
// (strict) or not before the timestamp earlier, when both are valid.
func timeOrder(earlier, later string, strict bool, describe string) objectRule {
	return func(c *checker) {
		e, ok1 := c.timestamp(earlier)
		l, ok2 := c.timestamp(later)
		if ok1 && ok2 && (l.Before(e) || strict && l.Equal(e)) {
			c.add(later, describe)
		}
	}
}

// seenOrder is the rule of the objects with first_seen and last_seen.
var seenOrder = timeOrder("first_seen", "last_seen", false, "must not be before first_seen")

// atLeastOneOf returns a rule requiring at least one of names; the
// violation is reported on the object as a whole.
func atLeastOneOf(describe string, names ...string) objectRule {
	return func(c *checker) {
		for _, n := range names {
			if c.has(n) {
				return
			}
		}
		c.add("", describe)
	}
}

// notTogether returns a rule forbidding b when a is present.
func notTogether(a, b string) objectRule {
	describe := "must not be present together with " + a
	return func(c *checker) {
		if c.has(a) && c.has(b) {
			c.add(b, describe)
		}
	}
}

// requires returns a rule requiring b when a is present.
func requires(a, b string) objectRule {
	describe := "required when " + a + " is present"
	return func(c *checker) {
		if c.has(a) && !c.has(b) {
			c.add(b, describe)
		}
	}
}

// atLeastOneProperty returns a rule for the SCOs whose properties are all
// optional: at least one of the type's own properties, or an extension,
// must be present.
func atLeastOneProperty(typ string) objectRule {
	describe := "must have at least one " + typ + " property (or an extension)"
	return func(c *checker) {
		for _, r := range c.spec.props {
			if c.has(r.name) {
				return
			}
		}
		if !c.has("extensions") {
			c.add("", describe)
		}
	}
}

// checkTypeAndID checks type and id, which every object needs, and sets the
// checker's type, class and spec. It returns the object's id when it is a
// well-formed identifier, else "".
func (c *checker) checkTypeAndID() string {
	raw, ok := c.props.get("type")
	switch s, isString := jsonscan.String(raw); {
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
		c.setType(s)
	}

	raw, ok = c.props.get("id")
	s, isString := jsonscan.String(raw)
	id := ""
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
	c.id = id
	return id
}

// setType sets the type, class and spec of an object of the valid type t.
func (c *checker) setType(t []byte) {
	if spec, ok := typeSpecs[string(t)]; ok {
		c.spec, c.typ, c.class = spec, spec.name, spec.class
		return
	}
	c.typ = string(t)
	switch {
	case bytes.HasPrefix(t, []byte("x-")):
		// A custom object (section 11.2): common properties as for an SDO
		// unless its extension-definition says it is an SCO or SRO.
		c.class = c.extensionClass(classCustom)
	case c.opts.KnownType != nil && c.opts.KnownType(c.typ):
		// A type defined by an extension-definition (section 7.3): its
		// extension says which class it is.
		c.class = c.extensionClass(classUnknown)
		if c.class == classUnknown {
			c.add("extensions", "an object of an extension-defined type must name its extension-definition with extension_type new-sdo, new-sco or new-sro")
			c.class = classCustom
		}
	default:
		c.add("type", "unknown STIX type: not a STIX 2.1 type, a custom x- type or a registered extension-defined type")
		return
	}
	c.spec = customSpecs[c.class]
}

// extensionClass returns the class that the object's extensions give it
// through an extension_type of new-sdo, new-sco or new-sro, else def.
func (c *checker) extensionClass(def class) class {
	raw, ok := c.props.get("extensions")
	if !ok {
		return def
	}
	it := jsonscan.NewObjectIter(raw)
	for it.Next() {
		v, ok := lookupMember(it.Value(), "extension_type")
		if !ok {
			continue
		}
		switch s, _ := jsonscan.String(v); string(s) {
		case "new-sdo":
			return classSDO
		case "new-sco":
			return classSCO
		case "new-sro":
			return classSRO
		}
	}
	return def
}

// identifierProblem checks that s is a STIX identifier "<type>--<UUID>" and
// returns its type prefix, or a description of what is wrong with it. STIX
// 2.1 requires an RFC 4122 UUID of any version (SCOs use UUIDv5). RFC 4122
// writes UUIDs in lower case but reads them in any case, and real data (an
// OASIS example among it) has upper-case digits, so they are accepted; the
// hub compares ids case-insensitively wherever it keys on them.
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
	if parsed.Variant() != uuid.RFC4122 {
		return nil, "invalid UUID: must be an RFC 4122 variant UUID"
	}
	return prefix, ""
}

// checkIdentifier requires a STIX identifier of any type.
func checkIdentifier(c *checker, raw []byte) {
	s, ok := jsonscan.String(raw)
	if !ok {
		c.add("", "must be a string identifier <type>--<UUID>")
		return
	}
	if _, problem := identifierProblem(s); problem != "" {
		c.add("", problem)
	}
}

// refTo returns a check requiring an identifier of one of types, or of any
// type when types is empty; describe is the description used when it is
// anything else.
func refTo(describe string, types ...string) valueCheck {
	return func(c *checker, raw []byte) {
		s, ok := jsonscan.String(raw)
		if !ok {
			c.add("", describe)
			return
		}
		prefix, problem := identifierProblem(s)
		if problem != "" {
			c.add("", refViolation(describe, problem))
			return
		}
		if len(types) == 0 {
			return
		}
		for _, t := range types {
			if string(prefix) == t {
				return
			}
		}
		c.add("", describe)
	}
}

// refViolation is the description of a malformed reference: describe,
// followed by what is wrong unless describe already says it.
func refViolation(describe, problem string) string {
	if rest, ok := strings.CutPrefix(problem, "must be an identifier <type>--<UUID>"); ok {
		return describe + rest
	}
	return describe + ": " + problem
}

// refToClass returns a check requiring an identifier whose type is not of
// the classes in exclude, and not a bundle. Custom and extension-defined
// types are accepted: their class cannot be told from the identifier.
func refToClass(describe string, exclude classSet) valueCheck {
	return func(c *checker, raw []byte) {
		s, ok := jsonscan.String(raw)
		if !ok {
			c.add("", describe)
			return
		}
		prefix, problem := identifierProblem(s)
		switch {
		case problem != "":
			c.add("", refViolation(describe, problem))
		case string(prefix) == "bundle":
			c.add("", describe+": a bundle is not a STIX object")
		default:
			if cl := classOfType(prefix); cl != classUnknown && exclude.has(cl) {
				c.add("", describe+"; got "+string(prefix))
			}
		}
	}
}

// Reference checks shared by the tables.
var (
	refAnyObject   = refToClass("must reference a STIX object", 0)
	refSDO         = refToClass("must reference a domain object (SDO)", setOf(classSCO, classSRO)|metaClasses)
	refSDOorSCO    = refToClass("must reference a domain object (SDO) or cyber-observable object (SCO)", setOf(classSRO)|metaClasses)
	refSCO         = refToClass("must reference a cyber-observable object (SCO)", setOf(classSDO, classSRO)|metaClasses)
	listOfAnyRefs  = listOf(refAnyObject)
	refSoftware    = refTo("must reference a software object", "software")
	refArtifact    = refTo("must reference an artifact", "artifact")
	refUserAccount = refTo("must reference a user-account", "user-account")
	refFile        = refTo("must reference a file", "file")
	refEmailAddr   = refTo("must reference an email-addr", "email-addr")
	refTraffic     = refTo("must reference a network-traffic object", "network-traffic")
	refProcess     = refTo("must reference a process", "process")
	refAddress     = refTo("must reference an ipv4-addr, ipv6-addr, mac-addr or domain-name", "ipv4-addr", "ipv6-addr", "mac-addr", "domain-name")
	refFileOrDir   = refTo("must reference a file or directory", "file", "directory")
)

// checkSpecVersion requires "2.1", the only version the hub accepts.
func checkSpecVersion(c *checker, raw []byte) {
	if s, ok := jsonscan.String(raw); !ok || string(s) != "2.1" {
		c.add("", `must be "2.1"`)
	}
}

// checkDefanged checks defanged, which only SCOs may carry (section 3.2).
// Custom objects may be observables, so they may carry it too.
func checkDefanged(c *checker, raw []byte) {
	checkBool(c, raw)
	switch c.class {
	case classSDO, classSRO, classMarking, classLanguage, classExtension:
		c.add("", "must only be used on cyber-observable objects (SCOs)")
	}
}
