package limit

import (
	"strings"
	"testing"
	"time"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time                { return c.t }
func (c *clock) advance(d time.Duration)       { c.t = c.t.Add(d) }
func newClock() *clock                         { return &clock{t: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)} }
func newLimiter(c *clock, cfg Config) *Limiter { cfg.Now = c.now; return New(cfg) }

func TestObjectsAllOrNothing(t *testing.T) {
	c := newClock()
	l := newLimiter(c, Config{Objects: Rate{PerSecond: 100, Burst: 500}})
	if err := l.Objects("m1", 400); err != nil {
		t.Fatalf("first 400 of a 500 burst: %v", err)
	}
	err := l.Objects("m1", 200)
	if err == nil {
		t.Fatal("200 more with 100 left passed")
	}
	if err.TooLarge || err.Kind != Objects {
		t.Fatalf("got %+v", err)
	}
	// 100 tokens missing at 100/s: one second.
	if err.RetryAfter < 990*time.Millisecond || err.RetryAfter > time.Second {
		t.Errorf("retry after %v, want about 1s", err.RetryAfter)
	}
	// The refusal took nothing: the 100 left are still there.
	if err := l.Objects("m1", 100); err != nil {
		t.Fatalf("the refused batch consumed budget: %v", err)
	}
	if err := l.Objects("m1", 1); err == nil {
		t.Fatal("bucket should be empty")
	}
	c.advance(time.Second)
	if err := l.Objects("m1", 100); err != nil {
		t.Fatalf("after refilling for 1s: %v", err)
	}
}

func TestMembersAreIndependent(t *testing.T) {
	c := newClock()
	l := newLimiter(c, Config{Requests: Rate{PerSecond: 2, Burst: 2}})
	for range 2 {
		if err := l.Request("m1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Request("m1"); err == nil {
		t.Fatal("third request within the burst of 2 passed")
	}
	if err := l.Request("m2"); err != nil {
		t.Fatalf("another member is limited by m1's use: %v", err)
	}
	c.advance(500 * time.Millisecond)
	if err := l.Request("m1"); err != nil {
		t.Fatalf("one token refilled after 0.5s at 2/s: %v", err)
	}
}

func TestTooLargeNeverPasses(t *testing.T) {
	c := newClock()
	l := newLimiter(c, Config{Objects: Rate{PerSecond: 10, Burst: 50}})
	err := l.Objects("m1", 51)
	if err == nil || !err.TooLarge || err.RetryAfter != 0 {
		t.Fatalf("got %+v, want TooLarge", err)
	}
	if !strings.Contains(err.Error(), "at most 50") {
		t.Errorf("message %q does not say the burst", err.Error())
	}
	if err := l.Objects("m1", 50); err != nil {
		t.Fatalf("a refused oversize batch consumed budget: %v", err)
	}
}

func TestBurstNeverExceedsBucket(t *testing.T) {
	c := newClock()
	l := newLimiter(c, Config{Requests: Rate{PerSecond: 5}}) // burst defaults to 5
	c.advance(time.Hour)
	for i := range 5 {
		if err := l.Request("m1"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if err := l.Request("m1"); err == nil {
		t.Fatal("an idle hour accumulated more than the burst")
	}
}

func TestUnlimited(t *testing.T) {
	l := New(Config{})
	for range 10000 {
		if err := l.Objects("m1", 1000); err != nil {
			t.Fatal(err)
		}
	}
	var nilLimiter *Limiter
	if err := nilLimiter.Request("m1"); err != nil {
		t.Fatal(err)
	}
}

func TestErrorMessage(t *testing.T) {
	c := newClock()
	l := newLimiter(c, Config{Requests: Rate{PerSecond: 1, Burst: 1}})
	_ = l.Request("m1")
	err := l.Request("m1")
	if err == nil {
		t.Fatal("expected a refusal")
	}
	for _, want := range []string{"at most 1 requests/s", "retry in 1s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err.Error(), want)
		}
	}
}
