package taxii_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stixhub/stixhub/internal/hubtest"
)

// pageAll follows next from path and returns the ids in order.
func pageAll(t testing.TB, c *tx, path string) []string {
	t.Helper()
	var ids []string
	sep := "?"
	if u, _ := url.Parse(path); u.RawQuery != "" {
		sep = "&"
	}
	next := ""
	for pages := 0; ; pages++ {
		p := path
		if next != "" {
			p += sep + "next=" + url.QueryEscape(next)
		}
		var env envelope
		c.mustGet(p, &env)
		for _, h := range heads(t, env.Objects) {
			ids = append(ids, h.ID)
		}
		if !env.More {
			if env.Next != "" {
				t.Fatalf("next %q without more", env.Next)
			}
			return ids
		}
		if env.Next == "" {
			t.Fatal("more without next")
		}
		next = env.Next
		if pages > 1e6 {
			t.Fatal("paging does not end")
		}
	}
}

func TestPagingWithNextAndLimit(t *testing.T) {
	hub := hubtest.Start(t)
	bank := hub.AddMember(t, "Bank A")
	gc := hub.Client(t, bank)
	c := taxiiClient(t, hub, bank.Token)
	var objs []json.RawMessage
	for range 25 {
		objs = append(objs, indicator(t, nil))
	}
	cursors := publish(t, gc, objs...)
	waitIndexed(t, hub, cursors[len(cursors)-1])

	want := pageAll(t, c, coll("indicators")+"objects/")
	if len(want) != 25 {
		t.Fatalf("%d objects in one page", len(want))
	}
	for _, limit := range []int{1, 7, 24, 25, 26} {
		got := pageAll(t, c, coll("indicators")+"objects/?limit="+fmt.Sprint(limit))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("limit %d: %v", limit, got)
		}
	}
	// A page exactly as long as what is left says more=false.
	var env envelope
	c.mustGet(coll("indicators")+"objects/?limit=25", &env)
	if env.More || len(env.Objects) != 25 {
		t.Fatalf("limit 25: more=%v, %d objects", env.More, len(env.Objects))
	}
	// Manifest pages the same way.
	c.mustGet(coll("indicators")+"manifest/?limit=10", &env)
	if !env.More || len(env.Objects) != 10 {
		t.Fatalf("manifest limit 10: more=%v, %d", env.More, len(env.Objects))
	}
}

func TestNextIsBoundToMemberAndQuery(t *testing.T) {
	hub := hubtest.Start(t)
	bank, gov := hub.AddMember(t, "Bank A"), hub.AddMember(t, "CERT")
	cursors := publish(t, hub.Client(t, bank), indicator(t, nil), indicator(t, nil), indicator(t, nil))
	waitIndexed(t, hub, cursors[2])
	c := taxiiClient(t, hub, bank.Token)
	var env envelope
	c.mustGet(coll("indicators")+"objects/?limit=1", &env)
	if !env.More || env.Next == "" {
		t.Fatalf("no next: %+v", env)
	}
	next := url.QueryEscape(env.Next)
	// The same member with the same filters continues (limit may change).
	c.mustGet(coll("indicators")+"objects/?limit=2&next="+next, &env)
	if len(env.Objects) != 2 || env.More {
		t.Fatalf("continued page: %d objects, more=%v", len(env.Objects), env.More)
	}
	// Another member, another collection, other filters, or a changed
	// token: 400.
	errorBody(t, c.as(gov.Token).get(coll("indicators")+"objects/?limit=1&next="+next), http.StatusBadRequest)
	errorBody(t, c.get(coll("all")+"objects/?limit=1&next="+next), http.StatusBadRequest)
	errorBody(t, c.get(coll("indicators")+"manifest/?limit=1&next="+next), http.StatusBadRequest)
	errorBody(t, c.get(coll("indicators")+"objects/?limit=1&match[type]=indicator&next="+next), http.StatusBadRequest)
	b := []byte(next)
	b[2] ^= 1
	errorBody(t, c.get(coll("indicators")+"objects/?limit=1&next="+string(b)), http.StatusBadRequest)
}

