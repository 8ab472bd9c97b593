// Package broker connects the hub to NATS: either a NATS server embedded in
// the hub process, with JetStream storing in the hub's data directory, or an
// external NATS cluster. Both give the same JetStream handle, so the rest of
// the hub runs the same code in both deployment shapes.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Broker is a live NATS connection with JetStream, and the embedded server
// when there is one.
type Broker struct {
	// Server is the embedded server, nil for an external cluster.
	Server *server.Server
	// Conn is the hub's NATS connection.
	Conn *nats.Conn
	// JS is the JetStream API on Conn.
	JS jetstream.JetStream
	// SubConn and SubJS are a second connection for subscriptions, so that
	// fan-out traffic never delays the writes on Conn.
	SubConn *nats.Conn
	SubJS   jetstream.JetStream
}

// EmbeddedConfig configures an embedded NATS server.
type EmbeddedConfig struct {
	// StoreDir is where JetStream keeps its files. Required.
	StoreDir string
	// Listen is a host:port for NATS clients, such as "127.0.0.1:4222".
	// Empty means no network listener: only the hub, in process, can
	// connect. That is the secure default for a single-node hub.
	Listen string
	// SyncAlways makes JetStream fsync every write before acknowledging it.
	// Off by default: an acknowledged object then survives a hub crash but
	// not a power loss within the sync interval (2 minutes). On a cluster,
	// replication gives that protection instead.
	SyncAlways bool
	// Logger receives the server's notices and errors. Default slog.Default().
	Logger *slog.Logger
}

// StartEmbedded starts a NATS server with JetStream in process and connects
// to it without a network hop.
func StartEmbedded(ctx context.Context, cfg EmbeddedConfig) (*Broker, error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("embedded NATS: store directory required")
	}
	opts := &server.Options{
		ServerName:         "stixhub-embedded",
		JetStream:          true,
		StoreDir:           cfg.StoreDir,
		NoSigs:             true,
		DontListen:         cfg.Listen == "",
		SyncAlways:         cfg.SyncAlways,
		JetStreamMaxMemory: 256 << 20,
	}
	if cfg.Listen != "" {
		host, port, err := splitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("embedded NATS listen address: %w", err)
		}
		opts.Host, opts.Port = host, port
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	ns.SetLoggerV2(&natsLogger{l: logger.With("component", "nats")}, false, false, false)
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded NATS did not become ready within 30s")
	}
	b, err := newBroker(ns, func(name string) (*nats.Conn, error) {
		return nats.Connect("", nats.InProcessServer(ns), nats.Name(name), nats.MaxReconnects(-1))
	})
	if err != nil {
		ns.Shutdown()
		return nil, fmt.Errorf("connect to embedded NATS: %w", err)
	}
	return b, nil
}

// Connect connects to an external NATS server or cluster. urls is a
// comma-separated list of server URLs.
func Connect(ctx context.Context, urls string, opts ...nats.Option) (*Broker, error) {
	b, err := newBroker(nil, func(name string) (*nats.Conn, error) {
		return nats.Connect(urls, append([]nats.Option{nats.Name(name), nats.MaxReconnects(-1)}, opts...)...)
	})
	if err != nil {
		return nil, fmt.Errorf("connect to NATS %s: %w", urls, err)
	}
	return b, nil
}

// newBroker opens the two connections: one for writes and the registry, one
// for subscriptions.
func newBroker(ns *server.Server, connect func(name string) (*nats.Conn, error)) (*Broker, error) {
	b := &Broker{Server: ns}
	var err error
	if b.Conn, err = connect("stixhubd"); err != nil {
		return nil, err
	}
	if b.SubConn, err = connect("stixhubd-subscriptions"); err != nil {
		b.Conn.Close()
		return nil, err
	}
	// Acknowledgements lost with a NATS node must not stay pending forever
	// (they count against the 4096): time them out like the store does.
	if b.JS, err = jetstream.New(b.Conn, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(10*time.Second)); err == nil {
		b.SubJS, err = jetstream.New(b.SubConn)
	}
	if err != nil {
		b.Conn.Close()
		b.SubConn.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return b, nil
}

// Close flushes and closes the connection, then shuts the embedded server
// down and waits for it to stop.
func (b *Broker) Close() {
	if b.SubConn != nil {
		b.SubConn.Close()
	}
	if b.Conn != nil {
		_ = b.Conn.FlushTimeout(5 * time.Second)
		b.Conn.Close()
	}
	if b.Server != nil {
		b.Server.Shutdown()
		b.Server.WaitForShutdown()
	}
}

// ClientURL returns the URL other NATS clients use to reach the embedded
// server, or "" when it has no listener or is external.
func (b *Broker) ClientURL() string {
	if b.Server == nil || b.Server.Addr() == nil {
		return ""
	}
	return b.Server.ClientURL()
}

func splitHostPort(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	var port int
	if _, err := fmt.Sscanf(portStr, "%d", &port); err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port in %q", addr)
	}
	return host, port, nil
}

// natsLogger adapts the NATS server logger to slog. Debug and trace output is
// dropped; notices are Debug, because the hub logs what operators need itself.
type natsLogger struct{ l *slog.Logger }

func (n *natsLogger) Noticef(format string, v ...any) { n.l.Debug(fmt.Sprintf(format, v...)) }
func (n *natsLogger) Warnf(format string, v ...any)   { n.l.Warn(fmt.Sprintf(format, v...)) }
func (n *natsLogger) Fatalf(format string, v ...any)  { n.l.Error(fmt.Sprintf(format, v...)) }
func (n *natsLogger) Errorf(format string, v ...any)  { n.l.Error(fmt.Sprintf(format, v...)) }
func (n *natsLogger) Debugf(string, ...any)           {}
func (n *natsLogger) Tracef(string, ...any)           {}
