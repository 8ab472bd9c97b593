// Package lookupwire encodes and decodes the hub's LookupResponse in
// protobuf wire form directly, for the screening API's hot path.
//
// A batch of 100 observables answers with some fifty matches of seven
// strings and four timestamps each. Built as generated messages and
// marshalled by reflection, then unmarshalled the same way by the member,
// that is several hundred allocations per call on each side, and their
// garbage collections set the tail latency of Lookup. Here the hub appends
// the response's bytes straight from the index's matches, and the member
// decodes them into a few slabs whose strings share one copy of the bytes.
//
// Both directions produce exactly what the generated code does: the tests
// hold AppendResult byte for byte to proto.Marshal of the same response,
// and Decode to proto.Unmarshal on any input (a fuzz test). Decode hands
// anything unusual (an unknown field, a repeated sub-message, a wrong wire
// type) to proto.Unmarshal, so it is never stricter or looser than it.
package lookupwire

import (
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/stixhub/stixhub/internal/marking"
	"github.com/stixhub/stixhub/internal/screen"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Field numbers of the messages in proto/stixhub/v1/hub.proto;
// TestFieldNumbers holds them to the generated descriptors.
const (
	responseResults = 1

	resultIndex   = 1
	resultTypes   = 2
	resultMatches = 3

	matchObservable = 1
	matchObjectID   = 2
	matchObjectType = 3
	matchVia        = 4
	matchStatus     = 5
	matchTLP        = 6
	matchValidFrom  = 7
	matchValidUntil = 8
	matchModified   = 9
	matchConfidence = 10
	matchMemberID   = 11
	matchKeyID      = 12
	matchCursor     = 13
	matchAcceptedAt = 14

	observableType  = 1
	observableValue = 2

	timestampSeconds = 1
	timestampNanos   = 2
)

// AppendResult appends to b one LookupResponse.results entry: result number
// index, for an observable looked up as each of queries' types, with its
// matches. A LookupResponse is its results appended one after another.
func AppendResult(b []byte, index uint32, queries []screen.Observable, matches []screen.Match) []byte {
	size := sizeResult(index, queries, matches)
	b = protowire.AppendTag(b, responseResults, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	if index != 0 {
		b = protowire.AppendTag(b, resultIndex, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(index))
	}
	for _, q := range queries {
		b = appendString(b, resultTypes, q.Type, true)
	}
	for i := range matches {
		m := &matches[i]
		b = protowire.AppendTag(b, resultMatches, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(sizeMatch(m)))
		b = appendMatch(b, m)
	}
	return b
}

func sizeResult(index uint32, queries []screen.Observable, matches []screen.Match) int {
	n := 0
	if index != 0 {
		n += protowire.SizeTag(resultIndex) + protowire.SizeVarint(uint64(index))
	}
	for _, q := range queries {
		n += sizeString(resultTypes, q.Type, true)
	}
	for i := range matches {
		n += sizeMessage(resultMatches, sizeMatch(&matches[i]))
	}
	return n
}

// appendMatch appends the fields of m's LookupMatch in field order, as
// proto.Marshal does.
func appendMatch(b []byte, m *screen.Match) []byte {
	b = protowire.AppendTag(b, matchObservable, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(sizeObservable(m.Observable)))
	b = appendString(b, observableType, m.Observable.Type, false)
	b = appendString(b, observableValue, m.Observable.Value, false)
	b = appendString(b, matchObjectID, m.ObjectID, false)
	b = appendString(b, matchObjectType, m.ObjectType, false)
	b = appendString(b, matchVia, m.Via, false)
	if st := Status(m.Status); st != 0 {
		b = protowire.AppendTag(b, matchStatus, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(st))
	}
	b = appendString(b, matchTLP, tlp(m.TLP), false)
	b = appendTime(b, matchValidFrom, m.ValidFrom)
	b = appendTime(b, matchValidUntil, m.ValidUntil)
	b = appendTime(b, matchModified, m.Modified)
	if m.Confidence >= 0 {
		b = protowire.AppendTag(b, matchConfidence, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(int32(m.Confidence))))
	}
	b = appendString(b, matchMemberID, m.MemberID, false)
	b = appendString(b, matchKeyID, m.KeyID, false)
	if m.Cursor != 0 {
		b = protowire.AppendTag(b, matchCursor, protowire.VarintType)
		b = protowire.AppendVarint(b, m.Cursor)
	}
	return appendTime(b, matchAcceptedAt, m.AcceptedAt)
}

func sizeMatch(m *screen.Match) int {
	n := sizeMessage(matchObservable, sizeObservable(m.Observable))
	n += sizeString(matchObjectID, m.ObjectID, false)
	n += sizeString(matchObjectType, m.ObjectType, false)
	n += sizeString(matchVia, m.Via, false)
	if st := Status(m.Status); st != 0 {
		n += protowire.SizeTag(matchStatus) + protowire.SizeVarint(uint64(st))
	}
	n += sizeString(matchTLP, tlp(m.TLP), false)
	n += sizeTime(matchValidFrom, m.ValidFrom)
	n += sizeTime(matchValidUntil, m.ValidUntil)
	n += sizeTime(matchModified, m.Modified)
	if m.Confidence >= 0 {
		n += protowire.SizeTag(matchConfidence) + protowire.SizeVarint(uint64(int64(int32(m.Confidence))))
	}
	n += sizeString(matchMemberID, m.MemberID, false)
	n += sizeString(matchKeyID, m.KeyID, false)
	if m.Cursor != 0 {
		n += protowire.SizeTag(matchCursor) + protowire.SizeVarint(m.Cursor)
	}
	return n + sizeTime(matchAcceptedAt, m.AcceptedAt)
}

func sizeObservable(o screen.Observable) int {
	return sizeString(observableType, o.Type, false) + sizeString(observableValue, o.Value, false)
}

// appendString appends a string field; proto3 leaves out an empty one
// unless it is an element of a repeated field.
func appendString(b []byte, num protowire.Number, s string, repeated bool) []byte {
	if s == "" && !repeated {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func sizeString(num protowire.Number, s string, repeated bool) int {
	if s == "" && !repeated {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeBytes(len(s))
}

func sizeMessage(num protowire.Number, size int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(size)
}

// appendTime appends a google.protobuf.Timestamp field, none for the zero
// time.
func appendTime(b []byte, num protowire.Number, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	secs, nanos := t.Unix(), int32(t.Nanosecond())
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(sizeTimestamp(secs, nanos)))
	if secs != 0 {
		b = protowire.AppendTag(b, timestampSeconds, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(secs))
	}
	if nanos != 0 {
		b = protowire.AppendTag(b, timestampNanos, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(nanos)))
	}
	return b
}

func sizeTime(num protowire.Number, t time.Time) int {
	if t.IsZero() {
		return 0
	}
	return sizeMessage(num, sizeTimestamp(t.Unix(), int32(t.Nanosecond())))
}

func sizeTimestamp(secs int64, nanos int32) int {
	n := 0
	if secs != 0 {
		n += protowire.SizeTag(timestampSeconds) + protowire.SizeVarint(uint64(secs))
	}
	if nanos != 0 {
		n += protowire.SizeTag(timestampNanos) + protowire.SizeVarint(uint64(int64(nanos)))
	}
	return n
}

// tlp is the API's form of a TLP marking: its name, empty when unknown.
func tlp(t marking.TLP) string {
	if t == marking.Unknown {
		return ""
	}
	return t.String()
}

// Status is the API's name of a match status.
func Status(s screen.Status) stixhubv1.MatchStatus {
	switch s {
	case screen.StatusLive:
		return stixhubv1.MatchStatus_MATCH_STATUS_LIVE
	case screen.StatusExpired:
		return stixhubv1.MatchStatus_MATCH_STATUS_EXPIRED
	case screen.StatusNotYetValid:
		return stixhubv1.MatchStatus_MATCH_STATUS_NOT_YET_VALID
	case screen.StatusRevoked:
		return stixhubv1.MatchStatus_MATCH_STATUS_REVOKED
	case screen.StatusKeyCompromised:
		return stixhubv1.MatchStatus_MATCH_STATUS_KEY_COMPROMISED
	}
	return stixhubv1.MatchStatus_MATCH_STATUS_UNSPECIFIED
}

// Field numbers of LookupRequest.
const (
	requestObservables    = 1
	requestIncludeRevoked = 2
)

// AppendRequest appends a LookupRequest for obs to b. Each value must be
// valid UTF-8 (proto3 strings are), which the caller checks.
func AppendRequest(b []byte, obs []screen.Observable, includeRevoked bool) []byte {
	for _, o := range obs {
		b = protowire.AppendTag(b, requestObservables, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(sizeObservable(o)))
		b = appendString(b, observableType, o.Type, false)
		b = appendString(b, observableValue, o.Value, false)
	}
	if includeRevoked {
		b = protowire.AppendTag(b, requestIncludeRevoked, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	}
	return b
}
