package stix

import "bytes"

// class is the family a STIX type belongs to. It decides which common
// properties an object must carry.
type class uint8

const (
	// classUnknown is used when the type is missing, malformed or not known;
	// only class-independent rules run.
	classUnknown class = iota
	classSDO           // STIX Domain Object
	classSRO           // STIX Relationship Object
	classSCO           // STIX Cyber-observable Object
	classMarking       // marking-definition: created required, modified optional
	classMeta          // language-content, extension-definition
	classCustom        // custom "x-" object type: common properties as for an SDO
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

// typeSpec is everything the validator knows about one STIX type.
type typeSpec struct {
	name  string // the STIX type, e.g. "indicator"
	class class
	// props are the type's own property rules, checked after the common ones.
	props []propRule
	// rules are the type's own cross-property rules, checked after props.
	rules []objectRule
}

// typeSpecs maps every STIX 2.1 type the hub knows to its rules. It is
// read-only: a logically constant table, never modified after package
// initialisation. To validate more of the spec, add property rules to an
// entry here rather than code to Parse.
var typeSpecs = specTable(
	// SDOs.
	typeSpec{name: "attack-pattern", class: classSDO},
	typeSpec{name: "campaign", class: classSDO},
	typeSpec{name: "course-of-action", class: classSDO},
	typeSpec{name: "grouping", class: classSDO},
	typeSpec{name: "identity", class: classSDO},
	typeSpec{name: "incident", class: classSDO},
	typeSpec{name: "indicator", class: classSDO, props: indicatorProps, rules: indicatorRules},
	typeSpec{name: "infrastructure", class: classSDO},
	typeSpec{name: "intrusion-set", class: classSDO},
	typeSpec{name: "location", class: classSDO},
	typeSpec{name: "malware", class: classSDO},
	typeSpec{name: "malware-analysis", class: classSDO},
	typeSpec{name: "note", class: classSDO},
	typeSpec{name: "observed-data", class: classSDO},
	typeSpec{name: "opinion", class: classSDO},
	typeSpec{name: "report", class: classSDO},
	typeSpec{name: "threat-actor", class: classSDO},
	typeSpec{name: "tool", class: classSDO},
	typeSpec{name: "vulnerability", class: classSDO},

	// SROs.
	typeSpec{name: "relationship", class: classSRO, props: relationshipProps},
	typeSpec{name: "sighting", class: classSRO},

	// SCOs.
	typeSpec{name: "artifact", class: classSCO},
	typeSpec{name: "autonomous-system", class: classSCO},
	typeSpec{name: "directory", class: classSCO},
	typeSpec{name: "domain-name", class: classSCO},
	typeSpec{name: "email-addr", class: classSCO},
	typeSpec{name: "email-message", class: classSCO},
	typeSpec{name: "file", class: classSCO},
	typeSpec{name: "ipv4-addr", class: classSCO},
	typeSpec{name: "ipv6-addr", class: classSCO},
	typeSpec{name: "mac-addr", class: classSCO},
	typeSpec{name: "mutex", class: classSCO},
	typeSpec{name: "network-traffic", class: classSCO},
	typeSpec{name: "process", class: classSCO},
	typeSpec{name: "software", class: classSCO},
	typeSpec{name: "url", class: classSCO},
	typeSpec{name: "user-account", class: classSCO},
	typeSpec{name: "windows-registry-key", class: classSCO},
	typeSpec{name: "x509-certificate", class: classSCO},

	// Meta objects.
	typeSpec{name: "marking-definition", class: classMarking},
	typeSpec{name: "language-content", class: classMeta},
	typeSpec{name: "extension-definition", class: classMeta},
)

// specTable indexes specs by name.
func specTable(specs ...typeSpec) map[string]typeSpec {
	m := make(map[string]typeSpec, len(specs))
	for _, s := range specs {
		m[s.name] = s
	}
	return m
}

// customSpec applies to custom object types ("x-…"), such as MITRE ATT&CK's
// x-mitre-tactic. Its name is filled in per object.
var customSpec = typeSpec{class: classCustom}

// lookupType returns the spec for the valid type name t. ok is false when t
// is neither a known STIX 2.1 type nor a custom "x-" type.
func lookupType(t []byte) (spec typeSpec, ok bool) {
	if spec, ok := typeSpecs[string(t)]; ok {
		return spec, true
	}
	if bytes.HasPrefix(t, []byte("x-")) {
		spec = customSpec
		spec.name = string(t)
		return spec, true
	}
	return typeSpec{}, false
}

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
