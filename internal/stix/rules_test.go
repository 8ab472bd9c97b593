package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

// minimalObjects holds the props of the minimal valid object of each type,
// from testdata/valid/minimal.json, in file order.
var minimalObjects = sync.OnceValues(func() (map[string][]prop, error) {
	raw, err := os.ReadFile(filepath.Join(validDir, "minimal.json"))
	if err != nil {
		return nil, err
	}
	data, err := ReadObjects(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	m := map[string][]prop{}
	for _, raw := range data {
		var props []prop
		it := jsonscan.NewObjectIter(raw)
		for it.Next() {
			name, _ := jsonscan.String(it.Name())
			props = append(props, prop{string(name), string(it.Value())})
		}
		typ, _ := jsonscan.String([]byte(props[0].value))
		m[string(typ)] = props
	}
	return m, nil
})

// minimal returns the props of the minimal valid object of type typ.
func minimal(t *testing.T, typ string) []prop {
	t.Helper()
	m, err := minimalObjects()
	if err != nil {
		t.Fatal(err)
	}
	props, ok := m[typ]
	if !ok {
		t.Fatalf("no minimal %s", typ)
	}
	return props
}

// Identifiers used in the rule tests.
const (
	idIdentity  = `"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"`
	idIndicator = `"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"`
	idMalware   = `"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"`
	idIPv4      = `"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"`
	idFile      = `"file--ba8965d8-e4ec-5f9c-a4df-1c460994ca58"`
	idRel       = `"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad"`
	idGreen     = `"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"`
	idExtDef    = "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"
	sha256      = `"6db12788c37247f2316052e142f42f4b259d6561751e5f401a1ae2a6df9c674b"`
)

// ruleCase is a rule test: an object and the violations it must produce.
type ruleCase struct {
	name string
	typ  string            // type of the minimal object to start from
	set  map[string]string // property edits; "" removes
	opts ParseOptions
	want []want
}

// runRuleCases parses each case's object and checks its violations.
func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			input := object(edit(minimal(t, tt.typ), tt.set))
			_, err := ParseWithOptions(input, tt.opts)
			checkViolations(t, err, tt.want)
		})
	}
}

func TestCommonPropertyRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"created without milliseconds", "campaign", map[string]string{"created": `"2024-01-01T00:00:00Z"`, "modified": `"2024-01-01T00:00:00.000Z"`},
			ParseOptions{}, []want{{"created", "millisecond precision"}}},
		{"modified with tenths only", "campaign", map[string]string{"modified": `"2024-01-01T00:00:00.1Z"`},
			ParseOptions{}, []want{{"modified", "millisecond precision"}}},
		{"modified with nanoseconds accepted", "campaign", map[string]string{"modified": `"2024-01-01T00:00:00.000000001Z"`}, ParseOptions{}, nil},
		{"created on SCO without milliseconds", "ipv4-addr", map[string]string{"created": `"2024-01-01T00:00:00Z"`},
			ParseOptions{}, []want{{"created", "millisecond precision"}}},
		{"lang with underscore", "campaign", map[string]string{"lang": `"en_US"`},
			ParseOptions{}, []want{{"lang", "RFC 5646"}}},
		{"lang not a string", "campaign", map[string]string{"lang": `7`},
			ParseOptions{}, []want{{"lang", "RFC 5646"}}},
		{"lang with script and region accepted", "campaign", map[string]string{"lang": `"zh-Hant-TW"`}, ParseOptions{}, nil},
		{"labels empty", "campaign", map[string]string{"labels": `[]`},
			ParseOptions{}, []want{{"labels", "must not be empty"}}},
		{"revoked on an SCO checked", "file", map[string]string{"revoked": `"no"`},
			ParseOptions{}, []want{{"revoked", "must be a boolean"}}},
		{"external reference with only source_name", "campaign", map[string]string{"external_references": `[{"source_name": "capec"}]`},
			ParseOptions{}, []want{{"external_references[0]", "at least one of description, url or external_id"}}},
		{"external reference url not a URL", "campaign", map[string]string{"external_references": `[{"source_name": "a", "url": "see the report"}]`},
			ParseOptions{}, []want{{"external_references[0].url", "must be a URL"}}},
		{"external reference url with bad escape", "campaign", map[string]string{"external_references": `[{"source_name": "a", "url": "https://example.com/%zz"}]`},
			ParseOptions{}, []want{{"external_references[0].url", "must be a URL"}}},
		{"external reference hash of the wrong length", "campaign", map[string]string{"external_references": `[{"source_name": "a", "url": "https://example.com/r", "hashes": {"SHA-256": "abc"}}]`},
			ParseOptions{}, []want{{"external_references[0].hashes.SHA-256", "SHA-256 digest"}}},
		{"external reference with duplicate member", "campaign", map[string]string{"external_references": `[{"source_name": "a", "source_name": "b", "external_id": "x"}]`},
			ParseOptions{}, []want{{"external_references[0].source_name", "duplicate property"}}},
		{"external reference with badly named extra member", "campaign", map[string]string{"external_references": `[{"source_name": "a", "external_id": "x", "Note": "y"}]`},
			ParseOptions{}, []want{{"external_references[0].Note", "invalid property name"}}},
		{"object_marking_refs empty", "campaign", map[string]string{"object_marking_refs": `[]`},
			ParseOptions{}, []want{{"object_marking_refs", "must not be empty"}}},
		{"defanged on an SDO", "campaign", map[string]string{"defanged": `false`},
			ParseOptions{}, []want{{"defanged", "only be used on cyber-observable objects"}}},
		{"defanged on an SCO accepted", "url", map[string]string{"defanged": `true`}, ParseOptions{}, nil},
		{"defanged not a boolean", "url", map[string]string{"defanged": `"yes"`},
			ParseOptions{}, []want{{"defanged", "must be a boolean"}}},
		{"created_by_ref required on extension-definition", "extension-definition", map[string]string{"created_by_ref": ""},
			ParseOptions{}, []want{{"created_by_ref", "required"}}},
		{"reserved property severity", "campaign", map[string]string{"severity": `"high"`},
			ParseOptions{}, []want{{"severity", "reserved property name"}}},
		{"reserved property action on course-of-action", "course-of-action", map[string]string{"action": `{}`},
			ParseOptions{}, []want{{"action", "reserved property name"}}},
	})
}

func TestCustomPropertyRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"custom properties of any value kept", "indicator", map[string]string{"x_acme_score": `{"nested": [1, 2, {"deep": null}]}`, "x_acme_list": `[]`}, ParseOptions{}, nil},
		{"property name with upper case", "indicator", map[string]string{"X_Acme": `1`},
			ParseOptions{}, []want{{"X_Acme", "invalid property name"}}},
		{"property name too short", "indicator", map[string]string{"xy": `1`},
			ParseOptions{}, []want{{"xy", "3-250 characters"}}},
		{"property name with a hyphen", "indicator", map[string]string{"x-acme": `1`},
			ParseOptions{}, []want{{"x-acme", "invalid property name"}}},
		{"property name with a space is quoted in the path", "indicator", map[string]string{"x acme": `1`},
			ParseOptions{}, []want{{`["x acme"]`, "invalid property name"}}},
		{"_ref property holding a non-identifier", "indicator", map[string]string{"x_acme_owner_ref": `"acme"`},
			ParseOptions{}, []want{{"x_acme_owner_ref", "a property named *_ref must hold an identifier"}}},
		{"_ref property holding an empty string is tolerated (ATT&CK ships it)", "indicator", map[string]string{"x_acme_owner_ref": `""`},
			ParseOptions{}, nil},
		{"_ref property holding a name", "indicator", map[string]string{"x_acme_owner_ref": `"acme"`},
			ParseOptions{}, []want{{"x_acme_owner_ref", "a property named *_ref must hold an identifier"}}},
		{"_refs property holding a bad element", "indicator", map[string]string{"x_acme_refs": `[` + idIdentity + `, "nope"]`},
			ParseOptions{}, []want{{"x_acme_refs[1]", "a property named *_refs must hold a list of identifiers"}}},
		{"_refs property empty", "indicator", map[string]string{"x_acme_refs": `[]`},
			ParseOptions{}, []want{{"x_acme_refs", "must not be empty"}}},
		{"_ref property holding an identifier of any type", "indicator", map[string]string{"x_acme_owner_ref": idMalware}, ParseOptions{}, nil},
	})
	// A custom object: common properties as for an SDO, other properties
	// named by the custom rules.
	custom := []prop{
		{"type", `"x-acme-widget"`}, {"spec_version", `"2.1"`},
		{"id", `"x-acme-widget--69da72d2-f550-41c5-ab9e-e8255707f28a"`},
		{"created", `"2024-01-01T00:00:00.000Z"`}, {"modified", `"2024-01-01T00:00:00.000Z"`},
		{"widget_size", `12`}, {"BadName", `1`}, {"owner_ref", `"x"`},
	}
	_, err := Parse(object(custom))
	checkViolations(t, err, []want{
		{"BadName", "invalid property name"},
		{"owner_ref", "a property named *_ref must hold an identifier"},
	})
}

