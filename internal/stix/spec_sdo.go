package stix

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/stixhub/stixhub/internal/jsonscan"
	stixpattern "github.com/stixhub/stixhub/internal/pattern"
)

// The property tables of the STIX Domain Objects (section 4) and STIX
// Relationship Objects (section 5). Open vocabularies (open-vocab) are
// strings: any value is allowed. Enumerations (enum) are closed.

// sdoSpecs returns the specs of the SDOs and SROs.
func sdoSpecs() []typeSpec {
	name := req("name", checkString)
	description := opt("description", checkString)
	aliases := opt("aliases", listOfStrings)
	killChain := opt("kill_chain_phases", listOfKillChainPhases)
	firstSeen := tsProp("first_seen", false)
	lastSeen := tsProp("last_seen", false)
	objectRefs := req("object_refs", listOfAnyRefs)
	motivations := []propRule{
		opt("resource_level", checkString),
		opt("primary_motivation", checkString),
		opt("secondary_motivations", listOfStrings),
	}

	return []typeSpec{
		{name: "attack-pattern", class: classSDO, props: []propRule{
			name, description, aliases, killChain,
		}, rules: []objectRule{externalIDFormat("capec", capecID, "CAPEC-[id], e.g. CAPEC-163")}},

		{name: "campaign", class: classSDO, props: []propRule{
			name, description, aliases, firstSeen, lastSeen,
			opt("objective", checkString),
		}, rules: []objectRule{seenOrder}},

		{name: "course-of-action", class: classSDO, props: []propRule{
			// action is RESERVED (section 3.8): a custom-property check
			// refuses it.
			name, description,
		}},

		{name: "grouping", class: classSDO, props: []propRule{
			// name is optional for a grouping (the STIX 2.1 OASIS Standard
			// and its JSON schema); context and object_refs are required.
			opt("name", checkString), description,
			req("context", checkString), // grouping-context-ov
			objectRefs,
		}},

		{name: "identity", class: classSDO, props: []propRule{
			name, description,
			opt("roles", listOfStrings),
			opt("identity_class", checkString), // identity-class-ov
			opt("sectors", listOfStrings),      // industry-sector-ov
			opt("contact_information", checkString),
		}},

		{name: "incident", class: classSDO, props: []propRule{name, description}},

		{name: "indicator", class: classSDO, props: []propRule{
			opt("name", checkString), description,
			opt("indicator_types", listOfStrings), // indicator-type-ov
			req("pattern", checkNonEmptyString),
			req("pattern_type", checkNonEmptyString), // pattern-type-ov
			opt("pattern_version", checkString),
			tsProp("valid_from", true),
			tsProp("valid_until", false),
			killChain,
		}, rules: []objectRule{
			timeOrder("valid_from", "valid_until", true, "must be after valid_from"),
			checkIndicatorPattern,
		}},

		{name: "infrastructure", class: classSDO, props: []propRule{
			name, description,
			opt("infrastructure_types", listOfStrings), // infrastructure-type-ov
			aliases, killChain, firstSeen, lastSeen,
		}, rules: []objectRule{seenOrder}},

		{name: "intrusion-set", class: classSDO, props: append([]propRule{
			name, description, aliases, firstSeen, lastSeen,
			opt("goals", listOfStrings),
		}, motivations...), rules: []objectRule{seenOrder}},

		{name: "location", class: classSDO, props: []propRule{
			opt("name", checkString), description,
			opt("latitude", floatIn(-90, 90, "must be a number from -90.0 to 90.0")),
			opt("longitude", floatIn(-180, 180, "must be a number from -180.0 to 180.0")),
			opt("precision", checkFloat),
			opt("region", checkString), // region-ov
			opt("country", checkString),
			opt("administrative_area", checkString),
			opt("city", checkString),
			opt("street_address", checkString),
			opt("postal_code", checkString),
		}, rules: []objectRule{
			checkLocationPresent,
			requires("latitude", "longitude"),
			requires("longitude", "latitude"),
			requires("precision", "latitude"),
			requires("precision", "longitude"),
		}},

		{name: "malware", class: classSDO, props: []propRule{
			// name is required for a malware family only (rule below).
			opt("name", checkString), description,
			opt("malware_types", listOfStrings), // malware-type-ov
			req("is_family", checkBool),
			aliases, killChain, firstSeen, lastSeen,
			opt("operating_system_refs", listOf(refSoftware)),
			opt("architecture_execution_envs", listOfStrings), // processor-architecture-ov
			opt("implementation_languages", listOfStrings),    // implementation-language-ov
			opt("capabilities", listOfStrings),                // malware-capabilities-ov
			opt("sample_refs", listOf(refTo("must reference a file or artifact", "file", "artifact"))),
		}, rules: []objectRule{seenOrder, checkMalwareFamilyName}},

		{name: "malware-analysis", class: classSDO, props: []propRule{
			req("product", checkString),
			opt("version", checkString),
			opt("host_vm_ref", refSoftware),
			opt("operating_system_ref", refSoftware),
			opt("installed_software_refs", listOf(refSoftware)),
			opt("configuration_version", checkString),
			opt("modules", listOfStrings),
			opt("analysis_engine_version", checkString),
			opt("analysis_definition_version", checkString),
			tsProp("submitted", false),
			tsProp("analysis_started", false),
			tsProp("analysis_ended", false),
			opt("result_name", checkString),
			opt("result", checkString), // malware-result-ov
			opt("analysis_sco_refs", listOf(refSCO)),
			opt("sample_ref", refTo("must reference a file, network-traffic or artifact", "file", "network-traffic", "artifact")),
		}, rules: []objectRule{
			atLeastOneOf("a malware-analysis must have result or analysis_sco_refs", "result", "analysis_sco_refs"),
		}},

		{name: "note", class: classSDO, props: []propRule{
			opt("abstract", checkString),
			req("content", checkString),
			opt("authors", listOfStrings),
			objectRefs,
		}},

		{name: "observed-data", class: classSDO, props: []propRule{
			tsProp("first_observed", true),
			tsProp("last_observed", true),
			req("number_observed", intIn(1, 999999999, "must be an integer from 1 to 999,999,999")),
			opt("objects", dictOf(checkContainedObservable)),
			opt("object_refs", listOf(refToClass("must reference a cyber-observable object (SCO) or relationship object (SRO)", setOf(classSDO)|metaClasses))),
		}, rules: []objectRule{
			timeOrder("first_observed", "last_observed", false, "must not be before first_observed"),
			atLeastOneOf("observed-data must have object_refs (or the deprecated objects)", "object_refs", "objects"),
			notTogether("object_refs", "objects"),
			checkObservedRefsHaveSCO,
		}},

		{name: "opinion", class: classSDO, props: []propRule{
			opt("explanation", checkString),
			opt("authors", listOfStrings),
			req("opinion", enumOf("opinion-enum", "strongly-disagree", "disagree", "neutral", "agree", "strongly-agree")),
			objectRefs,
		}},

		{name: "report", class: classSDO, props: []propRule{
			name, description,
			opt("report_types", listOfStrings), // report-type-ov
			tsProp("published", true),
			objectRefs,
		}},

		{name: "threat-actor", class: classSDO, props: append([]propRule{
			name, description,
			opt("threat_actor_types", listOfStrings), // threat-actor-type-ov
			aliases, firstSeen, lastSeen,
			opt("roles", listOfStrings), // threat-actor-role-ov
			opt("goals", listOfStrings),
			opt("sophistication", checkString), // threat-actor-sophistication-ov
			opt("personal_motivations", listOfStrings),
		}, motivations...), rules: []objectRule{seenOrder}},

		{name: "tool", class: classSDO, props: []propRule{
			name, description,
			opt("tool_types", listOfStrings), // tool-type-ov
			aliases, killChain,
			opt("tool_version", checkString),
		}},

		{name: "vulnerability", class: classSDO, props: []propRule{name, description},
			rules: []objectRule{externalIDFormat("cve", cveID, "the CVE identifier, e.g. CVE-2016-1234")}},

		// SROs.
		{name: "relationship", class: classSRO, props: []propRule{
			req("relationship_type", checkRelationshipType),
			description,
			req("source_ref", refSDOorSCO),
			req("target_ref", refSDOorSCO),
			tsProp("start_time", false),
			tsProp("stop_time", false),
		}, rules: []objectRule{timeOrder("start_time", "stop_time", true, "must be after start_time")}},

		{name: "sighting", class: classSRO, props: []propRule{
			description, firstSeen, lastSeen,
			opt("count", intIn(0, 999999999, "must be an integer from 0 to 999,999,999")),
			req("sighting_of_ref", refSDO),
			opt("observed_data_refs", listOf(refTo("must reference an observed-data", "observed-data"))),
			opt("where_sighted_refs", listOf(refTo("must reference an identity or location", "identity", "location"))),
			opt("summary", checkBool),
		}, rules: []objectRule{seenOrder}},
	}
}

