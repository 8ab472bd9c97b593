package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
)

// walletIndicator is a fresh indicator naming one wallet address.
func walletIndicator(address string, extra string) json.RawMessage {
	now := time.Now().UTC().Add(-time.Second).Format("2006-01-02T15:04:05.000Z")
	return json.RawMessage(`{"type":"indicator","spec_version":"2.1","id":"indicator--` + uuid.NewString() + `",
		"created":"` + now + `","modified":"` + now + `","valid_from":"` + now + `",
		"name":"DPRK-linked withdrawal address","pattern_type":"stix",
		"pattern":"[cryptocurrency-wallet:value = '` + address + `']"` + extra + `}`)
}

func dialMember(t *testing.T, m member) *client.Client {
	t.Helper()
	c, err := client.New(context.Background(), hub.addr, client.WithCAFile(hub.caFile), client.WithToken(m.Token), client.WithSigner(m.Signer))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// runScreener runs s until the test ends or stop is called.
func runScreener(t *testing.T, s *client.Screener) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != context.Canceled {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestPublishedWalletIsFoundByLookupAndScreenerWithinASecond(t *testing.T) {
	bank, cert := dialMember(t, hub.bank), dialMember(t, hub.cert)
	s, err := client.NewScreener(context.Background(), cert)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runScreener(t, s)

	address := "bc1q" + uuid.NewString()[:8] + "lazarus"
	rs, err := bank.Publish(context.Background(), walletIndicator(address, ""))
	if err != nil || rs[0].GetError() != nil {
		t.Fatalf("publish: %v %v", err, rs)
	}
	accepted := time.Now()
	q := client.Observable{Value: address} // type inferred: a wallet
	var hubAt, localAt time.Duration
	hubtest.CheckFor(t, time.Second, time.Millisecond, func() error {
		if hubAt == 0 {
			r, err := cert.Lookup(context.Background(), []client.Observable{q})
			if err != nil {
				return err
			}
			if ms := r[0].GetMatches(); len(ms) == 1 && ms[0].GetObjectId() == rs[0].GetObjectId() {
				hubAt = time.Since(accepted)
			}
		}
		if localAt == 0 {
			if ok, _ := s.Known(q); ok {
				localAt = time.Since(accepted)
			}
		}
		if hubAt == 0 || localAt == 0 {
			return fmt.Errorf("hub lookup after %v, local after %v", hubAt, localAt)
		}
		return nil
	})
	t.Logf("found by the hub after %v, by the local screener after %v", hubAt, localAt)
	ms, _ := s.Lookup(q)
	if len(ms) != 1 || ms[0].MemberID != hub.bank.ID || ms[0].ObjectID != rs[0].GetObjectId() || !ms[0].Live() {
		t.Errorf("local match: %+v", ms)
	}
}

func TestScreenerPersistsAndResumesFromItsCursor(t *testing.T) {
	bank, cert := dialMember(t, hub.bank), dialMember(t, hub.cert)
	path := filepath.Join(t.TempDir(), "screen.db")
	var mu sync.Mutex
	var indexed []string
	onIndexed := client.OnIndexed(func(o *client.IndexedObject) {
		mu.Lock()
		indexed = append(indexed, o.ID)
		mu.Unlock()
	})
	first := "bc1qfirst" + uuid.NewString()[:8]
	rs, err := bank.Publish(context.Background(), walletIndicator(first, ""))
	if err != nil || rs[0].GetError() != nil {
		t.Fatalf("publish: %v %v", err, rs)
	}

	s, err := client.NewScreener(context.Background(), cert, client.WithScreenerFile(path), client.WithFlushInterval(10*time.Millisecond), onIndexed)
	if err != nil {
		t.Fatal(err)
	}
	stop := runScreener(t, s)
	hubtest.CheckFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		if s.Cursor() < rs[0].GetCursor() {
			return fmt.Errorf("screener at cursor %d, want %d", s.Cursor(), rs[0].GetCursor())
		}
		return nil
	})
	stop()
	cursor := s.Cursor()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopened, the screener knows the wallet before it runs.
	mu.Lock()
	indexed = nil
	mu.Unlock()
	s, err = client.NewScreener(context.Background(), cert, client.WithScreenerFile(path), onIndexed)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ok, _ := s.Known(client.Observable{Type: "cryptocurrency-wallet", Value: first}); !ok || s.Cursor() != cursor {
		t.Fatalf("reopened screener: known %v, cursor %d (was %d)", ok, s.Cursor(), cursor)
	}
	second := "bc1qsecond" + uuid.NewString()[:8]
	rs2, err := bank.Publish(context.Background(), walletIndicator(second, ""))
	if err != nil || rs2[0].GetError() != nil {
		t.Fatalf("publish: %v %v", err, rs2)
	}
	runScreener(t, s)
	hubtest.CheckFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		if ok, _ := s.Known(client.Observable{Value: second}); !ok {
			return fmt.Errorf("second wallet not known")
		}
		return nil
	})
	// It resumed after its cursor: the first indicator was not delivered again.
	mu.Lock()
	defer mu.Unlock()
	for _, id := range indexed {
		if id == rs[0].GetObjectId() {
			t.Errorf("%s indexed again after resuming from cursor %d", id, cursor)
		}
	}
	if len(indexed) == 0 || indexed[len(indexed)-1] != rs2[0].GetObjectId() {
		t.Errorf("indexed after resume: %v, want it to end with %s", indexed, rs2[0].GetObjectId())
	}
}