func TestExtensionRules(t *testing.T) {
	ext := func(body string) string { return `{"` + idExtDef + `": ` + body + `}` }
	runRuleCases(t, []ruleCase{
		{"property-extension accepted", "indicator", map[string]string{"extensions": ext(`{"extension_type": "property-extension", "rank": 5}`)}, ParseOptions{}, nil},
		{"extensions not an object", "indicator", map[string]string{"extensions": `["archive-ext"]`},
			ParseOptions{}, []want{{"extensions", "must be an object"}}},
		{"extensions empty", "indicator", map[string]string{"extensions": `{}`},
			ParseOptions{}, []want{{"extensions", "must not be empty"}}},
		{"extension key neither id nor predefined", "indicator", map[string]string{"extensions": `{"acme": {"a_b": 1}}`},
			ParseOptions{}, []want{{"extensions.acme", "unknown extension"}}},
		{"predefined extension on another type", "indicator", map[string]string{"extensions": `{"archive-ext": {"contains_refs": [` + idFile + `]}}`},
			ParseOptions{}, []want{{"extensions.archive-ext", "defined for file objects only"}}},
		{"extension-definition id with a bad UUID", "indicator", map[string]string{"extensions": `{"extension-definition--1234": {"extension_type": "property-extension"}}`},
			ParseOptions{}, []want{{"extensions.extension-definition--1234", "invalid extension-definition id"}}},
		{"extension without extension_type", "indicator", map[string]string{"extensions": ext(`{"rank": 5}`)},
			ParseOptions{}, []want{{"extensions." + idExtDef + ".extension_type", "required"}}},
		{"extension_type outside the enumeration", "indicator", map[string]string{"extensions": ext(`{"extension_type": "property"}`)},
			ParseOptions{}, []want{{"extensions." + idExtDef + ".extension_type", "extension-type-enum"}}},
		{"extension not an object", "indicator", map[string]string{"extensions": ext(`"property-extension"`)},
			ParseOptions{}, []want{{"extensions." + idExtDef, "must be an object"}}},
		{"extension redefining a STIX type", "indicator", map[string]string{"extensions": ext(`{"extension_type": "new-sdo"}`)},
			ParseOptions{}, []want{{"extensions." + idExtDef + ".extension_type", "cannot redefine STIX 2.1 types"}}},
		{"extension property with a bad name", "indicator", map[string]string{"extensions": ext(`{"extension_type": "property-extension", "Rank": 5}`)},
			ParseOptions{}, []want{{"extensions." + idExtDef + ".Rank", "invalid property name"}}},
		{"extension _ref property holding a non-identifier", "indicator", map[string]string{"extensions": ext(`{"extension_type": "property-extension", "owner_ref": 5}`)},
			ParseOptions{}, []want{{"extensions." + idExtDef + ".owner_ref", "must hold an identifier"}}},
		{"duplicate extension", "indicator", map[string]string{"extensions": `{"` + idExtDef + `": {"extension_type": "property-extension"}, "` + idExtDef + `": {"extension_type": "property-extension"}}`},
			ParseOptions{}, []want{{"extensions." + idExtDef, "duplicate extension"}}},
		{"custom SCO extension accepted", "file", map[string]string{"extensions": `{"x-acme-scan-ext": {"score": 5}}`}, ParseOptions{}, nil},
		{"custom SCO extension without properties", "file", map[string]string{"extensions": `{"x-acme-scan-ext": {}}`},
			ParseOptions{}, []want{{"extensions.x-acme-scan-ext", "at least one property"}}},
		{"custom extension name without -ext", "file", map[string]string{"extensions": `{"x-acme-scan": {"score": 5}}`},
			ParseOptions{}, []want{{"extensions.x-acme-scan", "unknown extension"}}},
		{"custom extension on an SDO", "campaign", map[string]string{"extensions": `{"x-acme-scan-ext": {"score": 5}}`},
			ParseOptions{}, []want{{"extensions.x-acme-scan-ext", "unknown extension"}}},
	})

	// Objects of extension-defined types.
	known := ParseOptions{KnownType: func(t string) bool { return t == "acme-widget" }}
	widget := func(extType string) []byte {
		return object([]prop{
			{"type", `"acme-widget"`}, {"spec_version", `"2.1"`},
			{"id", `"acme-widget--69da72d2-f550-41c5-ab9e-e8255707f28a"`},
			{"extensions", ext(`{"extension_type": "` + extType + `"}`)},
		})
	}
	tests := []struct {
		name  string
		input []byte
		opts  ParseOptions
		want  []want
	}{
		{"extension-defined SCO needs no created", widget("new-sco"), known, nil},
		{"extension-defined SDO needs created and modified", widget("new-sdo"), known,
			[]want{{"created", "required"}, {"modified", "required"}}},
		{"extension-defined type without its new-* extension", widget("property-extension"), known,
			[]want{{"extensions", "must name its extension-definition"}, {"created", "required"}, {"modified", "required"}}},
		{"extension-defined type not known to the caller", widget("new-sco"), ParseOptions{},
			[]want{{"type", "unknown STIX type"}}},
		{"custom type with two classes", object([]prop{
			{"type", `"x-acme-widget"`}, {"spec_version", `"2.1"`},
			{"id", `"x-acme-widget--69da72d2-f550-41c5-ab9e-e8255707f28a"`},
			{"extensions", `{"` + idExtDef + `": {"extension_type": "new-sco"}, "extension-definition--9c59fd79-4215-4ba2-920d-3e4f320e1e62": {"extension_type": "new-sdo"}}`},
		}), ParseOptions{}, []want{{"extensions.extension-definition--9c59fd79-4215-4ba2-920d-3e4f320e1e62.extension_type", "conflicts with another extension"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWithOptions(tt.input, tt.opts)
			checkViolations(t, err, tt.want)
		})
	}
}

func TestDictionaryAndHashRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"hash algorithm outside the vocabulary accepted", "file", map[string]string{"hashes": `{"x_acme_hash": "anything"}`}, ParseOptions{}, nil},
		{"hashes empty", "file", map[string]string{"hashes": `{}`},
			ParseOptions{}, []want{{"hashes", "must not be empty"}}},
		{"hashes not an object", "file", map[string]string{"hashes": `["MD5"]`},
			ParseOptions{}, []want{{"hashes", "must be an object"}}},
		{"hash key too short", "file", map[string]string{"hashes": `{"md": "3773a88f65a5e780c8dff9cdc3a056f3"}`},
			ParseOptions{}, []want{{"hashes.md", "3-250 characters"}}},
		{"duplicate hash key", "file", map[string]string{"hashes": `{"MD5": "3773a88f65a5e780c8dff9cdc3a056f3", "MD5": "3773a88f65a5e780c8dff9cdc3a056f4"}`},
			ParseOptions{}, []want{{"hashes.MD5", "duplicate dictionary key"}}},
		{"MD5 of the wrong length", "file", map[string]string{"hashes": `{"MD5": "3773a88f"}`},
			ParseOptions{}, []want{{"hashes.MD5", "MD5 digest"}}},
		{"SHA-1 with non-hex digits", "file", map[string]string{"hashes": `{"SHA-1": "5374e08903744ceeaedd8f5e1bfc06b2c4688e7z"}`},
			ParseOptions{}, []want{{"hashes.SHA-1", "SHA-1 digest"}}},
		{"SHA-512 of the wrong length", "file", map[string]string{"hashes": `{"SHA-512": ` + sha256 + `}`},
			ParseOptions{}, []want{{"hashes.SHA-512", "SHA-512 digest"}}},
		{"SHA3-256 of the wrong length", "file", map[string]string{"hashes": `{"SHA3-256": "abcd"}`},
			ParseOptions{}, []want{{"hashes.SHA3-256", "SHA3-256 digest"}}},
		{"SHA3-512 of the wrong length", "file", map[string]string{"hashes": `{"SHA3-512": "abcd"}`},
			ParseOptions{}, []want{{"hashes.SHA3-512", "SHA3-512 digest"}}},
		{"lower-case alias of SHA-256 held to its format", "file", map[string]string{"hashes": `{"sha256": "abc"}`},
			ParseOptions{}, []want{{"hashes.sha256", "SHA-256 digest"}}},
		{"upper-case hex digest accepted", "file", map[string]string{"hashes": `{"MD5": "3773A88F65A5E780C8DFF9CDC3A056F3"}`}, ParseOptions{}, nil},
		{"SSDEEP without block size", "file", map[string]string{"hashes": `{"SSDEEP": "Ol9rFBzwjx5ZKvBF:Ol9rFmPe6LrJXt"}`},
			ParseOptions{}, []want{{"hashes.SSDEEP", "ssdeep"}}},
		{"TLSH of the wrong length", "file", map[string]string{"hashes": `{"TLSH": "T1abcd"}`},
			ParseOptions{}, []want{{"hashes.TLSH", "TLSH digest"}}},
		{"hash value not a string", "file", map[string]string{"hashes": `{"MD5": 5}`},
			ParseOptions{}, []want{{"hashes.MD5", "must be a non-empty string"}}},
		{"hash value empty", "file", map[string]string{"hashes": `{"x_acme": ""}`},
			ParseOptions{}, []want{{"hashes.x_acme", "must be a non-empty string"}}},
		{"dictionary key with a space", "email-message", map[string]string{"additional_header_fields": `{"Reply To": ["a@example.com"]}`},
			ParseOptions{}, []want{{`additional_header_fields["Reply To"]`, "invalid key"}}},
		{"dictionary value of the wrong kind", "email-message", map[string]string{"additional_header_fields": `{"Reply-To": "a@example.com"}`},
			ParseOptions{}, []want{{"additional_header_fields.Reply-To", "must be an array"}}},
		{"dictionary empty", "process", map[string]string{"environment_variables": `{}`},
			ParseOptions{}, []want{{"environment_variables", "must not be empty"}}},
		{"untyped dictionary value null", "process", map[string]string{"extensions": `{"windows-process-ext": {"startup_info": {"lpDesktop": null}}}`},
			ParseOptions{}, []want{{"extensions.windows-process-ext.startup_info.lpDesktop", "must not be null"}}},
	})
}

