// Package server is the stixhub hub: it wires NATS, the member registry, the
// object store and the gRPC services together and runs them.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/stixhub/stixhub/internal/access"
	"github.com/stixhub/stixhub/internal/auth"
	"github.com/stixhub/stixhub/internal/broker"
	"github.com/stixhub/stixhub/internal/extdef"
	"github.com/stixhub/stixhub/internal/fanout"
	"github.com/stixhub/stixhub/internal/limit"
	"github.com/stixhub/stixhub/internal/pki"
	"github.com/stixhub/stixhub/internal/registry"
	"github.com/stixhub/stixhub/internal/screen"
	"github.com/stixhub/stixhub/internal/store"
	"github.com/stixhub/stixhub/internal/taxii"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Config configures a hub. Start from DefaultConfig.
type Config struct {
	// DataDir holds everything a single-node hub keeps: JetStream files
	// (nats/), TLS material (tls/), the operator token and the hub receipt
	// key. Created with mode 0700 if missing. Required.
	DataDir string
	// GRPCAddr is where the gRPC API listens. Default "127.0.0.1:7700".
	GRPCAddr string
	// TAXIIAddr is where TAXII 2.1 (HTTPS, same certificate) listens.
	// DefaultConfig sets "127.0.0.1:7701"; "" or "off" turns TAXII off.
	TAXIIAddr string
	// TLSCertFile and TLSKeyFile name an operator-provided server
	// certificate. When empty the hub issues its own from a CA it keeps in
	// DataDir/tls (clients trust DataDir/tls/ca.pem).
	TLSCertFile, TLSKeyFile string
	// TLSSANs are extra names (DNS or IP) the self-issued server certificate
	// covers, beyond 127.0.0.1, ::1 and localhost.
	TLSSANs []string
	// NATSURL selects an external NATS cluster (comma-separated URLs). Empty
	// runs NATS embedded, storing in DataDir/nats.
	NATSURL string
	// NATS says how to log in to the external cluster of NATSURL.
	NATS NATSClientConfig
	// NATSListen makes the embedded NATS server listen for other clients on
	// this address. Empty (the default) means in-process only.
	NATSListen string
	// SyncAlways makes the embedded JetStream fsync every write before
	// acknowledging it. See broker.EmbeddedConfig.
	SyncAlways bool
	// Replicas is the replication factor of the stream and registry: 1 for
	// embedded, 3 on a cluster. Default 1.
	Replicas int
	// MaxBatch is the most objects one Publish may carry. Default 1000.
	MaxBatch int
	// FeedCapacity is how many of the newest stream messages the node holds
	// in memory for its subscriptions and indexes (see internal/fanout);
	// readers further behind replay the stream. Default
	// fanout.DefaultCapacity.
	FeedCapacity int
	// MaxObjectBytes is the largest object accepted. Default 1 MiB.
	MaxObjectBytes int
	// MaxMessageBytes is the largest gRPC request. Default 64 MiB.
	MaxMessageBytes int
	// MetricsAddr serves Prometheus metrics (/metrics), liveness (/healthz)
	// and readiness (/readyz) over plain HTTP on this address. Empty (the
	// default) serves none.
	MetricsAddr string
	// Pprof serves the Go runtime's profiles (net/http/pprof) under
	// /debug/pprof/ on MetricsAddr. Off by default.
	Pprof bool
	// ShutdownTimeout bounds a graceful shutdown. Default 15s.
	ShutdownTimeout time.Duration
	// Registry selects where member records live: "nats" (JetStream KV, the
	// default) or "vault" (Vault KV v2, see Vault).
	Registry string
	// Vault puts the hub receipt key and/or the registry in HashiCorp Vault.
	Vault VaultConfig
	// Logger receives structured logs. Default slog.Default().
	Logger *slog.Logger
	// DefaultTLP is the TLP the hub gives objects that carry none:
	// "clear", "green", "amber" (the default: the publisher's groups),
	// "amber+strict" or "red" (the publisher and named recipients only).
	DefaultTLP string
	// ClientCAFile names extra CA certificates (PEM) whose client
	// certificates identify members, besides the hub's own CA (see
	// mtls.go).
	ClientCAFile string
	// Limits are the per-member rate limits; a zero rate is no limit.
	// DefaultConfig sets DefaultLimits.
	Limits limit.Config
	// TAXIIMaxContentLength is the largest TAXII request body, in bytes.
	// Default 10 MiB.
	TAXIIMaxContentLength int
}

