package server

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/internal/registry"
	"github.com/stixhub/stixhub/internal/screen"
	"github.com/stixhub/stixhub/internal/stix"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Request checks: everything a request must satisfy before any work is done.
// Checks of the STIX content itself live in internal/stix.

// isKeyID reports whether s has the form of a key id (sign.KeyID): 32
// lowercase hex characters. A loop, not a regexp: it runs for every
// published object (a regexp match cost about 3 us of the publish path).
func isKeyID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

const maxSubscribeTypes = 64

func validatePublishRequest(req *stixhubv1.PublishRequest, maxBatch int) error {
	switch n := len(req.GetObjects()); {
	case n == 0:
		return invalidArgument("empty batch", violation("objects", "at least one object required"))
	case n > maxBatch:
		return sizeLimit("batch too large; nothing was stored", violation("objects", fmt.Sprintf("at most %d objects per request (--max-batch), got %d", maxBatch, n)))
	}
	return nil
}

// signedObjectViolations checks the envelope of one object (not its STIX
// content).
func signedObjectViolations(o *stixhubv1.SignedObject, maxBytes int) []*stixhubv1.FieldViolation {
	var vs []*stixhubv1.FieldViolation
	switch n := len(o.GetObject()); {
	case n == 0:
		vs = append(vs, violation("object", "required"))
	case n > maxBytes:
		vs = append(vs, violation("object", fmt.Sprintf("%d bytes is over the %d byte limit", n, maxBytes)))
	}
	if !isKeyID(o.GetKeyId()) {
		vs = append(vs, violation("key_id", "must be 32 lowercase hex characters"))
	}
	if len(o.GetSignature()) != 64 {
		vs = append(vs, violation("signature", fmt.Sprintf("must be a 64-byte Ed25519 signature, got %d bytes", len(o.GetSignature()))))
	}
	return vs
}

func validateSubscribeRequest(req *stixhubv1.SubscribeRequest) error {
	var vs []*stixhubv1.FieldViolation
	if len(req.GetTypes()) > maxSubscribeTypes {
		vs = append(vs, violation("types", fmt.Sprintf("at most %d types", maxSubscribeTypes)))
	}
	for i, t := range req.GetTypes() {
		if !stix.IsValidType(t) {
			vs = append(vs, violation(fmt.Sprintf("types[%d]", i), fmt.Sprintf("%q is not a STIX type name", t)))
		}
	}
	if req.GetFromNow() && req.GetAfterCursor() != 0 {
		vs = append(vs, violation("from_now", "cannot be combined with after_cursor"))
	}
	if req.GetMaxBatch() > maxDeliveryBatch {
		vs = append(vs, violation("max_batch", fmt.Sprintf("at most %d", maxDeliveryBatch)))
	}
	if len(vs) > 0 {
		return invalidArgument("invalid subscription", vs...)
	}
	return nil
}

func validateCreateMember(req *stixhubv1.CreateMemberRequest) error {
	var vs []*stixhubv1.FieldViolation
	name := strings.TrimSpace(req.GetName())
	if name == "" || utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
		vs = append(vs, violation("name", "required, 1 to 200 characters"))
	}
	if !isSTIXID(req.GetIdentity(), "identity") {
		vs = append(vs, violation("identity", `must be a STIX identity id, "identity--<UUID>"`))
	}
	if len(vs) > 0 {
		return invalidArgument("invalid member", vs...)
	}
	return nil
}

func validateAddKey(req *stixhubv1.AddKeyRequest) error {
	var vs []*stixhubv1.FieldViolation
	if !isMemberID(req.GetMemberId()) {
		vs = append(vs, violation("member_id", `must be a member id, "member--<UUID>"`))
	}
	if len(req.GetPublicKey()) != 32 {
		vs = append(vs, violation("public_key", fmt.Sprintf("must be a raw 32-byte Ed25519 public key, got %d bytes", len(req.GetPublicKey()))))
	}
	if len(vs) > 0 {
		return invalidArgument("invalid key", vs...)
	}
	return nil
}

