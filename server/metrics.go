package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/internal/metrics"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// hubMetrics are a node's Prometheus metrics, served on Config.MetricsAddr
// at /metrics (with /healthz and /readyz beside them).
type hubMetrics struct {
	reg *metrics.Registry
	// publishObjects counts objects by outcome (accepted, duplicate,
	// rejected) and, for rejections, the reason (a gRPC code name).
	publishObjects *metrics.CounterVec
	// verifySeconds is the Ed25519 check of one object.
	verifySeconds *metrics.HistogramVec
	// publishSeconds is a whole Publish call, checks and durable append.
	publishSeconds *metrics.HistogramVec
	// rpcs counts finished gRPC calls by method and code.
	rpcs *metrics.CounterVec
	// taxiiRequests counts TAXII requests by HTTP status, for the TAXII
	// server to increment (Hub.TAXIIRequests).
	taxiiRequests *metrics.CounterVec
	subs          subscriptions
}

// Buckets for latencies, in seconds: 10 us to 10 s.
var latencyBuckets = []float64{1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

func (h *Hub) newMetrics() *hubMetrics {
	reg := metrics.NewRegistry()
	m := &hubMetrics{
		reg: reg,
		publishObjects: reg.NewCounterVec("stixhub_publish_objects_total",
			"Objects published to this node, by outcome and, for rejected ones, reason (gRPC code).", "outcome", "reason"),
		verifySeconds: reg.NewHistogramVec("stixhub_verify_seconds",
			"Time to verify one object's Ed25519 signature.", latencyBuckets),
		publishSeconds: reg.NewHistogramVec("stixhub_publish_seconds",
			"Time of a whole Publish call: checks, signature verification and durable append.", latencyBuckets),
		rpcs: reg.NewCounterVec("stixhub_grpc_requests_total",
			"Finished gRPC calls by method and status code.", "method", "code"),
		taxiiRequests: reg.NewCounterVec("stixhub_taxii_requests_total",
			"TAXII 2.1 HTTP requests by status code.", "status"),
	}
	reg.NewGaugeFunc("stixhub_subscriber_lag_objects",
		"Per open subscription: stream messages stored after the last one it was sent (scrape-time).",
		h.subscriberLag, "member", "subscription")
	reg.NewGaugeFunc("stixhub_subscribers", "Open Subscribe streams on this node.", func() []metrics.Sample {
		return []metrics.Sample{{Value: float64(m.subs.count())}}
	})
	reg.NewGaugeFunc("stixhub_nats_connected", "1 while the node's NATS connection is up.", func() []metrics.Sample {
		return []metrics.Sample{{Value: b2f(h.broker != nil && h.broker.Conn.IsConnected())}}
	})
	reg.NewGaugeFunc("stixhub_ready", "1 while the node is ready to serve (see /readyz).", func() []metrics.Sample {
		return []metrics.Sample{{Value: b2f(h.ready() == nil)}}
	})
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TAXIIRequests returns the counter of TAXII requests, labelled by HTTP
// status code ("200", "404", ...), for the TAXII server to increment.
func (h *Hub) TAXIIRequests() *metrics.CounterVec { return h.metrics.taxiiRequests }

// Metrics returns the node's metrics registry.
func (h *Hub) Metrics() *metrics.Registry { return h.metrics.reg }

// countResult counts one object's outcome.
func (m *hubMetrics) countResult(r *stixhubv1.PublishResult) {
	switch {
	case r.GetError() != nil:
		m.publishObjects.Inc("rejected", codes.Code(r.GetError().GetCode()).String())
	case r.GetOutcome() == stixhubv1.Outcome_OUTCOME_ACCEPTED:
		m.publishObjects.Inc("accepted", "")
	default:
		m.publishObjects.Inc("duplicate", "")
	}
}

// subscriberLag reads the stream's last cursor once and reports, for each
// open subscription, how far behind it is.
func (h *Hub) subscriberLag() []metrics.Sample {
	subs := h.metrics.subs.snapshot()
	if len(subs) == 0 || h.store == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	last, err := h.store.LastCursor(ctx)
	if err != nil {
		return nil
	}
	out := make([]metrics.Sample, 0, len(subs))
	for _, s := range subs {
		lag := float64(0)
		if c := s.cursor.Load(); last > c {
			lag = float64(last - c)
		}
		out = append(out, metrics.Sample{Labels: []string{s.member, strconv.FormatUint(s.id, 10)}, Value: lag})
	}
	return out
}

// subscriptions tracks open Subscribe streams and the last cursor each was
// sent.
type subscriptions struct {
	mu   sync.Mutex
	next uint64
	open map[uint64]*subscription
}

type subscription struct {
	id     uint64
	member string
	cursor atomic.Uint64
}

func (s *subscriptions) add(member string) (*subscription, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open == nil {
		s.open = map[uint64]*subscription{}
	}
	s.next++
	sub := &subscription{id: s.next, member: member}
	s.open[sub.id] = sub
	return sub, func() {
		s.mu.Lock()
		delete(s.open, sub.id)
		s.mu.Unlock()
	}
}

func (s *subscriptions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

func (s *subscriptions) snapshot() []*subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*subscription, 0, len(s.open))
	for _, sub := range s.open {
		out = append(out, sub)
	}
	return out
}

// trackedStream records the position of a Subscribe stream as it sends.
type trackedStream struct {
	stixhubv1.HubService_SubscribeServer
	sub *subscription
}

// sendWire sends an encoded SubscribeResponse whose last delivery is at
// cursor.
func (t trackedStream) sendWire(w wireMessage, cursor uint64) error {
	if err := t.SendMsg(w); err != nil {
		return err
	}
	t.sub.cursor.Store(cursor)
	return nil
}

func (t trackedStream) Send(r *stixhubv1.SubscribeResponse) error {
	if err := t.HubService_SubscribeServer.Send(r); err != nil {
		return err
	}
	switch ev := r.GetEvent().(type) {
	case *stixhubv1.SubscribeResponse_Delivery:
		t.sub.cursor.Store(ev.Delivery.GetCursor())
	case *stixhubv1.SubscribeResponse_Started:
		t.sub.cursor.Store(ev.Started.GetAfterCursor())
	}
	return nil
}

// trackSubscription registers a Subscribe stream for the lag metric; call
// the returned function when it ends.
func (h *Hub) trackSubscription(member string, stream stixhubv1.HubService_SubscribeServer) (trackedStream, func()) {
	sub, done := h.metrics.subs.add(member)
	return trackedStream{HubService_SubscribeServer: stream, sub: sub}, done
}

// metricsUnary counts unary calls by method and code.
func metricsUnary(m *hubMetrics) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		if info.FullMethod == stixhubv1.HubService_Publish_FullMethodName {
			m.publishSeconds.Observe(time.Since(start).Seconds())
		}
		m.rpcs.Inc(info.FullMethod, status.Code(err).String())
		return resp, err
	}
}