// TestPagingWhilePublishing pages a collection with added_after from the
// last page's X-TAXII-Date-Added-Last while objects are published into it:
// every object is seen exactly once, in the order added, none skipped
// (date_added has no ties).
func TestPagingWhilePublishing(t *testing.T) {
	hub := hubtest.Start(t, hubtest.NoLimits)
	bank := hub.AddMember(t, "Bank A")
	gc := hub.Client(t, bank)
	c := taxiiClient(t, hub, bank.Token)
	const batches, per = 40, 50

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	published := make(chan []string, batches)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(published)
		for range batches {
			var objs []json.RawMessage
			var ids []string
			for range per {
				o := indicator(t, nil)
				objs = append(objs, o)
				ids = append(ids, heads(t, []json.RawMessage{o})[0].ID)
			}
			rs, err := gc.Publish(ctx, objs...)
			if err != nil {
				t.Errorf("publish: %v", err)
				return
			}
			for _, r := range rs {
				if r.GetError() != nil {
					t.Errorf("rejected: %v", r)
					return
				}
			}
			published <- ids
		}
	})

	var all, byAdded []string
	after := ""
	for done := false; !done; {
		select {
		case ids, ok := <-published:
			if !ok {
				done = true
				break
			}
			all = append(all, ids...)
		default:
		}
		p := coll("indicators") + "objects/?limit=23"
		if after != "" {
			p += "&added_after=" + url.QueryEscape(after)
		}
		var env envelope
		r := c.mustGet(p, &env)
		for _, h := range heads(t, env.Objects) {
			byAdded = append(byAdded, h.ID)
		}
		if l := r.header.Get("X-TAXII-Date-Added-Last"); l != "" {
			after = l
		}
	}
	wg.Wait()
	waitIndexed(t, hub, uint64(batches*per))
	byAdded = append(byAdded, pageAll(t, c, coll("indicators")+"objects/?limit=23&added_after="+url.QueryEscape(after))...)
	if fmt.Sprint(byAdded) != fmt.Sprint(all) {
		t.Fatalf("%d objects seen, %d published; first difference at %d", len(byAdded), len(all), firstDiff(byAdded, all))
	}
	if final := pageAll(t, c, coll("indicators")+"objects/?limit=17"); fmt.Sprint(final) != fmt.Sprint(all) {
		t.Fatalf("final listing differs from what was published at %d", firstDiff(final, all))
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestNextPagingWhilePublishing follows one chain of next tokens while
// objects keep arriving: the chain never repeats or skips an object.
func TestNextPagingWhilePublishing(t *testing.T) {
	hub := hubtest.Start(t)
	bank := hub.AddMember(t, "Bank A")
	gc := hub.Client(t, bank)
	c := taxiiClient(t, hub, bank.Token)
	// Enough to start with, so the chain has somewhere to go.
	var seed []json.RawMessage
	for range 100 {
		seed = append(seed, indicator(t, nil))
	}
	cs := publish(t, gc, seed...)
	waitIndexed(t, hub, cs[len(cs)-1])

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			var objs []json.RawMessage
			for range 20 {
				objs = append(objs, indicator(t, nil))
			}
			if _, err := gc.Publish(context.Background(), objs...); err != nil {
				t.Errorf("publish: %v", err)
				return
			}
		}
	})
	var chain []string
	next := ""
	for page := 0; page < 40; page++ {
		p := coll("indicators") + "objects/?limit=9"
		if next != "" {
			p += "&next=" + url.QueryEscape(next)
		}
		var env envelope
		c.mustGet(p, &env)
		for _, h := range heads(t, env.Objects) {
			chain = append(chain, h.ID)
		}
		if !env.More {
			break
		}
		next = env.Next
	}
	close(stop)
	wg.Wait()
	final := pageAll(t, c, coll("indicators")+"objects/")
	if len(chain) < 100 || fmt.Sprint(final[:len(chain)]) != fmt.Sprint(chain) {
		t.Fatalf("chain of %d objects is not a prefix of the collection (first difference at %d)", len(chain), firstDiff(chain, final))
	}
}

func TestIndexRebuildsAndCatchesUpAcrossRestarts(t *testing.T) {
	hub := hubtest.Start(t)
	bank := hub.AddMember(t, "Bank A")
	gc := hub.Client(t, bank)
	var objs []json.RawMessage
	for range 300 {
		objs = append(objs, indicator(t, nil))
	}
	cs := publish(t, gc, objs...)
	waitIndexed(t, hub, cs[len(cs)-1])
	before := pageAll(t, taxiiClient(t, hub, bank.Token), coll("all")+"objects/?match[version]=all&limit=100")

	// Restart: the index is reused and caught up at once.
	hub.Restart(t)
	if p := hub.TAXIIIndexPosition(); p < cs[len(cs)-1] {
		t.Fatalf("index at %d after restart, want %d", p, cs[len(cs)-1])
	}
	c := taxiiClient(t, hub, bank.Token)
	if got := pageAll(t, c, coll("all")+"objects/?match[version]=all&limit=100"); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatal("objects differ after restart")
	}
	// New objects after the restart are indexed too.
	more := publish(t, hub.Client(t, bank), indicator(t, nil))
	waitIndexed(t, hub, more[0])

	// Delete the index while stopped: it is rebuilt from the stream, with
	// the same date_added values (so old added_after values still work).
	var env envelope
	r := c.mustGet(coll("all")+"objects/?limit=50", &env)
	last := r.header.Get("X-TAXII-Date-Added-Last")
	afterBefore := pageAll(t, c, coll("all")+"objects/?added_after="+url.QueryEscape(last))
	hub.Stop(t)
	if err := os.Remove(filepath.Join(hub.Config.DataDir, "taxii-index.db")); err != nil {
		t.Fatal(err)
	}
	hub.Restart(t)
	c = taxiiClient(t, hub, bank.Token)
	if got := pageAll(t, c, coll("all")+"objects/?match[version]=all&limit=100"); len(got) != len(before)+1 || fmt.Sprint(got[:len(before)]) != fmt.Sprint(before) {
		t.Fatalf("rebuilt index serves %d objects, want %d", len(got), len(before)+1)
	}
	if got := pageAll(t, c, coll("all")+"objects/?added_after="+url.QueryEscape(last)); fmt.Sprint(got) != fmt.Sprint(afterBefore) {
		t.Fatal("added_after selects other objects after the rebuild")
	}
	// A corrupt index file is rebuilt too.
	hub.Stop(t)
	if err := os.WriteFile(filepath.Join(hub.Config.DataDir, "taxii-index.db"), []byte("not a bbolt file"), 0o600); err != nil {
		t.Fatal(err)
	}
	hub.Restart(t)
	if got := pageAll(t, taxiiClient(t, hub, bank.Token), coll("all")+"objects/?match[version]=all&limit=100"); len(got) != len(before)+1 {
		t.Fatalf("index rebuilt from a corrupt file serves %d objects", len(got))
	}
}
