package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Replay delivers the stored messages after opts.AfterCursor up to and
// including cursor to, in order, filtered by opts.Types (key revocations
// always pass), then returns nil. It reads the stream with a consumer of
// its own, for a subscription behind what a node holds in memory.
func (s *Store) Replay(ctx context.Context, opts SubscribeOptions, to uint64, fn func(Stored) error) error {
	if opts.AfterCursor >= to {
		return nil
	}
	cons, err := s.subs.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects:   s.filter(opts.Types),
		DeliverPolicy:    jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:      opts.AfterCursor + 1,
		MaxResetAttempts: 3,
	})
	if err != nil {
		return fmt.Errorf("%w: create replay consumer: %v", ErrUnavailable, err)
	}
	if info := cons.CachedInfo(); info != nil && info.NumPending == 0 {
		return nil // nothing of these types stored after the cursor
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("%w: replay: %v", ErrUnavailable, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		m, err := it.Next(jetstream.NextMaxWait(stallCheck))
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case errors.Is(err, jetstream.ErrMsgIteratorClosed):
				return ErrClosed
			case errors.Is(err, nats.ErrTimeout):
				// The consumer said more was pending; silence means it
				// stalled (a NATS node was lost). The caller resumes.
				return fmt.Errorf("%w: replay stalled", ErrUnavailable)
			}
			return fmt.Errorf("%w: replay: %v", ErrUnavailable, err)
		}
		st, pending, err := s.decode(m)
		if err != nil {
			return err
		}
		if st.Delivery.Cursor > to {
			return nil
		}
		if err := fn(st); err != nil {
			return err
		}
		if st.Delivery.Cursor == to || pending == 0 {
			return nil
		}
	}
}

// filter returns the consumer subject filter for a type filter.
func (s *Store) filter(types []string) []string {
	if len(types) == 0 {
		return []string{s.cfg.SubjectPrefix + ".>"}
	}
	f := make([]string, 0, len(types)+1)
	for _, t := range types {
		f = append(f, s.cfg.SubjectPrefix+"."+t)
	}
	// Key revocations concern every subscriber, whatever it filters.
	return append(f, s.cfg.SubjectPrefix+"."+RevocationSubjectToken)
}

// decode reads one stream message, and how many more its consumer has
// pending.
func (s *Store) decode(m jetstream.Msg) (Stored, uint64, error) {
	meta, err := m.Metadata()
	if err != nil {
		return Stored{}, 0, fmt.Errorf("message metadata: %w", err)
	}
	var rec stixhubv1.StoredObject
	if err := proto.Unmarshal(m.Data(), &rec); err != nil {
		return Stored{}, 0, fmt.Errorf("decode stored object at cursor %d: %w", meta.Sequence.Stream, err)
	}
	return Stored{
		Type:     strings.TrimPrefix(m.Subject(), s.cfg.SubjectPrefix+"."),
		Delivery: deliveryOf(meta.Sequence.Stream, &rec),
	}, meta.NumPending, nil
}

// storedOf is what the appender hands OnStored for a write it stored.
func storedOf(e *Entry, cursor uint64, rec *stixhubv1.StoredObject) Stored {
	typ := RevocationSubjectToken
	if e.Revocation == nil {
		typ, _, _ = strings.Cut(e.ID, "--")
	}
	return Stored{Type: typ, Delivery: deliveryOf(cursor, rec)}
}

func deliveryOf(cursor uint64, rec *stixhubv1.StoredObject) *stixhubv1.Delivery {
	return &stixhubv1.Delivery{
		Cursor:        cursor,
		MemberId:      rec.GetMemberId(),
		Object:        rec.GetObject(),
		Receipt:       rec.GetReceipt(),
		KeyRevocation: rec.GetKeyRevocation(),
		Sharing:       rec.GetSharing(),
	}
}
