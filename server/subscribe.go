package server

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/internal/auth"
	"github.com/stixhub/stixhub/internal/fanout"
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
	tracked, untrack := h.trackSubscription(p.MemberID, stream)
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
	sent, err := h.subscribe(ctx, p.MemberID, req, tracked)
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
func (h *Hub) subscribe(ctx context.Context, reader string, req *stixhubv1.SubscribeRequest, stream trackedStream) (sent uint64, err error) {
	after := req.GetAfterCursor()
	if req.GetFromNow() {
		if after, err = h.store.LastCursor(ctx); err != nil {
			return 0, err
		}
	}
	started := &stixhubv1.SubscribeResponse{Event: &stixhubv1.SubscribeResponse_Started{Started: &stixhubv1.Started{AfterCursor: after}}}
	opts := store.SubscribeOptions{AfterCursor: after, Types: req.GetTypes()}
	if req.GetMaxBatch() <= 1 {
		err = h.feed.Subscribe(ctx, opts, func() error { return stream.Send(started) },
			func(d *stixhubv1.Delivery) error {
				if d.GetObject() != nil && !h.mayRead(reader, d.GetMemberId(), d.GetSharing()) {
					return nil // not for this member: the stream goes on past it
				}
				sent++
				return stream.Send(&stixhubv1.SubscribeResponse{Event: &stixhubv1.SubscribeResponse_Delivery{Delivery: deliveryFor(d, h.suspect(d))}})
			})
		return sent, err
	}
	b := batcher{max: int(req.GetMaxBatch()), pool: &h.wireBuffers}
	err = h.feed.SubscribeBatches(ctx, opts, func() error { return stream.Send(started) },
		func(msgs []*fanout.Message) error {
			for _, m := range msgs {
				d := m.Delivery
				if d.GetObject() != nil && !h.mayRead(reader, d.GetMemberId(), d.GetSharing()) {
					continue
				}
				var wire []byte
				var err error
				if h.suspect(d) {
					wire, err = proto.Marshal(deliveryFor(d, true)) // this reader's copy says so
				} else {
					wire, err = m.Wire(encodeDelivery)
				}
				if err != nil {
					return fmt.Errorf("encode delivery at cursor %d: %w", d.GetCursor(), err)
				}
				sent++
				if err := b.add(stream, wire, d.GetCursor()); err != nil {
					return err
				}
			}
			return b.flush(stream)
		})
	return sent, err
}

// encodeDelivery is the wire form of a delivery, the same for every reader
// (suspect deliveries, the exception, are encoded per reader).
func encodeDelivery(d *stixhubv1.Delivery) ([]byte, error) {
	return proto.Marshal(deliveryFor(d, false))
}

// maxDeliveryBatch is the most deliveries one message may carry.
const maxDeliveryBatch = 1000

// maxBatchBytes caps a batch message's size whatever the count: up to
// 32 KiB, gRPC's receive buffers come from its 32 KiB pool tier, beyond
// that from the 1 MiB one, which it clears before each use.
const maxBatchBytes = 32<<10 - 16

// batcher builds SubscribeResponse{batch} messages from encoded deliveries:
// the repeated field is written as the encoded deliveries one after another,
// so no delivery is encoded again.
type batcher struct {
	max    int
	pool   *bufferPool
	n      int
	inner  []byte // DeliveryBatch: field 1 repeated
	cursor uint64 // last in the batch
}

// add appends one encoded delivery, sending the batch first if the delivery
// would make it too large, and after if it is then full.
func (b *batcher) add(stream trackedStream, wire []byte, cursor uint64) error {
	size := protowire.SizeTag(1) + protowire.SizeBytes(len(wire))
	if b.n > 0 && len(b.inner)+size > maxBatchBytes {
		if err := b.flush(stream); err != nil {
			return err
		}
	}
	b.inner = protowire.AppendTag(b.inner, 1, protowire.BytesType)
	b.inner = protowire.AppendBytes(b.inner, wire)
	b.n++
	b.cursor = cursor
	if b.n >= b.max {
		return b.flush(stream)
	}
	return nil
}

// flush sends what the batch holds, if anything.
func (b *batcher) flush(stream trackedStream) error {
	if b.n == 0 {
		return nil
	}
	size := protowire.SizeTag(3) + protowire.SizeBytes(len(b.inner))
	p := b.pool.Get(size)
	msg := protowire.AppendTag((*p)[:0], 3, protowire.BytesType) // SubscribeResponse.batch
	*p = protowire.AppendBytes(msg, b.inner)
	b.n, b.inner = 0, b.inner[:0]
	return stream.sendWire(wireMessage{buf: mem.NewBuffer(p, b.pool)}, b.cursor)
}

// bufferPool holds the buffers of batch messages, returned by gRPC once
// written. Unlike gRPC's own pool it does not clear them: every byte up to
// the length is written before use.
type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get(n int) *[]byte {
	if b, ok := p.pool.Get().(*[]byte); ok && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	b := make([]byte, n, max(n, 32<<10))
	return &b
}

func (p *bufferPool) Put(b *[]byte) { p.pool.Put(b) }

// deliveryFor is what a subscriber gets of a stored message, which other
// readers share and so is not modified.
func deliveryFor(d *stixhubv1.Delivery, suspect bool) *stixhubv1.Delivery {
	sh := d.GetSharing()
	if !suspect && len(sh.GetRefs()) == 0 {
		return d
	}
	out := &stixhubv1.Delivery{
		Cursor: d.GetCursor(), MemberId: d.GetMemberId(), Object: d.GetObject(), Receipt: d.GetReceipt(),
		KeyRevocation: d.GetKeyRevocation(), Sharing: sh, Suspect: suspect,
	}
	if len(sh.GetRefs()) > 0 {
		// The reader has the references in the object itself.
		out.Sharing = &stixhubv1.Sharing{Tlp: sh.GetTlp(), DefaultTlp: sh.GetDefaultTlp(), Groups: sh.GetGroups(), Recipients: sh.GetRecipients()}
	}
	return out
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
