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

// observeMsg folds one stream message, read headers only, into the index.
func (s *Store) observeMsg(h nats.Header, seq uint64) {
	id := h.Get(HeaderID)
	if id == "" {
		s.idx.skip(seq)
		return
	}
	s.idx.observe(id, h.Get(HeaderVersion), h.Get(HeaderMember), seq, h.Get(HeaderSharing))
}

// catchUp replays the stream, headers only, from just after the index's
// position up to and including sequence to.
func (s *Store) catchUp(ctx context.Context, to uint64) error {
	from := s.idx.position() + 1
	if from > to {
		return nil
	}
	cons, err := s.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{s.cfg.SubjectPrefix + ".>"},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    from,
		HeadersOnly:    true,
	})
	if err != nil {
		return fmt.Errorf("replay consumer: %w", err)
	}
	for s.idx.position() < to {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("replay at cursor %d of %d: %w", s.idx.position(), to, err)
		}
		batch, err := cons.Fetch(int(min(to-s.idx.position(), 1000)), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return fmt.Errorf("replay fetch: %w", err)
		}
		for m := range batch.Messages() {
			meta, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("replay metadata: %w", err)
			}
			s.observeMsg(m.Headers(), meta.Sequence.Stream)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return fmt.Errorf("replay: %w", err)
		}
	}
	return nil
}

// tail follows the stream, headers only, into the index, so a node that
// shares the stream learns what other nodes store before it next writes.
type tail struct {
	cc   jetstream.ConsumeContext
	once sync.Once
}

func startTail(ctx context.Context, s *Store, from uint64) (*tail, error) {
	cons, err := s.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{s.cfg.SubjectPrefix + ".>"},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    from,
		HeadersOnly:    true,
	})
	if err != nil {
		return nil, fmt.Errorf("tail consumer: %w", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		if meta, err := m.Metadata(); err == nil {
			s.observeMsg(m.Headers(), meta.Sequence.Stream)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("tail consumer: %w", err)
	}
	return &tail{cc: cc}, nil
}

// stop stops tailing; calling it twice is harmless.
func (t *tail) stop() {
	if t != nil {
		t.once.Do(t.cc.Stop)
	}
}
