package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Delivery is one object delivered by a subscription.
type Delivery = stixhubv1.Delivery

// Position says where a subscription starts.
type Position struct {
	after uint64
	now   bool
}

// Beginning starts with the first object the hub ever stored.
func Beginning() Position { return Position{} }

// Now starts with objects stored after the subscription begins.
func Now() Position { return Position{now: true} }

// After resumes after a cursor: pass the cursor of the last delivery handled.
func After(cursor uint64) Position { return Position{after: cursor} }

// String returns "beginning", "now" or the cursor.
func (p Position) String() string {
	switch {
	case p.now:
		return "now"
	case p.after == 0:
		return "beginning"
	}
	return fmt.Sprint(p.after)
}

type subOptions struct {
	types      []string
	minBackoff time.Duration
	maxBackoff time.Duration
	onStart    func(after uint64)
}

// SubscribeOption configures Subscribe.
type SubscribeOption func(*subOptions)

// WithTypes delivers only objects of these STIX types.
func WithTypes(types ...string) SubscribeOption {
	return func(o *subOptions) { o.types = append(o.types, types...) }
}

// WithBackoff sets the reconnect delay range (default 100ms to 5s, doubling).
func WithBackoff(minDelay, maxDelay time.Duration) SubscribeOption {
	return func(o *subOptions) { o.minBackoff, o.maxBackoff = minDelay, maxDelay }
}

// OnStart is called each time the hub confirms a (re)subscription, with the
// cursor it resumes after.
func OnStart(fn func(after uint64)) SubscribeOption {
	return func(o *subOptions) { o.onStart = fn }
}

// Subscribe delivers objects to handler in stream order, starting at from,
// until ctx ends (it then returns ctx.Err()), handler returns an error (it
// returns that error), or the hub refuses the subscription (bad token,
// invalid request).
//
// When the connection drops or the hub restarts, Subscribe reconnects by
// itself and resumes after the last delivery handler accepted, so handler
// sees every object exactly once, in order. If handler fails, the object was
// not handled: resume with After(last handled cursor) to get it again.
func (c *Client) Subscribe(ctx context.Context, from Position, handler func(context.Context, *Delivery) error, opts ...SubscribeOption) error {
	o := subOptions{minBackoff: 100 * time.Millisecond, maxBackoff: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	pos := from
	delay := o.minBackoff
	for {
		progressed, err := c.subscribeOnce(ctx, &pos, handler, &o)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var he handlerError
		if errors.As(err, &he) {
			return he.err
		}
		if !retryable(err) {
			return err
		}
		if progressed {
			delay = o.minBackoff
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(delay*2, o.maxBackoff)
	}
}

// subscribeBatch is how many deliveries the client lets the hub put in one
// message. The handler still sees them one at a time.
const subscribeBatch = 256

// handlerError marks an error returned by the caller's handler.
type handlerError struct{ err error }

func (h handlerError) Error() string { return h.err.Error() }

// subscribeOnce runs one stream. It updates pos as the hub confirms the start
// and as handler accepts deliveries.
func (c *Client) subscribeOnce(ctx context.Context, pos *Position, handler func(context.Context, *Delivery) error, o *subOptions) (progressed bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.hub.Subscribe(ctx, &stixhubv1.SubscribeRequest{
		AfterCursor: pos.after,
		FromNow:     pos.now,
		Types:       o.types,
		MaxBatch:    subscribeBatch,
	})
	if err != nil {
		return false, err
	}
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			return progressed, status.Error(codes.Unavailable, "hub ended the subscription")
		}
		if err != nil {
			return progressed, err
		}
		switch ev := msg.GetEvent().(type) {
		case *stixhubv1.SubscribeResponse_Started:
			*pos = After(ev.Started.GetAfterCursor())
			progressed = true
			if o.onStart != nil {
				o.onStart(ev.Started.GetAfterCursor())
			}
		case *stixhubv1.SubscribeResponse_Delivery:
			if err := handler(ctx, ev.Delivery); err != nil {
				return progressed, handlerError{err}
			}
			*pos = After(ev.Delivery.GetCursor())
			progressed = true
		case *stixhubv1.SubscribeResponse_Batch:
			for _, d := range ev.Batch.GetDeliveries() {
				if err := handler(ctx, d); err != nil {
					return progressed, handlerError{err}
				}
				*pos = After(d.GetCursor())
				progressed = true
			}
		}
	}
}

// retryable reports whether a subscription error is worth a reconnect.
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.Unknown, codes.Internal, codes.Aborted, codes.ResourceExhausted, codes.DeadlineExceeded:
		return true
	}
	return false
}