func validateRevokeKey(req *stixhubv1.RevokeKeyRequest) error {
	var vs []*stixhubv1.FieldViolation
	if !isKeyID(req.GetKeyId()) {
		vs = append(vs, violation("key_id", "must be 32 lowercase hex characters"))
	}
	if utf8.RuneCountInString(req.GetReason()) > 500 {
		vs = append(vs, violation("reason", "at most 500 characters"))
	}
	compromised := req.GetReason() == registry.ReasonCompromised
	switch {
	case compromised && req.GetCompromisedAt() == nil:
		vs = append(vs, violation("compromised_at", `required with the reason "compromised": the time from which objects signed with the key are suspect`))
	case !compromised && req.GetCompromisedAt() != nil:
		vs = append(vs, violation("compromised_at", `only with the reason "compromised"`))
	case req.GetCompromisedAt() != nil && !req.GetCompromisedAt().IsValid():
		vs = append(vs, violation("compromised_at", "not a valid timestamp"))
	case req.GetCompromisedAt() != nil && req.GetCompromisedAt().AsTime().After(time.Now()):
		vs = append(vs, violation("compromised_at", "must not be in the future"))
	}
	if len(vs) > 0 {
		return invalidArgument("invalid revocation", vs...)
	}
	return nil
}

func validateRotateKey(req *stixhubv1.RotateKeyRequest) error {
	var vs []*stixhubv1.FieldViolation
	if !isMemberID(req.GetMemberId()) {
		vs = append(vs, violation("member_id", `must be a member id, "member--<UUID>"`))
	}
	if len(req.GetPublicKey()) != 32 {
		vs = append(vs, violation("public_key", fmt.Sprintf("must be a raw 32-byte Ed25519 public key, got %d bytes", len(req.GetPublicKey()))))
	}
	if o := req.GetOverlap(); o != nil && (!o.IsValid() || o.AsDuration() < 0 || o.AsDuration() > 365*24*time.Hour) {
		vs = append(vs, violation("overlap", "must be between 0 and 365 days"))
	}
	if len(vs) > 0 {
		return invalidArgument("invalid rotation", vs...)
	}
	return nil
}

func validateMemberID(memberID string) error {
	if !isMemberID(memberID) {
		return invalidArgument("invalid member", violation("member_id", `must be a member id, "member--<UUID>"`))
	}
	return nil
}

func validateMemberFilter(memberID string) error {
	if memberID != "" && !isMemberID(memberID) {
		return invalidArgument("invalid filter", violation("member_id", `must be a member id, "member--<UUID>"`))
	}
	return nil
}

func isMemberID(s string) bool { return isSTIXID(s, "member") }

// isSTIXID reports whether s is "<prefix>--<UUID>" in canonical lowercase form.
func isSTIXID(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"--")
	if !ok || len(rest) != 36 {
		return false
	}
	u, err := uuid.Parse(rest)
	return err == nil && u.String() == rest
}

// maxLookupBatch is the most observables one Lookup may carry.
const maxLookupBatch = 1000

// validateLookupRequest checks a Lookup and returns, for each observable, the
// typed observables to look up (more than one when the type is inferred and
// ambiguous).
func validateLookupRequest(req *stixhubv1.LookupRequest) ([][]screen.Observable, error) {
	obs := req.GetObservables()
	switch n := len(obs); {
	case n == 0:
		return nil, invalidArgument("empty lookup", violation("observables", "at least one observable required"))
	case n > maxLookupBatch:
		return nil, invalidArgument("lookup batch too large", violation("observables", fmt.Sprintf("at most %d observables per request, got %d", maxLookupBatch, n)))
	}
	out := make([][]screen.Observable, len(obs))
	all := make([]screen.Observable, 0, len(obs)) // out's elements: one array while each value has one type
	var vs []*stixhubv1.FieldViolation
	for i, o := range obs {
		typ, ok := screen.CanonicalType(o.GetType())
		if !ok {
			vs = append(vs, violation(fmt.Sprintf("observables[%d].type", i), fmt.Sprintf("%q is not an observable type (a STIX type name such as ipv4-addr or cryptocurrency-wallet, file for hashes, or an alias such as ip or sha256)", o.GetType())))
			continue
		}
		types := []string{typ}
		if typ == "" {
			types = screen.InferTypes(o.GetValue())
		}
		start := len(all)
		for _, t := range types {
			if _, err := screen.Normalize(t, o.GetValue()); err != nil {
				vs = append(vs, violation(fmt.Sprintf("observables[%d].value", i), fmt.Sprintf("%s: %v", t, err)))
				break
			}
			all = append(all, screen.Observable{Type: t, Value: o.GetValue()})
		}
		out[i] = all[start:len(all):len(all)]
	}
	if len(vs) > 0 {
		return nil, invalidArgument("invalid lookup", vs...)
	}
	return out, nil
}
