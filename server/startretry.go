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
		// JetStream's codes 10008 (cluster not available), 10023
		// (insufficient resources: peers missing) and 10005 (no suitable
		// peers for placement: the meta leader has not yet heard from
		// enough of them, seen when the hub starts right after NATS) are
		// not named in nats.go. On a cluster too small for the replicas,
		// 10005 stays: the retries end with it at the deadline.
		return apiErr.Code == 503 || apiErr.ErrorCode == 10008 || apiErr.ErrorCode == 10023 || apiErr.ErrorCode == 10005
	}
	return false
}
