// Package stix reads STIX 2.1 objects and checks them against the STIX 2.1
// specification (OASIS Standard, with Errata 01) before the hub accepts them
// for publication.
//
// ReadObjects splits an input (a bundle, a single object or JSON lines) into
// the raw JSON of its objects; Parse validates one object and returns the
// common properties the hub routes and versions by (Object).
// ParseWithOptions adds what only the hub knows: the types defined by
// extension-definitions it accepts, and a checker for STIX patterns.
//
// # Rules
//
// Validation is table-driven. Every object gets the common properties of
// section 3.2 (required by class: SDO, SRO, SCO, marking-definition,
// language-content, extension-definition, custom); each of the 42 types
// has a table of its own properties (spec_sdo.go, spec_sco.go,
// spec_meta.go) giving, for each, whether it is required and its value
// kind: string, open vocabulary (any string), closed enumeration, boolean,
// integer (54-bit, with ranges where the specification sets them), float,
// timestamp, hex, binary, identifier of given types, list of a kind (never
// empty), dictionary (never empty, keys checked), hashes (algorithm names
// of 3-250 characters; digests of the hash-algorithm-ov algorithms checked
// for format), or a nested object with its own table (external reference,
// kill chain phase, granular marking, MIME part, PE header and section,
// registry value, X.509 v3 extensions and the twelve predefined
// extensions). Cross-property rules cover the rest: modified not before
// created, valid_until after valid_from, last_seen not before first_seen,
// one of object_refs or objects, a location's region, country or
// coordinates, and so on.
//
// Properties a type does not define are custom properties (section 11.1)
// or top-level extension properties (section 7.3): they are kept
// untouched, but their names must be 3-250 characters of a-z, 0-9 and '_',
// must not be reserved (section 3.8), and a name ending in _ref or _refs
// must hold identifiers. Custom "x-" types get the common rules of an SDO,
// or of an SCO or SRO when their extension-definition says new-sco or
// new-sro. The keys of extensions must be extension-definition ids (whose
// values carry extension_type), the predefined extensions of the type, or
// on SCOs the deprecated custom "-ext" names.
//
// Granular marking selectors must resolve against the object, as
// internal/marking resolves them when it computes effective markings (see
// marking.ResolveSelector): the hub accepts exactly the selectors it can
// enforce markings on.
//
// # Paths
//
// Violation.Field is a path from the object to the offending value:
// property names and dictionary keys joined by '.', list indexes in
// brackets, e.g. "external_references[2].source_name",
// "granular_markings[0].selectors[1]", "hashes.SHA-256" or
// "extensions.archive-ext.contains_refs[0]". A key that is not made of
// a-z, A-Z, 0-9, '-' and '_' is written as a quoted string in brackets,
// e.g. `additional_header_fields["Reply To"]`. The empty path is the
// object itself, or the nested object a rule is about when the path ends
// there (e.g. "external_references[0]").
package stix