// checkRelationshipType requires a relationship type: a non-empty string of
// a-z, 0-9 and '-' (section 5.1.2).
func checkRelationshipType(c *checker, raw []byte) {
	s, ok := jsonscan.String(raw)
	if !ok || len(s) == 0 {
		c.add("", "must be a non-empty string")
		return
	}
	for _, b := range s {
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-') {
			c.add("", "must be ASCII a-z, 0-9 and '-' only")
			return
		}
	}
}

// Formats of external ids the specification fixes.
var (
	capecID = regexp.MustCompile(`^CAPEC-[0-9]+$`)
	cveID   = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)
)

// externalIDFormat returns a rule for the external references of
// attack-pattern (CAPEC) and vulnerability (CVE): when source_name is
// source, external_id must have the given format (sections 4.1 and 4.19).
func externalIDFormat(source string, format *regexp.Regexp, want string) objectRule {
	describe := "must be " + want + " when source_name is " + source
	return func(c *checker) {
		raw, ok := c.props.get("external_references")
		if !ok {
			return
		}
		it := jsonscan.NewArrayIter(raw)
		for it.Next() {
			sn, ok1 := lookupMember(it.Value(), "source_name")
			id, ok2 := lookupMember(it.Value(), "external_id")
			if !ok1 || !ok2 {
				continue
			}
			s, _ := jsonscan.String(sn)
			e, isString := jsonscan.String(id)
			if string(s) == source && isString && !format.Match(e) {
				c.add(fmt.Sprintf("external_references[%d].external_id", it.Index()), describe)
			}
		}
	}
}

