package store

import (
	"context"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// follower tails the object stream, headers only, into the index, so the
// index also learns what other hub nodes store.
type follower struct {
	cc   jetstream.ConsumeContext
	once sync.Once

	mu      sync.Mutex
	pos     uint64        // last stream sequence applied
	advance chan struct{} // closed and replaced when pos moves
}

// startFollower replays the stream into the index from the beginning and
// returns once it has applied every message up to upTo.
func startFollower(ctx context.Context, s *Store, upTo uint64) (*follower, error) {
	cons, err := s.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{s.cfg.SubjectPrefix + ".>"},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		HeadersOnly:    true,
	})
	if err != nil {
		return nil, fmt.Errorf("index consumer: %w", err)
	}
	f := &follower{advance: make(chan struct{})}
	f.cc, err = cons.Consume(func(m jetstream.Msg) {
		meta, err := m.Metadata()
		if err != nil {
			return
		}
		if id, vkey, ok := parseSubject(s.cfg.SubjectPrefix, m.Subject()); ok {
			s.idx.observe(id, vkey, m.Headers().Get(HeaderMember), meta.Sequence.Stream)
		}
		f.mu.Lock()
		f.pos = meta.Sequence.Stream
		close(f.advance)
		f.advance = make(chan struct{})
		f.mu.Unlock()
	})
	if err != nil {
		return nil, fmt.Errorf("index consumer: %w", err)
	}
	for {
		f.mu.Lock()
		pos, ch := f.pos, f.advance
		f.mu.Unlock()
		if pos >= upTo {
			return f, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			f.cc.Stop()
			return nil, fmt.Errorf("rebuild index: at cursor %d of %d: %w", pos, upTo, ctx.Err())
		}
	}
}

// stop stops tailing; calling it twice is harmless.
func (f *follower) stop() { f.once.Do(f.cc.Stop) }
