package taxii

import (
	"context"
	"errors"
	"fmt"
	"google.golang.org/protobuf/proto"
	"time"

	"github.com/stixhub/stixhub/internal/store"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Stream is the part of the object store the index follows.
type Stream interface {
	LastCursor(ctx context.Context) (uint64, error)
	Subscribe(ctx context.Context, opts store.SubscribeOptions, started func() error, fn func(*stixhubv1.Delivery) error) error
}

// maxApply is the most stream messages indexed in one transaction.
const maxApply = 2000

// CatchUp indexes the stream up to its current end and returns; Follow
// then keeps the index current.
func (x *Index) CatchUp(ctx context.Context, s Stream) error {
	last, err := s.LastCursor(ctx)
	if err != nil {
		return err
	}
	if x.Position() > last {
		return fmt.Errorf("TAXII index is at cursor %d but the stream ends at %d", x.Position(), last)
	}
	if x.Position() == last {
		return nil
	}
	start := time.Now()
	from := x.Position()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- x.follow(ctx, s) }()
	done := make(chan error, 1)
	go func() { done <- x.WaitFor(ctx, last) }()
	select {
	case err := <-done:
		if err != nil {
			return err
		}
	case err := <-errc:
		return fmt.Errorf("catch up TAXII index: %w", err)
	}
	x.log.Info("TAXII index caught up", "from", from, "to", last, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// Follow keeps the index current with the stream until ctx ends,
// resubscribing after errors from where the index stands.
func (x *Index) Follow(ctx context.Context, s Stream) {
	for ctx.Err() == nil {
		err := x.follow(ctx, s)
		if ctx.Err() != nil {
			return
		}
		x.log.Warn("TAXII index: stream subscription ended; resubscribing", "position", x.Position(), "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// follow subscribes after the index's position and indexes what arrives:
// the subscription goroutine renders objects, another writes them in
// batches, so the two overlap.
func (x *Index) follow(ctx context.Context, s Stream) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan entry, 4*maxApply)
	applyErr := make(chan error, 1)
	go func() {
		defer close(applyErr)
		batch := make([]entry, 0, maxApply)
		for e := range ch {
			batch = append(batch[:0], e)
		fill:
			for len(batch) < maxApply {
				select {
				case e, ok := <-ch:
					if !ok {
						break fill
					}
					batch = append(batch, e)
				default:
					break fill
				}
			}
			if err := x.apply(batch); err != nil {
				applyErr <- err
				cancel()
				for range ch {
				}
				return
			}
		}
	}()
	err := s.Subscribe(ctx, store.SubscribeOptions{AfterCursor: x.Position()}, func() error { return nil },
		func(d *stixhubv1.Delivery) error {
			if d.GetObject() == nil { // a key revocation event: no object to serve
				select {
				case ch <- entry{seq: d.GetCursor(), skip: true}:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			e := entry{seq: d.GetCursor(), member: d.GetMemberId()}
			if sh := d.GetSharing(); sh != nil {
				e.sharing, _ = proto.Marshal(sh)
			}
			obj := d.GetObject().GetObject()
			head, err := readHead(obj)
			if err == nil {
				e.head = head
				e.json, err = render(make([]byte, 0, len(obj)+1024), d)
			}
			if err != nil {
				x.log.Error("TAXII index: unreadable stream message skipped", "cursor", d.GetCursor(), "err", err)
				e = entry{seq: d.GetCursor(), skip: true}
			}
			e.acceptedAt = d.GetReceipt().GetAcceptedAt().AsTime().UnixMicro()
			select {
			case ch <- e:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	close(ch)
	if aerr := <-applyErr; aerr != nil {
		return aerr
	}
	if errors.Is(err, store.ErrCursorAhead) {
		return fmt.Errorf("TAXII index is ahead of the stream (was the stream recreated? delete %s): %w", x.path, err)
	}
	return err
}
