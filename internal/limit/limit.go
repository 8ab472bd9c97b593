// Package limit holds per-member rate limits: token buckets for requests
// and for objects, kept in the memory of one hub node.
//
// A charge is all or nothing: a batch of n objects takes n tokens at once or
// none, so a refused batch leaves the budget as it was and nothing of it is
// stored. A refusal says how long to wait until the same charge would pass.
package limit

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Rate is a sustained rate with a burst. A zero PerSecond means no limit.
type Rate struct {
	// PerSecond is the sustained rate.
	PerSecond float64
	// Burst is the most that can be taken at once (the bucket size). When
	// zero it is PerSecond, rounded up, and at least 1.
	Burst int
}

// Unlimited reports whether r limits nothing.
func (r Rate) Unlimited() bool { return r.PerSecond <= 0 }

func (r Rate) burst() float64 {
	if r.Burst > 0 {
		return float64(r.Burst)
	}
	return max(1, math.Ceil(r.PerSecond))
}

// Config sets the limits every member gets.
type Config struct {
	// Requests limits calls per member (gRPC calls, TAXII requests).
	Requests Rate
	// Objects limits published objects per member (gRPC Publish, TAXII
	// POST), counted whatever becomes of them.
	Objects Rate
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// Kind names a limit.
type Kind string

// Kinds of limits.
const (
	Requests Kind = "requests"
	Objects  Kind = "objects"
)

// Error is a refused charge.
type Error struct {
	Kind Kind
	// N is what was asked for; Rate is the limit that refused it.
	N    int
	Rate Rate
	// RetryAfter is how long until the same charge would pass; zero when
	// it never will (TooLarge).
	RetryAfter time.Duration
	// TooLarge means N is over the burst: the charge can never pass and
	// must be split.
	TooLarge bool
}

func (e *Error) Error() string {
	if e.TooLarge {
		return fmt.Sprintf("%d %s in one request is over this hub's per-member burst of %d %s; send at most %d at a time",
			e.N, e.Kind, int(e.Rate.burst()), e.Kind, int(e.Rate.burst()))
	}
	return fmt.Sprintf("per-member rate limit: at most %s %s/s (burst %d); retry in %s",
		formatRate(e.Rate.PerSecond), e.Kind, int(e.Rate.burst()), roundUp(e.RetryAfter))
}

func formatRate(r float64) string {
	if r == math.Trunc(r) {
		return fmt.Sprintf("%d", int64(r))
	}
	return fmt.Sprintf("%.2f", r)
}

// roundUp rounds a wait up to a millisecond (a wait shown as 0s would be
// wrong).
func roundUp(d time.Duration) time.Duration {
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}

// bucket is a token bucket.
type bucket struct {
	tokens float64
	last   time.Time
}

// take takes n tokens at now if all are there, else reports how long until
// they are.
func (b *bucket) take(r Rate, n float64, now time.Time) (bool, time.Duration) {
	burst := r.burst()
	if b.last.IsZero() {
		b.tokens = burst
	} else if now.After(b.last) {
		b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*r.PerSecond)
	}
	b.last = now
	if b.tokens >= n {
		b.tokens -= n
		return true, 0
	}
	wait := time.Duration((n - b.tokens) / r.PerSecond * float64(time.Second))
	return false, max(wait, time.Millisecond)
}

type memberBuckets struct {
	requests, objects bucket
}

// Limiter applies Config to every member.
type Limiter struct {
	cfg Config

	mu      sync.Mutex
	members map[string]*memberBuckets
}

// New returns a limiter.
func New(cfg Config) *Limiter {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Limiter{cfg: cfg, members: make(map[string]*memberBuckets)}
}

// Config returns the limits.
func (l *Limiter) Config() Config { return l.cfg }

// Request charges one request to member; nil means it may go on.
func (l *Limiter) Request(member string) *Error {
	return l.charge(member, Requests, 1)
}

// Objects charges n objects to member, all or none; nil means they may go
// on.
func (l *Limiter) Objects(member string, n int) *Error {
	return l.charge(member, Objects, n)
}

func (l *Limiter) charge(member string, kind Kind, n int) *Error {
	if l == nil || n <= 0 {
		return nil
	}
	r := l.cfg.Requests
	if kind == Objects {
		r = l.cfg.Objects
	}
	if r.Unlimited() {
		return nil
	}
	if float64(n) > r.burst() {
		return &Error{Kind: kind, N: n, Rate: r, TooLarge: true}
	}
	now := l.cfg.Now()
	l.mu.Lock()
	mb := l.members[member]
	if mb == nil {
		mb = &memberBuckets{}
		l.members[member] = mb
	}
	b := &mb.requests
	if kind == Objects {
		b = &mb.objects
	}
	ok, wait := b.take(r, float64(n), now)
	l.mu.Unlock()
	if ok {
		return nil
	}
	return &Error{Kind: kind, N: n, Rate: r, RetryAfter: wait}
}
