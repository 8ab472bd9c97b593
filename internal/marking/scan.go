package marking

import "github.com/stixhub/stixhub/internal/jsonscan"

// This package reads the marking properties and the selected content
// straight from an object's bytes with internal/jsonscan, without decoding
// the whole object. Every entry point checks the text with jsonscan.Valid
// first, so that this package and internal/stix agree on what is JSON.
//
// Names are compared after unescaping ("object\u005fmarking_refs" is
// object_marking_refs to every other JSON reader) and exactly: encoding/json
// would also match "OBJECT_MARKING_REFS" to a struct field, which would let a
// second, differently cased property override an object's markings.

// kind names the kind of JSON value raw holds, for messages, in STIX's
// words, which call an array a list (STIX 2.1 section 2.12).
func kind(raw []byte) string {
	if len(raw) > 0 && raw[0] == '[' {
		return "a list"
	}
	return jsonscan.Kind(raw)
}
