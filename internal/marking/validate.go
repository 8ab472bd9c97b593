package marking

import (
	"errors"
	"strconv"
	"strings"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

// Problem is one thing wrong with a marking-definition.
type Problem struct {
	// Path is the JSON path of the property, in internal/stix's style
	// ("definition.tlp", "object_marking_refs[0]"), or "" for the object as
	// a whole.
	Path string
	// Reason says which rule is broken.
	Reason string
}

// String returns "path: reason", or the reason alone when Path is "".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Reason
	}
	return p.Path + ": " + p.Reason
}

// Validate checks the marking-specific shape of the marking-definition def
// (STIX 2.1 section 7.2.1) and returns its problems, or none. It accepts:
//
//   - definition_type "statement" with a definition holding a statement
//     string (section 7.2.1.3);
//   - definition_type "tlp" with a definition holding tlp "white", "green",
//     "amber" or "red": only the four TLP 1.0 objects of section 7.2.1.4,
//     with their fixed ids;
//   - any other definition_type with a definition object (the spec asks new
//     markings to use extensions, but does not forbid the old form);
//   - the TLP 2.0 extension form: only the five published objects, with
//     their fixed ids and names;
//   - other extensions (IEP, PAP, ACS ...), whose contents are left to the
//     extension's own rules.
//
// A built-in id always has to carry its own built-in meaning: a definition
// that reuses the TLP:RED id for a statement is a problem. Common properties
// (created, spec_version ...) are internal/stix's to check, not this.
func Validate(def []byte) []Problem {
	var v validation
	v.run(jsonscan.TrimSpace(def))
	return v.problems
}

// ParseDefinition validates the marking-definition def and returns what it
// means, or an error listing its problems.
func ParseDefinition(def []byte) (Definition, error) {
	var v validation
	v.run(jsonscan.TrimSpace(def))
	if len(v.problems) > 0 {
		msgs := make([]string, len(v.problems))
		for i, p := range v.problems {
			msgs[i] = p.String()
		}
		return Definition{}, errors.New("invalid marking-definition: " + strings.Join(msgs, "; "))
	}
	return v.def, nil
}

// validation collects the problems and the meaning of one marking-definition.
type validation struct {
	problems []Problem
	def      Definition
}

func (v *validation) add(path, reason string) {
	v.problems = append(v.problems, Problem{path, reason})
}

// props holds the properties of a marking-definition that matter here.
type props struct {
	typ, id, name, definitionType, definition, extensions, markingRefs, granular []byte
}

func (v *validation) run(def []byte) {
	if !jsonscan.Valid(def) {
		v.add("", "not valid JSON")
		return
	}
	var p props
	slots := map[string]*[]byte{
		"type": &p.typ, "id": &p.id, "name": &p.name,
		"definition_type": &p.definitionType, "definition": &p.definition,
		"extensions": &p.extensions, "object_marking_refs": &p.markingRefs,
		"granular_markings": &p.granular,
	}
	it := jsonscan.NewObjectIter(def)
	for it.Next() {
		name, _ := jsonscan.String(it.Name())
		if slot, ok := slots[string(name)]; ok {
			if *slot != nil {
				v.add(string(name), "appears twice")
			}
			*slot = it.Value()
		}
	}
	if it.Err() != nil {
		v.add("", "not a JSON object")
		return
	}

	if typ, ok := jsonscan.String(p.typ); !ok || string(typ) != "marking-definition" {
		v.add("type", "must be marking-definition")
	}
	rawID, ok := jsonscan.String(p.id)
	id := string(rawID)
	if !ok || !strings.HasPrefix(id, "marking-definition--") {
		v.add("id", "must be a marking-definition id")
	}
	v.def.ID = id
	var name string
	if p.name != nil {
		s, ok := jsonscan.String(p.name)
		if !ok {
			v.add("name", "must be a string, not "+kind(p.name))
		}
		name = string(s)
	}

	// What the object says it is, from the definition_type form, the TLP
	// 2.0 extension, or neither.
	var tlp1, tlp2 TLP
	switch {
	case p.definitionType != nil:
		tlp1 = v.definitionForm(p)
	case p.definition != nil:
		v.add("definition_type", "required when definition is present")
	}
	hasTLP2 := false
	if p.extensions != nil {
		hasTLP2, tlp2 = v.extensionsForm(p.extensions)
		if hasTLP2 && p.definitionType != nil {
			v.add("definition_type", "must not be present in a TLP 2.0 marking-definition")
		}
	} else if p.definitionType == nil && p.definition == nil {
		// STIX 2.1 section 7.2.1.1: without extensions, definition_type
		// and definition MUST be present.
		v.add("definition_type", "required when extensions is absent")
		v.add("definition", "required when extensions is absent")
	}

	// TLP markings are fixed objects: the level must come with its own id
	// (and TLP 2.0 with its own name), and a built-in id must carry its level.
	builtinLevel, isBuiltin := LookupTLP(id)
	level := max(tlp1, tlp2)
	switch {
	case tlp1 != Unknown && (!isBuiltin || !isTLP1(id) || builtinLevel != tlp1):
		v.add("id", "a TLP 1.0 "+tlp1Label(tlp1)+" marking-definition must have the id "+tlp1ID(tlp1)+" (STIX 2.1 section 7.2.1.4)")
	case tlp2 != Unknown && (!isBuiltin || isTLP1(id) || builtinLevel != tlp2):
		v.add("id", "a TLP 2.0 "+tlp2.String()+" marking-definition must have the id "+tlp2.ID())
	case tlp2 != Unknown && name != tlp2.String():
		v.add("name", "must be "+tlp2.String())
	case isBuiltin && level == Unknown:
		v.add("id", "reserved for the built-in "+builtinLevel.String()+" marking-definition")
	}
	if level != Unknown {
		v.def.Kind, v.def.TLP = KindTLP, level
	}

	v.noSelfReference(id, p)
}

