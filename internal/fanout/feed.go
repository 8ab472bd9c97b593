// Package fanout hands every object a hub node stores, or sees stored by
// another node, to all of the node's readers from memory: gRPC
// subscriptions, the screening index, the TAXII index.
//
// A Feed holds the newest stream messages in a ring, in cursor order. It is
// filled either by the node's own appender (a node that is the stream's only
// writer never reads its stream back) or by one consumer that follows the
// stream (nodes sharing a NATS cluster). Each reader walks the ring at its
// own pace from its own cursor: the message is decoded once per node, not
// once per subscriber, and a slow reader never holds up the others or the
// writer. A reader whose cursor is older than the ring, or that falls so far
// behind that the ring moved past it, replays the stream with a JetStream
// consumer of its own up to the ring, then returns to it.
package fanout

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stixhub/stixhub/internal/store"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// DefaultCapacity is how many stream messages a Feed holds by default:
// a few seconds at thousands of objects a second, about 2 KB each.
const DefaultCapacity = 1 << 14

// Source is the stream a Feed replays from, and follows when it is not fed
// by the appender. *store.Store implements it.
type Source interface {
	LastCursor(ctx context.Context) (uint64, error)
	Replay(ctx context.Context, opts store.SubscribeOptions, to uint64, fn func(store.Stored) error) error
	Subscribe(ctx context.Context, opts store.SubscribeOptions, started func() error, fn func(store.Stored) error) error
}

// Config configures a Feed.
type Config struct {
	// Capacity is how many messages the ring holds. Default DefaultCapacity.
	Capacity int
	// Logger is for operational events. Default slog.Default().
	Logger *slog.Logger
}

// Feed is one node's in-memory view of the newest part of the stream.
type Feed struct {
	src Source
	cap uint64
	log *slog.Logger

	mu     sync.RWMutex
	ring   []*Message // cursor c at ring[c%cap], for first <= c <= head
	first  uint64
	head   uint64        // last cursor the feed knows the stream holds
	wake   chan struct{} // closed when head moves or the feed closes
	closed bool

	lastMu sync.Mutex // guards last and lastAt, the stream's cached last cursor
	last   uint64
	lastAt time.Time

	follow     context.CancelFunc
	followDone chan struct{}
}

// New returns a feed of src whose stream ends at cursor head (the stream's
// last cursor when the node starts): readers after head wait for Append or
// Follow; readers before it replay.
func New(src Source, head uint64, cfg Config) *Feed {
	if cfg.Capacity <= 0 {
		cfg.Capacity = DefaultCapacity
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Feed{
		src:   src,
		cap:   uint64(cfg.Capacity),
		log:   cfg.Logger,
		ring:  make([]*Message, cfg.Capacity),
		first: head + 1,
		head:  head,
		wake:  make(chan struct{}),
	}
}

// Append adds stored messages, in cursor order. A message after a gap (a
// write whose acknowledgement was lost and that the appender found later)
// restarts the ring at that message: readers get the gap from the stream.
// Messages the feed holds already are ignored.
func (f *Feed) Append(msgs []store.Stored) {
	f.mu.Lock()
	defer f.mu.Unlock()
	moved := false
	for _, m := range msgs {
		c := m.Delivery.GetCursor()
		if c <= f.head {
			continue
		}
		if c != f.head+1 {
			f.log.Debug("feed: gap in the stream; readers replay it", "after", f.head, "next", c)
			f.first = c
		}
		f.ring[c%f.cap] = &Message{Stored: m}
		f.head = c
		if f.head-f.first+1 > f.cap {
			f.first = f.head - f.cap + 1
		}
		moved = true
	}
	if moved && !f.closed {
		close(f.wake)
		f.wake = make(chan struct{})
	}
}

// LastCursor returns the stream's last cursor, from the stream.
func (f *Feed) LastCursor(ctx context.Context) (uint64, error) { return f.src.LastCursor(ctx) }

// Head returns the last cursor the feed knows the stream holds.
func (f *Feed) Head() uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.head
}