func TestGranularMarkingRules(t *testing.T) {
	gm := func(markings string) map[string]string {
		return map[string]string{"labels": `["a", "b"]`, "description": `"d"`, "granular_markings": markings}
	}
	runRuleCases(t, []ruleCase{
		{"selectors of properties, list items and nested members", "campaign", map[string]string{
			"external_references": `[{"source_name": "capec", "external_id": "CAPEC-1"}]`, "labels": `["a", "b"]`,
			"granular_markings": `[{"marking_ref": ` + idGreen + `, "selectors": ["labels", "labels.[1]", "external_references.[0].source_name", "name"]}, {"lang": "de", "selectors": ["name"]}]`,
		}, ParseOptions{}, nil},
		{"granular marking without selectors", "campaign", gm(`[{"marking_ref": ` + idGreen + `}]`),
			ParseOptions{}, []want{{"granular_markings[0].selectors", "required"}}},
		{"granular marking with empty selectors", "campaign", gm(`[{"marking_ref": ` + idGreen + `, "selectors": []}]`),
			ParseOptions{}, []want{{"granular_markings[0].selectors", "must not be empty"}}},
		{"granular marking with marking_ref and lang", "campaign", gm(`[{"marking_ref": ` + idGreen + `, "lang": "en", "selectors": ["name"]}]`),
			ParseOptions{}, []want{{"granular_markings[0]", "exactly one of marking_ref and lang"}}},
		{"granular marking with neither marking_ref nor lang", "campaign", gm(`[{"selectors": ["name"]}]`),
			ParseOptions{}, []want{{"granular_markings[0]", "must have marking_ref"}}},
		{"granular marking_ref of another type", "campaign", gm(`[{"marking_ref": ` + idIdentity + `, "selectors": ["name"]}]`),
			ParseOptions{}, []want{{"granular_markings[0].marking_ref", "must reference a marking-definition"}}},
		{"granular lang not a language tag", "campaign", gm(`[{"lang": "german!", "selectors": ["name"]}]`),
			ParseOptions{}, []want{{"granular_markings[0].lang", "RFC 5646"}}},
		{"selector of a missing property", "campaign", gm(`[{"marking_ref": ` + idGreen + `, "selectors": ["name", "pattern"]}]`),
			ParseOptions{}, []want{{"granular_markings[0].selectors[1]", "the object has no property pattern"}}},
		{"selector index beyond the list", "campaign", gm(`[{"marking_ref": ` + idGreen + `, "selectors": ["labels.[2]"]}]`),
			ParseOptions{}, []want{{"granular_markings[0].selectors[0]", "labels has 2 items, no [2]"}}},
		{"selector indexing a string", "campaign", gm(`[{"marking_ref": ` + idGreen + `, "selectors": ["description.[0]"]}]`),
			ParseOptions{}, []want{{"granular_markings[0].selectors[0]", "description is a string, not a list"}}},
		{"selector naming a member of a list", "campaign", gm(`[{"marking_ref": ` + idGreen + `, "selectors": ["labels.name"]}]`),
			ParseOptions{}, []want{{"granular_markings[0].selectors[0]", "labels is a list, not an object"}}},
		{"selector with an index not after a dot", "campaign", gm(`[{"marking_ref": ` + idGreen + `, "selectors": ["labels[0]"]}]`),
			ParseOptions{}, []want{{"granular_markings[0].selectors[0]", `component "labels[0]" is neither a property name nor a list index like [0]`}}},
		{"selector with an empty component", "campaign", gm(`[{"marking_ref": ` + idGreen + `, "selectors": ["labels..[0]"]}]`),
			ParseOptions{}, []want{{"granular_markings[0].selectors[0]", "empty component"}}},
		{"selector starting with an index", "campaign", gm(`[{"marking_ref": ` + idGreen + `, "selectors": ["[0]"]}]`),
			ParseOptions{}, []want{{"granular_markings[0].selectors[0]", "the object is not a list"}}},
		{"selector not a string", "campaign", gm(`[{"marking_ref": ` + idGreen + `, "selectors": [7]}]`),
			ParseOptions{}, []want{{"granular_markings[0].selectors[0]", "must be a string"}}},
		{"marking-definition marking itself", "marking-definition", map[string]string{
			"id": idGreen, "definition_type": `"tlp"`, "definition": `{"tlp": "green"}`, "object_marking_refs": `[` + idGreen + `]`,
			"granular_markings": `[{"marking_ref": ` + idGreen + `, "selectors": ["definition"]}]`,
		}, ParseOptions{}, []want{
			{"object_marking_refs[0]", "must not reference the marking-definition itself"},
			{"granular_markings[0].marking_ref", "must not reference the marking-definition itself"},
		}},
	})
}

