// Package access decides which member may read which object: the one
// authorization function every read path asks (Lookup today; Subscribe and
// TAXII are to ask it too), as ../shared/DESIGN.md requires.
//
// Until TLP and group policies arrive (issue 7), every active member may read
// every object: Everyone is the default Policy.
package access

import "github.com/stixhub/stixhub/internal/marking"

// Object is what a policy knows about an object a member asks to read.
type Object struct {
	// ID and Type are the STIX id and type.
	ID, Type string
	// MemberID is the member that published it.
	MemberID string
	// TLP is its object-level TLP marking (marking.Unknown when none).
	TLP marking.TLP
}

// Policy decides whether member reader may read object o. Implementations
// must be safe for concurrent use and fast: a screening lookup asks once per
// match.
type Policy interface {
	MayRead(reader string, o Object) bool
}

// Everyone lets every member read every object.
type Everyone struct{}

// MayRead always returns true.
func (Everyone) MayRead(string, Object) bool { return true }

// Func adapts a function to a Policy.
type Func func(reader string, o Object) bool

// MayRead calls f.
func (f Func) MayRead(reader string, o Object) bool { return f(reader, o) }
