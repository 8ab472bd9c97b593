package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stixhub/stixhub/internal/registry"
	"github.com/stixhub/stixhub/internal/store"
)

// StartRetrying is Start for a node of a cluster, where the hub and NATS
// start in any order: while the external NATS cluster is unreachable, has no
// JetStream meta leader yet, or is slow to place the replicated stream and
// registry, it tries again (every second or so) for up to within. Other
// errors, and every error of an embedded hub, return at once.
func StartRetrying(ctx context.Context, cfg Config, within time.Duration) (*Hub, error) {
	deadline := time.Now().Add(within)
	for attempt := 1; ; attempt++ {
		h, err := Start(ctx, cfg)
		if err == nil || cfg.NATSURL == "" || !natsNotReady(err) || ctx.Err() != nil {
			return h, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("NATS not ready after %v: %w", within, err)
		}
		if cfg.Logger != nil {
			cfg.Logger.Warn("NATS not ready; retrying start", "attempt", attempt, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Second):
		}
	}
}

// natsNotReady reports whether a start error means the NATS cluster is not
// (yet) able to serve, rather than a configuration mistake.
func natsNotReady(err error) bool {
	for _, target := range []error{
		context.DeadlineExceeded, nats.ErrTimeout, nats.ErrNoServers, nats.ErrNoResponders,
		nats.ErrConnectionClosed, nats.ErrConnectionReconnecting, nats.ErrDisconnected,
		jetstream.ErrJetStreamNotEnabled, jetstream.ErrJetStreamNotEnabledForAccount,
		jetstream.ErrNoStreamResponse, nats.ErrNoStreamResponse,
		registry.ErrUnavailable, store.ErrUnavailable,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// 503: no meta leader, or not enough peers for the replicas yet.
		// JetStream's codes 10008 (cluster not available) and 10023
		// (insufficient resources: peers missing) are not named in nats.go.
		return apiErr.Code == 503 || apiErr.ErrorCode == 10008 || apiErr.ErrorCode == 10023
	}
	return false
}
