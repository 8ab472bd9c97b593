// Package client is the Go library stixhub members use to publish signed STIX
// 2.1 objects to a hub, subscribe to the objects other members share, verify
// them offline, and (with the operator token) administer members and keys.
//
//	signer, _ := client.LoadKeyFile("bank-a.key")
//	c, _ := client.New(ctx, "hub.example:7700",
//		client.WithCAFile("ca.pem"), client.WithTokenFile("bank-a.token"), client.WithSigner(signer))
//	results, _ := c.Publish(ctx, indicatorJSON)
//
// Every connection uses TLS; tokens travel as gRPC bearer credentials.
package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/stixhub/stixhub/internal/pki"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Signer signs the canonical form of objects for Publish. LoadKeyFile returns
// one backed by an Ed25519 key file.
type Signer interface {
	// KeyID is the id of the signing key (see the hub's key id derivation).
	KeyID() string
	// Sign returns an Ed25519 signature of msg.
	Sign(ctx context.Context, msg []byte) ([]byte, error)
}

// Client is a connection to a hub. It is safe for concurrent use.
type Client struct {
	conn   *grpc.ClientConn
	hub    stixhubv1.HubServiceClient
	admin  stixhubv1.AdminServiceClient
	signer Signer
}

type options struct {
	tlsConfig  *tls.Config
	caFile     string
	serverName string
	token      string
	tokenFile  string
	signer     Signer
	dialOpts   []grpc.DialOption
	certFile   string
	keyFile    string
}

// Option configures New.
type Option func(*options)

// WithCAFile trusts the CA certificates in a PEM file (for a hub that issued
// its own certificate, its data directory's tls/ca.pem).
func WithCAFile(path string) Option { return func(o *options) { o.caFile = path } }

// WithServerName sets the name expected in the hub's certificate, when it
// differs from the host in the address.
func WithServerName(name string) Option { return func(o *options) { o.serverName = name } }

// WithTLSConfig uses a caller-built TLS configuration; it overrides
// WithCAFile.
func WithTLSConfig(c *tls.Config) Option { return func(o *options) { o.tlsConfig = c } }

// WithClientCertificate authenticates as the member a client certificate
// names (PEM files; see `stixhub admin member add --cert-out`). No token is
// needed then; when one is given too, the hub goes by the token.
func WithClientCertificate(certFile, keyFile string) Option {
	return func(o *options) { o.certFile, o.keyFile = certFile, keyFile }
}

// WithToken authenticates with a member (or operator) token.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithTokenFile reads the token from a file.
func WithTokenFile(path string) Option { return func(o *options) { o.tokenFile = path } }

// WithSigner sets the key Publish signs with.
func WithSigner(s Signer) Option { return func(o *options) { o.signer = s } }

// WithDialOptions adds gRPC dial options.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dialOpts = append(o.dialOpts, opts...) }
}

// New connects to the hub at addr ("host:port"; for a clustered hub, its
// nodes comma-separated, "a:7700,b:7700": the client then fails over
// between them). Without WithCAFile or
// WithTLSConfig the system roots are trusted. The connection is made lazily:
// New does not fail when the hub is down, the first call does.
func New(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	target, targetOpts, err := dialTarget(addr)
	if err != nil {
		return nil, err
	}
	tlsConf := o.tlsConfig
	if tlsConf == nil {
		if o.caFile != "" {
			c, err := pki.ClientTLS(o.caFile, o.serverName)
			if err != nil {
				return nil, err
			}
			tlsConf = c
		} else {
			tlsConf = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.serverName}
		}
	}
	if o.certFile != "" || o.keyFile != "" {
		if o.certFile == "" || o.keyFile == "" {
			return nil, errors.New("a client certificate needs both its certificate and its key file")
		}
		pair, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		tlsConf = tlsConf.Clone()
		tlsConf.Certificates = []tls.Certificate{pair}
	}
	token := o.token
	if o.tokenFile != "" {
		b, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("read token: %w", err)
		}
		token = strings.TrimSpace(string(b))
		if token == "" {
			return nil, fmt.Errorf("token file %s is empty", o.tokenFile)
		}
	}
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(credentials.NewTLS(tlsConf)),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64 << 20)),
	}
	if token != "" {
		dial = append(dial, grpc.WithPerRPCCredentials(bearer(token)))
	}
	dial = append(dial, targetOpts...)
	dial = append(dial, o.dialOpts...)
	conn, err := grpc.NewClient(target, dial...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	return &Client{
		conn:   conn,
		hub:    stixhubv1.NewHubServiceClient(conn),
		admin:  stixhubv1.NewAdminServiceClient(conn),
		signer: o.signer,
	}, nil
}

// Ping checks that the hub is reachable and serving, using the gRPC health
// service (which needs no token).
func (c *Client) Ping(ctx context.Context) error {
	resp, err := healthpb.NewHealthClient(c.conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("hub is %s", resp.GetStatus())
	}
	return nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// bearer sends a token as "authorization: Bearer <token>" on every call.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return true }
