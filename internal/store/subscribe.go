package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// SubscribeOptions say where a subscription starts and what it carries.
type SubscribeOptions struct {
	// AfterCursor starts delivery after this stream sequence; 0 is the
	// beginning.
	AfterCursor uint64
	// Types restricts delivery to these STIX types; empty means all. The
	// caller validates them.
	Types []string
}

// Subscribe calls started once its consumer exists, then delivers stored
// messages in stream order to fn until ctx ends or a callback returns an
// error, which Subscribe then returns. It is an ordered JetStream consumer
// of its own: a node's feed (internal/fanout) follows the stream with one,
// and a reader that resumes after the last cursor it handled sees every
// later message exactly once.
func (s *Store) Subscribe(ctx context.Context, opts SubscribeOptions, started func() error, fn func(Stored) error) error {
	cfg := jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverAllPolicy,
		// After a NATS node is lost, an ordered consumer recreates itself;
		// unbounded, that can retry (and block Next) for good. Bounded, it
		// fails, the stream ends with UNAVAILABLE and the client resumes
		// from its cursor on a fresh consumer.
		MaxResetAttempts: 3,
	}
	if opts.AfterCursor > 0 {
		last, err := s.LastCursor(ctx)
		if err != nil {
			return err
		}
		if opts.AfterCursor > last {
			return fmt.Errorf("%w: cursor %d, last %d", ErrCursorAhead, opts.AfterCursor, last)
		}
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = opts.AfterCursor + 1
	}
	cfg.FilterSubjects = s.filter(opts.Types)
	cons, err := s.subs.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%w: create consumer: %v", ErrUnavailable, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("%w: consume: %v", ErrUnavailable, err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	if err := started(); err != nil {
		return err
	}
	delivered := opts.AfterCursor
	for {
		m, err := it.Next(jetstream.NextMaxWait(stallCheck))
		if errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			// Nothing came for a while: fine if there is nothing to send.
			// After a NATS node is lost, an ordered consumer can stay
			// silent although the stream moved on; then end the stream
			// with UNAVAILABLE and the client resumes from its cursor.
			if stalled, why := s.stalled(ctx, cons, delivered, len(opts.Types) > 0); stalled {
				s.cfg.Logger.Warn("subscription stalled; ending it so the client resumes", "after_cursor", delivered, "why", why)
				return fmt.Errorf("%w: subscription stalled (%s)", ErrUnavailable, why)
			}
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return ErrClosed
			}
			return fmt.Errorf("%w: next message: %v", ErrUnavailable, err)
		}
		st, _, err := s.decode(m)
		if err != nil {
			return err
		}
		if err := fn(st); err != nil {
			return err
		}
		delivered = st.Delivery.Cursor
	}
}

// stallCheck is how long a subscription waits for a message before it
// checks that it is not stalled.
const stallCheck = 3 * time.Second

// stalled reports whether a subscription that received nothing for
// stallCheck should have: for an unfiltered one, the stream holds messages
// after the last it delivered; for a filtered one, its consumer says
// messages are pending, or cannot be asked.
func (s *Store) stalled(ctx context.Context, cons jetstream.Consumer, delivered uint64, filtered bool) (bool, string) {
	if filtered {
		ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		info, err := cons.Info(ictx)
		if err != nil {
			return true, "consumer info: " + err.Error()
		}
		if info.NumPending > 0 {
			return true, fmt.Sprintf("%d messages pending", info.NumPending)
		}
		return false, ""
	}
	last, err := s.head.last(ctx, s)
	if err != nil {
		return true, err.Error()
	}
	if last > delivered {
		return true, fmt.Sprintf("stream is at cursor %d", last)
	}
	return false, ""
}

// head caches the stream's last cursor for a second, so that idle
// subscriptions checking for a stall cost one stream info call per second
// in all.
type head struct {
	mu  sync.Mutex
	at  time.Time
	seq uint64
}

func (h *head) last(ctx context.Context, s *Store) (uint64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if time.Since(h.at) < time.Second {
		return h.seq, nil
	}
	ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	seq, err := s.LastCursor(ictx)
	if err != nil {
		return 0, err
	}
	h.seq, h.at = seq, time.Now()
	return seq, nil
}
