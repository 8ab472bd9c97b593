// Package access decides which member may read which stored object: the one
// authorization function every read path asks (gRPC Subscribe, TAXII objects,
// manifest and versions, screening Lookup), as ../shared/DESIGN.md requires.
//
// The rules (deny by default), from the object's Sharing, decided at publish:
//
//	publisher                         always reads its own objects
//	listed recipient                  reads the object, whatever its TLP
//	TLP:CLEAR, TLP:GREEN              every active member
//	TLP:AMBER, TLP:AMBER+STRICT       members of the groups named on publish
//	TLP:RED                           listed recipients only
//	anything else (no sharing)        no one but the publisher
//
// and an object that references another object (relationships, sightings,
// reports, created_by_ref...) is readable only by members who may also read
// every referenced object the hub holds, so a reference never reveals what
// the reader may not see. Suspension and roles are checked before a read
// path runs (internal/auth).
package access

import (
	"slices"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// TLP levels as stored in Sharing.tlp.
const (
	TLPClear       = "clear"
	TLPGreen       = "green"
	TLPAmber       = "amber"
	TLPAmberStrict = "amber+strict"
	TLPRed         = "red"
)

// Groups answers group membership.
type Groups interface {
	InGroup(memberID, group string) bool
}

// Refs finds the publisher and sharing of the newest stored version of an
// object id.
type Refs interface {
	SharingOf(id string) (publisher string, sh *stixhubv1.Sharing, ok bool)
}

// Decider applies the rules. Its methods are safe for concurrent use when
// Groups and Refs are.
type Decider struct {
	Groups Groups
	Refs   Refs // nil: references are not checked
}

// MayRead reports whether member reader may read an object published by
// publisher with sharing sh.
func (d *Decider) MayRead(reader, publisher string, sh *stixhubv1.Sharing) bool {
	if !d.own(reader, publisher, sh) {
		return false
	}
	if d.Refs == nil {
		return true
	}
	for _, id := range sh.GetRefs() {
		p, rsh, ok := d.Refs.SharingOf(id)
		if ok && !d.own(reader, p, rsh) {
			return false
		}
	}
	return true
}

// own applies the rules to the object itself, not its references.
func (d *Decider) own(reader, publisher string, sh *stixhubv1.Sharing) bool {
	switch {
	case reader == "":
		return false
	case reader == publisher:
		return true
	case sh == nil:
		return false
	case slices.Contains(sh.GetRecipients(), reader):
		return true
	}
	switch sh.GetTlp() {
	case TLPClear, TLPGreen:
		return true
	case TLPAmber, TLPAmberStrict:
		for _, g := range sh.GetGroups() {
			if d.Groups.InGroup(reader, g) {
				return true
			}
		}
	}
	return false
}
