package stix

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

// prop is one top-level property of a test object: a name and a raw JSON
// value. Objects are built from ordered lists of them, so tests can repeat a
// name or put any JSON text in a value.
type prop struct{ name, value string }

// object renders props as a JSON object.
func object(props []prop) []byte {
	var b strings.Builder
	b.WriteString("{")
	for i, p := range props {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:%s", p.name, p.value)
	}
	b.WriteString("}")
	return []byte(b.String())
}

// edit returns a copy of base with the properties in set replaced, or
// appended (in name order) when absent; a value of "" removes the property.
func edit(base []prop, set map[string]string) []prop {
	out := make([]prop, 0, len(base)+len(set))
	seen := map[string]bool{}
	for _, p := range base {
		seen[p.name] = true
		if v, ok := set[p.name]; ok {
			if v == "" {
				continue
			}
			p.value = v
		}
		out = append(out, p)
	}
	for _, name := range slices.Sorted(maps.Keys(set)) {
		if !seen[name] && set[name] != "" {
			out = append(out, prop{name, set[name]})
		}
	}
	return out
}

// escapeName rewrites the property name name in data with a JSON escape for
// its first letter, e.g. "type" as "\u0074ype".
func escapeName(data []byte, name string) []byte {
	esc := fmt.Sprintf(`"\u%04x%s"`, name[0], name[1:])
	return []byte(strings.Replace(string(data), `"`+name+`"`, esc, 1))
}

// Valid objects used as the base of the rule tests.
var (
	indicator = []prop{
		{"type", `"indicator"`},
		{"spec_version", `"2.1"`},
		{"id", `"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"`},
		{"created_by_ref", `"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"`},
		{"created", `"2016-04-06T20:03:48.000Z"`},
		{"modified", `"2016-04-06T20:03:48.123456789Z"`},
		{"pattern", `"[ipv4-addr:value = '10.0.0.1']"`},
		{"pattern_type", `"stix"`},
		{"valid_from", `"2016-01-01T00:00:00Z"`},
	}
	relationship = []prop{
		{"type", `"relationship"`},
		{"spec_version", `"2.1"`},
		{"id", `"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad"`},
		{"created", `"2016-04-06T20:06:37.000Z"`},
		{"modified", `"2016-04-06T20:06:37.000Z"`},
		{"relationship_type", `"indicates"`},
		{"source_ref", `"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"`},
		{"target_ref", `"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"`},
	}
	// ipv4 is an SCO: no spec_version, created or modified needed. Its id is
	// a UUIDv5, as SCO ids are.
	ipv4 = []prop{
		{"type", `"ipv4-addr"`},
		{"id", `"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"`},
		{"value", `"198.51.100.3"`},
	}
	marking = []prop{
		{"type", `"marking-definition"`},
		{"spec_version", `"2.1"`},
		{"id", `"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"`},
		{"created", `"2016-08-01T00:00:00.000Z"`},
		{"definition_type", `"tlp"`},
		{"definition", `{"tlp": "green"}`},
	}
	custom = []prop{
		{"type", `"x-mitre-tactic"`},
		{"spec_version", `"2.1"`},
		{"id", `"x-mitre-tactic--69da72d2-f550-41c5-ab9e-e8255707f28a"`},
		{"created", `"2018-10-17T00:14:20.652Z"`},
		{"modified", `"2025-04-25T14:45:16.063Z"`},
		{"x_mitre_shortname", `"initial-access"`},
	}
)

// want is an expected violation: the exact field and a substring of the
// description.
type want struct{ field, desc string }

// checkViolations asserts that err is a *ValidationError holding exactly the
// wanted violations, in order, or that err is nil when none are wanted.
func checkViolations(t *testing.T, err error, wants []want) {
	t.Helper()
	if len(wants) == 0 {
		if err != nil {
			t.Fatalf("Parse: unexpected error: %v", err)
		}
		return
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse error = %v (%T), want a *ValidationError", err, err)
	}
	if len(ve.Violations) != len(wants) {
		t.Fatalf("got %d violations %q, want %d %v", len(ve.Violations), ve.Violations, len(wants), wants)
	}
	for i, w := range wants {
		v := ve.Violations[i]
		if v.Field != w.field || !strings.Contains(v.Description, w.desc) {
			t.Errorf("violation %d = %q: %q, want %q: …%q…", i, v.Field, v.Description, w.field, w.desc)
		}
	}
}

