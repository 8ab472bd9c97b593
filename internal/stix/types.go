package stix

import (
	"bytes"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

// class is the family a STIX type belongs to. It decides which common
// properties an object must carry.
type class uint8

const (
	// classUnknown is used when the type is missing, malformed or not known;
	// only class-independent rules run.
	classUnknown   class = iota
	classSDO             // STIX Domain Object
	classSRO             // STIX Relationship Object
	classSCO             // STIX Cyber-observable Object
	classMarking         // marking-definition: created required, modified optional
	classLanguage        // language-content
	classExtension       // extension-definition: created_by_ref required
	classCustom          // custom "x-" object type: common properties as for an SDO
)

// classSet is a set of classes, used to say for which classes a property is
// required.
type classSet uint16

// setOf returns the set holding cs.
func setOf(cs ...class) classSet {
	var s classSet
	for _, c := range cs {
		s |= 1 << c
	}
	return s
}

// has reports whether c is in s.
func (s classSet) has(c class) bool { return s&(1<<c) != 0 }

// Class sets used by the tables.
var (
	allClasses  = setOf(classUnknown, classSDO, classSRO, classSCO, classMarking, classLanguage, classExtension, classCustom)
	metaClasses = setOf(classMarking, classLanguage, classExtension)
)

// typeSpec is everything the validator knows about one STIX type.
type typeSpec struct {
	name  string // the STIX type, e.g. "indicator"
	class class
	// props are the type's own property rules, checked after the common ones.
	props []propRule
	// rules are the type's own cross-property rules, checked after props.
	rules []objectRule
	// extensions are the predefined extensions (section 3.10) the type
	// defines, keyed by name, e.g. "archive-ext" for file.
	extensions map[string]*objectSpec
	// known holds the names of the common properties and of props: any
	// other property of an object of this type is a custom property.
	known map[string]struct{}
}

// propRule checks one property (top-level or of a nested object).
type propRule struct {
	// name is the property name.
	name string
	// requiredIn lists the classes whose objects must have the property.
	// Nested objects (objectSpec) only tell required (allClasses) from
	// optional (0).
	requiredIn classSet
	// check validates a present value.
	check valueCheck
	// hash is hashName(name), for top-level lookups.
	hash uint32
}

// objectRule checks a relation between properties of one object. It runs
// after the property rules and stays silent about properties that are
// missing or malformed, which those rules have already reported.
type objectRule func(c *checker)

// opt and req build optional and required property rules.
func opt(name string, check valueCheck) propRule {
	return propRule{name: name, check: check, hash: hashName(name)}
}
func req(name string, check valueCheck) propRule {
	return propRule{name: name, requiredIn: allClasses, check: check, hash: hashName(name)}
}

// typeSpecs maps every STIX 2.1 type to its rules. It is read-only: a
// logically constant table, never modified after package initialisation.
// The per-type tables are in spec_sdo.go, spec_sco.go and spec_meta.go.
var typeSpecs = specTable(append(append(sdoSpecs(), scoSpecs()...), metaSpecs()...)...)

// specTable indexes specs by name and fills in their known property names.
// It panics on an inconsistent table: a programming error caught by any
// test.
func specTable(specs ...typeSpec) map[string]*typeSpec {
	m := make(map[string]*typeSpec, len(specs))
	for i := range specs {
		s := &specs[i]
		s.known = knownNames(s.props)
		if _, dup := m[s.name]; dup {
			panic("stix: duplicate type spec " + s.name)
		}
		m[s.name] = s
	}
	return m
}

// knownNames returns the common property names plus those of props.
func knownNames(props []propRule) map[string]struct{} {
	known := make(map[string]struct{}, len(commonProps)+len(props)+2)
	known["type"] = struct{}{}
	known["id"] = struct{}{}
	for _, r := range commonProps {
		known[r.name] = struct{}{}
	}
	for _, r := range props {
		if _, dup := known[r.name]; dup {
			panic("stix: duplicate property rule " + r.name)
		}
		known[r.name] = struct{}{}
	}
	return known
}

// customSpecs are the specs of objects whose type is not defined by STIX
// 2.1: custom "x-" types and types defined by an extension-definition. Only
// the common rules of their class apply; all other properties are custom.
var customSpecs = func() map[class]*typeSpec {
	m := make(map[class]*typeSpec)
	for _, c := range []class{classSDO, classSRO, classSCO, classCustom} {
		m[c] = &typeSpec{class: c, known: knownNames(nil)}
	}
	return m
}()

// classOfType returns the class of the STIX 2.1 type t, or classUnknown for
// custom and unknown types.
func classOfType(t []byte) class {
	return typeClasses[string(t)]
}

// typeClasses gives the class of every STIX 2.1 type. It repeats what
// typeSpecs says (a test checks they agree) so that reference checks,
// which the tables use, do not depend on the tables being built.
var typeClasses = func() map[string]class {
	m := make(map[string]class)
	for _, t := range []string{"attack-pattern", "campaign", "course-of-action", "grouping", "identity",
		"incident", "indicator", "infrastructure", "intrusion-set", "location", "malware",
		"malware-analysis", "note", "observed-data", "opinion", "report", "threat-actor", "tool",
		"vulnerability"} {
		m[t] = classSDO
	}
	for _, t := range []string{"relationship", "sighting"} {
		m[t] = classSRO
	}
	for _, t := range []string{"artifact", "autonomous-system", "directory", "domain-name", "email-addr",
		"email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic",
		"process", "software", "url", "user-account", "windows-registry-key", "x509-certificate"} {
		m[t] = classSCO
	}
	m["marking-definition"] = classMarking
	m["language-content"] = classLanguage
	m["extension-definition"] = classExtension
	return m
}()

// IsValidType reports whether s is a syntactically valid STIX type name:
// 3 to 250 characters from a-z, 0-9 and '-', starting with a letter and not
// containing "--". It does not say whether the type is known; custom types
// are named "x-…" by convention.
func IsValidType(s string) bool { return isValidType(s) }

// isValidType is IsValidType for text in either form.
func isValidType[T string | []byte](s T) bool {
	if len(s) < 3 || len(s) > 250 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if s[i-1] == '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// isPropertyName reports whether s is a valid custom or extension property
// name (sections 7.3.2 and 11.1): 3 to 250 characters of a-z, 0-9 and '_'.
func isPropertyName(s []byte) bool {
	if len(s) < 3 || len(s) > 250 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// objectSpec is the property table of an object nested in a STIX object:
// an external reference, a kill chain phase, a granular marking, a
// predefined extension or a type such as windows-pe-section-type.
type objectSpec struct {
	// what names the object in messages, e.g. "kill chain phase".
	what  string
	props []propRule
	// atLeastOne requires at least one property (other than those in
	// besides), for types whose properties are all optional.
	atLeastOne bool
	besides    string
	// rules are cross-property rules over the object's raw JSON.
	rules []nestedRule
	index map[string]int
}

// nestedRule checks a relation between properties of a nested object; it
// reads them from raw, which checkObject has found to be an object.
type nestedRule func(c *checker, raw []byte)

// newObjectSpec returns a spec with its index built; it panics on an
// inconsistent table.
func newObjectSpec(what string, props ...propRule) *objectSpec {
	s := &objectSpec{what: what, props: props, index: make(map[string]int, len(props))}
	if len(props) > 64 {
		panic("stix: too many properties in " + what)
	}
	for i, p := range props {
		if _, dup := s.index[p.name]; dup {
			panic("stix: duplicate property " + p.name + " in " + what)
		}
		s.index[p.name] = i
	}
	return s
}

// oneRequired marks spec as needing at least one property other than
// besides (which may be "").
func (s *objectSpec) oneRequired(besides string) *objectSpec {
	s.atLeastOne, s.besides = true, besides
	return s
}

// with adds cross-property rules to spec.
func (s *objectSpec) with(rules ...nestedRule) *objectSpec {
	s.rules = append(s.rules, rules...)
	return s
}

// objectOf returns a check requiring a JSON object that follows spec.
func objectOf(spec *objectSpec) valueCheck {
	return func(c *checker, raw []byte) { c.checkObject(spec, raw) }
}

// checkObject checks the nested object raw against spec: each property
// against its rule, required properties, duplicates, the naming rules for
// properties spec does not define (custom properties), then the rules.
func (c *checker) checkObject(spec *objectSpec, raw []byte) {
	it := jsonscan.NewObjectIter(raw)
	if it.Err() != nil {
		c.add("", "must be an object ("+spec.what+")")
		return
	}
	var present uint64
	var seen nameSet
	count := 0
	for it.Next() {
		name, ok := jsonscan.String(it.Name())
		if !ok {
			continue
		}
		if seen.add(name) {
			n := len(c.vs)
			c.add("", "duplicate property")
			c.prefix(n, keySegment(name))
			continue
		}
		if string(name) != spec.besides {
			count++
		}
		i, known := spec.index[string(name)]
		if !known {
			n := len(c.vs)
			c.checkCustomProperty(name, it.Value())
			if len(c.vs) > n {
				c.prefix(n, keySegment(name))
			}
			continue
		}
		present |= 1 << i
		r := &spec.props[i]
		n := len(c.vs)
		r.check(c, it.Value())
		c.prefix(n, r.name)
	}
	for i := range spec.props {
		if spec.props[i].requiredIn != 0 && present&(1<<i) == 0 {
			c.add(spec.props[i].name, "required")
		}
	}
	if spec.atLeastOne && count == 0 {
		if spec.besides != "" {
			c.add("", "must have at least one property other than "+spec.besides)
		} else {
			c.add("", "must have at least one property")
		}
	}
	for _, r := range spec.rules {
		r(c, raw)
	}
}

// lookupMember returns the value of the first member called name of the object
// raw.
func lookupMember(raw []byte, name string) ([]byte, bool) {
	it := jsonscan.NewObjectIter(raw)
	for it.Next() {
		if n, ok := jsonscan.String(it.Name()); ok && string(n) == name {
			return it.Value(), true
		}
	}
	return nil, false
}

// nameSet detects repeated names among an object's members without
// allocating for the usual small objects.
type nameSet struct {
	n     int
	small [16][]byte
	large map[string]struct{}
}

// add records name and reports whether it was already there.
func (s *nameSet) add(name []byte) bool {
	if s.large != nil {
		if _, ok := s.large[string(name)]; ok {
			return true
		}
		s.large[string(name)] = struct{}{}
		return false
	}
	for _, seen := range s.small[:s.n] {
		if bytes.Equal(seen, name) {
			return true
		}
	}
	if s.n < len(s.small) {
		s.small[s.n] = name
		s.n++
		return false
	}
	s.large = make(map[string]struct{}, 2*len(s.small))
	for _, seen := range s.small[:s.n] {
		s.large[string(seen)] = struct{}{}
	}
	s.large[string(name)] = struct{}{}
	return false
}
