package marking

import (
	"encoding/json"
	"fmt"
	"strings"
)

// TLP is a Traffic Light Protocol level. Levels are ordered by how
// restrictive they are, so the most restrictive of several is their maximum:
// Unknown < Clear < Green < Amber < AmberStrict < Red.
type TLP int

// The TLP levels. TLP 1.0's WHITE is TLP 2.0's CLEAR; TLP 1.0 has no
// AMBER+STRICT.
const (
	// Unknown means no TLP marking applies (or none the hub knows).
	Unknown TLP = iota
	// Clear (TLP 1.0: WHITE): disclosure is not limited.
	Clear
	// Green: limited to the recipient's community.
	Green
	// Amber: limited to the recipient's organization and its clients.
	Amber
	// AmberStrict: limited to the recipient's organization only.
	AmberStrict
	// Red: for the named recipients only.
	Red
)

// String returns the level's TLP 2.0 label, such as "TLP:CLEAR" or
// "TLP:AMBER+STRICT", or "unknown" for Unknown.
func (t TLP) String() string {
	switch t {
	case Unknown:
		return "unknown"
	case Clear:
		return "TLP:CLEAR"
	case Green:
		return "TLP:GREEN"
	case Amber:
		return "TLP:AMBER"
	case AmberStrict:
		return "TLP:AMBER+STRICT"
	case Red:
		return "TLP:RED"
	}
	return fmt.Sprintf("TLP(%d)", int(t))
}

// ID returns the id of the TLP 2.0 marking-definition for the level, the one
// a publisher puts in object_marking_refs, or "" for Unknown.
func (t TLP) ID() string {
	switch t {
	case Clear:
		return tlp2Clear
	case Green:
		return tlp2Green
	case Amber:
		return tlp2Amber
	case AmberStrict:
		return tlp2AmberStrict
	case Red:
		return tlp2Red
	}
	return ""
}

// ParseTLP reads a TLP level as people and configuration files write it:
// "TLP:AMBER+STRICT", "amber+strict", "TLP:WHITE" (TLP 1.0, read as Clear),
// in any case. It does not accept "unknown".
func ParseTLP(s string) (TLP, error) {
	level := strings.ToLower(strings.TrimSpace(s))
	level = strings.TrimPrefix(level, "tlp:")
	switch level {
	case "clear", "white":
		return Clear, nil
	case "green":
		return Green, nil
	case "amber":
		return Amber, nil
	case "amber+strict":
		return AmberStrict, nil
	case "red":
		return Red, nil
	}
	return Unknown, fmt.Errorf("unknown TLP level %q (want CLEAR, GREEN, AMBER, AMBER+STRICT or RED)", s)
}

// TLP2ExtensionID is the id of the extension-definition that TLP 2.0
// marking-definitions use (a property-extension with one property,
// tlp_2_0). Source: OASIS cti-stix-common-objects,
// objects/extension-definition/extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d.json.
const TLP2ExtensionID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// The built-in marking-definition ids.
//
// TLP 2.0: published by OASIS with the TLP 2.0 extension definition, in the
// cti-stix-common-objects repository: extension-definition-specifications/
// tlp-2.0/examples/tlp-clear.json, tlp-amber.json, tlp-amber+strict.json and
// objects/marking-definition/marking-definition--<id>.json for GREEN, RED and
// AMBER+STRICT. The same five ids are enumerated, one per level, in that
// extension's JSON schema (extension-definition-specifications/tlp-2.0/
// extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d.json,
// definitions tlp_clear ... tlp_red).
//
// TLP 1.0: STIX 2.1 (OASIS Standard), section 7.2.1.4 "TLP Marking", which
// says these four objects MUST be used to represent TLP; the OASIS
// cti-python-stix2 library defines the same objects (stix2/v21/common.py,
// TLP_WHITE ... TLP_RED).
const (
	tlp2Clear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	tlp2Green       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	tlp2Amber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	tlp2AmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	tlp2Red         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

	tlp1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	tlp1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	tlp1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	tlp1Red   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
)

// LookupTLP maps a built-in marking-definition id to its TLP level. The TLP
// 1.0 ids map onto the same levels: WHITE to Clear, GREEN to Green, AMBER to
// Amber, RED to Red. ok is false for any other id.
func LookupTLP(id string) (level TLP, ok bool) {
	switch id {
	case tlp2Clear, tlp1White:
		return Clear, true
	case tlp2Green, tlp1Green:
		return Green, true
	case tlp2Amber, tlp1Amber:
		return Amber, true
	case tlp2AmberStrict:
		return AmberStrict, true
	case tlp2Red, tlp1Red:
		return Red, true
	}
	return Unknown, false
}

// isTLP1 reports whether id is one of the four TLP 1.0 ids, which use the
// definition_type form rather than the TLP 2.0 extension.
func isTLP1(id string) bool {
	switch id {
	case tlp1White, tlp1Green, tlp1Amber, tlp1Red:
		return true
	}
	return false
}

// builtin holds the built-in marking-definitions, compact, with the
// properties in the order of the published text (see the ids above for where
// each was published). The TLP 2.0 objects carry no created_by_ref, exactly
// as OASIS published them.
var builtin = [...]string{
	tlp2Def(tlp2Clear, "TLP:CLEAR", "clear"),
	tlp2Def(tlp2Green, "TLP:GREEN", "green"),
	tlp2Def(tlp2Amber, "TLP:AMBER", "amber"),
	tlp2Def(tlp2AmberStrict, "TLP:AMBER+STRICT", "amber+strict"),
	tlp2Def(tlp2Red, "TLP:RED", "red"),
	tlp1Def(tlp1White, "TLP:WHITE", "white"),
	tlp1Def(tlp1Green, "TLP:GREEN", "green"),
	tlp1Def(tlp1Amber, "TLP:AMBER", "amber"),
	tlp1Def(tlp1Red, "TLP:RED", "red"),
}

func tlp2Def(id, name, level string) string {
	return `{"type":"marking-definition","spec_version":"2.1","id":"` + id +
		`","created":"2022-10-01T00:00:00.000Z","name":"` + name +
		`","extensions":{"` + TLP2ExtensionID +
		`":{"extension_type":"property-extension","tlp_2_0":"` + level + `"}}}`
}

func tlp1Def(id, name, level string) string {
	return `{"type":"marking-definition","spec_version":"2.1","id":"` + id +
		`","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"` + name +
		`","definition":{"tlp":"` + level + `"}}`
}

// Builtin returns the nine built-in marking-definitions: the five TLP 2.0
// ones (CLEAR, GREEN, AMBER, AMBER+STRICT, RED) then the four TLP 1.0 ones
// (WHITE, GREEN, AMBER, RED), as published. The hub serves them and treats
// them as known without anyone publishing them. The caller owns the returned
// slices.
func Builtin() []json.RawMessage {
	out := make([]json.RawMessage, len(builtin))
	for i, def := range builtin {
		out[i] = json.RawMessage(def)
	}
	return out
}