// Follow makes the feed follow the stream with one consumer from its head,
// for a node that shares the stream with other writers. It returns at once;
// Close stops it.
func (f *Feed) Follow() {
	ctx, cancel := context.WithCancel(context.Background())
	f.follow = cancel
	f.followDone = make(chan struct{})
	go func() {
		defer close(f.followDone)
		delay := 100 * time.Millisecond
		batch := make([]store.Stored, 1)
		for {
			err := f.src.Subscribe(ctx, store.SubscribeOptions{AfterCursor: f.Head()}, func() error { return nil },
				func(m store.Stored) error {
					batch[0] = m
					f.Append(batch)
					delay = 100 * time.Millisecond
					return nil
				})
			if ctx.Err() != nil {
				return
			}
			f.log.Warn("feed: stream consumer ended; resuming", "cursor", f.Head(), "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(2*delay, 5*time.Second)
		}
	}()
}

// Close stops following and ends every reader with store.ErrClosed.
func (f *Feed) Close() {
	if f.follow != nil {
		f.follow()
		<-f.followDone
		f.follow = nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		close(f.wake)
	}
}

// maxRead is the most messages a reader takes from the ring at once.
const maxRead = 256

// Message is one stream message as readers get it.
type Message struct {
	store.Stored
	wire atomic.Pointer[[]byte]
}

// Wire returns encode(m), computed by the first reader that asks and then
// shared: a message bound for many subscribers is encoded once. encode must
// give the same bytes whoever calls it.
func (m *Message) Wire(encode func(*stixhubv1.Delivery) ([]byte, error)) ([]byte, error) {
	if b := m.wire.Load(); b != nil {
		return *b, nil
	}
	b, err := encode(m.Delivery)
	if err != nil {
		return nil, err
	}
	m.wire.Store(&b)
	return b, nil
}

// Subscribe has store.Store's Subscribe contract, served from the ring:
// started is called once the subscription is set up, then fn gets every
// message after opts.AfterCursor (of opts.Types, and key revocations), in
// order, until ctx ends, the feed closes (store.ErrClosed) or fn returns an
// error. fn must not modify the delivery, which other readers share.
func (f *Feed) Subscribe(ctx context.Context, opts store.SubscribeOptions, started func() error, fn func(*stixhubv1.Delivery) error) error {
	return f.SubscribeBatches(ctx, opts, started, func(batch []*Message) error {
		for _, m := range batch {
			if err := fn(m.Delivery); err != nil {
				return err
			}
		}
		return nil
	})
}

// SubscribeBatches is Subscribe handing over whatever is ready at once, up
// to a few hundred messages, so a reader can send them together. The batch
// is only valid during the call.
func (f *Feed) SubscribeBatches(ctx context.Context, opts store.SubscribeOptions, started func() error, fn func([]*Message) error) error {
	pos := opts.AfterCursor
	if pos > f.Head() {
		last, err := f.src.LastCursor(ctx)
		if err != nil {
			return err
		}
		if pos > last {
			return fmt.Errorf("%w: cursor %d, last %d", store.ErrCursorAhead, pos, last)
		}
	}
	if err := started(); err != nil {
		return err
	}
	want := newTypeSet(opts.Types)
	buf := make([]*Message, 0, maxRead)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		f.mu.RLock()
		first, head, wake, closed := f.first, f.head, f.wake, f.closed
		if !closed && pos+1 >= first && pos < head {
			for c := pos + 1; c <= min(head, pos+maxRead); c++ {
				if m := f.ring[c%f.cap]; want.has(m.Type) {
					buf = append(buf, m)
				}
				pos = c
			}
		}
		f.mu.RUnlock()
		switch {
		case closed:
			return store.ErrClosed
		case len(buf) > 0:
			err := fn(buf)
			clear(buf) // let the ring's old messages go
			buf = buf[:0]
			if err != nil {
				return err
			}
		case pos+1 >= first && pos < head:
			// Read a stretch of other types only.
		case pos >= head:
			idle := time.NewTimer(idleCheck)
			select {
			case <-wake:
				idle.Stop()
				continue
			case <-ctx.Done():
				idle.Stop()
				return ctx.Err()
			case <-idle.C:
			}
			// Nothing new for a while: make sure the stream did not move on
			// without the feed (a write whose acknowledgement was lost and
			// that the appender then found stored).
			last, err := f.streamLast(ctx)
			if err != nil {
				return err
			}
			if last > pos {
				if err := f.replay(ctx, pos, opts.Types, last, buf, fn); err != nil {
					return err
				}
				pos = last
			}
		default:
			// Behind the ring: replay from the stream up to what the ring
			// held a moment ago, then come back to it.
			if err := f.replay(ctx, pos, opts.Types, head, buf, fn); err != nil {
				return err
			}
			pos = head
		}
	}
}

// replay hands fn the stream's messages after cursor pos up to cursor to,
// read from the stream, in batches of up to maxRead.
func (f *Feed) replay(ctx context.Context, pos uint64, types []string, to uint64, buf []*Message, fn func([]*Message) error) error {
	defer clear(buf[:cap(buf)])
	buf = buf[:0]
	err := f.src.Replay(ctx, store.SubscribeOptions{AfterCursor: pos, Types: types}, to,
		func(m store.Stored) error {
			buf = append(buf, &Message{Stored: m})
			if len(buf) < maxRead {
				return nil
			}
			err := fn(buf)
			clear(buf)
			buf = buf[:0]
			return err
		})
	if err != nil || len(buf) == 0 {
		return err
	}
	return fn(buf)
}

// idleCheck is how long a reader at the head waits before it checks that
// the stream did not move on without the feed.
const idleCheck = time.Second

// streamLast returns the stream's last cursor, asking the stream at most
// once per idleCheck for all readers.
func (f *Feed) streamLast(ctx context.Context) (uint64, error) {
	f.lastMu.Lock()
	defer f.lastMu.Unlock()
	if time.Since(f.lastAt) < idleCheck/2 {
		return f.last, nil
	}
	last, err := f.src.LastCursor(ctx)
	if err != nil {
		return 0, err
	}
	f.last, f.lastAt = last, time.Now()
	return last, nil
}

// typeSet is a type filter; empty passes everything.
type typeSet map[string]bool

func newTypeSet(types []string) typeSet {
	if len(types) == 0 {
		return nil
	}
	s := make(typeSet, len(types)+1)
	for _, t := range types {
		s[t] = true
	}
	s[store.RevocationSubjectToken] = true
	return s
}

func (s typeSet) has(t string) bool { return s == nil || s[t] }
