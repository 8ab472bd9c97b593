package stix

import (
	"strconv"

	"github.com/stixhub/stixhub/internal/jsonscan"
	stixmarking "github.com/stixhub/stixhub/internal/marking"
)

// The property tables of the STIX Meta Objects (section 7).

// metaSpecs returns the specs of the meta objects.
func metaSpecs() []typeSpec {
	return []typeSpec{
		{name: "marking-definition", class: classMarking, props: []propRule{
			opt("name", checkString),
			opt("definition_type", checkString), // deprecated open vocabulary
			opt("definition", checkMarkingObject),
		}, rules: []objectRule{
			checkMarkingDefinition,
			checkMarkingNotCircular,
			checkMarkingRules,
		}},

		{name: "language-content", class: classLanguage, props: []propRule{
			req("object_ref", refAnyObject),
			opt("object_modified", checkTimestamp),
			req("contents", checkContents),
		}},

		{name: "extension-definition", class: classExtension, props: []propRule{
			req("name", checkString),
			opt("description", checkString),
			req("schema", checkString),
			req("version", checkString),
			req("extension_types", listOf(checkExtensionType)),
			opt("extension_properties", listOf(checkExtensionPropertyName)),
		}, rules: []objectRule{checkExtensionProperties}},
	}
}

// tlpMarkings are the only TLP 1.0 marking definitions STIX 2.1 permits
// (section 7.2.1.4): each TLP level has one fixed id.
var tlpMarkings = map[string]string{
	"white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
	"green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
	"amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
	"red":   "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}

// checkMarkingObject requires a marking object: a JSON object.
func checkMarkingObject(c *checker, raw []byte) {
	if len(raw) == 0 || raw[0] != '{' {
		c.add("", "must be an object (the marking)")
	}
}

// checkMarkingDefinition checks the pair definition_type and definition
// (section 7.2.1): both are required unless the marking is defined by an
// extension, and the statement and tlp types fix the definition's
// contents.
func checkMarkingDefinition(c *checker) {
	rawType, hasType := c.props.get("definition_type")
	rawDef, hasDef := c.props.get("definition")
	switch {
	case !hasType && !hasDef:
		return // with no extension either, checkMarkingRules reports both missing
	case !hasType:
		c.add("definition_type", "required when definition is present")
		return
	case !hasDef:
		c.add("definition", "required when definition_type is present")
		return
	}
	if len(rawDef) == 0 || rawDef[0] != '{' {
		return // reported by the property rule
	}
	switch t, _ := jsonscan.String(rawType); string(t) {
	case "statement":
		v, ok := lookupMember(rawDef, "statement")
		switch {
		case !ok:
			c.add("definition.statement", "required for a statement marking")
		case !isJSONString(v):
			c.add("definition.statement", "must be a string")
		}
	case "tlp":
		v, ok := lookupMember(rawDef, "tlp")
		if !ok {
			c.add("definition.tlp", "required for a TLP marking")
			return
		}
		level, _ := jsonscan.String(v)
		want, known := tlpMarkings[string(level)]
		switch {
		case !known:
			c.add("definition.tlp", "must be white, green, amber or red")
		case c.id != "" && c.id != want:
			c.add("id", "must be "+want+", the TLP:"+string(level)+" marking definition: STIX 2.1 permits no other TLP marking definitions")
		}
	}
}

// checkMarkingRules adds the rules of internal/marking for marking
// definitions (the TLP 2.0 extension form, the fixed TLP 2.0 and 1.0 ids,
// reserved built-in ids) wherever the rules above found nothing at the same
// path, so each problem is reported once.
func checkMarkingRules(c *checker) {
	for _, p := range stixmarking.Validate(c.data) {
		if !c.violationAt(p.Path) {
			c.add(p.Path, p.Reason)
		}
	}
}

// checkMarkingNotCircular: a marking definition must not mark itself
// (section 3.2, object_marking_refs and granular_markings).
func checkMarkingNotCircular(c *checker) {
	if c.id == "" {
		return
	}
	if raw, ok := c.props.get("object_marking_refs"); ok {
		it := jsonscan.NewArrayIter(raw)
		for it.Next() {
			if s, _ := jsonscan.String(it.Value()); string(s) == c.id {
				c.add("object_marking_refs["+strconv.Itoa(it.Index())+"]", "must not reference the marking-definition itself")
			}
		}
	}
	if raw, ok := c.props.get("granular_markings"); ok {
		it := jsonscan.NewArrayIter(raw)
		for it.Next() {
			ref, ok := lookupMember(it.Value(), "marking_ref")
			if s, _ := jsonscan.String(ref); ok && string(s) == c.id {
				c.add("granular_markings["+strconv.Itoa(it.Index())+"].marking_ref", "must not reference the marking-definition itself")
			}
		}
	}
}

// checkContents checks the contents of a language-content object (section
// 7.1): a dictionary from RFC 5646 language tags to non-empty objects that
// mirror the translated object.
func checkContents(c *checker, raw []byte) {
	c.checkDict(raw, 1, checkContentsEntry)
}

func checkContentsEntry(c *checker, key, raw []byte) {
	if !validLangTag(key) {
		c.add("", "key must be an RFC 5646 language tag, e.g. de or fr-CA")
	}
	it := jsonscan.NewObjectIter(raw)
	if it.Err() != nil {
		c.add("", "must be an object (the translated properties)")
		return
	}
	if !it.Next() {
		c.add("", "must not be empty")
	}
}

// checkExtensionPropertyName requires a string that is a valid extension
// property name (section 7.3.2).
func checkExtensionPropertyName(c *checker, raw []byte) {
	if s, ok := jsonscan.String(raw); !ok || !isPropertyName(s) {
		c.add("", "must be a property name: 3-250 characters of a-z, 0-9 and _")
	}
}

// checkExtensionProperties: extension_properties is only used with a
// toplevel-property-extension (section 7.3.1).
func checkExtensionProperties(c *checker) {
	if !c.has("extension_properties") {
		return
	}
	raw, ok := c.props.get("extension_types")
	if !ok {
		return
	}
	it := jsonscan.NewArrayIter(raw)
	for it.Next() {
		if s, _ := jsonscan.String(it.Value()); string(s) == "toplevel-property-extension" {
			return
		}
	}
	c.add("extension_properties", "must only be used when extension_types includes toplevel-property-extension")
}