func TestSDORules(t *testing.T) {
	kcp := `[{"kill_chain_name": "lockheed-martin-cyber-kill-chain"}]`
	runRuleCases(t, []ruleCase{
		{"attack-pattern without name", "attack-pattern", map[string]string{"name": ""}, ParseOptions{}, []want{{"name", "required"}}},
		{"attack-pattern name not a string", "attack-pattern", map[string]string{"name": `["a"]`}, ParseOptions{}, []want{{"name", "must be a string"}}},
		{"attack-pattern kill chain phase without phase_name", "attack-pattern", map[string]string{"kill_chain_phases": kcp},
			ParseOptions{}, []want{{"kill_chain_phases[0].phase_name", "required"}}},
		{"attack-pattern kill chain phase not an object", "attack-pattern", map[string]string{"kill_chain_phases": `["recon"]`},
			ParseOptions{}, []want{{"kill_chain_phases[0]", "must be an object (kill chain phase)"}}},
		{"attack-pattern aliases not a list", "attack-pattern", map[string]string{"aliases": `"a"`}, ParseOptions{}, []want{{"aliases", "must be an array"}}},
		{"attack-pattern CAPEC id malformed", "attack-pattern", map[string]string{"external_references": `[{"source_name": "mitre-attack", "external_id": "T1"}, {"source_name": "capec", "external_id": "163"}]`},
			ParseOptions{}, []want{{"external_references[1].external_id", "CAPEC-[id]"}}},
		{"campaign without name", "campaign", map[string]string{"name": ""}, ParseOptions{}, []want{{"name", "required"}}},
		{"campaign last_seen before first_seen", "campaign", map[string]string{"first_seen": `"2020-01-02T00:00:00Z"`, "last_seen": `"2020-01-01T00:00:00Z"`},
			ParseOptions{}, []want{{"last_seen", "must not be before first_seen"}}},
		{"campaign last_seen equal to first_seen", "campaign", map[string]string{"first_seen": `"2020-01-01T00:00:00Z"`, "last_seen": `"2020-01-01T00:00:00.000Z"`}, ParseOptions{}, nil},
		{"campaign first_seen malformed", "campaign", map[string]string{"first_seen": `"2020"`}, ParseOptions{}, []want{{"first_seen", "timestamp must be RFC 3339 UTC"}}},
		{"course-of-action without name", "course-of-action", map[string]string{"name": ""}, ParseOptions{}, []want{{"name", "required"}}},
		{"grouping without context and object_refs", "grouping", map[string]string{"context": "", "object_refs": ""},
			ParseOptions{}, []want{{"context", "required"}, {"object_refs", "required"}}},
		{"grouping context of any string", "grouping", map[string]string{"context": `"our-own-context"`}, ParseOptions{}, nil},
		{"grouping object_refs empty", "grouping", map[string]string{"object_refs": `[]`}, ParseOptions{}, []want{{"object_refs", "must not be empty"}}},
		{"grouping object_refs naming a bundle", "grouping", map[string]string{"object_refs": `["bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"]`},
			ParseOptions{}, []want{{"object_refs[0]", "a bundle is not a STIX object"}}},
		{"identity without name", "identity", map[string]string{"name": ""}, ParseOptions{}, []want{{"name", "required"}}},
		{"identity sectors with a number", "identity", map[string]string{"sectors": `["financial-services", 7]`},
			ParseOptions{}, []want{{"sectors[1]", "must be a string"}}},
		{"identity identity_class outside the vocabulary accepted", "identity", map[string]string{"identity_class": `"consortium"`}, ParseOptions{}, nil},
		{"identity identity_class not a string", "identity", map[string]string{"identity_class": `1`}, ParseOptions{}, []want{{"identity_class", "must be a string"}}},
		{"incident without name", "incident", map[string]string{"name": ""}, ParseOptions{}, []want{{"name", "required"}}},
		{"infrastructure without name", "infrastructure", map[string]string{"name": ""}, ParseOptions{}, []want{{"name", "required"}}},
		{"infrastructure last_seen before first_seen", "infrastructure", map[string]string{"first_seen": `"2020-01-02T00:00:00Z"`, "last_seen": `"2020-01-01T00:00:00Z"`},
			ParseOptions{}, []want{{"last_seen", "must not be before first_seen"}}},
		{"intrusion-set without name", "intrusion-set", map[string]string{"name": ""}, ParseOptions{}, []want{{"name", "required"}}},
		{"intrusion-set secondary_motivations not a list", "intrusion-set", map[string]string{"secondary_motivations": `"revenge"`},
			ParseOptions{}, []want{{"secondary_motivations", "must be an array"}}},
		{"intrusion-set last_seen before first_seen", "intrusion-set", map[string]string{"first_seen": `"2020-01-02T00:00:00Z"`, "last_seen": `"2020-01-01T00:00:00Z"`},
			ParseOptions{}, []want{{"last_seen", "must not be before first_seen"}}},
		{"location without region, country or coordinates", "location", map[string]string{"region": "", "city": `"Paris"`},
			ParseOptions{}, []want{{"", "region, country, or latitude and longitude"}}},
		{"location with coordinates only accepted", "location", map[string]string{"region": "", "latitude": `-90`, "longitude": `180.0`}, ParseOptions{}, nil},
		{"location with country only accepted", "location", map[string]string{"region": "", "country": `"th"`}, ParseOptions{}, nil},
		{"location latitude out of range", "location", map[string]string{"latitude": `90.5`, "longitude": `0`},
			ParseOptions{}, []want{{"latitude", "from -90.0 to 90.0"}}},
		{"location longitude out of range", "location", map[string]string{"latitude": `0`, "longitude": `-180.01`},
			ParseOptions{}, []want{{"longitude", "from -180.0 to 180.0"}}},
		{"location latitude as a string", "location", map[string]string{"latitude": `"48.8566"`, "longitude": `2.3522`},
			ParseOptions{}, []want{{"latitude", "must be a number"}}},
		{"location longitude without latitude", "location", map[string]string{"longitude": `2.3522`},
			ParseOptions{}, []want{{"latitude", "required when longitude is present"}}},
		{"location latitude without longitude", "location", map[string]string{"latitude": `2.3522`},
			ParseOptions{}, []want{{"longitude", "required when latitude is present"}}},
		{"location precision without coordinates", "location", map[string]string{"precision": `10.5`},
			ParseOptions{}, []want{{"latitude", "required when precision is present"}, {"longitude", "required when precision is present"}}},
		{"malware without is_family", "malware", map[string]string{"is_family": ""}, ParseOptions{}, []want{{"is_family", "required"}}},
		{"malware is_family not a boolean", "malware", map[string]string{"is_family": `"true"`}, ParseOptions{}, []want{{"is_family", "must be a boolean"}}},
		{"malware family without name", "malware", map[string]string{"is_family": `true`},
			ParseOptions{}, []want{{"name", "required when is_family is true"}}},
		{"malware sample_refs to an indicator", "malware", map[string]string{"sample_refs": `[` + idFile + `, ` + idIndicator + `]`},
			ParseOptions{}, []want{{"sample_refs[1]", "must reference a file or artifact"}}},
		{"malware operating_system_refs to a file", "malware", map[string]string{"operating_system_refs": `[` + idFile + `]`},
			ParseOptions{}, []want{{"operating_system_refs[0]", "must reference a software object"}}},
		{"malware last_seen before first_seen", "malware", map[string]string{"first_seen": `"2020-01-02T00:00:00Z"`, "last_seen": `"2020-01-01T00:00:00Z"`},
			ParseOptions{}, []want{{"last_seen", "must not be before first_seen"}}},
		{"malware-analysis without product", "malware-analysis", map[string]string{"product": ""}, ParseOptions{}, []want{{"product", "required"}}},
		{"malware-analysis without result or analysis_sco_refs", "malware-analysis", map[string]string{"result": ""},
			ParseOptions{}, []want{{"", "must have result or analysis_sco_refs"}}},
		{"malware-analysis analysis_sco_refs to an SDO", "malware-analysis", map[string]string{"analysis_sco_refs": `[` + idIndicator + `]`},
			ParseOptions{}, []want{{"analysis_sco_refs[0]", "must reference a cyber-observable object (SCO); got indicator"}}},
		{"malware-analysis sample_ref to an ipv4-addr", "malware-analysis", map[string]string{"sample_ref": idIPv4},
			ParseOptions{}, []want{{"sample_ref", "must reference a file, network-traffic or artifact"}}},
		{"malware-analysis host_vm_ref to a file", "malware-analysis", map[string]string{"host_vm_ref": idFile},
			ParseOptions{}, []want{{"host_vm_ref", "must reference a software object"}}},
		{"malware-analysis submitted malformed", "malware-analysis", map[string]string{"submitted": `"yesterday"`},
			ParseOptions{}, []want{{"submitted", "timestamp must be RFC 3339 UTC"}}},
		{"note without content and object_refs", "note", map[string]string{"content": "", "object_refs": ""},
			ParseOptions{}, []want{{"content", "required"}, {"object_refs", "required"}}},
		{"observed-data number_observed zero", "observed-data", map[string]string{"number_observed": `0`},
			ParseOptions{}, []want{{"number_observed", "from 1 to 999,999,999"}}},
		{"observed-data number_observed too large", "observed-data", map[string]string{"number_observed": `1000000000`},
			ParseOptions{}, []want{{"number_observed", "from 1 to 999,999,999"}}},
		{"observed-data without first_observed, last_observed, number_observed", "observed-data", map[string]string{"first_observed": "", "last_observed": "", "number_observed": ""},
			ParseOptions{}, []want{{"first_observed", "required"}, {"last_observed", "required"}, {"number_observed", "required"}}},
		{"observed-data last_observed before first_observed", "observed-data", map[string]string{"last_observed": `"2023-12-31T23:59:59Z"`},
			ParseOptions{}, []want{{"last_observed", "must not be before first_observed"}}},
		{"observed-data without object_refs or objects", "observed-data", map[string]string{"object_refs": ""},
			ParseOptions{}, []want{{"", "must have object_refs (or the deprecated objects)"}}},
		{"observed-data with object_refs and objects", "observed-data", map[string]string{"objects": `{"0": {"type": "ipv4-addr", "value": "198.51.100.3"}}`},
			ParseOptions{}, []want{{"objects", "must not be present together with object_refs"}}},
		{"observed-data objects without type", "observed-data", map[string]string{"object_refs": "", "objects": `{"0": {"value": "198.51.100.3"}}`},
			ParseOptions{}, []want{{"objects.0.type", "required"}}},
		{"observed-data objects empty", "observed-data", map[string]string{"object_refs": "", "objects": `{}`},
			ParseOptions{}, []want{{"objects", "must not be empty"}}},
		{"observed-data object_refs to an SDO", "observed-data", map[string]string{"object_refs": `[` + idIPv4 + `, ` + idIndicator + `]`},
			ParseOptions{}, []want{{"object_refs[1]", "must reference a cyber-observable object (SCO) or relationship object (SRO)"}}},
		{"observed-data object_refs without an SCO", "observed-data", map[string]string{"object_refs": `[` + idRel + `]`},
			ParseOptions{}, []want{{"object_refs", "must reference at least one cyber-observable object"}}},
		{"opinion outside opinion-enum", "opinion", map[string]string{"opinion": `"maybe"`},
			ParseOptions{}, []want{{"opinion", "must be one of the opinion-enum values"}}},
		{"opinion without opinion and object_refs", "opinion", map[string]string{"opinion": "", "object_refs": ""},
			ParseOptions{}, []want{{"opinion", "required"}, {"object_refs", "required"}}},
		{"report without name, published and object_refs", "report", map[string]string{"name": "", "published": "", "object_refs": ""},
			ParseOptions{}, []want{{"name", "required"}, {"published", "required"}, {"object_refs", "required"}}},
		{"report published malformed", "report", map[string]string{"published": `"2016-01-20"`},
			ParseOptions{}, []want{{"published", "timestamp must be RFC 3339 UTC"}}},
		{"threat-actor without name", "threat-actor", map[string]string{"name": ""}, ParseOptions{}, []want{{"name", "required"}}},
		{"threat-actor personal_motivations not a list", "threat-actor", map[string]string{"personal_motivations": `"revenge"`},
			ParseOptions{}, []want{{"personal_motivations", "must be an array"}}},
		{"threat-actor last_seen before first_seen", "threat-actor", map[string]string{"first_seen": `"2020-01-02T00:00:00Z"`, "last_seen": `"2020-01-01T00:00:00Z"`},
			ParseOptions{}, []want{{"last_seen", "must not be before first_seen"}}},
		{"tool without name", "tool", map[string]string{"name": ""}, ParseOptions{}, []want{{"name", "required"}}},
		{"tool kill_chain_phases empty", "tool", map[string]string{"kill_chain_phases": `[]`}, ParseOptions{}, []want{{"kill_chain_phases", "must not be empty"}}},
		{"vulnerability without name", "vulnerability", map[string]string{"name": ""}, ParseOptions{}, []want{{"name", "required"}}},
		{"vulnerability CVE id malformed", "vulnerability", map[string]string{"external_references": `[{"source_name": "cve", "external_id": "cve-2016-1234"}]`},
			ParseOptions{}, []want{{"external_references[0].external_id", "the CVE identifier"}}},
	})
}

// patternError is an error from a pattern parser that knows the column.
type patternError struct{ col int }

func (e patternError) Error() string { return "expected ']'" }
func (e patternError) Column() int   { return e.col }

func TestIndicatorPatternHook(t *testing.T) {
	var calls []string
	check := func(err error) ParseOptions {
		return ParseOptions{CheckPattern: func(p string) error {
			calls = append(calls, p)
			return err
		}}
	}
	runRuleCases(t, []ruleCase{
		{"valid pattern", "indicator", nil, check(nil), nil},
		{"pattern error without column", "indicator", nil, check(errors.New("unknown object type")),
			[]want{{"pattern", "invalid STIX pattern: unknown object type"}}},
		{"pattern error with column", "indicator", nil, check(fmt.Errorf("parse: %w", patternError{col: 7})),
			[]want{{"pattern", "invalid STIX pattern at column 7: parse: expected ']'"}}},
		{"escaped pattern is unescaped", "indicator", map[string]string{"pattern": `"[ipv4-addr:value = '198.51.100.3'\u005d"`}, check(nil), nil},
		{"other pattern languages are not checked", "indicator", map[string]string{"pattern_type": `"snort"`, "pattern": `"alert tcp any any"`},
			check(errors.New("not called")), nil},
	})
	want := []string{
		"[ipv4-addr:value = '198.51.100.3']", "[ipv4-addr:value = '198.51.100.3']",
		"[ipv4-addr:value = '198.51.100.3']", "[ipv4-addr:value = '198.51.100.3']",
	}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("CheckPattern called with %q, want %q", calls, want)
	}
	// Without a hook, the full STIX pattern check runs.
	_, err := Parse(object(edit(minimal(t, "indicator"), map[string]string{"pattern": `"[ipv4-addr:value = '1.2.3.4' AND]"`})))
	if err == nil || !strings.Contains(err.Error(), "pattern: invalid STIX pattern: column 33: ") {
		t.Errorf("Parse without a hook: %v, want the pattern package's error with its column", err)
	}
	// Extension-defined types known to the hub are known to patterns too.
	known := ParseOptions{KnownType: func(t string) bool { return t == "cryptocurrency-wallet" }}
	wallet := object(edit(minimal(t, "indicator"), map[string]string{"pattern": `"[cryptocurrency-wallet:value = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT']"`}))
	if _, err := ParseWithOptions(wallet, known); err != nil {
		t.Errorf("pattern on an extension-defined type: %v", err)
	}
	if _, err := Parse(wallet); err == nil {
		t.Error("pattern on an unknown type accepted")
	}
}

