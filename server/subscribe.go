package server

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/internal/auth"
	"github.com/stixhub/stixhub/internal/store"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Subscribe streams stored objects from the requested position until the
// client goes away or the hub shuts down. At shutdown the stream ends with
// UNAVAILABLE, and the client resumes from its last cursor.
func (s *hubService) Subscribe(req *stixhubv1.SubscribeRequest, stream stixhubv1.HubService_SubscribeServer) error {
	h := s.hub
	if err := validateSubscribeRequest(req); err != nil {
		return err
	}
	p, _ := auth.FromContext(stream.Context())
	stream, untrack := h.trackSubscription(p.MemberID, stream)
	defer untrack()
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	stop := context.AfterFunc(h.streamsCtx, func() { cancel(context.Canceled) })
	defer stop()
	// A suspension cuts the stream at once, on whichever node it is made.
	defer h.streams.add(p.MemberID, cancel)()
	if h.registry.Suspended(p.MemberID) { // suspended between auth and add
		cancel(errSuspended)
	}

	h.log.InfoContext(ctx, "subscribe", "member", p.MemberID, "after_cursor", req.GetAfterCursor(),
		"from_now", req.GetFromNow(), "types", req.GetTypes())
	sent, err := h.subscribe(ctx, p.MemberID, req, stream)
	h.log.InfoContext(ctx, "subscribe ended", "member", p.MemberID, "delivered", sent)
	switch {
	case errors.Is(context.Cause(ctx), errSuspended):
		h.log.InfoContext(ctx, "subscribe cut: member suspended", "member", p.MemberID)
		return status.Error(codes.PermissionDenied, auth.ErrSuspendedMessage)
	case errors.Is(context.Cause(ctx), errAccessChanged):
		h.log.InfoContext(ctx, "subscribe cut: member left a sharing group", "member", p.MemberID)
		return status.Error(codes.Aborted, "your sharing groups changed; resume from your last cursor")
	case errors.Is(context.Cause(ctx), errNotSubscriber):
		return status.Error(codes.PermissionDenied, "the subscriber role was withdrawn; ask the hub operator")
	case h.streamsCtx.Err() != nil:
		return status.Error(codes.Unavailable, "hub is shutting down; resume from your last cursor")
	case stream.Context().Err() != nil:
		return status.FromContextError(stream.Context().Err()).Err()
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "canceled")
	}
	return rpcError(ctx, h.log, "subscribe", err)
}

// subscribe resolves the start, confirms it to the client and streams.
func (h *Hub) subscribe(ctx context.Context, reader string, req *stixhubv1.SubscribeRequest, stream stixhubv1.HubService_SubscribeServer) (sent uint64, err error) {
	after := req.GetAfterCursor()
	if req.GetFromNow() {
		if after, err = h.store.LastCursor(ctx); err != nil {
			return 0, err
		}
	}
	started := &stixhubv1.SubscribeResponse{Event: &stixhubv1.SubscribeResponse_Started{Started: &stixhubv1.Started{AfterCursor: after}}}
	err = h.store.Subscribe(ctx, store.SubscribeOptions{AfterCursor: after, Types: req.GetTypes()},
		func() error { return stream.Send(started) },
		func(d *stixhubv1.Delivery) error {
			if d.GetObject() != nil && !h.mayRead(reader, d.GetMemberId(), d.GetSharing()) {
				return nil // not for this member: the stream goes on past it
			}
			sent++
			d.Suspect = h.suspect(d)
			if sh := d.GetSharing(); len(sh.GetRefs()) > 0 {
				// The reader has the references in the object itself.
				d.Sharing = &stixhubv1.Sharing{Tlp: sh.GetTlp(), DefaultTlp: sh.GetDefaultTlp(), Groups: sh.GetGroups(), Recipients: sh.GetRecipients()}
			}
			return stream.Send(&stixhubv1.SubscribeResponse{Event: &stixhubv1.SubscribeResponse_Delivery{Delivery: d}})
		})
	return sent, err
}

// suspect reports whether a delivered object's key was revoked as
// compromised at or before the hub accepted the object.
func (h *Hub) suspect(d *stixhubv1.Delivery) bool {
	if d.GetObject() == nil {
		return false
	}
	k, ok := h.registry.Key(d.GetObject().GetKeyId())
	return ok && !k.CompromisedAt.IsZero() && k.SuspectAt(d.GetReceipt().GetAcceptedAt().AsTime())
}
