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
	resp := &stixhubv1.LookupResponse{Results: make([]*stixhubv1.LookupResult, len(queries))}
	var buf []screen.Match
	matched := 0
	for i, qs := range queries {
		buf = buf[:0]
		res := &stixhubv1.LookupResult{Index: uint32(i)}
		for _, q := range qs {
			res.Types = append(res.Types, q.Type)
			buf, _ = h.screen.Lookup(buf, q, opts) // validated
		}
		slices.SortStableFunc(buf, func(a, b screen.Match) int { return statusRank(a.Status) - statusRank(b.Status) })
		res.Matches = make([]*stixhubv1.LookupMatch, len(buf))
		for j := range buf {
			res.Matches[j] = matchProto(&buf[j])
		}
		if len(buf) > 0 {
			matched++
		}
		resp.Results[i] = res
	}
	h.log.DebugContext(ctx, "lookup", "member", p.MemberID, "observables", len(queries), "matched", matched)
	return resp, nil
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

var statusProto = map[screen.Status]stixhubv1.MatchStatus{
	screen.StatusLive:           stixhubv1.MatchStatus_MATCH_STATUS_LIVE,
	screen.StatusExpired:        stixhubv1.MatchStatus_MATCH_STATUS_EXPIRED,
	screen.StatusNotYetValid:    stixhubv1.MatchStatus_MATCH_STATUS_NOT_YET_VALID,
	screen.StatusRevoked:        stixhubv1.MatchStatus_MATCH_STATUS_REVOKED,
	screen.StatusKeyCompromised: stixhubv1.MatchStatus_MATCH_STATUS_KEY_COMPROMISED,
}

func matchProto(m *screen.Match) *stixhubv1.LookupMatch {
	pm := &stixhubv1.LookupMatch{
		Observable: &stixhubv1.Observable{Type: m.Observable.Type, Value: m.Observable.Value},
		ObjectId:   m.ObjectID,
		ObjectType: m.ObjectType,
		Via:        m.Via,
		Status:     statusProto[m.Status],
		ValidFrom:  timestamp(m.ValidFrom),
		ValidUntil: timestamp(m.ValidUntil),
		Modified:   timestamp(m.Modified),
		MemberId:   m.MemberID,
		KeyId:      m.KeyID,
		Cursor:     m.Cursor,
		AcceptedAt: timestamp(m.AcceptedAt),
	}
	if m.TLP != marking.Unknown {
		pm.Tlp = m.TLP.String()
	}
	if m.Confidence >= 0 {
		c := int32(m.Confidence)
		pm.Confidence = &c
	}
	return pm
}

func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