// DefaultConfig returns the configuration of a single-node hub in dataDir.
func DefaultConfig(dataDir string) Config {
	return Config{
		DataDir:         dataDir,
		GRPCAddr:        "127.0.0.1:7700",
		TAXIIAddr:       "127.0.0.1:7701",
		Replicas:        1,
		MaxBatch:        1000,
		FeedCapacity:    fanout.DefaultCapacity,
		MaxObjectBytes:  1 << 20,
		MaxMessageBytes: 64 << 20,
		ShutdownTimeout: 15 * time.Second,
		Logger:          slog.Default(),
		Limits:          DefaultLimits(),

		TAXIIMaxContentLength: taxii.DefaultMaxContentLength,
	}
}

// Data directory layout.
const (
	operatorTokenFile = "operator.token"
	hubKeyFile        = "hub.key"
	tlsDir            = "tls"
	natsDir           = "nats"
	lockFile          = "LOCK"
)

// Hub is a running hub node.
type Hub struct {
	cfg      Config
	log      *slog.Logger
	lock     *os.File
	broker   *broker.Broker
	registry *registry.Registry
	store    *store.Store
	feed     *fanout.Feed // what the node's readers get the stream from

	wireBuffers bufferPool // batch messages of subscriptions
	matchBufs   sync.Pool  // *[]screen.Match for Lookup
	hubKey      receiptSigner
	vault       vaultClient
	health      *health.Server
	access      *access.Decider

	types      *extdef.Types // object types defined by extension-definitions
	screen     *screen.Index // observable index for Lookup, fed by the stream
	screenStop context.CancelFunc
	screenDone chan struct{}
	// screenSharings is the screening index's copy of each sharing.
	screenSharings sharings

	keyHealth   keyHealth
	streams     memberStreams
	stopWatches context.CancelFunc

	grpc     *grpc.Server
	listener net.Listener
	caFile   string

	metrics       *hubMetrics
	metricsServer *http.Server
	metricsAddr   net.Addr

	streamsCtx    context.Context // cancelled to end Subscribe streams at shutdown
	cancelStreams context.CancelFunc
	serveErr      chan error
	closeOnce     sync.Once

	taxii *taxiiNode // nil when TAXII is off

	memberCA    *pki.CA        // signs member client certificates
	serverCAPEM []byte         // what verifies the server certificate, when the hub issued it
	limits      *limit.Limiter // per-member rate limits
}