// checkIndicatorPattern checks the pattern of an indicator whose
// pattern_type is "stix" (ParseOptions.CheckPattern).
func checkIndicatorPattern(c *checker) {
	rawType, ok1 := c.props.get("pattern_type")
	rawPattern, ok2 := c.props.get("pattern")
	if !ok1 || !ok2 {
		return
	}
	typ, _ := jsonscan.String(rawType)
	pattern, ok := jsonscan.String(rawPattern)
	if string(typ) != "stix" || !ok || len(pattern) == 0 {
		return
	}
	check := c.opts.CheckPattern
	if check == nil {
		check = func(s string) error {
			_, err := stixpattern.ParseWithOptions(s, stixpattern.Options{ExtraTypes: c.opts.KnownType})
			return err
		}
	}
	if err := check(string(pattern)); err != nil {
		var col interface{ Column() int }
		if errors.As(err, &col) {
			c.add("pattern", fmt.Sprintf("invalid STIX pattern at column %d: %v", col.Column(), err))
		} else {
			c.add("pattern", "invalid STIX pattern: "+err.Error())
		}
	}
}

// checkLocationPresent: a location must have region, country, or latitude
// and longitude (section 4.10).
func checkLocationPresent(c *checker) {
	if c.has("region") || c.has("country") || c.has("latitude") && c.has("longitude") {
		return
	}
	c.add("", "a location must have region, country, or latitude and longitude")
}

// checkMalwareFamilyName: a malware family must have a name (section 4.11).
func checkMalwareFamilyName(c *checker) {
	if raw, ok := c.props.get("is_family"); ok && string(raw) == "true" && !c.has("name") {
		c.add("name", "required when is_family is true")
	}
}

// checkContainedObservable checks an entry of the deprecated observable
// container of observed-data (section 2.13): an object with a type. The
// contained objects may follow STIX 2.0, so they are not checked further.
func checkContainedObservable(c *checker, raw []byte) {
	if len(raw) == 0 || raw[0] != '{' {
		c.add("", "must be an object (a cyber-observable object)")
		return
	}
	t, ok := lookupMember(raw, "type")
	if !ok {
		c.add("type", "required")
		return
	}
	if s, ok := jsonscan.String(t); !ok || !isValidType(s) {
		c.add("type", "must be a valid type name")
	}
}

// checkObservedRefsHaveSCO: object_refs of observed-data must reference at
// least one SCO (section 4.14); custom types may be SCOs.
func checkObservedRefsHaveSCO(c *checker) {
	raw, ok := c.props.get("object_refs")
	if !ok {
		return
	}
	it := jsonscan.NewArrayIter(raw)
	for it.Next() {
		s, ok := jsonscan.String(it.Value())
		if !ok {
			return // reported by the property rule
		}
		prefix, problem := identifierProblem(s)
		if problem != "" {
			return
		}
		if cl := classOfType(prefix); cl == classSCO || cl == classUnknown && string(prefix) != "bundle" {
			return
		}
	}
	if it.Index() >= 0 {
		c.add("object_refs", "must reference at least one cyber-observable object (SCO)")
	}
}
