package marking

import (
	"reflect"
	"strings"
	"testing"
)

const tlp2Ext = `"` + TLP2ExtensionID + `"`

// def returns a marking-definition with the given id and further
// properties (raw JSON members).
func def(id string, props ...string) []byte {
	s := `{"type": "marking-definition", "spec_version": "2.1", "id": "` + id + `", "created": "2016-08-01T00:00:00.000Z"`
	for _, p := range props {
		s += ", " + p
	}
	return []byte(s + "}")
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name string
		def  []byte
		want Definition
	}{
		{
			name: "statement (STIX 2.1 section 7.2.1.3 example)",
			def:  def(copyrightID, `"definition_type": "statement"`, `"definition": {"statement": "Copyright 2019, Example Corp"}`),
			want: Definition{ID: copyrightID, Kind: KindStatement, Statement: "Copyright 2019, Example Corp"},
		},
		{
			name: "statement with a name and its own object marking",
			def: def(termsID, `"name": "terms"`, `"definition_type": "statement"`, `"definition": {"statement": "Do not resell"}`,
				`"object_marking_refs": ["`+tlp2Clear+`"]`),
			want: Definition{ID: termsID, Kind: KindStatement, Statement: "Do not resell"},
		},
		{
			name: "TLP 1.0 as STIX 2.0 wrote it, without a name",
			def:  []byte(`{"type": "marking-definition", "id": "` + tlp1Amber + `", "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "definition": {"tlp": "amber"}}`),
			want: Definition{ID: tlp1Amber, Kind: KindTLP, TLP: Amber},
		},
		{
			name: "TLP 2.0 with whitespace and escapes",
			def: []byte(" {\n\t\"type\": \"marking-definition\", \"id\": \"" + tlp2Red + "\", \"name\": \"TLP:RED\",\n" +
				`"extensions": {` + tlp2Ext + `: {"extension_type": "property-extension", "tlp_2_0": "r\u0065d"}}}`),
			want: Definition{ID: tlp2Red, Kind: KindTLP, TLP: Red},
		},
		{
			name: "another definition_type",
			def:  def(papID, `"definition_type": "x-acme-handling"`, `"definition": {"level": 3}`),
			want: Definition{ID: papID, Kind: KindOther},
		},
		{
			name: "another extension (PAP)",
			def: def(papID, `"name": "PAP:GREEN"`,
				`"extensions": {"extension-definition--f8d78575-edfd-406e-8e84-6162a8450f5b": {"extension_type": "property-extension", "pap": "green"}}`),
			want: Definition{ID: papID, Kind: KindOther},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if problems := Validate(tt.def); len(problems) > 0 {
				t.Fatalf("Validate = %v, want none", problems)
			}
			got, err := ParseDefinition(tt.def)
			if err != nil || got != tt.want {
				t.Errorf("ParseDefinition = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestValidateProblems(t *testing.T) {
	custom := "marking-definition--0c6ea6e4-8c4b-4a1b-9f0e-2a6c1f6f8a10"
	tlp2 := func(props string) string { return `"extensions": {` + tlp2Ext + `: {` + props + `}}` }
	ext := "extensions." + TLP2ExtensionID
	tests := []struct {
		name string
		def  []byte
		want []Problem
	}{
		{"not JSON", []byte(`{"type": "marking-definition"`), []Problem{{"", "not valid JSON"}}},
		{"not an object", []byte(`"marking-definition"`), []Problem{{"", "not a JSON object"}}},
		{
			"wrong type and id",
			[]byte(`{"type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "definition_type": "statement", "definition": {"statement": "x"}}`),
			[]Problem{{"type", "must be marking-definition"}, {"id", "must be a marking-definition id"}},
		},
		{
			"no id",
			[]byte(`{"type": "marking-definition", "definition_type": "statement", "definition": {"statement": "x"}}`),
			[]Problem{{"id", "must be a marking-definition id"}},
		},
		{
			"neither definition nor extensions",
			def(custom, `"name": "nothing"`),
			[]Problem{{"definition_type", "required when extensions is absent"}, {"definition", "required when extensions is absent"}},
		},
		{"definition_type without definition", def(custom, `"definition_type": "statement"`), []Problem{{"definition", "required when definition_type is present"}}},
		{"definition without definition_type", def(custom, `"definition": {"statement": "x"}`), []Problem{{"definition_type", "required when definition is present"}}},
		{"definition_type not a string", def(custom, `"definition_type": 1`, `"definition": {}`), []Problem{{"definition_type", "must be a non-empty string"}}},
		{"definition not an object", def(custom, `"definition_type": "statement"`, `"definition": "Copyright"`), []Problem{{"definition", "must be an object, not a string"}}},
		{"statement missing", def(custom, `"definition_type": "statement"`, `"definition": {"text": "x"}`), []Problem{{"definition.statement", "required"}}},
		{"statement not a string", def(custom, `"definition_type": "statement"`, `"definition": {"statement": ["x"]}`), []Problem{{"definition.statement", "must be a string, not a list"}}},
		{"name not a string", def(custom, `"name": 5`, `"definition_type": "statement"`, `"definition": {"statement": "x"}`), []Problem{{"name", "must be a string, not a number"}}},
		{"duplicate property", def(custom, `"definition_type": "statement"`, `"definition": {"statement": "x"}`, `"definition_type": "statement"`), []Problem{{"definition_type", "appears twice"}}},
		{"TLP 1.0 unknown level", def(tlp1Amber, `"definition_type": "tlp"`, `"definition": {"tlp": "purple"}`), []Problem{
			{"definition.tlp", "must be white, green, amber or red"},
			{"id", "reserved for the built-in TLP:AMBER marking-definition"},
		}},
		{"TLP 1.0 with a custom id", def(custom, `"definition_type": "tlp"`, `"definition": {"tlp": "red"}`), []Problem{
			{"id", "a TLP 1.0 TLP:RED marking-definition must have the id " + tlp1Red + " (STIX 2.1 section 7.2.1.4)"},
		}},
		{"TLP 1.0 with another level's id", def(tlp1White, `"definition_type": "tlp"`, `"definition": {"tlp": "green"}`), []Problem{
			{"id", "a TLP 1.0 TLP:GREEN marking-definition must have the id " + tlp1Green + " (STIX 2.1 section 7.2.1.4)"},
		}},
		{"TLP 1.0 white names the 1.0 id", def(custom, `"definition_type": "tlp"`, `"definition": {"tlp": "white"}`), []Problem{
			{"id", "a TLP 1.0 TLP:WHITE marking-definition must have the id " + tlp1White + " (STIX 2.1 section 7.2.1.4)"},
		}},
		{"TLP 1.0 form with a TLP 2.0 id", def(tlp2Red, `"definition_type": "tlp"`, `"definition": {"tlp": "red"}`), []Problem{
			{"id", "a TLP 1.0 TLP:RED marking-definition must have the id " + tlp1Red + " (STIX 2.1 section 7.2.1.4)"},
		}},
		{"TLP 2.0 with a custom id", def(custom, `"name": "TLP:AMBER"`, tlp2(`"extension_type": "property-extension", "tlp_2_0": "amber"`)), []Problem{
			{"id", "a TLP 2.0 TLP:AMBER marking-definition must have the id " + tlp2Amber},
		}},
		{"TLP 2.0 form with a TLP 1.0 id", def(tlp1Red, `"name": "TLP:RED"`, tlp2(`"extension_type": "property-extension", "tlp_2_0": "red"`)), []Problem{
			{"id", "a TLP 2.0 TLP:RED marking-definition must have the id " + tlp2Red},
		}},
		{"TLP 2.0 with another level's id", def(tlp2Clear, `"name": "TLP:RED"`, tlp2(`"extension_type": "property-extension", "tlp_2_0": "red"`)), []Problem{
			{"id", "a TLP 2.0 TLP:RED marking-definition must have the id " + tlp2Red},
		}},
		{"TLP 2.0 wrong name", def(tlp2AmberStrict, `"name": "TLP:AMBER"`, tlp2(`"extension_type": "property-extension", "tlp_2_0": "amber+strict"`)), []Problem{
			{"name", "must be TLP:AMBER+STRICT"},
		}},
		{"TLP 2.0 no name", def(tlp2Green, tlp2(`"extension_type": "property-extension", "tlp_2_0": "green"`)), []Problem{
			{"name", "must be TLP:GREEN"},
		}},
		{"TLP 2.0 unknown level", def(tlp2Red, `"name": "TLP:RED"`, tlp2(`"extension_type": "property-extension", "tlp_2_0": "RED"`)), []Problem{
			{ext + ".tlp_2_0", "must be clear, green, amber, amber+strict or red"},
			{"id", "reserved for the built-in TLP:RED marking-definition"},
		}},
		{"TLP 2.0 level missing, wrong extension type, extra property", def(custom, `"name": "TLP:RED"`, tlp2(`"extension_type": "new-sdo", "level": "red"`)), []Problem{
			{ext + ".level", "not a property of the TLP 2.0 extension"},
			{ext + ".extension_type", "must be property-extension"},
			{ext + ".tlp_2_0", "required"},
		}},
		{"TLP 2.0 level not a string", def(tlp2Red, `"name": "TLP:RED"`, tlp2(`"extension_type": "property-extension", "tlp_2_0": 5`)), []Problem{
			{ext + ".tlp_2_0", "must be a string, not a number"},
			{"id", "reserved for the built-in TLP:RED marking-definition"},
		}},
		{"TLP 2.0 extension not an object", def(custom, `"extensions": {`+tlp2Ext+`: "red"}`), []Problem{
			{ext, "must be an object, not a string"},
		}},
		{"extensions not an object", def(custom, `"extensions": []`), []Problem{{"extensions", "must be an object, not a list"}}},
		{"TLP 2.0 that is also a statement", def(tlp2Red, `"name": "TLP:RED"`, `"definition_type": "statement"`, `"definition": {"statement": "x"}`,
			tlp2(`"extension_type": "property-extension", "tlp_2_0": "red"`)), []Problem{
			{"definition_type", "must not be present in a TLP 2.0 marking-definition"},
		}},
		{"statement under the TLP:RED id", def(tlp2Red, `"definition_type": "statement"`, `"definition": {"statement": "Share freely"}`), []Problem{
			{"id", "reserved for the built-in TLP:RED marking-definition"},
		}},
		{"statement under the TLP 1.0 WHITE id", def(tlp1White, `"definition_type": "statement"`, `"definition": {"statement": "x"}`), []Problem{
			{"id", "reserved for the built-in TLP:CLEAR marking-definition"},
		}},
		{"marks itself", def(custom, `"definition_type": "statement"`, `"definition": {"statement": "x"}`,
			`"object_marking_refs": ["`+tlp2Green+`", "`+custom+`"]`,
			`"granular_markings": [{"lang": "en", "selectors": ["definition"]}, {"marking_ref": "`+custom+`", "selectors": ["name"]}]`), []Problem{
			{"object_marking_refs[1]", "must not reference the marking-definition itself"},
			{"granular_markings[1].marking_ref", "must not reference the marking-definition itself"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Validate(tt.def)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate =\n %v\nwant\n %v", got, tt.want)
			}
			d, err := ParseDefinition(tt.def)
			if err == nil {
				t.Fatalf("ParseDefinition = %+v, want an error", d)
			}
			for _, p := range tt.want {
				if !strings.Contains(err.Error(), p.String()) {
					t.Errorf("ParseDefinition error %q does not list %q", err, p)
				}
			}
		})
	}
}

func TestProblemString(t *testing.T) {
	if got := (Problem{"definition.tlp", "required"}).String(); got != "definition.tlp: required" {
		t.Errorf("String() = %q", got)
	}
	if got := (Problem{"", "not valid JSON"}).String(); got != "not valid JSON" {
		t.Errorf("String() = %q", got)
	}
}
