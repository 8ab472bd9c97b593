package fanout

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stixhub/stixhub/internal/store"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// noSource is a stream that is never needed: the benchmark readers start at
// the feed's head and keep up with a ring large enough for the whole run.
type noSource struct{}

func (noSource) LastCursor(context.Context) (uint64, error) { return 0, nil }
func (noSource) Replay(context.Context, store.SubscribeOptions, uint64, func(store.Stored) error) error {
	return errors.New("replay not expected")
}
func (noSource) Subscribe(context.Context, store.SubscribeOptions, func() error, func(store.Stored) error) error {
	return errors.New("follow not expected")
}

// BenchmarkFeed appends b.N messages in groups of 50 while 1, 10 or 100
// readers take them from the ring; ns/op is per appended message, so
// deliveries/s is readers x 1e9 / (ns/op).
func BenchmarkFeed(b *testing.B) {
	for _, readers := range []int{1, 10, 100} {
		b.Run(map[int]string{1: "readers=1", 10: "readers=10", 100: "readers=100"}[readers], func(b *testing.B) {
			f := New(noSource{}, 0, Config{Capacity: max(b.N, 64)})
			msgs := make([]store.Stored, b.N)
			for i := range msgs {
				msgs[i] = store.Stored{Type: "indicator", Delivery: &stixhubv1.Delivery{Cursor: uint64(i + 1)}}
			}
			var wg sync.WaitGroup
			var ready sync.WaitGroup
			ready.Add(readers)
			for range readers {
				wg.Go(func() {
					n := 0
					_ = f.SubscribeBatches(context.Background(), store.SubscribeOptions{}, func() error { ready.Done(); return nil },
						func(batch []*Message) error {
							n += len(batch)
							if n == b.N {
								return errEnough
							}
							return nil
						})
				})
			}
			ready.Wait()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += 50 {
				f.Append(msgs[i:min(i+50, b.N)])
			}
			wg.Wait()
		})
	}
}