func TestParseRules(t *testing.T) {
	const uuid = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	tests := []struct {
		name  string
		input []byte
		want  []want
	}{
		// Valid objects of each class.
		{"valid indicator", object(indicator), nil},
		{"valid relationship", object(relationship), nil},
		{"valid SCO without spec_version, created or modified", object(ipv4), nil},
		{"valid SCO with spec_version", object(edit(ipv4, map[string]string{"spec_version": `"2.1"`})), nil},
		{"valid marking-definition without modified", object(marking), nil},
		{"valid custom x- type", object(custom), nil},
		{"unknown properties and extensions are kept", object(edit(indicator, map[string]string{
			"x_acme_score": `{"nested": [1, 2, {"deep": null}]}`,
			"extensions":   `{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": {"extension_type": "property-extension"}}`,
		})), nil},
		{"surrounding whitespace is ignored", []byte("\n\t " + string(object(indicator)) + " \r\n"), nil},
		{"escaped property name is unescaped", escapeName(object(indicator), "type"), nil},

		// Not an object at all.
		{"array is not an object", []byte(`[{"type":"indicator"}]`), []want{{"", "must be a JSON object, not an array"}}},
		{"string is not an object", []byte(`"indicator"`), []want{{"", "must be a JSON object, not a string"}}},
		{"null is not an object", []byte(`null`), []want{{"", "must be a JSON object, not null"}}},
		{"empty input", nil, []want{{"", "invalid JSON"}}},
		{"truncated JSON", object(indicator)[:40], []want{{"", "invalid JSON"}}},
		{"trailing garbage", append(object(indicator), " {}"...), []want{{"", "invalid JSON"}}},
		{"invalid UTF-8", []byte(strings.Replace(string(object(indicator)), "stix", "st\xffx", 1)), []want{{"", "not valid UTF-8"}}},

		// Duplicate properties.
		{"duplicate property", object(append(indicator[:len(indicator):len(indicator)], prop{"pattern", `"[x:y = 'z']"`})),
			[]want{{"pattern", "duplicate property"}}},
		{"duplicate through an escaped name", escapeName(object(append(indicator[:len(indicator):len(indicator)], prop{"type", `"malware"`})), "type"),
			[]want{{"type", "duplicate property"}}},
		{"duplicate reported once however often repeated", object(append(indicator[:len(indicator):len(indicator)],
			prop{"name", `"a"`}, prop{"name", `"b"`}, prop{"name", `"c"`})),
			[]want{{"name", "duplicate property"}}},

		// type.
		{"type missing", object(edit(indicator, map[string]string{"type": ""})),
			[]want{{"type", "required"}}},
		{"type not a string", object(edit(indicator, map[string]string{"type": `7`})),
			[]want{{"type", "must be a string"}}},
		{"type with upper case", object(edit(indicator, map[string]string{"type": `"Indicator"`, "id": `"Indicator--` + uuid + `"`})),
			[]want{{"type", "invalid type name"}, {"id", "invalid type name"}}},
		{"type too short", object(edit(indicator, map[string]string{"type": `"ab"`})),
			[]want{{"type", "invalid type name"}}},
		{"bundle is not publishable", object(edit(indicator, map[string]string{"type": `"bundle"`, "id": `"bundle--` + uuid + `"`})),
			[]want{{"type", "a bundle is not an object; publish its objects"}}},
		{"unknown type", object(edit(indicator, map[string]string{"type": `"acme-widget"`, "id": `"acme-widget--` + uuid + `"`})),
			[]want{{"type", "unknown STIX type"}}},

		// id.
		{"id missing", object(edit(indicator, map[string]string{"id": ""})),
			[]want{{"id", "required"}}},
		{"id not a string", object(edit(indicator, map[string]string{"id": `{}`})),
			[]want{{"id", "must be a string"}}},
		{"id without separator", object(edit(indicator, map[string]string{"id": `"indicator-` + uuid + `"`})),
			[]want{{"id", "must be an identifier <type>--<UUID>"}}},
		{"id of another type", object(edit(indicator, map[string]string{"id": `"malware--` + uuid + `"`})),
			[]want{{"id", `must start with "indicator--"`}}},
		{"id with short UUID", object(edit(indicator, map[string]string{"id": `"indicator--8e2e2d2b-17d4-4cbf-938f"`})),
			[]want{{"id", "invalid UUID"}}},
		{"id with braced UUID", object(edit(indicator, map[string]string{"id": `"indicator--{` + uuid[:34] + `}"`})),
			[]want{{"id", "invalid UUID"}}},
		{"id with non-hex UUID", object(edit(indicator, map[string]string{"id": `"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3g"`})),
			[]want{{"id", "invalid UUID"}}},
		{"id with upper-case UUID accepted (RFC 4122 reads any case)", object(edit(indicator, map[string]string{"id": `"indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F"`})), nil},
		{"id with non-RFC 4122 variant", object(edit(indicator, map[string]string{"id": `"indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f"`})),
			[]want{{"id", "RFC 4122 variant"}}},
		{"id with nil UUID", object(edit(indicator, map[string]string{"id": `"indicator--00000000-0000-0000-0000-000000000000"`})),
			[]want{{"id", "RFC 4122 variant"}}},
		{"id with UUIDv1 is accepted", object(edit(indicator, map[string]string{"id": `"indicator--c232ab00-9414-11ec-b3c8-9f6bdeced846"`})), nil},

		// spec_version.
		{"spec_version missing on SDO", object(edit(indicator, map[string]string{"spec_version": ""})),
			[]want{{"spec_version", "required"}}},
		{"spec_version 2.0", object(edit(indicator, map[string]string{"spec_version": `"2.0"`})),
			[]want{{"spec_version", `must be "2.1"`}}},
		{"spec_version a number", object(edit(indicator, map[string]string{"spec_version": `2.1`})),
			[]want{{"spec_version", `must be "2.1"`}}},
		{"spec_version wrong on SCO", object(edit(ipv4, map[string]string{"spec_version": `"2.0"`})),
			[]want{{"spec_version", `must be "2.1"`}}},
		{"spec_version missing on marking-definition", object(edit(marking, map[string]string{"spec_version": ""})),
			[]want{{"spec_version", "required"}}},
		{"spec_version missing on custom type", object(edit(custom, map[string]string{"spec_version": ""})),
			[]want{{"spec_version", "required"}}},

		// created and modified.
		{"created and modified missing on SDO", object(edit(indicator, map[string]string{"created": "", "modified": ""})),
			[]want{{"created", "required"}, {"modified", "required"}}},
		{"created and modified missing on SRO", object(edit(relationship, map[string]string{"created": "", "modified": ""})),
			[]want{{"created", "required"}, {"modified", "required"}}},
		{"created and modified missing on custom type", object(edit(custom, map[string]string{"created": "", "modified": ""})),
			[]want{{"created", "required"}, {"modified", "required"}}},
		{"created missing on marking-definition", object(edit(marking, map[string]string{"created": ""})),
			[]want{{"created", "required"}}},
		{"created with offset", object(edit(indicator, map[string]string{"created": `"2016-04-06T20:03:48+00:00"`})),
			[]want{{"created", "timestamp must be RFC 3339 UTC"}}},
		{"modified without zone", object(edit(indicator, map[string]string{"modified": `"2016-04-06T20:03:48.000"`})),
			[]want{{"modified", "timestamp must be RFC 3339 UTC"}}},
		{"modified a number", object(edit(indicator, map[string]string{"modified": `1459973028`})),
			[]want{{"modified", "timestamp must be RFC 3339 UTC"}}},
		{"timestamp checked on SCO when present", object(edit(ipv4, map[string]string{"modified": `"yesterday"`})),
			[]want{{"modified", "timestamp must be RFC 3339 UTC"}}},
		{"modified before created", object(edit(indicator, map[string]string{"modified": `"2016-04-06T20:03:47.999Z"`})),
			[]want{{"modified", "must not be before created"}}},
		{"modified equal to created, spelled differently", object(edit(indicator, map[string]string{"modified": `"2016-04-06T20:03:48.000000Z"`})), nil},
		{"marking-definition modified before created", object(edit(marking, map[string]string{"modified": `"2015-01-01T00:00:00.000Z"`})),
			[]want{{"modified", "must not be before created"}}},

		// created_by_ref.
		{"created_by_ref to a malware", object(edit(indicator, map[string]string{"created_by_ref": `"malware--` + uuid + `"`})),
			[]want{{"created_by_ref", "must reference an identity"}}},
		{"created_by_ref malformed", object(edit(indicator, map[string]string{"created_by_ref": `"identity--1234"`})),
			[]want{{"created_by_ref", "must reference an identity: invalid UUID"}}},
		{"created_by_ref null", object(edit(indicator, map[string]string{"created_by_ref": `null`})),
			[]want{{"created_by_ref", "must reference an identity"}}},

		// object_marking_refs.
		{"object_marking_refs valid", object(edit(indicator, map[string]string{"object_marking_refs": `["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]`})), nil},
		{"object_marking_refs not an array", object(edit(indicator, map[string]string{"object_marking_refs": `"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"`})),
			[]want{{"object_marking_refs", "must be an array"}}},
		{"object_marking_refs element of another type", object(edit(indicator, map[string]string{"object_marking_refs": `["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "identity--` + uuid + `", 3]`})),
			[]want{{"object_marking_refs[1]", "must reference a marking-definition"}, {"object_marking_refs[2]", "must reference a marking-definition"}}},

		// revoked, confidence, labels.
		{"revoked true", object(edit(indicator, map[string]string{"revoked": `true`})), nil},
		{"revoked a string", object(edit(indicator, map[string]string{"revoked": `"true"`})),
			[]want{{"revoked", "must be a boolean"}}},
		{"confidence bounds accepted", object(edit(indicator, map[string]string{"confidence": `100`})), nil},
		{"confidence zero accepted", object(edit(indicator, map[string]string{"confidence": `0`})), nil},
		{"confidence above 100", object(edit(indicator, map[string]string{"confidence": `101`})),
			[]want{{"confidence", "must be an integer from 0 to 100"}}},
		{"confidence negative", object(edit(indicator, map[string]string{"confidence": `-1`})),
			[]want{{"confidence", "must be an integer from 0 to 100"}}},
		{"confidence with fraction", object(edit(indicator, map[string]string{"confidence": `50.0`})),
			[]want{{"confidence", "must be an integer from 0 to 100"}}},
		{"confidence with exponent", object(edit(indicator, map[string]string{"confidence": `5e1`})),
			[]want{{"confidence", "must be an integer from 0 to 100"}}},
		{"confidence a string", object(edit(indicator, map[string]string{"confidence": `"85"`})),
			[]want{{"confidence", "must be an integer from 0 to 100"}}},
		{"confidence huge", object(edit(indicator, map[string]string{"confidence": `123456789012345678901234567890`})),
			[]want{{"confidence", "must be an integer from 0 to 100"}}},
		{"labels valid", object(edit(indicator, map[string]string{"labels": `["a", "b\"c"]`})), nil},
		{"labels not an array", object(edit(indicator, map[string]string{"labels": `"a"`})),
			[]want{{"labels", "must be an array"}}},
		{"labels with non-strings", object(edit(indicator, map[string]string{"labels": `["a", 1, null]`})),
			[]want{{"labels[1]", "must be a string"}, {"labels[2]", "must be a string"}}},

		// external_references.
		{"external_references valid", object(edit(indicator, map[string]string{"external_references": `[{"source_name": "capec", "external_id": "CAPEC-163"}]`})), nil},
		{"external_references not an array", object(edit(indicator, map[string]string{"external_references": `{"source_name": "capec"}`})),
			[]want{{"external_references", "must be an array"}}},
		{"external reference not an object", object(edit(indicator, map[string]string{"external_references": `[{"source_name": "a", "external_id": "A-1"}, "b"]`})),
			[]want{{"external_references[1]", "must be an object"}}},
		{"external reference without source_name", object(edit(indicator, map[string]string{"external_references": `[{"source_name": "a", "description": "d"}, {"source_name": "b", "external_id": "B-2"}, {"url": "https://example.com"}]`})),
			[]want{{"external_references[2].source_name", "required"}}},
		{"external reference with non-string source_name", object(edit(indicator, map[string]string{"external_references": `[{"source_name": ["a"], "external_id": "A-1"}]`})),
			[]want{{"external_references[0].source_name", "must be a string"}}},

		// indicator.
		{"indicator without pattern, pattern_type, valid_from", object(edit(indicator, map[string]string{"pattern": "", "pattern_type": "", "valid_from": ""})),
			[]want{{"pattern", "required"}, {"pattern_type", "required"}, {"valid_from", "required"}}},
		{"indicator with empty pattern", object(edit(indicator, map[string]string{"pattern": `""`})),
			[]want{{"pattern", "must be a non-empty string"}}},
		{"indicator with pattern not a string", object(edit(indicator, map[string]string{"pattern": `["[x:y = 'z']"]`})),
			[]want{{"pattern", "must be a non-empty string"}}},
		{"indicator with an escaped pattern", object(edit(indicator, map[string]string{"pattern": `"[ipv4-addr:value = '10.0.0.1'\u005d"`})), nil},
		{"indicator valid_from malformed", object(edit(indicator, map[string]string{"valid_from": `"2016-01-01"`})),
			[]want{{"valid_from", "timestamp must be RFC 3339 UTC"}}},
		{"indicator valid_until after valid_from", object(edit(indicator, map[string]string{"valid_until": `"2016-01-01T00:00:00.001Z"`})), nil},
		{"indicator valid_until equal to valid_from", object(edit(indicator, map[string]string{"valid_until": `"2016-01-01T00:00:00.000Z"`})),
			[]want{{"valid_until", "must be after valid_from"}}},
		{"indicator valid_until before valid_from", object(edit(indicator, map[string]string{"valid_until": `"2015-12-31T23:59:59Z"`})),
			[]want{{"valid_until", "must be after valid_from"}}},
		{"indicator valid_until malformed", object(edit(indicator, map[string]string{"valid_until": `"never"`})),
			[]want{{"valid_until", "timestamp must be RFC 3339 UTC"}}},

		// relationship.
		{"relationship without its properties", object(edit(relationship, map[string]string{"relationship_type": "", "source_ref": "", "target_ref": ""})),
			[]want{{"relationship_type", "required"}, {"source_ref", "required"}, {"target_ref", "required"}}},
		{"relationship with empty relationship_type", object(edit(relationship, map[string]string{"relationship_type": `""`})),
			[]want{{"relationship_type", "must be a non-empty string"}}},
		{"relationship with malformed refs", object(edit(relationship, map[string]string{"source_ref": `"indicator"`, "target_ref": `42`})),
			[]want{{"source_ref", "must reference a domain object (SDO) or cyber-observable object (SCO)"}, {"target_ref", "must reference a domain object (SDO) or cyber-observable object (SCO)"}}},
		{"relationship ref with upper-case UUID accepted", object(edit(relationship, map[string]string{"target_ref": `"malware--31B940D4-6F7F-459A-80EA-9C1F17B5891B"`})), nil},

		// Everything is reported, not just the first problem, in rule order.
		{"all violations collected", object([]prop{
			{"type", `"indicator"`},
			{"id", `"indicator--` + uuid + `"`},
			{"id", `"indicator--` + uuid + `"`},
			{"created", `"2016-04-06T20:03:48.000Z"`},
			{"modified", `"2016-04-06"`},
			{"revoked", `1`},
			{"valid_from", `"2016-01-01T00:00:00Z"`},
			{"valid_until", `"2015-01-01T00:00:00Z"`},
			{"pattern_type", `"stix"`},
		}), []want{
			{"id", "duplicate property"},
			{"spec_version", "required"},
			{"modified", "timestamp must be RFC 3339 UTC"},
			{"revoked", "must be a boolean"},
			{"pattern", "required"},
			{"valid_until", "must be after valid_from"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := Parse(tt.input)
			checkViolations(t, err, tt.want)
			if err == nil && obj == nil {
				t.Fatal("Parse returned neither an object nor an error")
			}
			if err != nil && obj != nil {
				t.Errorf("Parse returned an object with an error: %+v", obj)
			}
		})
	}
}

func TestParseObject(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		want  Object
	}{
		{"indicator", object(indicator), Object{
			Type:         "indicator",
			ID:           "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
			SpecVersion:  "2.1",
			Created:      time.Date(2016, 4, 6, 20, 3, 48, 0, time.UTC),
			Modified:     time.Date(2016, 4, 6, 20, 3, 48, 123456789, time.UTC),
			CreatedByRef: "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
		}},
		{"SCO has no spec_version or timestamps", object(ipv4), Object{
			Type: "ipv4-addr",
			ID:   "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
		}},
		{"marking-definition has no modified", object(marking), Object{
			Type:        "marking-definition",
			ID:          "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
			SpecVersion: "2.1",
			Created:     time.Date(2016, 8, 1, 0, 0, 0, 0, time.UTC),
		}},
		{"custom type", object(custom), Object{
			Type:        "x-mitre-tactic",
			ID:          "x-mitre-tactic--69da72d2-f550-41c5-ab9e-e8255707f28a",
			SpecVersion: "2.1",
			Created:     time.Date(2018, 10, 17, 0, 14, 20, 652000000, time.UTC),
			Modified:    time.Date(2025, 4, 25, 14, 45, 16, 63000000, time.UTC),
		}},
		{"escaped values are decoded", object(edit(indicator, map[string]string{
			"created_by_ref": `"identity\u002d-f431f809-377b-45e0-aa1c-6a4751cae5ff"`,
			"modified":       `"2016-04-06T20:03:48.500\u005a"`,
		})), Object{
			Type:         "indicator",
			ID:           "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
			SpecVersion:  "2.1",
			Created:      time.Date(2016, 4, 6, 20, 3, 48, 0, time.UTC),
			Modified:     time.Date(2016, 4, 6, 20, 3, 48, 500000000, time.UTC),
			CreatedByRef: "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.input)
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("Parse = %+v, want %+v", *got, tt.want)
			}
			if got.Created.Location() != time.UTC || got.Modified.Location() != time.UTC {
				t.Errorf("times not in UTC: %v, %v", got.Created.Location(), got.Modified.Location())
			}
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{"prefixed with the id", object(edit(indicator, map[string]string{"valid_until": `"2015-01-01T00:00:00Z"`, "pattern": ""})),
			"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: pattern: required; valid_until: must be after valid_from"},
		{"no prefix when the id is malformed", object(edit(indicator, map[string]string{"id": `"indicator--x"`})),
			"id: invalid UUID: must be 36 characters xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"},
		{"id of the wrong type is still named", object(edit(indicator, map[string]string{"id": `"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"`})),
			`malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b: id: must start with "indicator--", the object's type`},
		{"no field for the whole object", []byte(`[]`), "must be a JSON object, not an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.input)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse error = %v, want %s", err, tt.want)
			}
		})
	}
	if got := (&ValidationError{}).Error(); got == "" {
		t.Error("empty ValidationError has an empty message")
	}
}

