package taxii_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/internal/hubtest"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// TestPageThroughOneHundredThousandObjects loads 1e5 signed indicators
// through the publish path and pages through all of them with limit 1000:
// each exactly once, in the order accepted, in 100 pages.
func TestPageThroughOneHundredThousandObjects(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 1e5 objects (about a minute on two cores)")
	}
	const n, batch = 100_000, 1000
	hub := hubtest.Start(t, hubtest.NoLimits)
	bank := hub.AddMember(t, "Bank A")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	order := make([]string, n) // id by cursor - 1
	var next atomic.Int64
	var wg sync.WaitGroup
	var maxCursor atomic.Uint64
	for range 3 {
		c := hub.Client(t, bank)
		wg.Go(func() {
			for {
				lo := int(next.Add(batch)) - batch
				if lo >= n || t.Failed() {
					return
				}
				objs := make([]json.RawMessage, batch)
				ids := make([]string, batch)
				for i := range objs {
					ids[i] = "indicator--" + uuid.NewString()
					objs[i] = json.RawMessage(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2024-03-01T10:00:00Z"}`,
						ids[i], (lo+i)>>16&255, (lo+i)>>8&255, (lo+i)&255))
				}
				rs, err := c.Publish(ctx, objs...)
				if err != nil {
					t.Errorf("publish: %v", err)
					return
				}
				for i, r := range rs {
					if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
						t.Errorf("not accepted: %v", r)
						return
					}
					order[r.GetCursor()-1] = ids[i]
					for m := maxCursor.Load(); r.GetCursor() > m && !maxCursor.CompareAndSwap(m, r.GetCursor()); m = maxCursor.Load() {
					}
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	waitIndexed(t, hub, maxCursor.Load())

	c := taxiiClient(t, hub, bank.Token)
	start := time.Now()
	got := pageAll(t, c, coll("indicators")+"objects/?limit=1000")
	t.Logf("paged %d objects in %v", len(got), time.Since(start))
	if len(got) != n {
		t.Fatalf("%d objects paged, want %d", len(got), n)
	}
	for i := range got {
		if got[i] != order[i] {
			t.Fatalf("object %d is %s, want %s (cursor order)", i, got[i], order[i])
		}
	}
}