func TestSRORules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"relationship_type with upper case", "relationship", map[string]string{"relationship_type": `"Indicates"`},
			ParseOptions{}, []want{{"relationship_type", "a-z, 0-9 and '-'"}}},
		{"relationship source_ref to a relationship", "relationship", map[string]string{"source_ref": idRel},
			ParseOptions{}, []want{{"source_ref", "must reference a domain object (SDO) or cyber-observable object (SCO); got relationship"}}},
		{"relationship target_ref to a marking-definition", "relationship", map[string]string{"target_ref": idGreen},
			ParseOptions{}, []want{{"target_ref", "; got marking-definition"}}},
		{"relationship between custom objects accepted", "relationship", map[string]string{"source_ref": `"x-mitre-tactic--69da72d2-f550-41c5-ab9e-e8255707f28a"`}, ParseOptions{}, nil},
		{"relationship stop_time equal to start_time", "relationship", map[string]string{"start_time": `"2020-01-01T00:00:00Z"`, "stop_time": `"2020-01-01T00:00:00Z"`},
			ParseOptions{}, []want{{"stop_time", "must be after start_time"}}},
		{"relationship start_time malformed", "relationship", map[string]string{"start_time": `"now"`},
			ParseOptions{}, []want{{"start_time", "timestamp must be RFC 3339 UTC"}}},
		{"sighting without sighting_of_ref", "sighting", map[string]string{"sighting_of_ref": ""}, ParseOptions{}, []want{{"sighting_of_ref", "required"}}},
		{"sighting of an SCO", "sighting", map[string]string{"sighting_of_ref": idIPv4},
			ParseOptions{}, []want{{"sighting_of_ref", "must reference a domain object (SDO); got ipv4-addr"}}},
		{"sighting observed_data_refs to an indicator", "sighting", map[string]string{"observed_data_refs": `[` + idIndicator + `]`},
			ParseOptions{}, []want{{"observed_data_refs[0]", "must reference an observed-data"}}},
		{"sighting where_sighted_refs to a malware", "sighting", map[string]string{"where_sighted_refs": `[` + idIdentity + `, ` + idMalware + `]`},
			ParseOptions{}, []want{{"where_sighted_refs[1]", "must reference an identity or location"}}},
		{"sighting count negative", "sighting", map[string]string{"count": `-1`}, ParseOptions{}, []want{{"count", "from 0 to 999,999,999"}}},
		{"sighting count too large", "sighting", map[string]string{"count": `1000000000`}, ParseOptions{}, []want{{"count", "from 0 to 999,999,999"}}},
		{"sighting summary as a string", "sighting", map[string]string{"summary": `"false"`}, ParseOptions{}, []want{{"summary", "must be a boolean"}}},
		{"sighting last_seen before first_seen", "sighting", map[string]string{"first_seen": `"2020-01-02T00:00:00Z"`, "last_seen": `"2020-01-01T00:00:00Z"`},
			ParseOptions{}, []want{{"last_seen", "must not be before first_seen"}}},
	})
}