// Start prepares the data directory, connects to NATS, opens the registry and
// the store, and starts serving gRPC. Stop it with Shutdown.
func Start(ctx context.Context, cfg Config) (_ *Hub, err error) {
	if cfg.DataDir == "" {
		return nil, errors.New("data directory required")
	}
	d := DefaultConfig(cfg.DataDir)
	if cfg.GRPCAddr == "" {
		cfg.GRPCAddr = d.GRPCAddr
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = d.Replicas
	}
	if cfg.MaxBatch == 0 {
		cfg.MaxBatch = d.MaxBatch
	}
	if cfg.MaxObjectBytes == 0 {
		cfg.MaxObjectBytes = d.MaxObjectBytes
	}
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = d.MaxMessageBytes
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = d.ShutdownTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = d.Logger
	}
	if cfg.DefaultTLP == "" {
		cfg.DefaultTLP = access.TLPAmber
	}
	switch cfg.DefaultTLP {
	case access.TLPClear, access.TLPGreen, access.TLPAmber, access.TLPAmberStrict, access.TLPRed:
	default:
		return nil, fmt.Errorf("default TLP %q: want clear, green, amber, amber+strict or red", cfg.DefaultTLP)
	}
	h := &Hub{cfg: cfg, log: logWithRequestIDs(cfg.Logger), types: extdef.NewTypes(), serveErr: make(chan error, 1)}
	h.metrics = h.newMetrics()
	defer func() {
		if err != nil {
			h.closeParts()
		}
	}()

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if h.lock, err = lockDir(filepath.Join(cfg.DataDir, lockFile)); err != nil {
		return nil, err
	}
	tlsConf, err := h.setupTLS()
	if err != nil {
		return nil, err
	}
	if err := h.setupMemberTLS(tlsConf); err != nil {
		return nil, err
	}
	if err := h.setupLimits(); err != nil {
		return nil, err
	}
	if cfg.NATSURL == "" {
		h.broker, err = broker.StartEmbedded(ctx, broker.EmbeddedConfig{
			StoreDir:   filepath.Join(cfg.DataDir, natsDir),
			Listen:     cfg.NATSListen,
			SyncAlways: cfg.SyncAlways,
			Logger:     h.log,
		})
	} else {
		var opts []nats.Option
		if opts, err = cfg.NATS.natsOptions(h.log); err != nil {
			return nil, err
		}
		h.broker, err = broker.Connect(ctx, cfg.NATSURL, opts...)
	}
	if err != nil {
		return nil, err
	}
	if err := h.openKeys(ctx); err != nil {
		return nil, err
	}
	tokenPath := filepath.Join(cfg.DataDir, operatorTokenFile)
	opToken, err := loadOrCreateToken(tokenPath)
	if err != nil {
		return nil, err
	}
	if err := h.registry.EnsureOperatorToken(ctx, opToken); err != nil {
		return nil, fmt.Errorf("register operator token: %w", err)
	}
	exclusive := cfg.NATSURL == "" && cfg.NATSListen == "" // nobody else can reach the stream
	storeCfg := store.Config{Replicas: cfg.Replicas, Exclusive: exclusive, SubscribeJS: h.broker.SubJS, Signer: h.hubKey, Logger: h.log}
	if exclusive {
		// The only writer: what it stores is all there is to read.
		storeCfg.OnStored = func(m []store.Stored) { h.feed.Append(m) }
	}
	if h.store, err = store.Open(ctx, h.broker.JS, storeCfg); err != nil {
		return nil, err
	}
	last, err := h.store.LastCursor(ctx)
	if err != nil {
		return nil, err
	}
	h.feed = fanout.New(h.store, last, fanout.Config{Capacity: cfg.FeedCapacity, Logger: h.log})
	if !exclusive {
		h.feed.Follow()
	}
	if err := h.startScreen(ctx); err != nil {
		return nil, fmt.Errorf("screening index: %w", err)
	}
	h.access = &access.Decider{Groups: h.registry, Refs: h.store}
	if err := h.serve(tlsConf); err != nil {
		return nil, err
	}
	if err := h.startTAXII(ctx, tlsConf); err != nil {
		h.grpc.Stop()
		return nil, err
	}
	if err := h.serveMetrics(); err != nil {
		h.grpc.Stop()
		return nil, err
	}
	var watchCtx context.Context
	watchCtx, h.stopWatches = context.WithCancel(context.Background())
	go h.watchKeyHealth(watchCtx)
	h.log.Info("stixhub listening",
		"grpc", h.listener.Addr().String(),
		"data_dir", cfg.DataDir,
		"ca_file", h.caFile,
		"operator_token_file", tokenPath,
		"hub_key_id", h.hubKey.KeyID(),
		"keys", h.keysDescription(),
		"nats", h.natsDescription())
	return h, nil
}

func (h *Hub) natsDescription() string {
	if h.cfg.NATSURL != "" {
		return h.cfg.NATSURL
	}
	if u := h.broker.ClientURL(); u != "" {
		return "embedded, listening on " + u
	}
	return "embedded, in-process only"
}

// setupTLS returns the server TLS config, issuing certificates on first start.
func (h *Hub) setupTLS() (*tls.Config, error) {
	certFile, keyFile := h.cfg.TLSCertFile, h.cfg.TLSKeyFile
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	if certFile == "" {
		m, err := pki.Ensure(filepath.Join(h.cfg.DataDir, tlsDir), h.cfg.TLSSANs)
		if err != nil {
			return nil, fmt.Errorf("TLS material: %w", err)
		}
		if m.CreatedCA {
			h.log.Info("created TLS CA", "ca_file", m.CAFile)
		}
		if m.Reissued {
			h.log.Info("issued server certificate", "cert_file", m.CertFile, "extra_names", h.cfg.TLSSANs)
		}
		certFile, keyFile, h.caFile = m.CertFile, m.KeyFile, m.CAFile
	}
	conf, err := pki.ServerTLS(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS: %w", err)
	}
	return conf, nil
}

