package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
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
// objects in stream order to fn until ctx ends or a callback returns an
// error, which Subscribe then returns. Each subscription is its own
// ordered JetStream consumer, so a subscriber that resumes after the last
// cursor it handled sees every later object exactly once.
func (s *Store) Subscribe(ctx context.Context, opts SubscribeOptions, started func() error, fn func(*stixhubv1.Delivery) error) error {
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
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
	if len(opts.Types) == 0 {
		cfg.FilterSubjects = []string{s.cfg.SubjectPrefix + ".>"}
	}
	for _, t := range opts.Types {
		cfg.FilterSubjects = append(cfg.FilterSubjects, s.cfg.SubjectPrefix+"."+t)
	}
	if len(opts.Types) > 0 {
		// Key revocations concern every subscriber, whatever it filters.
		cfg.FilterSubjects = append(cfg.FilterSubjects, s.cfg.SubjectPrefix+"."+RevocationSubjectToken)
	}
	cons, err := s.stream.OrderedConsumer(ctx, cfg)
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
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return ErrClosed
			}
			return fmt.Errorf("%w: next message: %v", ErrUnavailable, err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("message metadata: %w", err)
		}
		var rec stixhubv1.StoredObject
		if err := proto.Unmarshal(m.Data(), &rec); err != nil {
			return fmt.Errorf("decode stored object at cursor %d: %w", meta.Sequence.Stream, err)
		}
		d := &stixhubv1.Delivery{
			Cursor:        meta.Sequence.Stream,
			MemberId:      rec.GetMemberId(),
			Object:        rec.GetObject(),
			Receipt:       rec.GetReceipt(),
			KeyRevocation: rec.GetKeyRevocation(),
			Sharing:       rec.GetSharing(),
		}
		if err := fn(d); err != nil {
			return err
		}
	}
}