func TestParseErrorCauses(t *testing.T) {
	tests := []struct {
		name      string
		input     string
		notObject bool
		syntax    bool
	}{
		{"array unwraps to ErrNotObject", `[1]`, true, false},
		{"number unwraps to ErrNotObject", `12`, true, false},
		{"malformed JSON unwraps to a SyntaxError", `{"type": }`, false, true},
		{"content problems unwrap to nothing", `{"type": "indicator"}`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.input))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse error = %v, want a *ValidationError", err)
			}
			if got := errors.Is(err, ErrNotObject); got != tt.notObject {
				t.Errorf("errors.Is(err, ErrNotObject) = %v, want %v", got, tt.notObject)
			}
			var se *json.SyntaxError
			if got := errors.As(err, &se); got != tt.syntax {
				t.Errorf("errors.As(err, *json.SyntaxError) = %v, want %v", got, tt.syntax)
			}
		})
	}
}

func TestParseManyProperties(t *testing.T) {
	// Past tableMax properties, members switches from its table to a map;
	// lookups and duplicate detection must work the same.
	props := append([]prop(nil), indicator...)
	for i := range 100 {
		props = append(props, prop{fmt.Sprintf("x_p%d", i), fmt.Sprint(i)})
	}
	if _, err := Parse(object(props)); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	props = append(props, prop{"x_p7", "0"}, prop{"pattern", `"[x:y = 'z']"`}, prop{"x_p99", "1"})
	props = edit(props, map[string]string{"valid_from": ""})
	_, err := Parse(object(props))
	checkViolations(t, err, []want{
		{"pattern", "duplicate property"},
		{"x_p7", "duplicate property"},
		{"x_p99", "duplicate property"},
		{"valid_from", "required"},
	})
}

