package fanout

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/internal/broker"
	"github.com/stixhub/stixhub/internal/sign"
	"github.com/stixhub/stixhub/internal/store"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// node is one hub node's store and feed on a real embedded NATS server.
type node struct {
	st   *store.Store
	feed *Feed
}

// open starts a store with a feed of the given capacity. An exclusive node
// feeds it from its appender (drop, when set, loses some of those hand-overs
// to make gaps); a shared one follows the stream.
func open(t *testing.T, b *broker.Broker, exclusive bool, capacity int, drop func() bool) *node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hub, err := sign.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	n := &node{}
	cfg := store.Config{Signer: hub, MaxGroup: 8, Exclusive: exclusive}
	var ready sync.WaitGroup // no hand-over before the feed exists
	ready.Add(1)
	if exclusive {
		cfg.OnStored = func(m []store.Stored) {
			ready.Wait()
			if drop == nil || !drop() {
				n.feed.Append(m)
			}
		}
	}
	if n.st, err = store.Open(ctx, b.JS, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.st.Close() })
	last, err := n.st.LastCursor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n.feed = New(n.st, last, Config{Capacity: capacity})
	ready.Done()
	if !exclusive {
		n.feed.Follow()
	}
	t.Cleanup(n.feed.Close)
	return n
}

func startBroker(t *testing.T) *broker.Broker {
	t.Helper()
	b, err := broker.StartEmbedded(context.Background(), broker.EmbeddedConfig{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// publish appends n objects one small group at a time; every fifth is a
// malware object, the rest indicators. It returns the cursors of each type.
func publish(t *testing.T, st *store.Store, n int) map[string][]uint64 {
	t.Helper()
	byType := map[string][]uint64{}
	for i := 0; i < n; i += 5 {
		var es []store.Entry
		for j := i; j < min(n, i+5); j++ {
			typ := "indicator"
			if j%5 == 0 {
				typ = "malware"
			}
			id := typ + "--" + uuid.NewString()
			es = append(es, store.Entry{
				ID: id, VersionKey: "20240101000000000000000", Modified: "2024-01-01T00:00:00Z",
				Canonical: fmt.Appendf(nil, `{"id":%q,"type":%q}`, id, typ),
				MemberID:  "member--a", KeyID: "0123456789abcdef0123456789abcdef", Signature: make([]byte, 64),
			})
		}
		rs, err := st.Append(context.Background(), es)
		if err != nil {
			t.Fatal(err)
		}
		for k, r := range rs {
			if r.Outcome != store.Accepted {
				t.Fatalf("append: %+v", r)
			}
			typ := "indicator"
			if (i+k)%5 == 0 {
				typ = "malware"
			}
			byType[typ] = append(byType[typ], r.Cursor)
		}
	}
	return byType
}

// reader collects what a subscription delivers until it has want messages.
type reader struct {
	got  []*stixhubv1.Delivery
	err  error
	done chan struct{}
}

var errEnough = errors.New("enough")

func read(f *Feed, opts store.SubscribeOptions, want int, slow time.Duration) *reader {
	r := &reader{done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	go func() {
		defer close(r.done)
		defer cancel()
		r.err = f.Subscribe(ctx, opts, func() error { return nil }, func(d *stixhubv1.Delivery) error {
			r.got = append(r.got, d)
			if slow > 0 {
				time.Sleep(slow)
			}
			if len(r.got) == want {
				return errEnough
			}
			return nil
		})
	}()
	return r
}

// check waits for a reader and compares what it got with the cursors it
// should have got, in order, each once.
func (r *reader) check(t *testing.T, name string, want []uint64) {
	t.Helper()
	<-r.done
	if !errors.Is(r.err, errEnough) {
		t.Fatalf("%s: subscription ended with %v after %d of %d", name, r.err, len(r.got), len(want))
	}
	for i, d := range r.got {
		if d.GetCursor() != want[i] {
			t.Fatalf("%s: delivery %d is cursor %d, want %d", name, i, d.GetCursor(), want[i])
		}
		if d.GetKeyRevocation() == nil && d.GetReceipt().GetCursor() != d.GetCursor() {
			t.Fatalf("%s: cursor %d carries the receipt of %d", name, d.GetCursor(), d.GetReceipt().GetCursor())
		}
	}
}

func seq(from, to uint64) []uint64 {
	var s []uint64
	for c := from; c <= to; c++ {
		s = append(s, c)
	}
	return s
}

func TestReadersGetEveryMessageOnceInOrder(t *testing.T) {
	for _, tc := range []struct {
		name      string
		exclusive bool
	}{{"appender feeds the ring", true}, {"a consumer follows the stream", false}} {
		t.Run(tc.name, func(t *testing.T) {
			b := startBroker(t)
			n := open(t, b, tc.exclusive, 32, nil)
			before := publish(t, n.st, 100) // older than the ring can hold

			fromStart := read(n.feed, store.SubscribeOptions{}, 300, 0)
			fromMiddle := read(n.feed, store.SubscribeOptions{AfterCursor: 60}, 240, 0)
			slow := read(n.feed, store.SubscribeOptions{AfterCursor: 100}, 200, time.Millisecond)
			malware := read(n.feed, store.SubscribeOptions{Types: []string{"malware"}}, 60, 0)
			after := publish(t, n.st, 200)

			fromStart.check(t, "from the start", seq(1, 300))
			fromMiddle.check(t, "from cursor 60", seq(61, 300))
			slow.check(t, "slow reader that falls behind the ring", seq(101, 300))
			malware.check(t, "malware only", append(before["malware"], after["malware"]...))
		})
	}
}

func TestAGapInTheHandOversIsReplayedFromTheStream(t *testing.T) {
	b := startBroker(t)
	var calls atomic.Int64
	n := open(t, b, true, 1024, func() bool { return calls.Add(1)%3 == 0 }) // every third group never reaches the feed
	r := read(n.feed, store.SubscribeOptions{}, 150, 0)
	publish(t, n.st, 150)
	r.check(t, "reader across gaps", seq(1, 150))
}

func TestTwoNodesSeeEachOthersWrites(t *testing.T) {
	b := startBroker(t)
	a := open(t, b, false, 64, nil)
	c := open(t, b, false, 64, nil)
	ra := read(a.feed, store.SubscribeOptions{}, 100, 0)
	rc := read(c.feed, store.SubscribeOptions{}, 100, 0)
	var wg sync.WaitGroup
	wg.Go(func() { publish(t, a.st, 50) })
	wg.Go(func() { publish(t, c.st, 50) })
	wg.Wait()
	ra.check(t, "node a", seq(1, 100))
	rc.check(t, "node c", seq(1, 100))
}

func TestKeyRevocationsReachFilteredReaders(t *testing.T) {
	b := startBroker(t)
	n := open(t, b, true, 64, nil)
	r := read(n.feed, store.SubscribeOptions{Types: []string{"malware"}}, 2, 0)
	publish(t, n.st, 4) // cursor 1 is malware
	rs, err := n.st.Append(context.Background(), []store.Entry{{Revocation: &stixhubv1.KeyRevocation{Key: &stixhubv1.Key{Id: "k"}}}})
	if err != nil || rs[0].Outcome != store.Accepted {
		t.Fatalf("append revocation: %v %+v", err, rs)
	}
	r.check(t, "malware reader", []uint64{1, 5})
	if r.got[1].GetKeyRevocation().GetKey().GetId() != "k" {
		t.Errorf("cursor 5 is %v, want the revocation", r.got[1])
	}
}

func TestSubscribeErrors(t *testing.T) {
	b := startBroker(t)
	n := open(t, b, true, 64, nil)
	publish(t, n.st, 5)
	err := n.feed.Subscribe(context.Background(), store.SubscribeOptions{AfterCursor: 6}, func() error { return nil },
		func(*stixhubv1.Delivery) error { return nil })
	if !errors.Is(err, store.ErrCursorAhead) {
		t.Errorf("cursor beyond the stream: %v", err)
	}
	r := read(n.feed, store.SubscribeOptions{AfterCursor: 5}, 10, 0)
	time.Sleep(50 * time.Millisecond) // let it wait at the head
	n.feed.Close()
	<-r.done
	if !errors.Is(r.err, store.ErrClosed) {
		t.Errorf("reader of a closed feed: %v", r.err)
	}
}
