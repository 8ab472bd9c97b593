package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// scrape reads /metrics into a map from sample (name with labels) to value.
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// TestMetricsCountPublishOutcomesAndSubscriberLag publishes a good and a bad
// object and follows the stream, and checks what /metrics, /readyz and the
// request id header say.
func TestMetricsCountPublishOutcomesAndSubscriberLag(t *testing.T) {
	hub := hubtest.Start(t, func(c *stixhubConfig) { c.MetricsAddr = "127.0.0.1:0" })
	maddr := hub.MetricsAddr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bank := hub.AddMember(t, "Bank A")
	c := hub.Client(t, bank)

	good, err := client.SignObject(ctx, bank.Signer, indicator(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := client.SignObject(ctx, bank.Signer, indicator(t, func(o map[string]any) { delete(o, "pattern") }))
	if err != nil {
		t.Fatal(err)
	}
	var header metadata.MD
	conn := hub.Dial(t, client.WithToken(bank.Token), client.WithDialOptions(grpc.WithChainUnaryInterceptor(
		func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(ctx, method, req, reply, cc, append(opts, grpc.Header(&header))...)
		})))
	rs, err := conn.PublishSigned(ctx, good, bad)
	if err != nil || rs[0].GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED || rs[1].GetOutcome() != stixhubv1.Outcome_OUTCOME_REJECTED {
		t.Fatalf("publish: %v %v", rs, err)
	}
	if _, err := c.PublishSigned(ctx, good); err != nil {
		t.Fatal(err)
	}
	if ids := header.Get("x-request-id"); len(ids) != 1 || len(ids[0]) != 16 {
		t.Errorf("x-request-id header %v, want one generated id", ids)
	}

	// Lag counts stream positions after the last message sent: a
	// subscription for malware alone, on a stream of indicators, stays at 0
	// and lags by every message (a blocked reader shows only once gRPC's
	// flow-control windows are full, which takes megabytes).
	more := make([]*stixhubv1.SignedObject, 5)
	for i := range more {
		if more[i], err = client.SignObject(ctx, bank.Signer, indicator(t, nil)); err != nil {
			t.Fatal(err)
		}
	}
	go func() {
		_ = c.Subscribe(ctx, client.Beginning(), func(ctx context.Context, d *client.Delivery) error {
			return nil
		}, client.WithTypes("malware"))
	}()
	hubtest.CheckFor(t, 5e9, 2e7, func() error {
		if n := scrape(t, maddr)["stixhub_subscribers"]; n != 1 {
			return fmt.Errorf("%v subscribers", n)
		}
		return nil
	})
	if _, err := c.PublishSigned(ctx, more...); err != nil {
		t.Fatal(err)
	}

	m := scrape(t, maddr)
	for sample, want := range map[string]float64{
		`stixhub_publish_objects_total{outcome="accepted",reason=""}`:                        6,
		`stixhub_publish_objects_total{outcome="duplicate",reason=""}`:                       1,
		`stixhub_publish_objects_total{outcome="rejected",reason="InvalidArgument"}`:         1,
		`stixhub_grpc_requests_total{code="OK",method="/stixhub.v1.HubService/Publish"}`:     3, // labels in name order, as exposition writes them
		`stixhub_publish_seconds_count`:                                                      3,
		`stixhub_verify_seconds_count`:                                                       7, // good twice, 5 more; bad fails validation first
		`stixhub_subscribers`:                                                                1,
		`stixhub_ready`:                                                                      1,
		`stixhub_nats_connected`:                                                             1,
		fmt.Sprintf(`stixhub_subscriber_lag_objects{member="%s",subscription="1"}`, bank.ID): 6,
	} {
		if got, ok := m[sample]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", sample, got, ok, want)
		}
	}
	if m["process_resident_memory_bytes"] <= 0 {
		t.Error("no process_resident_memory_bytes")
	}

	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		resp, err := http.Get("http://" + maddr + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	hub.TAXIIRequests().Inc("200")
	if got := scrape(t, maddr)[`stixhub_taxii_requests_total{status="200"}`]; got != 1 {
		t.Errorf("TAXII counter %v, want 1", got)
	}
}
