package stix

import (
	"errors"
	"strings"
)

// ErrNotObject reports JSON that is valid but is not a JSON object (an array,
// a string, a number, true, false or null) where a STIX object was expected.
//
// Parse returns it wrapped in a *ValidationError, so both errors.As (to get
// the violation list) and errors.Is(err, ErrNotObject) work. ReadObjects
// returns it wrapped with the position of the offending value.
var ErrNotObject = errors.New("not a JSON object")

// Violation is one problem found in an object.
type Violation struct {
	// Field is the JSON path of the property inside the object, e.g.
	// "valid_until", "external_references[2].source_name" or
	// "extensions.archive-ext.contains_refs[0]", or "" when the problem
	// concerns the whole object. The package documentation describes the
	// syntax.
	Field string
	// Description says which rule was broken, e.g. "must be after valid_from".
	Description string
}

// String returns "field: description", or just the description when Field
// is empty.
func (v Violation) String() string {
	if v.Field == "" {
		return v.Description
	}
	return v.Field + ": " + v.Description
}

// ValidationError lists every problem found in one object, not just the
// first, so a publisher can fix them all in one round trip.
type ValidationError struct {
	// ID is the object's id when it is a well-formed STIX identifier, else "".
	// It is only set when well-formed so that it is always safe to log.
	ID string
	// Violations are the problems found, in a stable order: duplicate
	// properties, type and id, the common properties, the type's own
	// properties, then custom properties.
	Violations []Violation

	// cause is the underlying error, if any (ErrNotObject, or the
	// *json.SyntaxError for malformed JSON); see Unwrap.
	cause error
}

// Error returns the id (when known) followed by every violation, e.g.
// "indicator--2f4b…: pattern: required; valid_until: must be after valid_from".
func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.ID != "" {
		b.WriteString(e.ID)
		b.WriteString(": ")
	}
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.String())
	}
	if len(e.Violations) == 0 {
		b.WriteString("invalid STIX object")
	}
	return b.String()
}

// Unwrap returns the error that caused the object to be rejected as a whole:
// ErrNotObject, or the *json.SyntaxError for malformed JSON. It returns nil
// when the object was rejected only for its content.
func (e *ValidationError) Unwrap() error { return e.cause }