func TestSCORules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"artifact without payload_bin or url", "artifact", map[string]string{"payload_bin": ""},
			ParseOptions{}, []want{{"", "must have payload_bin or url"}}},
		{"artifact with payload_bin and url", "artifact", map[string]string{"url": `"https://example.com/a"`, "hashes": `{"SHA-256": ` + sha256 + `}`},
			ParseOptions{}, []want{{"url", "must not be present together with payload_bin"}}},
		{"artifact url without hashes", "artifact", map[string]string{"payload_bin": "", "url": `"https://example.com/a"`},
			ParseOptions{}, []want{{"hashes", "required when url is present"}}},
		{"artifact decryption_key without encryption_algorithm", "artifact", map[string]string{"decryption_key": `"infected"`},
			ParseOptions{}, []want{{"encryption_algorithm", "required when decryption_key is present"}}},
		{"artifact encryption_algorithm outside the enumeration", "artifact", map[string]string{"encryption_algorithm": `"ROT13"`},
			ParseOptions{}, []want{{"encryption_algorithm", "encryption-algorithm-enum"}}},
		{"artifact payload_bin not base64", "artifact", map[string]string{"payload_bin": `"aGVsbG8"`},
			ParseOptions{}, []want{{"payload_bin", "must be base64"}}},
		{"autonomous-system without number", "autonomous-system", map[string]string{"number": ""}, ParseOptions{}, []want{{"number", "required"}}},
		{"autonomous-system number with a fraction", "autonomous-system", map[string]string{"number": `15139.5`},
			ParseOptions{}, []want{{"number", "must be an integer"}}},
		{"autonomous-system number beyond 2^53-1", "autonomous-system", map[string]string{"number": `9007199254740992`},
			ParseOptions{}, []want{{"number", "must be an integer"}}},
		{"directory without path", "directory", map[string]string{"path": ""}, ParseOptions{}, []want{{"path", "required"}}},
		{"directory contains_refs to an ipv4-addr", "directory", map[string]string{"contains_refs": `[` + idIPv4 + `]`},
			ParseOptions{}, []want{{"contains_refs[0]", "must reference a file or directory"}}},
		{"directory mtime malformed", "directory", map[string]string{"mtime": `"2020-01-01 00:00:00"`},
			ParseOptions{}, []want{{"mtime", "timestamp must be RFC 3339 UTC"}}},
		{"domain-name with a space", "domain-name", map[string]string{"value": `"exa mple.com"`},
			ParseOptions{}, []want{{"value", "must be a domain name"}}},
		{"domain-name label starting with a hyphen", "domain-name", map[string]string{"value": `"-bad.example.com"`},
			ParseOptions{}, []want{{"value", "must be a domain name"}}},
		{"domain-name with an empty label", "domain-name", map[string]string{"value": `"example..com"`},
			ParseOptions{}, []want{{"value", "must be a domain name"}}},
		{"domain-name internationalized accepted", "domain-name", map[string]string{"value": `"bücher.example."`}, ParseOptions{}, nil},
		{"domain-name resolves_to_refs to a url", "domain-name", map[string]string{"resolves_to_refs": `["url--c1477287-23ac-5971-a010-5c287877fa60"]`},
			ParseOptions{}, []want{{"resolves_to_refs[0]", "must reference an ipv4-addr, ipv6-addr or domain-name"}}},
		{"email-addr with a display name", "email-addr", map[string]string{"value": `"Jane <jane@example.com>"`},
			ParseOptions{}, []want{{"value", "without a display name"}}},
		{"email-addr without an at sign", "email-addr", map[string]string{"value": `"jane.example.com"`},
			ParseOptions{}, []want{{"value", "must be an email address"}}},
		{"email-addr belongs_to_ref to an identity", "email-addr", map[string]string{"belongs_to_ref": idIdentity},
			ParseOptions{}, []want{{"belongs_to_ref", "must reference a user-account"}}},
		{"email-message without is_multipart", "email-message", map[string]string{"is_multipart": ""}, ParseOptions{}, []want{{"is_multipart", "required"}}},
		{"email-message body while multipart", "email-message", map[string]string{"is_multipart": `true`, "body": `"hi"`},
			ParseOptions{}, []want{{"body", "must not be present when is_multipart is true"}}},
		{"email-message body_multipart while not multipart", "email-message", map[string]string{"body_multipart": `[{"body": "hi"}]`},
			ParseOptions{}, []want{{"body_multipart", "must not be present when is_multipart is false"}}},
		{"email-message MIME part without body or body_raw_ref", "email-message", map[string]string{"is_multipart": `true`, "body_multipart": `[{"content_type": "text/plain"}]`},
			ParseOptions{}, []want{{"body_multipart[0]", "must have body or body_raw_ref"}}},
		{"email-message MIME part body_raw_ref to a url", "email-message", map[string]string{"is_multipart": `true`, "body_multipart": `[{"body_raw_ref": "url--c1477287-23ac-5971-a010-5c287877fa60"}]`},
			ParseOptions{}, []want{{"body_multipart[0].body_raw_ref", "must reference an artifact or file"}}},
		{"email-message to_refs to an identity", "email-message", map[string]string{"to_refs": `[` + idIdentity + `]`},
			ParseOptions{}, []want{{"to_refs[0]", "must reference an email-addr"}}},
		{"email-message raw_email_ref to a file", "email-message", map[string]string{"raw_email_ref": idFile},
			ParseOptions{}, []want{{"raw_email_ref", "must reference an artifact"}}},
		{"email-message date malformed", "email-message", map[string]string{"date": `"Tue, 19 Jul 2016 07:20:40 -0700"`},
			ParseOptions{}, []want{{"date", "timestamp must be RFC 3339 UTC"}}},
		{"file without hashes or name", "file", map[string]string{"name": "", "size": `1`},
			ParseOptions{}, []want{{"", "must have hashes or name"}}},
		{"file size negative", "file", map[string]string{"size": `-1`}, ParseOptions{}, []want{{"size", "non-negative integer"}}},
		{"file magic_number_hex in upper case", "file", map[string]string{"magic_number_hex": `"4D5A"`},
			ParseOptions{}, []want{{"magic_number_hex", "lower case"}}},
		{"file magic_number_hex of odd length", "file", map[string]string{"magic_number_hex": `"4d5"`},
			ParseOptions{}, []want{{"magic_number_hex", "an even number"}}},
		{"file name_enc without name", "file", map[string]string{"name": "", "hashes": `{"SHA-256": ` + sha256 + `}`, "name_enc": `"windows-1252"`},
			ParseOptions{}, []want{{"name", "required when name_enc is present"}}},
		{"file parent_directory_ref to a file", "file", map[string]string{"parent_directory_ref": idFile},
			ParseOptions{}, []want{{"parent_directory_ref", "must reference a directory"}}},
		{"file content_ref to a file", "file", map[string]string{"content_ref": idFile},
			ParseOptions{}, []want{{"content_ref", "must reference an artifact"}}},
		{"file contains_refs to an SDO", "file", map[string]string{"contains_refs": `[` + idIndicator + `]`},
			ParseOptions{}, []want{{"contains_refs[0]", "must reference a cyber-observable object (SCO)"}}},
		{"ipv4-addr out of range", "ipv4-addr", map[string]string{"value": `"256.1.1.1"`}, ParseOptions{}, []want{{"value", "must be an IPv4 address"}}},
		{"ipv4-addr holding an IPv6 address", "ipv4-addr", map[string]string{"value": `"2001:db8::1"`}, ParseOptions{}, []want{{"value", "must be an IPv4 address"}}},
		{"ipv4-addr prefix too long", "ipv4-addr", map[string]string{"value": `"10.0.0.0/33"`}, ParseOptions{}, []want{{"value", "must be an IPv4 address"}}},
		{"ipv4-addr CIDR block accepted", "ipv4-addr", map[string]string{"value": `"10.2.4.5/24"`}, ParseOptions{}, nil},
		{"ipv4-addr resolves_to_refs to an ipv4-addr", "ipv4-addr", map[string]string{"resolves_to_refs": `[` + idIPv4 + `]`},
			ParseOptions{}, []want{{"resolves_to_refs[0]", "must reference a mac-addr"}}},
		{"ipv4-addr belongs_to_refs to an identity", "ipv4-addr", map[string]string{"belongs_to_refs": `[` + idIdentity + `]`},
			ParseOptions{}, []want{{"belongs_to_refs[0]", "must reference an autonomous-system"}}},
		{"ipv6-addr holding an IPv4 address", "ipv6-addr", map[string]string{"value": `"198.51.100.3"`}, ParseOptions{}, []want{{"value", "must be an IPv6 address"}}},
		{"ipv6-addr with a zone", "ipv6-addr", map[string]string{"value": `"fe80::1%eth0"`}, ParseOptions{}, []want{{"value", "must be an IPv6 address"}}},
		{"mac-addr in upper case", "mac-addr", map[string]string{"value": `"D2:FB:49:24:37:18"`}, ParseOptions{}, []want{{"value", "lower-case"}}},
		{"mac-addr with dashes", "mac-addr", map[string]string{"value": `"d2-fb-49-24-37-18"`}, ParseOptions{}, []want{{"value", "colon-delimited"}}},
		{"mac-addr without leading zeros", "mac-addr", map[string]string{"value": `"0:0:ab:cd:ef:1"`}, ParseOptions{}, []want{{"value", "MAC-48"}}},
		{"mutex without name", "mutex", map[string]string{"name": ""}, ParseOptions{}, []want{{"name", "required"}}},
		{"network-traffic without protocols", "network-traffic", map[string]string{"protocols": ""}, ParseOptions{}, []want{{"protocols", "required"}}},
		{"network-traffic without src_ref or dst_ref", "network-traffic", map[string]string{"dst_ref": ""},
			ParseOptions{}, []want{{"", "must have src_ref or dst_ref"}}},
		{"network-traffic port out of range", "network-traffic", map[string]string{"src_port": `65536`},
			ParseOptions{}, []want{{"src_port", "from 0 to 65535"}}},
		{"network-traffic end before start", "network-traffic", map[string]string{"start": `"2024-01-02T00:00:00Z"`, "end": `"2024-01-01T00:00:00Z"`},
			ParseOptions{}, []want{{"end", "must not be before start"}}},
		{"network-traffic active with an end", "network-traffic", map[string]string{"is_active": `true`, "end": `"2024-01-01T00:00:00Z"`},
			ParseOptions{}, []want{{"end", "must not be present when is_active is true"}}},
		{"network-traffic src_ref to a url", "network-traffic", map[string]string{"src_ref": `"url--c1477287-23ac-5971-a010-5c287877fa60"`},
			ParseOptions{}, []want{{"src_ref", "must reference an ipv4-addr, ipv6-addr, mac-addr or domain-name"}}},
		{"network-traffic byte count negative", "network-traffic", map[string]string{"dst_byte_count": `-5`},
			ParseOptions{}, []want{{"dst_byte_count", "non-negative integer"}}},
		{"network-traffic ipfix value a boolean", "network-traffic", map[string]string{"ipfix": `{"octetDeltaCount": true}`},
			ParseOptions{}, []want{{"ipfix.octetDeltaCount", "must be an integer or a string"}}},
		{"network-traffic encapsulates_refs to a process", "network-traffic", map[string]string{"encapsulates_refs": `["process--65a99d8a-e5b2-44bb-8311-963a580ee9a1"]`},
			ParseOptions{}, []want{{"encapsulates_refs[0]", "must reference a network-traffic object"}}},
		{"process without any property", "process", map[string]string{"pid": ""},
			ParseOptions{}, []want{{"", "must have at least one process property"}}},
		{"process with only an extension accepted", "process", map[string]string{"pid": "", "extensions": `{"windows-process-ext": {"aslr_enabled": true}}`}, ParseOptions{}, nil},
		{"process pid a string", "process", map[string]string{"pid": `"1221"`}, ParseOptions{}, []want{{"pid", "must be an integer"}}},
		{"process environment variable not a string", "process", map[string]string{"environment_variables": `{"PATH": 1}`},
			ParseOptions{}, []want{{"environment_variables.PATH", "must be a string"}}},
		{"process child_refs to a file", "process", map[string]string{"child_refs": `[` + idFile + `]`},
			ParseOptions{}, []want{{"child_refs[0]", "must reference a process"}}},
		{"process image_ref to an artifact", "process", map[string]string{"image_ref": `"artifact--6be1fbcb-fd03-5ec3-b05f-4329746e9d2b"`},
			ParseOptions{}, []want{{"image_ref", "must reference a file"}}},
		{"software without name", "software", map[string]string{"name": ""}, ParseOptions{}, []want{{"name", "required"}}},
		{"software cpe in the 2.2 URI form", "software", map[string]string{"cpe": `"cpe:/a:microsoft:word:2000"`},
			ParseOptions{}, []want{{"cpe", "CPE 2.3"}}},
		{"software cpe with too few components", "software", map[string]string{"cpe": `"cpe:2.3:a:microsoft:word"`},
			ParseOptions{}, []want{{"cpe", "CPE 2.3"}}},
		{"software cpe with an escaped colon accepted", "software", map[string]string{"cpe": `"cpe:2.3:a:acme:a\\:b:1.0:*:*:*:*:*:*:*"`}, ParseOptions{}, nil},
		{"software languages not language tags", "software", map[string]string{"languages": `["en", "en_US"]`},
			ParseOptions{}, []want{{"languages[1]", "RFC 5646"}}},
		{"url without a scheme", "url", map[string]string{"value": `"example.com/index.html"`}, ParseOptions{}, []want{{"value", "must be a URL"}}},
		{"url with a space", "url", map[string]string{"value": `"https://example.com/a b"`}, ParseOptions{}, []want{{"value", "must be a URL"}}},
		{"user-account without any property", "user-account", map[string]string{"user_id": ""},
			ParseOptions{}, []want{{"", "must have at least one user-account property"}}},
		{"user-account is_privileged a string", "user-account", map[string]string{"is_privileged": `"yes"`},
			ParseOptions{}, []want{{"is_privileged", "must be a boolean"}}},
		{"user-account account_created malformed", "user-account", map[string]string{"account_created": `"2016"`},
			ParseOptions{}, []want{{"account_created", "timestamp must be RFC 3339 UTC"}}},
		{"windows-registry-key without any property", "windows-registry-key", map[string]string{"key": ""},
			ParseOptions{}, []want{{"", "must have at least one windows-registry-key property"}}},
		{"windows-registry-key with an abbreviated hive", "windows-registry-key", map[string]string{"key": `"HKLM\\Software\\Foo"`},
			ParseOptions{}, []want{{"key", "hive must be fully expanded"}}},
		{"windows-registry-key value without properties", "windows-registry-key", map[string]string{"values": `[{}]`},
			ParseOptions{}, []want{{"values[0]", "at least one property"}}},
		{"windows-registry-key value of an unknown data_type", "windows-registry-key", map[string]string{"values": `[{"name": "", "data_type": "REG_STRING"}]`},
			ParseOptions{}, []want{{"values[0].data_type", "windows-registry-datatype-enum"}}},
		{"windows-registry-key creator_user_ref to an identity", "windows-registry-key", map[string]string{"creator_user_ref": idIdentity},
			ParseOptions{}, []want{{"creator_user_ref", "must reference a user-account"}}},
		{"x509-certificate without any property", "x509-certificate", map[string]string{"serial_number": ""},
			ParseOptions{}, []want{{"", "must have at least one x509-certificate property"}}},
		{"x509-certificate exponent a string", "x509-certificate", map[string]string{"subject_public_key_exponent": `"65537"`},
			ParseOptions{}, []want{{"subject_public_key_exponent", "must be an integer"}}},
		{"x509-certificate v3 extensions empty", "x509-certificate", map[string]string{"x509_v3_extensions": `{}`},
			ParseOptions{}, []want{{"x509_v3_extensions", "at least one property"}}},
		{"x509-certificate v3 extension timestamp malformed", "x509-certificate", map[string]string{"x509_v3_extensions": `{"private_key_usage_period_not_before": "2016"}`},
			ParseOptions{}, []want{{"x509_v3_extensions.private_key_usage_period_not_before", "timestamp must be RFC 3339 UTC"}}},
		{"x509-certificate validity malformed", "x509-certificate", map[string]string{"validity_not_after": `"2016-08-21"`},
			ParseOptions{}, []want{{"validity_not_after", "timestamp must be RFC 3339 UTC"}}},
	})
}

