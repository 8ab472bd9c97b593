package server

import (
	"context"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/stixhub/stixhub/internal/auth"
	"github.com/stixhub/stixhub/internal/marking"
	"github.com/stixhub/stixhub/internal/screen"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Lookup screens a batch of observables against the node's screening index,
// reporting only the objects the member may read.
func (s *hubService) Lookup(ctx context.Context, req *stixhubv1.LookupRequest) (*stixhubv1.LookupResponse, error) {
	h := s.hub
	queries, err := validateLookupRequest(req)
	if err != nil {
		return nil, err
	}
	p, _ := auth.FromContext(ctx)
	opts := screen.LookupOptions{
		Now:            time.Now(),
		IncludeRevoked: req.GetIncludeRevoked(),
		MayRead: func(m *screen.Match) bool {
			return h.mayRead(p.MemberID, m.MemberID, m.Sharing)
		},
	}
	// All matches first, into one buffer (ends[i] is where query i's end),
	// so that the response is built from a few slabs instead of some seven
	// allocations per match.
	var buf []screen.Match
	ends := make([]int, len(queries))
	types := 0
	for i, qs := range queries {
		start := len(buf)
		for _, q := range qs {
			buf, _ = h.screen.Lookup(buf, q, opts) // validated
		}
		slices.SortStableFunc(buf[start:], func(a, b screen.Match) int { return statusRank(a.Status) - statusRank(b.Status) })
		ends[i] = len(buf)
		types += len(qs)
	}
	times := 0
	for i := range buf {
		m := &buf[i]
		for _, t := range []time.Time{m.ValidFrom, m.ValidUntil, m.Modified, m.AcceptedAt} {
			if !t.IsZero() {
				times++
			}
		}
	}
	sl := responseSlabs{
		results:     make([]stixhubv1.LookupResult, len(queries)),
		matches:     make([]stixhubv1.LookupMatch, len(buf)),
		matchPtrs:   make([]*stixhubv1.LookupMatch, len(buf)),
		observables: make([]stixhubv1.Observable, len(buf)),
		times:       make([]timestamppb.Timestamp, 0, times),
		confidences: make([]int32, len(buf)),
		types:       make([]string, 0, types),
	}
	resp := &stixhubv1.LookupResponse{Results: make([]*stixhubv1.LookupResult, len(queries))}
	matched, start := 0, 0
	for i, qs := range queries {
		res := &sl.results[i]
		res.Index = uint32(i)
		for _, q := range qs {
			sl.types = append(sl.types, q.Type)
		}
		res.Types = sl.types[len(sl.types)-len(qs) : len(sl.types) : len(sl.types)]
		res.Matches = sl.matchPtrs[start:ends[i]:ends[i]]
		for j := start; j < ends[i]; j++ {
			res.Matches[j-start] = sl.match(j, &buf[j])
		}
		if ends[i] > start {
			matched++
		}
		start = ends[i]
		resp.Results[i] = res
	}
	h.log.DebugContext(ctx, "lookup", "member", p.MemberID, "observables", len(queries), "matched", matched)
	return resp, nil
}

// responseSlabs hold the messages of one Lookup response.
type responseSlabs struct {
	results     []stixhubv1.LookupResult
	matches     []stixhubv1.LookupMatch
	matchPtrs   []*stixhubv1.LookupMatch
	observables []stixhubv1.Observable
	times       []timestamppb.Timestamp
	confidences []int32
	types       []string
}

// match fills the j-th match message from m.
func (sl *responseSlabs) match(j int, m *screen.Match) *stixhubv1.LookupMatch {
	pm := &sl.matches[j]
	ob := &sl.observables[j]
	ob.Type, ob.Value = m.Observable.Type, m.Observable.Value
	pm.Observable = ob
	pm.ObjectId = m.ObjectID
	pm.ObjectType = m.ObjectType
	pm.Via = m.Via
	pm.Status = matchStatus(m.Status)
	pm.ValidFrom = sl.timestamp(m.ValidFrom)
	pm.ValidUntil = sl.timestamp(m.ValidUntil)
	pm.Modified = sl.timestamp(m.Modified)
	pm.MemberId = m.MemberID
	pm.KeyId = m.KeyID
	pm.Cursor = m.Cursor
	pm.AcceptedAt = sl.timestamp(m.AcceptedAt)
	if m.TLP != marking.Unknown {
		pm.Tlp = m.TLP.String()
	}
	if m.Confidence >= 0 {
		sl.confidences[j] = int32(m.Confidence)
		pm.Confidence = &sl.confidences[j]
	}
	return pm
}

// timestamp returns t as a message of the slab, nil for the zero time.
func (sl *responseSlabs) timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	sl.times = append(sl.times, timestamppb.Timestamp{})
	ts := &sl.times[len(sl.times)-1]
	ts.Seconds, ts.Nanos = t.Unix(), int32(t.Nanosecond())
	return ts
}

// statusRank orders matches: live first.
func statusRank(s screen.Status) int {
	switch s {
	case screen.StatusLive:
		return 0
	case screen.StatusNotYetValid:
		return 1
	case screen.StatusExpired:
		return 2
	case screen.StatusKeyCompromised:
		return 3
	}
	return 4
}

// matchStatus is the API's name of a match status.
func matchStatus(s screen.Status) stixhubv1.MatchStatus {
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
