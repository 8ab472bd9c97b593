package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	"github.com/stixhub/stixhub/internal/limit"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
	"github.com/stixhub/stixhub/server"
)

// rawHub is the bare gRPC API for a token, without the client library's
// retries, to see the hub's answers as they are.
func rawHub(t *testing.T, hub *hubtest.Hub, token string) stixhubv1.HubServiceClient {
	t.Helper()
	return stixhubv1.NewHubServiceClient(dialRaw(t, hub, token))
}

// signedBatch signs n fresh indicators with m's key.
func signedBatch(t *testing.T, m hubtest.Member, n int) []*stixhubv1.SignedObject {
	t.Helper()
	out := make([]*stixhubv1.SignedObject, n)
	for i := range out {
		so, err := client.SignObject(context.Background(), m.Signer, indicator(t, nil))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = so
	}
	return out
}

// exhausted checks err is ResourceExhausted naming what in its message
// and returns the RetryInfo delay (0 when there is none).
func exhausted(t *testing.T, err error, what string) time.Duration {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("got %v, want ResourceExhausted", err)
	}
	if !strings.Contains(st.Message(), what) {
		t.Errorf("message %q does not name %q", st.Message(), what)
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	return 0
}

func TestObjectRateLimitRefusesTheWholeBatch(t *testing.T) {
	hub := hubtest.Start(t, func(c *server.Config) {
		c.MaxBatch = 5
		c.Limits = limit.Config{Objects: limit.Rate{PerSecond: 2, Burst: 5}}
	})
	ctx := context.Background()
	m := hub.AddMember(t, "Bank")
	raw := rawHub(t, hub, m.Token)

	if _, err := raw.Publish(ctx, &stixhubv1.PublishRequest{Objects: signedBatch(t, m, 4)}); err != nil {
		t.Fatalf("first 4 of a burst of 5: %v", err)
	}
	batch := signedBatch(t, m, 3)
	_, err := raw.Publish(ctx, &stixhubv1.PublishRequest{Objects: batch})
	wait := exhausted(t, err, "objects/s")
	if wait <= 0 || wait > time.Second {
		t.Fatalf("RetryInfo delay %v, want (0, 1s] (2 objects missing at 2/s)", wait)
	}
	if !strings.Contains(status.Convert(err).Message(), "nothing was stored") {
		t.Errorf("message %q does not say nothing was stored", status.Convert(err).Message())
	}
	// After the wait the same batch passes, and every object is new: the
	// refused call stored none of them.
	time.Sleep(wait)
	resp, err := raw.Publish(ctx, &stixhubv1.PublishRequest{Objects: batch})
	if err != nil {
		t.Fatalf("after waiting %v: %v", wait, err)
	}
	for _, r := range resp.GetResults() {
		if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
			t.Errorf("object %d: %v, want ACCEPTED (not duplicate)", r.GetIndex(), r)
		}
	}
	// A batch over --max-batch is a size limit.
	_, err = raw.Publish(ctx, &stixhubv1.PublishRequest{Objects: signedBatch(t, m, 6)})
	exhausted(t, err, "batch too large")
}