func TestPredefinedExtensionRules(t *testing.T) {
	ext := func(body string) map[string]string { return map[string]string{"extensions": body} }
	runRuleCases(t, []ruleCase{
		{"archive-ext without contains_refs", "file", ext(`{"archive-ext": {"comment": "c"}}`),
			ParseOptions{}, []want{{"extensions.archive-ext.contains_refs", "required"}}},
		{"archive-ext contains_refs to an ipv4-addr", "file", ext(`{"archive-ext": {"contains_refs": [` + idIPv4 + `]}}`),
			ParseOptions{}, []want{{"extensions.archive-ext.contains_refs[0]", "must reference a file or directory"}}},
		{"ntfs-ext empty", "file", ext(`{"ntfs-ext": {}}`),
			ParseOptions{}, []want{{"extensions.ntfs-ext", "at least one property"}}},
		{"ntfs-ext alternate data stream without name", "file", ext(`{"ntfs-ext": {"alternate_data_streams": [{"size": 1}]}}`),
			ParseOptions{}, []want{{"extensions.ntfs-ext.alternate_data_streams[0].name", "required"}}},
		{"pdf-ext document info value not a string", "file", ext(`{"pdf-ext": {"document_info_dict": {"Title": 1}}}`),
			ParseOptions{}, []want{{"extensions.pdf-ext.document_info_dict.Title", "must be a string"}}},
		{"pdf-ext empty", "file", ext(`{"pdf-ext": {}}`), ParseOptions{}, []want{{"extensions.pdf-ext", "at least one property"}}},
		{"raster-image-ext exif value a boolean", "file", ext(`{"raster-image-ext": {"exif_tags": {"Flash": true}}}`),
			ParseOptions{}, []want{{"extensions.raster-image-ext.exif_tags.Flash", "must be an integer or a string"}}},
		{"raster-image-ext image_width a string", "file", ext(`{"raster-image-ext": {"image_width": "1024"}}`),
			ParseOptions{}, []want{{"extensions.raster-image-ext.image_width", "must be an integer"}}},
		{"windows-pebinary-ext with only pe_type", "file", ext(`{"windows-pebinary-ext": {"pe_type": "exe"}}`),
			ParseOptions{}, []want{{"extensions.windows-pebinary-ext", "at least one property other than pe_type"}}},
		{"windows-pebinary-ext without pe_type", "file", ext(`{"windows-pebinary-ext": {"imphash": "x"}}`),
			ParseOptions{}, []want{{"extensions.windows-pebinary-ext.pe_type", "required"}}},
		{"windows-pebinary-ext machine_hex not hex", "file", ext(`{"windows-pebinary-ext": {"pe_type": "exe", "machine_hex": "x86"}}`),
			ParseOptions{}, []want{{"extensions.windows-pebinary-ext.machine_hex", "must be hex"}}},
		{"windows-pebinary-ext optional header empty", "file", ext(`{"windows-pebinary-ext": {"pe_type": "exe", "optional_header": {}}}`),
			ParseOptions{}, []want{{"extensions.windows-pebinary-ext.optional_header", "at least one property"}}},
		{"windows-pebinary-ext optional header size negative", "file", ext(`{"windows-pebinary-ext": {"pe_type": "exe", "optional_header": {"size_of_code": -1}}}`),
			ParseOptions{}, []want{{"extensions.windows-pebinary-ext.optional_header.size_of_code", "non-negative integer"}}},
		{"windows-pebinary-ext section entropy above 8", "file", ext(`{"windows-pebinary-ext": {"pe_type": "exe", "sections": [{"name": ".text", "entropy": 8.5}]}}`),
			ParseOptions{}, []want{{"extensions.windows-pebinary-ext.sections[0].entropy", "from 0 to 8"}}},
		{"windows-pebinary-ext section without name", "file", ext(`{"windows-pebinary-ext": {"pe_type": "exe", "sections": [{"size": 1}]}}`),
			ParseOptions{}, []want{{"extensions.windows-pebinary-ext.sections[0].name", "required"}}},
		{"windows-pebinary-ext time_date_stamp malformed", "file", ext(`{"windows-pebinary-ext": {"pe_type": "exe", "time_date_stamp": "2016-01-22"}}`),
			ParseOptions{}, []want{{"extensions.windows-pebinary-ext.time_date_stamp", "timestamp must be RFC 3339 UTC"}}},
		{"http-request-ext without request_value", "network-traffic", ext(`{"http-request-ext": {"request_method": "get"}}`),
			ParseOptions{}, []want{{"extensions.http-request-ext.request_value", "required"}}},
		{"http-request-ext header value not a list", "network-traffic", ext(`{"http-request-ext": {"request_method": "get", "request_value": "/", "request_header": {"Host": "example.com"}}}`),
			ParseOptions{}, []want{{"extensions.http-request-ext.request_header.Host", "must be an array"}}},
		{"http-request-ext message_body_data_ref to a file", "network-traffic", ext(`{"http-request-ext": {"request_method": "get", "request_value": "/", "message_body_data_ref": ` + idFile + `}}`),
			ParseOptions{}, []want{{"extensions.http-request-ext.message_body_data_ref", "must reference an artifact"}}},
		{"icmp-ext without icmp_code_hex", "network-traffic", ext(`{"icmp-ext": {"icmp_type_hex": "08"}}`),
			ParseOptions{}, []want{{"extensions.icmp-ext.icmp_code_hex", "required"}}},
		{"icmp-ext type of odd length", "network-traffic", ext(`{"icmp-ext": {"icmp_type_hex": "8", "icmp_code_hex": "00"}}`),
			ParseOptions{}, []want{{"extensions.icmp-ext.icmp_type_hex", "must be hex"}}},
		{"socket-ext address family outside the enumeration", "network-traffic", ext(`{"socket-ext": {"address_family": "AF_UNIX"}}`),
			ParseOptions{}, []want{{"extensions.socket-ext.address_family", "network-socket-address-family-enum"}}},
		{"socket-ext socket type outside the enumeration", "network-traffic", ext(`{"socket-ext": {"address_family": "AF_INET", "socket_type": "SOCK_PACKET"}}`),
			ParseOptions{}, []want{{"extensions.socket-ext.socket_type", "network-socket-type-enum"}}},
		{"socket-ext option value a string", "network-traffic", ext(`{"socket-ext": {"address_family": "AF_INET", "options": {"SO_RCVTIMEO": "5"}}}`),
			ParseOptions{}, []want{{"extensions.socket-ext.options.SO_RCVTIMEO", "must be an integer"}}},
		{"socket-ext descriptor negative", "network-traffic", ext(`{"socket-ext": {"address_family": "AF_INET", "socket_descriptor": -1}}`),
			ParseOptions{}, []want{{"extensions.socket-ext.socket_descriptor", "non-negative integer"}}},
		{"tcp-ext empty", "network-traffic", ext(`{"tcp-ext": {}}`),
			ParseOptions{}, []want{{"extensions.tcp-ext", "at least one property"}}},
		{"tcp-ext flags not hex", "network-traffic", ext(`{"tcp-ext": {"src_flags_hex": "SYN"}}`),
			ParseOptions{}, []want{{"extensions.tcp-ext.src_flags_hex", "must be hex"}}},
		{"windows-process-ext integrity level outside the enumeration", "process", ext(`{"windows-process-ext": {"integrity_level": "untrusted"}}`),
			ParseOptions{}, []want{{"extensions.windows-process-ext.integrity_level", "windows-integrity-level-enum"}}},
		{"windows-process-ext empty", "process", ext(`{"windows-process-ext": {}}`),
			ParseOptions{}, []want{{"extensions.windows-process-ext", "at least one property"}}},
		{"windows-service-ext start type outside the enumeration", "process", ext(`{"windows-service-ext": {"start_type": "AUTO"}}`),
			ParseOptions{}, []want{{"extensions.windows-service-ext.start_type", "windows-service-start-type-enum"}}},
		{"windows-service-ext service type outside the enumeration", "process", ext(`{"windows-service-ext": {"service_type": "SERVICE_DRIVER"}}`),
			ParseOptions{}, []want{{"extensions.windows-service-ext.service_type", "windows-service-type-enum"}}},
		{"windows-service-ext status outside the enumeration", "process", ext(`{"windows-service-ext": {"service_status": "RUNNING"}}`),
			ParseOptions{}, []want{{"extensions.windows-service-ext.service_status", "windows-service-status-enum"}}},
		{"windows-service-ext service_dll_refs to a process", "process", ext(`{"windows-service-ext": {"service_dll_refs": ["process--65a99d8a-e5b2-44bb-8311-963a580ee9a1"]}}`),
			ParseOptions{}, []want{{"extensions.windows-service-ext.service_dll_refs[0]", "must reference a file"}}},
		{"windows-service-ext empty", "process", ext(`{"windows-service-ext": {}}`),
			ParseOptions{}, []want{{"extensions.windows-service-ext", "at least one property"}}},
		{"unix-account-ext empty", "user-account", ext(`{"unix-account-ext": {}}`),
			ParseOptions{}, []want{{"extensions.unix-account-ext", "at least one property"}}},
		{"unix-account-ext gid a string", "user-account", ext(`{"unix-account-ext": {"gid": "1001"}}`),
			ParseOptions{}, []want{{"extensions.unix-account-ext.gid", "must be an integer"}}},
		{"predefined extension with a custom property accepted", "user-account", ext(`{"unix-account-ext": {"shell": "/bin/sh", "x_acme_login_count": 3}}`), ParseOptions{}, nil},
		{"predefined extension with a badly named property", "user-account", ext(`{"unix-account-ext": {"shell": "/bin/sh", "Login": 3}}`),
			ParseOptions{}, []want{{"extensions.unix-account-ext.Login", "invalid property name"}}},
		{"predefined extension not an object", "user-account", ext(`{"unix-account-ext": "bash"}`),
			ParseOptions{}, []want{{"extensions.unix-account-ext", "must be an object (unix-account-ext)"}}},
	})
}

