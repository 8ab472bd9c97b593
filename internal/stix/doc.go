// Package stix reads STIX 2.1 objects and checks them before the hub accepts
// them for publication.
//
// ReadObjects splits an input (a bundle, a single object or JSON lines) into
// the raw JSON of its objects; Parse validates one object and returns the
// common properties the hub routes and versions by (Object). Validation is a
// set of rules: common rules every object gets, plus a per-type table
// (typeSpecs) that later work extends to the whole STIX 2.1 specification.
//
// This first version checks the common properties, the indicator and the
// relationship. It does not check patterns (see internal/pattern),
// vocabularies, reference target types, extensions or granular markings, and
// it accepts unknown properties untouched.
package stix