// metricsStream counts streaming calls by method and code.
func metricsStream(m *hubMetrics) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		err := handler(srv, ss)
		m.rpcs.Inc(info.FullMethod, status.Code(err).String())
		return err
	}
}

// ready says whether the node can serve: NATS connected, the key service
// and registry answering (checked every healthInterval), not shutting down.
func (h *Hub) ready() error {
	switch {
	case h.broker == nil || !h.broker.Conn.IsConnected():
		return errors.New("not connected to NATS")
	case !h.keyHealth.up.Load():
		reason, _ := h.keyHealth.reason.Load().(string)
		return fmt.Errorf("key service or registry unavailable: %s", reason)
	case h.streamsCtx == nil || h.streamsCtx.Err() != nil:
		return errors.New("shutting down")
	}
	return nil
}

// serveMetrics starts the HTTP server for /metrics, /healthz (the process
// answers) and /readyz (ready to serve; 503 with the reason otherwise).
func (h *Hub) serveMetrics() error {
	if h.cfg.MetricsAddr == "" {
		return nil
	}
	lis, err := net.Listen("tcp", h.cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("metrics listener on %s: %w", h.cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h.metrics.reg.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := h.ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	if h.cfg.Pprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	h.metricsServer = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	h.metricsAddr = lis.Addr()
	go func() {
		if err := h.metricsServer.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.log.Error("metrics server stopped", "err", err)
		}
	}()
	return nil
}

// MetricsAddr returns where /metrics is served, or nil without
// Config.MetricsAddr.
func (h *Hub) MetricsAddr() net.Addr { return h.metricsAddr }

func (h *Hub) closeMetrics() {
	if h.metricsServer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = h.metricsServer.Shutdown(ctx)
	}
}