func TestMetaObjectRules(t *testing.T) {
	green := map[string]string{"id": idGreen, "definition_type": `"tlp"`, "definition": `{"tlp": "green"}`}
	runRuleCases(t, []ruleCase{
		{"TLP marking with its standard id accepted", "marking-definition", green, ParseOptions{}, nil},
		{"TLP marking with another id", "marking-definition", map[string]string{"definition_type": `"tlp"`, "definition": `{"tlp": "green"}`},
			ParseOptions{}, []want{{"id", "must be marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}}},
		{"TLP marking of an unknown level", "marking-definition", map[string]string{"definition_type": `"tlp"`, "definition": `{"tlp": "purple"}`},
			ParseOptions{}, []want{{"definition.tlp", "white, green, amber or red"}}},
		{"TLP marking without its level", "marking-definition", map[string]string{"definition_type": `"tlp"`, "definition": `{"level": "green"}`},
			ParseOptions{}, []want{{"definition.tlp", "required"}}},
		{"statement marking without statement", "marking-definition", map[string]string{"definition": `{"text": "Copyright"}`},
			ParseOptions{}, []want{{"definition.statement", "required"}}},
		{"statement marking with a non-string statement", "marking-definition", map[string]string{"definition": `{"statement": 2024}`},
			ParseOptions{}, []want{{"definition.statement", "must be a string"}}},
		{"marking definition not an object", "marking-definition", map[string]string{"definition": `"Copyright"`},
			ParseOptions{}, []want{{"definition", "must be an object"}}},
		{"marking without definition or extensions", "marking-definition", map[string]string{"definition_type": "", "definition": ""},
			ParseOptions{}, []want{{"definition_type", "required when extensions is absent"}, {"definition", "required when extensions is absent"}}},
		{"marking with definition_type only", "marking-definition", map[string]string{"definition": ""},
			ParseOptions{}, []want{{"definition", "required when definition_type is present"}}},
		{"marking with definition only", "marking-definition", map[string]string{"definition_type": ""},
			ParseOptions{}, []want{{"definition_type", "required when definition is present"}}},
		{"TLP 2.0 marking under its built-in id accepted", "marking-definition", map[string]string{"definition_type": "", "definition": "",
			"id": `"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"`, "name": `"TLP:AMBER+STRICT"`,
			"extensions": `{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {"extension_type": "property-extension", "tlp_2_0": "amber+strict"}}`}, ParseOptions{}, nil},
		{"TLP 2.0 marking under another id refused", "marking-definition", map[string]string{"definition_type": "", "definition": "",
			"extensions": `{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {"extension_type": "property-extension", "tlp_2_0": "red"}}`},
			ParseOptions{}, []want{{"id", "must have the id marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"}}},
		{"language-content without object_ref and contents", "language-content", map[string]string{"object_ref": "", "contents": ""},
			ParseOptions{}, []want{{"object_ref", "required"}, {"contents", "required"}}},
		{"language-content object_ref to a bundle", "language-content", map[string]string{"object_ref": `"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"`},
			ParseOptions{}, []want{{"object_ref", "a bundle is not a STIX object"}}},
		{"language-content contents key not a language tag", "language-content", map[string]string{"contents": `{"deutsch1": {"name": "x"}}`},
			ParseOptions{}, []want{{"contents.deutsch1", "RFC 5646 language tag"}}},
		{"language-content contents value not an object", "language-content", map[string]string{"contents": `{"de": "Bankangriff"}`},
			ParseOptions{}, []want{{"contents.de", "must be an object"}}},
		{"language-content contents value empty", "language-content", map[string]string{"contents": `{"de": {}}`},
			ParseOptions{}, []want{{"contents.de", "must not be empty"}}},
		{"language-content object_modified malformed", "language-content", map[string]string{"object_modified": `"2017"`},
			ParseOptions{}, []want{{"object_modified", "timestamp must be RFC 3339 UTC"}}},
		{"extension-definition without its required properties", "extension-definition", map[string]string{"name": "", "schema": "", "version": "", "extension_types": ""},
			ParseOptions{}, []want{{"name", "required"}, {"schema", "required"}, {"version", "required"}, {"extension_types", "required"}}},
		{"extension-definition extension type outside the enumeration", "extension-definition", map[string]string{"extension_types": `["property-extension", "new-smo"]`},
			ParseOptions{}, []want{{"extension_types[1]", "extension-type-enum"}}},
		{"extension-definition extension_types empty", "extension-definition", map[string]string{"extension_types": `[]`},
			ParseOptions{}, []want{{"extension_types", "must not be empty"}}},
		{"extension-definition extension_properties without toplevel", "extension-definition", map[string]string{"extension_properties": `["rank"]`},
			ParseOptions{}, []want{{"extension_properties", "toplevel-property-extension"}}},
		{"extension-definition extension_properties with a bad name", "extension-definition", map[string]string{
			"extension_types": `["toplevel-property-extension"]`, "extension_properties": `["rank", "Toxicity"]`},
			ParseOptions{}, []want{{"extension_properties[1]", "must be a property name"}}},
		{"extension-definition created_by_ref to a malware", "extension-definition", map[string]string{"created_by_ref": idMalware},
			ParseOptions{}, []want{{"created_by_ref", "must reference an identity"}}},
	})
}

// TestGranularSelectors: Parse resolves each selector of a granular marking
// as internal/marking does, against the example object of STIX 2.1 section
// 7.2.3 with a custom property added, and refuses, at the selector's path,
// one that selects nothing, naming the selector and why.
func TestGranularSelectors(t *testing.T) {
	base := edit(minimal(t, "vulnerability"), map[string]string{
		"name":                `"CVE-2014-0160"`,
		"description":         `"The (1) TLS..."`,
		"external_references": `[{"source_name": "cve", "external_id": "CVE-2014-0160"}]`,
		"labels":              `["heartbleed", "has-logo"]`,
		"x_acme":              `{"a\u002db": {"c": [null]}, "dup": 1, "dup": 2, "` + strings.Repeat("k", 251) + `": 3}`,
	})
	tests := []struct {
		selector string
		problem  string // "" when the selector resolves
	}{
		{"description", ""},
		{"external_references.[0].source_name", ""},
		{"labels.[0]", ""},
		{"labels", ""},
		{"external_references", ""},
		{"x_acme.a-b.c.[0]", ""},
		{"x_acme", ""},
		{"pattern", "the object has no property pattern"},
		{"external_references.[3]", "external_references has 1 item, no [3]"},
		{"description.[0]", "description is a string, not a list"},
		{"labels.name", "labels is a list, not an object"},
		{"external_references.[0].url", "external_references.[0] has no property url"},
		{"x_acme.dup", "x_acme has property dup twice"},
		{"x_acme." + strings.Repeat("k", 251), "has 251 characters; property names and dictionary keys have at most 250"},
		{"labels.[01]", `component "[01]" is neither`},
		{"labels.[-1]", `component "[-1]" is neither`},
		{"labels.[1000000000]", `component "[1000000000]" is neither`},
		{"labels.", "empty component"},
		{".labels", "empty component"},
		{"labels[0]", `component "labels[0]" is neither`},
		{`"labels"`, "is neither"},
		{"", "empty selector"},
	}
	for _, tt := range tests {
		t.Run(tt.selector, func(t *testing.T) {
			sel, err := json.Marshal(tt.selector)
			if err != nil {
				t.Fatal(err)
			}
			obj := object(edit(base, map[string]string{
				"granular_markings": `[{"marking_ref": ` + idGreen + `, "selectors": [` + string(sel) + `]}]`,
			}))
			_, err = Parse(obj)
			if tt.problem == "" {
				checkViolations(t, err, nil)
				return
			}
			checkViolations(t, err, []want{{"granular_markings[0].selectors[0]", strconv.Quote(tt.selector)}})
			checkViolations(t, err, []want{{"granular_markings[0].selectors[0]", tt.problem}})
		})
	}
}

func TestLangTags(t *testing.T) {
	tests := []struct {
		tag  string
		want bool
	}{
		{"en", true}, {"EN", true}, {"de-CH", true}, {"zh-Hant-TW", true}, {"sr-Latn-RS", true},
		{"es-419", true}, {"de-CH-1901", true}, {"sl-rozaj-biske", true}, {"zh-yue-HK", true},
		{"en-a-bbb-x-a-ccc", true}, {"x-whatever", true}, {"qaa-Qaaa-QM-x-southern", true},
		{"i-klingon", true}, {"en-GB-oed", true}, {"hy-Latn-IT-arevela", true}, {"english", true},
		{"", false}, {"e", false}, {"en_US", false}, {"en-", false}, {"-en", false}, {"en--US", false},
		{"en-US-", false}, {"123", false}, {"en-a", false}, {"en-x", false}, {"toolongsubtag", false},
		{"en-US-abcd", false}, {"i-notgrandfathered", false}, {"de-DE-a-bb-a-cc-x", false},
	}
	for _, tt := range tests {
		if got := validLangTag([]byte(tt.tag)); got != tt.want {
			t.Errorf("validLangTag(%q) = %v, want %v", tt.tag, got, tt.want)
		}
	}
}

func TestParseInteger(t *testing.T) {
	tests := []struct {
		in string
		n  int64
		ok bool
	}{
		{"0", 0, true}, {"-0", 0, true}, {"85", 85, true}, {"-17", -17, true},
		{"9007199254740991", 1<<53 - 1, true}, {"-9007199254740991", -(1<<53 - 1), true},
		{"9007199254740992", 0, false}, {"12345678901234567", 0, false},
		{"1.0", 0, false}, {"1e3", 0, false}, {"", 0, false}, {"-", 0, false}, {`"1"`, 0, false}, {"01", 0, false},
	}
	for _, tt := range tests {
		n, ok := parseInteger([]byte(tt.in))
		if n != tt.n || ok != tt.ok {
			t.Errorf("parseInteger(%q) = %d, %v, want %d, %v", tt.in, n, ok, tt.n, tt.ok)
		}
	}
}

func TestSelectorWorkIsBounded(t *testing.T) {
	// Thousands of selectors into the far end of a long list cost one pass
	// over the list, not one each: an object of about 500 KB with 20,000
	// of them is accepted (BenchmarkParseManySelectors times it).
	labels := `["x"` + strings.Repeat(`,"x"`, 49999) + `]`
	sels := `["labels.[49999]"` + strings.Repeat(`,"labels.[49999]"`, 19999) + `]`
	input := object(edit(minimal(t, "campaign"), map[string]string{
		"labels":            labels,
		"granular_markings": `[{"marking_ref": ` + idGreen + `, "selectors": ` + sels + `}]`,
	}))
	if _, err := Parse(input); err != nil {
		t.Fatalf("Parse: %v", err)
	}

	// Deeply nested lists walked by a long selector would take quadratic
	// time. The walk has a budget proportional to the object's size, and
	// running out of it is one violation, at the selector that ran out; the
	// remaining selectors, even one that selects nothing, are not checked.
	const depth = 9000 // jsonscan.MaxDepth allows 10000
	input = object(edit(minimal(t, "campaign"), map[string]string{
		"x_deep": strings.Repeat("[", depth) + strings.Repeat("]", depth),
		"granular_markings": `[{"marking_ref": ` + idGreen + `, "selectors": ["name", "x_deep` +
			strings.Repeat(".[0]", depth-1) + `", "x_deep.[0]", "pattern"]}]`,
	}))
	_, err := Parse(input)
	checkViolations(t, err, []want{{"granular_markings[0].selectors[1]", "selectors too costly to resolve"}})

	// The same shape, shallow, is fine.
	input = object(edit(minimal(t, "campaign"), map[string]string{
		"x_deep":            strings.Repeat("[", 50) + strings.Repeat("]", 50),
		"granular_markings": `[{"marking_ref": ` + idGreen + `, "selectors": ["x_deep` + strings.Repeat(".[0]", 49) + `"]}]`,
	}))
	if _, err := Parse(input); err != nil {
		t.Fatalf("Parse: %v", err)
	}
}