func TestParseLimitsViolations(t *testing.T) {
	var manyDups strings.Builder
	for i := range 50000 {
		fmt.Fprintf(&manyDups, `"x_%d": 1, "x_%d": 2, `, i, i)
	}
	tests := []struct {
		name  string
		input []byte
		first want
	}{
		{"many bad labels", object(edit(indicator, map[string]string{"labels": "[" + strings.Repeat("1,", 10000) + "1]"})),
			want{"labels[0]", "must be a string"}},
		{"many duplicate names", []byte("{" + manyDups.String() + `"type": "indicator"}`),
			want{"x_0", "duplicate property"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.input)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse error = %v, want a *ValidationError", err)
			}
			if len(ve.Violations) != maxViolations+1 {
				t.Fatalf("got %d violations, want %d", len(ve.Violations), maxViolations+1)
			}
			if v := ve.Violations[0]; v.Field != tt.first.field || !strings.Contains(v.Description, tt.first.desc) {
				t.Errorf("first violation = %+v, want %+v", v, tt.first)
			}
			if last := ve.Violations[maxViolations]; last.Field != "" || !strings.Contains(last.Description, "too many violations") {
				t.Errorf("last violation = %+v, want the truncation note", last)
			}
		})
	}
}

func TestParseDeepNesting(t *testing.T) {
	tests := []struct {
		name  string
		depth int
		ok    bool
	}{
		{"nesting within encoding/json's limit", jsonscan.MaxDepth - 1, true},
		{"nesting beyond encoding/json's limit", jsonscan.MaxDepth + 10, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deep := strings.Repeat("[", tt.depth) + strings.Repeat("]", tt.depth)
			_, err := Parse(object(edit(indicator, map[string]string{"x_deep": deep})))
			if (err == nil) != tt.ok {
				t.Errorf("Parse error = %.80v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestParseRefusesMalformedJSON: truncated and malformed text is refused
// before any rule reads it.
func TestParseRefusesMalformedJSON(t *testing.T) {
	for _, in := range []string{
		``, `{`, `[`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,`, `{"a" 1}`, `{"a":1 "b":2}`,
		`{1:2}`, `["abc`, `[1 2]`, `[1,`, `{"a":"\`, `[{]`, `["\"]`, `{"a":}`, `[,]`,
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) succeeded", in)
		}
	}
}
