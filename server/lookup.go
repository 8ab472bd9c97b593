package server

import (
	"context"
	"slices"
	"time"

	"github.com/stixhub/stixhub/internal/auth"
	"github.com/stixhub/stixhub/internal/lookupwire"
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
	// The matches of every query go into one pooled buffer (query i's end
	// at ends[i]), then straight into the response's wire form.
	bufp, _ := h.matchBufs.Get().(*[]screen.Match)
	if bufp == nil {
		bufp = new([]screen.Match)
	}
	buf := (*bufp)[:0]
	ends := make([]int, len(queries))
	for i, qs := range queries {
		start := len(buf)
		for _, q := range qs {
			buf, _ = h.screen.Lookup(buf, q, opts) // validated
		}
		slices.SortStableFunc(buf[start:], func(a, b screen.Match) int { return statusRank(a.Status) - statusRank(b.Status) })
		ends[i] = len(buf)
	}
	wire := make([]byte, 0, 64*len(queries)+320*len(buf))
	matched, start := 0, 0
	for i, qs := range queries {
		wire = lookupwire.AppendResult(wire, uint32(i), qs, buf[start:ends[i]])
		if ends[i] > start {
			matched++
		}
		start = ends[i]
	}
	if cap(buf) <= maxPooledMatches {
		clear(buf) // the pool must not keep the index's strings reachable
		*bufp = buf[:0]
		h.matchBufs.Put(bufp)
	}
	// The response carries its fields already encoded, as unknown fields:
	// proto.Marshal writes them as they are, so the member receives an
	// ordinary LookupResponse (see internal/lookupwire).
	resp := &stixhubv1.LookupResponse{}
	resp.ProtoReflect().SetUnknown(wire)
	h.log.DebugContext(ctx, "lookup", "member", p.MemberID, "observables", len(queries), "matched", matched)
	return resp, nil
}

// maxPooledMatches bounds the match buffers Lookup keeps for the next call.
const maxPooledMatches = 4096

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
