package server

import (
	"context"
	"errors"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/stixhub/stixhub/internal/registry"
	"github.com/stixhub/stixhub/internal/screen"
	"github.com/stixhub/stixhub/internal/store"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// The screening index is derived state (DESIGN.md): each node builds it from
// the stream on start, then follows the node's feed (internal/fanout), so it
// sees what every node accepts. The same tail teaches the node the object
// types of the extension-definitions members publish.

// startScreen builds the screening index up to the stream's last cursor and
// keeps following the stream until stopScreen.
func (h *Hub) startScreen(ctx context.Context) error {
	h.screen = screen.New(screen.Config{KeyTrust: h.keyTrusted})
	last, err := h.store.LastCursor(ctx)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	h.screenStop = cancel
	h.screenDone = make(chan struct{})
	go h.tailScreen(runCtx)

	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for h.screen.Position() < last {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-h.screenDone:
			return errors.New("screening index: stream tail ended")
		case <-tick.C:
		}
	}
	n, objs := h.screen.Len()
	h.log.Info("screening index ready", "cursor", last, "observables", n, "objects", objs,
		"took", time.Since(start).Round(time.Millisecond), "extension_types", h.types.String())
	return nil
}

// tailScreen feeds the index from the stream until ctx ends, resuming after
// the last cursor it indexed when the consumer fails.
func (h *Hub) tailScreen(ctx context.Context) {
	defer close(h.screenDone)
	delay := 100 * time.Millisecond
	for {
		err := h.feed.Subscribe(ctx, store.SubscribeOptions{AfterCursor: h.screen.Position()},
			func() error { return nil }, h.indexDelivery)
		if ctx.Err() != nil || errors.Is(err, store.ErrClosed) {
			return
		}
		h.log.Warn("screening index: stream tail failed; retrying", "cursor", h.screen.Position(), "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// indexDelivery folds one stored object into the index.
func (h *Hub) indexDelivery(d *stixhubv1.Delivery) error {
	if d.GetObject() == nil { // a key revocation event; keyTrusted reads the registry
		h.screen.SetPosition(d.GetCursor())
		return nil
	}
	obj := d.GetObject().GetObject()
	if typ, ok := h.types.Observe(obj); ok {
		h.log.Debug("extension-defined type known", "type", typ, "cursor", d.GetCursor())
	}
	o, err := screen.Read(obj)
	if err != nil {
		if !errors.Is(err, screen.ErrNotScreened) {
			h.log.Warn("screening index: object skipped", "cursor", d.GetCursor(), "err", err)
		}
		h.screen.SetPosition(d.GetCursor())
		return nil
	}
	o.Source = screen.Source{
		MemberID:   d.GetMemberId(),
		KeyID:      d.GetObject().GetKeyId(),
		Cursor:     d.GetCursor(),
		AcceptedAt: d.GetReceipt().GetAcceptedAt().AsTime(),
		Sharing:    h.screenSharings.intern(d.GetSharing()),
	}
	h.screen.Add(o)
	return nil
}

// sharings holds one copy of each distinct sharing the screening index
// keeps (a million indicators share a handful), up to maxSharings; it is
// used by the index's feeding goroutine only.
type sharings map[string]*stixhubv1.Sharing

const maxSharings = 1 << 14

func (m *sharings) intern(sh *stixhubv1.Sharing) *stixhubv1.Sharing {
	if sh == nil {
		return nil
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(sh)
	if err != nil {
		return sh
	}
	if c, ok := (*m)[string(b)]; ok {
		return c
	}
	if *m == nil {
		*m = make(sharings)
	}
	if len(*m) < maxSharings {
		(*m)[string(b)] = sh
	}
	return sh
}

// stopScreen stops following the stream; calling it twice is harmless.
func (h *Hub) stopScreen() {
	if h.screenStop != nil {
		h.screenStop()
		<-h.screenDone
		h.screenStop = nil
	}
}

// keyTrusted is the index's KeyTrust: an object counts unless its key was
// revoked as compromised at or before the hub accepted it (the object is
// suspect), or revoked at or before it (only possible for an object a node
// accepted while its registry view lagged the revocation).
func (h *Hub) keyTrusted(keyID string, acceptedAt time.Time) bool {
	k, ok := h.registry.Key(keyID)
	if !ok {
		return true
	}
	if k.SuspectAt(acceptedAt) {
		return false
	}
	return k.Status != registry.KeyRevoked || acceptedAt.Before(k.RevokedAt)
}
