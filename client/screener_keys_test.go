package client

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// TestKeyTrustedFollowsRevocations: the screener's key rule, as revocations
// arrive on the stream: a key revoked (or compromised) at T distrusts the
// objects the hub accepted at or after T, and only those; other keys stay
// trusted, and a key delivered again without a revocation is trusted again.
func TestKeyTrustedFollowsRevocations(t *testing.T) {
	s := &Screener{}
	empty := map[string]time.Time{}
	s.keys.Store(&empty)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	check := func(step, key string, at time.Time, want bool) {
		t.Helper()
		if got := s.keyTrusted(key, at); got != want {
			t.Errorf("%s: keyTrusted(%s, %v) = %v, want %v", step, key, at, got, want)
		}
	}
	check("no revocation", "key-a", t0, true)

	s.learnRevocation(&stixhubv1.Key{Id: "key-a", Status: stixhubv1.KeyStatus_KEY_STATUS_REVOKED, RevokedAt: timestamppb.New(t0)})
	check("revoked", "key-a", t0.Add(-time.Nanosecond), true)
	check("revoked", "key-a", t0, false)
	check("revoked", "key-b", t0, true)

	s.learnRevocation(&stixhubv1.Key{Id: "key-b", Status: stixhubv1.KeyStatus_KEY_STATUS_REVOKED,
		RevokedAt: timestamppb.New(t0.Add(time.Hour)), CompromisedAt: timestamppb.New(t0.Add(-time.Hour))})
	check("compromised", "key-b", t0.Add(-time.Hour-time.Nanosecond), true)
	check("compromised", "key-b", t0.Add(-time.Hour), false)
	check("compromised", "key-a", t0, false)

	s.learnRevocation(&stixhubv1.Key{Id: "key-a", Status: stixhubv1.KeyStatus_KEY_STATUS_ACTIVE})
	check("active again", "key-a", t0, true)
	check("active again", "key-b", t0, false)
}