func (h *Hub) serve(tlsConf *tls.Config) error {
	lis, err := net.Listen("tcp", h.cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", h.cfg.GRPCAddr, err)
	}
	h.listener = lis
	h.streamsCtx, h.cancelStreams = context.WithCancel(context.Background())
	pol := auth.Policy{
		Methods: map[string]auth.Rule{
			stixhubv1.HubService_Publish_FullMethodName:   auth.PublisherOnly,
			stixhubv1.HubService_Subscribe_FullMethodName: auth.SubscriberOnly,
			stixhubv1.HubService_GetKeySet_FullMethodName: auth.MemberOnly,
			stixhubv1.HubService_Lookup_FullMethodName:    auth.SubscriberOnly,
		},
		Prefixes: map[string]auth.Rule{
			"/stixhub.v1.AdminService/":                  auth.OperatorOnly,
			"/grpc.health.v1.Health/":                    auth.Public,
			"/grpc.reflection.v1.ServerReflection/":      auth.Public,
			"/grpc.reflection.v1alpha.ServerReflection/": auth.Public,
		},
	}
	h.grpc = grpc.NewServer(
		grpc.Creds(credentials.NewTLS(tlsConf)),
		grpc.ForceServerCodecV2(newCodec()),
		grpc.MaxRecvMsgSize(h.cfg.MaxMessageBytes),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		// Order: request id -> logging -> metrics -> auth -> rate limits ->
		// recovery (recovery closest to the handler).
		grpc.ChainUnaryInterceptor(requestIDUnary, logUnary(h.log), metricsUnary(h.metrics), auth.UnaryInterceptor(h.registry, pol), h.limitUnary(), recoverUnary(h.log)),
		grpc.ChainStreamInterceptor(requestIDStream, logStream(h.log), metricsStream(h.metrics), auth.StreamInterceptor(h.registry, pol), h.limitStream(), recoverStream(h.log)),
	)
	stixhubv1.RegisterHubServiceServer(h.grpc, &hubService{hub: h})
	stixhubv1.RegisterAdminServiceServer(h.grpc, &adminService{hub: h})
	h.health = health.NewServer()
	healthpb.RegisterHealthServer(h.grpc, h.health)
	reflection.Register(h.grpc)
	h.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	h.health.SetServingStatus(stixhubv1.HubService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	go func() { h.serveErr <- h.grpc.Serve(lis) }()
	return nil
}

// Addr returns the gRPC listen address.
func (h *Hub) Addr() net.Addr { return h.listener.Addr() }

// CAFile returns the CA bundle clients should trust, or "" when the operator
// supplied the server certificate.
func (h *Hub) CAFile() string { return h.caFile }

// OperatorTokenFile returns the path of the operator token.
func (h *Hub) OperatorTokenFile() string {
	return filepath.Join(h.cfg.DataDir, operatorTokenFile)
}

// Wait blocks until the gRPC server stops serving and returns why.
func (h *Hub) Wait() error { return <-h.serveErr }

// Shutdown stops the hub gracefully: it stops accepting calls, ends
// subscriptions (clients resume from their cursors elsewhere or after a
// restart), lets in-flight publishes finish, drains the appender, and closes
// NATS. After ShutdownTimeout it stops hard.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, h.cfg.ShutdownTimeout)
		defer cancel()
		h.health.Shutdown()
		h.cancelStreams()
		stopped := make(chan struct{})
		go func() {
			h.grpc.GracefulStop()
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-ctx.Done():
			h.log.Warn("graceful stop timed out; closing remaining calls")
			h.grpc.Stop()
			<-stopped
		}
		h.closeParts()
		h.log.Info("stixhub stopped")
	})
	return nil
}

// closeParts closes whatever Start opened, in reverse order.
func (h *Hub) closeParts() {
	h.closeMetrics()
	if h.stopWatches != nil {
		h.stopWatches()
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	h.stopTAXII(stopCtx)
	cancel()
	h.stopScreen()
	if h.feed != nil {
		h.feed.Close()
	}
	if h.store != nil {
		_ = h.store.Close()
	}
	if h.registry != nil {
		_ = h.registry.Close()
	}
	if h.broker != nil {
		h.broker.Close()
	}
	if h.lock != nil {
		_ = h.lock.Close()
	}
}
