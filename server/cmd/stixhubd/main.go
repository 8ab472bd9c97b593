// Command stixhubd runs a stixhub hub.
//
// With no options it runs a single-node hub: an embedded NATS server with
// JetStream in --data-dir, TLS material and an operator token created there
// on first start, and the gRPC API on 127.0.0.1:7700.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/stixhub/stixhub/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "stixhubd:", err)
		os.Exit(1)
	}
}

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func run(args []string) error {
	fs := flag.NewFlagSet("stixhubd", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: stixhubd [flags]\n\nRuns a stixhub hub. Flags:\n\n")
		fs.PrintDefaults()
	}
	d := server.DefaultConfig("stixhub-data")
	cfg := d
	var sans listFlag
	var logLevel, logFormat string
	var startTimeout time.Duration
	fs.StringVar(&cfg.DataDir, "data-dir", d.DataDir, "directory for JetStream data, TLS material, operator token and hub key (created 0700)")
	fs.StringVar(&cfg.GRPCAddr, "grpc-addr", d.GRPCAddr, "gRPC listen address")
	fs.StringVar(&cfg.TAXIIAddr, "taxii-addr", d.TAXIIAddr, "TAXII 2.1 (HTTPS) listen address; empty or \"off\" turns TAXII off")
	fs.StringVar(&cfg.TLSCertFile, "tls-cert", "", "server certificate (PEM); default: issued by the hub's own CA in <data-dir>/tls")
	fs.StringVar(&cfg.TLSKeyFile, "tls-key", "", "server private key (PEM) for --tls-cert")
	fs.Var(&sans, "tls-san", "extra DNS name or IP for the self-issued server certificate (repeatable, comma-separated)")
	fs.StringVar(&cfg.NATSURL, "nats-url", "", "external NATS cluster URLs (comma-separated); default: embedded NATS")
	fs.StringVar(&cfg.NATS.User, "nats-user", "", "user name on the external NATS cluster")
	fs.StringVar(&cfg.NATS.PasswordFile, "nats-password-file", "", "file holding the --nats-user password")
	fs.StringVar(&cfg.NATS.CredsFile, "nats-creds", "", "NATS credentials file (JWT + NKey seed) instead of --nats-user")
	fs.StringVar(&cfg.NATS.CAFile, "nats-ca-file", "", "CA bundle (PEM) for tls:// NATS URLs signed by a private CA")
	fs.StringVar(&cfg.NATS.CertFile, "nats-cert", "", "client certificate (PEM) for NATS mutual TLS")
	fs.StringVar(&cfg.NATS.KeyFile, "nats-key", "", "client key (PEM) for --nats-cert")
	fs.StringVar(&cfg.NATSListen, "nats-listen", "", "let other NATS clients reach the embedded server on this address (default: in-process only)")
	fs.BoolVar(&cfg.SyncAlways, "sync-always", false, "fsync every JetStream write before acknowledging (slower; survives power loss)")
	fs.IntVar(&cfg.Replicas, "replicas", d.Replicas, "JetStream replicas for the stream and registry (3 on a cluster)")
	fs.IntVar(&cfg.MaxBatch, "max-batch", d.MaxBatch, "most objects per Publish call")
	fs.IntVar(&cfg.FeedCapacity, "feed-capacity", d.FeedCapacity, "newest stream messages each node holds in memory for subscriptions and indexes (about 2 KB each); readers further behind replay the stream")
	fs.IntVar(&cfg.MaxObjectBytes, "max-object-bytes", d.MaxObjectBytes, "largest STIX object accepted, in bytes")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "serve Prometheus /metrics, /healthz and /readyz over HTTP on this address, e.g. 127.0.0.1:7702 (default: off)")
	fs.BoolVar(&cfg.Pprof, "pprof", false, "also serve Go runtime profiles at /debug/pprof/ on --metrics-addr (keep that address private)")
	fs.DurationVar(&startTimeout, "start-timeout", 2*time.Minute, "with --nats-url: how long to wait at start for the NATS cluster to be reachable and serve JetStream")
	fs.IntVar(&cfg.MaxMessageBytes, "max-message-bytes", d.MaxMessageBytes, "largest gRPC request, in bytes")
	fs.IntVar(&cfg.TAXIIMaxContentLength, "taxii-max-content-length", d.TAXIIMaxContentLength, "largest TAXII request body, in bytes")
	fs.StringVar(&cfg.ClientCAFile, "client-ca", "", "extra CA bundle (PEM) whose client certificates identify members (besides <data-dir>/tls/ca.pem)")
	fs.Float64Var(&cfg.Limits.Requests.PerSecond, "rate-requests", d.Limits.Requests.PerSecond, "requests per second per member (gRPC calls and TAXII requests; 0: no limit)")
	fs.IntVar(&cfg.Limits.Requests.Burst, "rate-requests-burst", d.Limits.Requests.Burst, "requests a member may make at once before --rate-requests applies")
	fs.Float64Var(&cfg.Limits.Objects.PerSecond, "rate-objects", d.Limits.Objects.PerSecond, "published objects per second per member (0: no limit)")
	fs.IntVar(&cfg.Limits.Objects.Burst, "rate-objects-burst", d.Limits.Objects.Burst, "objects a member may publish at once before --rate-objects applies (at least --max-batch)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", d.ShutdownTimeout, "how long a graceful shutdown may take")
	fs.StringVar(&cfg.DefaultTLP, "default-tlp", "amber", "TLP for objects published without one: clear, green, amber (to the publisher's groups), amber+strict or red")
	fs.StringVar(&cfg.Registry, "registry", server.RegistryNATS, "where member records live: nats (JetStream KV) or vault (Vault KV v2)")
	fs.StringVar(&cfg.Vault.Addr, "vault-addr", "", "Vault address (default $VAULT_ADDR); the token comes from $VAULT_TOKEN or AppRole files")
	fs.StringVar(&cfg.Vault.RoleIDFile, "vault-role-id-file", "", "log in to Vault with AppRole: file holding the role id")
	fs.StringVar(&cfg.Vault.SecretIDFile, "vault-secret-id-file", "", "file holding the AppRole secret id (with --vault-role-id-file)")
	fs.StringVar(&cfg.Vault.TransitKey, "vault-transit-key", "", "sign receipts with this ed25519 key of Vault Transit (default: <data-dir>/hub.key)")
	fs.StringVar(&cfg.Vault.TransitMount, "vault-transit-mount", "transit", "Vault Transit mount")
	fs.StringVar(&cfg.Vault.KVMount, "vault-kv-mount", "secret", "Vault KV v2 mount for --registry vault")
	fs.StringVar(&cfg.Vault.KVPath, "vault-kv-path", "stixhub/registry", "registry folder in the KV mount for --registry vault")
	fs.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	cfg.TLSSANs = sans
	if (cfg.Vault.RoleIDFile == "") != (cfg.Vault.SecretIDFile == "") {
		return errors.New("--vault-role-id-file and --vault-secret-id-file go together")
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	switch logFormat {
	case "text":
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, hopts))
	case "json":
		cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, hopts))
	default:
		return fmt.Errorf("--log-format: want text or json, got %q", logFormat)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hub, err := server.StartRetrying(ctx, cfg, startTimeout)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		cfg.Logger.Info("shutting down", "signal", context.Cause(ctx))
	case err := <-waitErr(hub):
		cfg.Logger.Error("gRPC server stopped", "err", err)
	}
	return hub.Shutdown(context.Background())
}

func waitErr(h *server.Hub) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- h.Wait() }()
	return ch
}