// definitionForm checks definition_type and definition, and returns the TLP
// 1.0 level they express, if any.
func (v *validation) definitionForm(p props) TLP {
	rawType, ok := jsonscan.String(p.definitionType)
	definitionType := string(rawType)
	if !ok || definitionType == "" {
		v.add("definition_type", "must be a non-empty string")
		return Unknown
	}
	if p.definition == nil {
		v.add("definition", "required when definition_type is present")
		return Unknown
	}
	if p.definition[0] != '{' {
		v.add("definition", "must be an object, not "+kind(p.definition))
		return Unknown
	}
	var field []byte
	switch definitionType {
	case "statement", "tlp":
		want := definitionType
		it := jsonscan.NewObjectIter(p.definition)
		for it.Next() {
			if name, _ := jsonscan.String(it.Name()); string(name) == want {
				field = it.Value()
			}
		}
		if field == nil {
			v.add("definition."+want, "required")
			return Unknown
		}
	default:
		return Unknown
	}
	s, ok := jsonscan.String(field)
	if !ok {
		v.add("definition."+definitionType, "must be a string, not "+kind(field))
		return Unknown
	}
	if definitionType == "statement" {
		v.def.Kind, v.def.Statement = KindStatement, string(s)
		return Unknown
	}
	switch string(s) {
	case "white":
		return Clear
	case "green":
		return Green
	case "amber":
		return Amber
	case "red":
		return Red
	}
	v.add("definition.tlp", "must be white, green, amber or red")
	return Unknown
}

// extensionsForm checks the TLP 2.0 extension, if extensions holds it, and
// returns the level it expresses.
func (v *validation) extensionsForm(raw []byte) (found bool, level TLP) {
	var ext []byte
	exts := jsonscan.NewObjectIter(raw)
	for exts.Next() {
		if name, _ := jsonscan.String(exts.Name()); string(name) == TLP2ExtensionID {
			ext = exts.Value()
		}
	}
	if exts.Err() != nil {
		v.add("extensions", "must be an object, not "+kind(raw))
		return false, Unknown
	}
	if ext == nil {
		return false, Unknown
	}
	path := "extensions." + TLP2ExtensionID
	var extType, tlp []byte
	props := jsonscan.NewObjectIter(ext)
	for props.Next() {
		switch name, _ := jsonscan.String(props.Name()); string(name) {
		case "extension_type":
			extType = props.Value()
		case "tlp_2_0":
			tlp = props.Value()
		default:
			// The extension's schema allows no other properties.
			v.add(path+"."+string(name), "not a property of the TLP 2.0 extension")
		}
	}
	if props.Err() != nil {
		v.add(path, "must be an object, not "+kind(ext))
		return true, Unknown
	}
	if s, ok := jsonscan.String(extType); !ok || string(s) != "property-extension" {
		v.add(path+".extension_type", "must be property-extension")
	}
	s, ok := jsonscan.String(tlp)
	switch {
	case tlp == nil:
		v.add(path+".tlp_2_0", "required")
	case !ok:
		v.add(path+".tlp_2_0", "must be a string, not "+kind(tlp))
	case string(s) == "clear":
		level = Clear
	case string(s) == "green":
		level = Green
	case string(s) == "amber":
		level = Amber
	case string(s) == "amber+strict":
		level = AmberStrict
	case string(s) == "red":
		level = Red
	default:
		v.add(path+".tlp_2_0", "must be clear, green, amber, amber+strict or red")
	}
	return true, level
}

// noSelfReference applies STIX 2.1 section 3.2: a marking-definition's own
// markings "MUST NOT contain any references to the same Marking Definition
// object (i.e., it cannot contain any circular references)".
func (v *validation) noSelfReference(id string, p props) {
	if id == "" {
		return
	}
	refs := jsonscan.NewArrayIter(p.markingRefs)
	for refs.Next() {
		if s, _ := jsonscan.String(refs.Value()); string(s) == id {
			v.add("object_marking_refs["+strconv.Itoa(refs.Index())+"]", "must not reference the marking-definition itself")
		}
	}
	gms := jsonscan.NewArrayIter(p.granular)
	for gms.Next() {
		gm := jsonscan.NewObjectIter(gms.Value())
		for gm.Next() {
			if name, _ := jsonscan.String(gm.Name()); string(name) != "marking_ref" {
				continue
			}
			if s, _ := jsonscan.String(gm.Value()); string(s) == id {
				v.add("granular_markings["+strconv.Itoa(gms.Index())+"].marking_ref", "must not reference the marking-definition itself")
			}
		}
	}
}

// tlp1Label names a level as TLP 1.0 does: TLP:WHITE for Clear.
func tlp1Label(t TLP) string {
	if t == Clear {
		return "TLP:WHITE"
	}
	return t.String()
}

// tlp1ID returns the TLP 1.0 id for a level TLP 1.0 has.
func tlp1ID(t TLP) string {
	switch t {
	case Clear:
		return tlp1White
	case Green:
		return tlp1Green
	case Amber:
		return tlp1Amber
	case Red:
		return tlp1Red
	}
	return ""
}
