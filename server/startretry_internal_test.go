package server

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestNATSNotReady: a start that fails because the NATS cluster cannot
// serve yet is retried; a configuration mistake is not. The JetStream
// errors are the ones a cluster answers while it forms (the placement error
// was seen in CI: a hub started the moment NATS reported healthy, before the
// meta leader knew all three peers).
func TestNATSNotReady(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"no servers", fmt.Errorf("connect: %w", nats.ErrNoServers), true},
		{"timeout", fmt.Errorf("create stream: %w", nats.ErrTimeout), true},
		{"no meta leader", &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}, true},
		{"peers missing", &jetstream.APIError{Code: 500, ErrorCode: 10023, Description: "insufficient resources"}, true},
		{"no suitable peers yet", fmt.Errorf("create stream STIXHUB_OBJECTS: %w",
			&jetstream.APIError{Code: 400, ErrorCode: 10005, Description: "no suitable peers for placement, peer offline"}), true},
		{"bad stream config", fmt.Errorf("create stream: %w", &jetstream.APIError{Code: 400, ErrorCode: 10003, Description: "bad request"}), false},
		{"authorization", errors.New("nats: Authorization Violation"), false},
		{"data directory", &os.PathError{Op: "open", Path: "/nope", Err: os.ErrPermission}, false},
	}
	for _, tc := range tests {
		if got := natsNotReady(tc.err); got != tc.want {
			t.Errorf("%s: natsNotReady(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
