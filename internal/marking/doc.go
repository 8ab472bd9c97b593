// Package marking reads STIX 2.1 data markings: which TLP level, statements
// and other markings apply to an object and to each part of it.
//
// The nine built-in marking-definitions (TLP 2.0 CLEAR, GREEN, AMBER,
// AMBER+STRICT and RED, published by OASIS with the TLP 2.0 extension
// definition, and the four TLP 1.0 ones of STIX 2.1 section 7.2.1.4) are
// known without being published: Builtin returns them and LookupTLP maps
// their ids to levels, TLP 1.0 onto the same scale (WHITE is CLEAR).
//
// Effective computes an object's markings from object_marking_refs and
// granular_markings, resolving each granular selector against the object
// (ResolveSelector, or Selectors for many at once). internal/stix checks
// granular markings with Selectors too, so that the hub accepts exactly the
// selectors whose markings it can compute. Markings that are not built in
// are looked up through a Resolver, or reported as unknown: this package
// never guesses what an unknown marking means. Validate and ParseDefinition
// check and read the marking-definitions members publish.
//
// Deciding who may receive what is not this package's job; it computes the
// markings that decision rests on.
package marking