func TestClientWaitsOutTheRateLimit(t *testing.T) {
	hub := hubtest.Start(t, func(c *server.Config) {
		c.MaxBatch = 5
		c.Limits = limit.Config{Objects: limit.Rate{PerSecond: 10, Burst: 5}}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m := hub.AddMember(t, "Bank")
	c := hub.Client(t, m)
	for i := range 4 { // 20 objects at 10/s after a burst of 5
		objs := make([]json.RawMessage, 5)
		for j := range objs {
			objs[j] = indicator(t, nil)
		}
		res, err := c.Publish(ctx, objs...)
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		for _, r := range res {
			if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
				t.Fatalf("batch %d: %v", i, r)
			}
		}
	}
}

func TestRequestRateLimit(t *testing.T) {
	hub := hubtest.Start(t, func(c *server.Config) {
		c.Limits = limit.Config{Requests: limit.Rate{PerSecond: 0.5, Burst: 3}}
	})
	ctx := context.Background()
	m := hub.AddMember(t, "Bank")
	other := hub.AddMember(t, "Exchange")
	raw := rawHub(t, hub, m.Token)
	for i := range 3 {
		if _, err := raw.GetKeySet(ctx, &stixhubv1.GetKeySetRequest{}); err != nil {
			t.Fatalf("request %d of a burst of 3: %v", i, err)
		}
	}
	_, err := raw.GetKeySet(ctx, &stixhubv1.GetKeySetRequest{})
	if wait := exhausted(t, err, "requests/s"); wait <= time.Second || wait > 2*time.Second {
		t.Errorf("RetryInfo delay %v, want about 2s at 0.5/s", wait)
	}
	// TAXII shares the member's budget: 429 with Retry-After and TAXII
	// error JSON.
	code, hdr, body, err := taxiiDo(t, hub, http.MethodGet, "/taxii2/", m.Token, nil)
	if err != nil || code != http.StatusTooManyRequests {
		t.Fatalf("TAXII: %d %s %v, want 429", code, body, err)
	}
	if hdr.Get("Retry-After") != "2" {
		t.Errorf("Retry-After %q, want 2", hdr.Get("Retry-After"))
	}
	var e struct{ Title, Description, HTTPStatus string }
	if json.Unmarshal(body, &e) != nil || !strings.Contains(e.Description, "requests/s") {
		t.Errorf("TAXII error body %s", body)
	}
	// Other members and the operator are not affected.
	if _, err := rawHub(t, hub, other.Token).GetKeySet(ctx, &stixhubv1.GetKeySetRequest{}); err != nil {
		t.Errorf("another member: %v", err)
	}
	for range 10 {
		if _, err := hub.Operator(t).Admin().ListMembers(ctx); err != nil {
			t.Fatalf("operator: %v", err)
		}
	}
}

func TestTAXIIPostLimits(t *testing.T) {
	hub := hubtest.Start(t, func(c *server.Config) {
		c.MaxBatch = 5
		c.Limits = limit.Config{Objects: limit.Rate{PerSecond: 0.01, Burst: 5}}
		c.TAXIIMaxContentLength = 8 << 10
	})
	ctx := context.Background()
	m := hub.AddMember(t, "Exchange")
	if _, err := hub.Operator(t).Admin().SetTaxiiUnsigned(ctx, m.ID, true); err != nil {
		t.Fatal(err)
	}
	envelope := func(n int) []byte {
		objs := make([]json.RawMessage, n)
		for i := range objs {
			objs[i] = indicator(t, func(o map[string]any) { o["created_by_ref"] = m.Identity })
		}
		b, err := json.Marshal(map[string]any{"objects": objs})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	post := func(body []byte) (int, []byte) {
		t.Helper()
		code, _, b, err := taxiiDo(t, hub, http.MethodPost, "/stixhub/collections/indicators/objects/", m.Token, body)
		if err != nil {
			t.Fatal(err)
		}
		return code, b
	}
	count := func() int {
		t.Helper()
		code, _, b, err := taxiiDo(t, hub, http.MethodGet, "/stixhub/collections/indicators/objects/", m.Token, nil)
		if err != nil || code != http.StatusOK {
			t.Fatalf("GET: %d %s %v", code, b, err)
		}
		var page struct{ Objects []json.RawMessage }
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		return len(page.Objects)
	}

	if code, b := post(envelope(6)); code != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "at most 5") {
		t.Fatalf("6 objects over a burst of 5: %d %s, want 413", code, b)
	}
	if code, b := post(envelope(3)); code != http.StatusAccepted {
		t.Fatalf("3 objects: %d %s", code, b)
	}
	if code, b := post(envelope(3)); code != http.StatusTooManyRequests || !strings.Contains(string(b), "nothing was stored") {
		t.Fatalf("3 more with 2 left: %d %s, want 429", code, b)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d objects stored, want the 3 accepted and none of the refused envelopes", n)
	}
	big := envelope(1)
	big = append(big[:len(big)-1], []byte(fmt.Sprintf(`,"padding":%q}`, strings.Repeat("x", 9<<10)))...)
	if code, b := post(big); code != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "max_content_length") {
		t.Fatalf("body over max_content_length: %d %s, want 413", code, b)
	}
}

func TestGRPCMessageSizeLimit(t *testing.T) {
	hub := hubtest.Start(t, func(c *server.Config) { c.MaxMessageBytes = 4 << 10 })
	m := hub.AddMember(t, "Bank")
	_, err := rawHub(t, hub, m.Token).Publish(context.Background(), &stixhubv1.PublishRequest{Objects: signedBatch(t, m, 20)})
	exhausted(t, err, "larger than max")
}

func TestStartRefusesAnObjectBurstBelowMaxBatch(t *testing.T) {
	cfg := server.DefaultConfig(t.TempDir())
	cfg.GRPCAddr, cfg.TAXIIAddr, cfg.Logger = "127.0.0.1:0", "off", hubtest.Logger()
	cfg.Limits.Objects = limit.Rate{PerSecond: 100, Burst: 500}
	h, err := server.Start(context.Background(), cfg)
	if err == nil {
		h.Shutdown(context.Background())
		t.Fatal("started with an objects burst of 500 and --max-batch 1000")
	}
	if !strings.Contains(err.Error(), "max-batch") {
		t.Errorf("error %q does not name --max-batch", err)
	}
}