func TestScreenerHonoursRevocationAndExpiry(t *testing.T) {
	bank, cert := dialMember(t, hub.bank), dialMember(t, hub.cert)
	s, err := client.NewScreener(context.Background(), cert)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runScreener(t, s)
	expired := "bc1qexpired" + uuid.NewString()[:8]
	past := time.Now().UTC().Add(-time.Hour)
	p := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
	exp := json.RawMessage(`{"type":"indicator","spec_version":"2.1","id":"indicator--` + uuid.NewString() + `",
		"created":"` + p(past) + `","modified":"` + p(past) + `","valid_from":"` + p(past) + `","valid_until":"` + p(past.Add(time.Minute)) + `",
		"pattern_type":"stix","pattern":"[cryptocurrency-wallet:value = '` + expired + `']"}`)
	revokedAddr := "bc1qrevoked" + uuid.NewString()[:8]
	v1 := walletIndicator(revokedAddr, "")
	var v2 map[string]any
	_ = json.Unmarshal(v1, &v2)
	v2["modified"], v2["revoked"] = p(time.Now().UTC()), true
	v2b, _ := json.Marshal(v2)
	for _, o := range []json.RawMessage{exp, v1, v2b} {
		if rs, err := bank.Publish(context.Background(), o); err != nil || rs[0].GetError() != nil {
			t.Fatalf("publish: %v %v", err, rs)
		}
	}
	hubtest.CheckFor(t, 5*time.Second, 5*time.Millisecond, func() error {
		if ms, _ := s.LookupAll(client.Observable{Value: revokedAddr}); len(ms) != 1 || ms[0].Status != "revoked" {
			return fmt.Errorf("revoked wallet: %+v", ms)
		}
		return nil
	})
	if ms, _ := s.Lookup(client.Observable{Value: revokedAddr}); len(ms) != 0 {
		t.Errorf("revoked indicator reported by Lookup: %+v", ms)
	}
	ms, _ := s.Lookup(client.Observable{Value: expired})
	if len(ms) != 1 || ms[0].Status != "expired" {
		t.Errorf("expired indicator: %+v", ms)
	}
	if ok, _ := s.Known(client.Observable{Value: expired}); ok {
		t.Error("an expired indicator counts as known")
	}
}
