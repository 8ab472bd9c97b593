package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/client"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Defaults used when neither a flag nor its environment variable is set.
const (
	defaultHub     = "127.0.0.1:7700"
	defaultDataDir = "stixhub-data"
)

// conn holds the connection flags shared by every command.
type conn struct {
	hub       string
	caFile    string
	tokenFile string
	certFile  string // client certificate (mTLS), instead of a token
	keyFile   string
}

func newRootCmd() *cobra.Command {
	c := &conn{}
	root := &cobra.Command{
		Use:   "stixhub",
		Short: "Publish, subscribe to and verify signed STIX 2.1 intelligence on a stixhub hub",
		Long: `stixhub is the command line for stixhub members and operators.

Members publish STIX 2.1 objects signed with their own Ed25519 key, subscribe
to the live feed of every member's objects, and verify saved feeds offline.
Operators admit members and manage their keys.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&c.hub, "hub", envOr("STIXHUB_HUB", defaultHub), "hub gRPC address host:port; the nodes of a clustered hub comma-separated, to fail over between them (env STIXHUB_HUB)")
	pf.StringVar(&c.caFile, "ca-file", os.Getenv("STIXHUB_CA_FILE"), "CA bundle (PEM) that signed the hub certificate (env STIXHUB_CA_FILE; default "+filepath.Join(defaultDataDir, "tls", "ca.pem")+" if present)")
	pf.StringVar(&c.tokenFile, "token-file", os.Getenv("STIXHUB_TOKEN_FILE"), "file holding your member or operator token (env STIXHUB_TOKEN_FILE)")
	pf.StringVar(&c.certFile, "cert", os.Getenv("STIXHUB_CERT"), "member client certificate (PEM) to authenticate with instead of a token (env STIXHUB_CERT)")
	pf.StringVar(&c.keyFile, "cert-key", os.Getenv("STIXHUB_CERT_KEY"), "private key (PEM) of --cert (env STIXHUB_CERT_KEY)")
	root.AddCommand(
		newKeygenCmd(),
		newPublishCmd(c),
		newSubscribeCmd(c),
		newLookupCmd(c),
		newWatchCmd(c),
		newVerifyCmd(),
		newValidateCmd(),
		newKeysCmd(c),
		newAdminCmd(c),
		newBenchCmd(c),
	)
	return root
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// exists reports whether path is a readable regular file.
func exists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// dial connects with the shared flags. operator selects the local operator
// token as the default token.
func (c *conn) dial(ctx context.Context, operator bool, opts ...client.Option) (*client.Client, error) {
	if caFile := c.caFileInUse(); caFile != "" {
		opts = append(opts, client.WithCAFile(caFile))
	}
	if c.certFile != "" || c.keyFile != "" {
		if c.certFile == "" || c.keyFile == "" {
			return nil, errors.New("--cert and --cert-key go together")
		}
		opts = append(opts, client.WithClientCertificate(c.certFile, c.keyFile))
		if c.tokenFile == "" {
			return client.New(ctx, c.hub, opts...) // the certificate names the member
		}
	}
	tokenFile := c.tokenFile
	if tokenFile == "" && operator {
		if p := filepath.Join(defaultDataDir, "operator.token"); exists(p) {
			tokenFile = p
		}
	}
	if tokenFile == "" {
		if operator {
			return nil, errors.New("no token: pass --token-file with the operator token (or set STIXHUB_TOKEN_FILE)")
		}
		return nil, errors.New("no token: pass --token-file with your member token (or set STIXHUB_TOKEN_FILE)")
	}
	opts = append(opts, client.WithTokenFile(tokenFile))
	return client.New(ctx, c.hub, opts...)
}

// caFileInUse is the CA bundle dial trusts: --ca-file, else the local hub's.
func (c *conn) caFileInUse() string {
	if c.caFile != "" {
		return c.caFile
	}
	if p := filepath.Join(defaultDataDir, "tls", "ca.pem"); exists(p) {
		return p
	}
	return ""
}

// tokenOpts are the options to dial the hub as the member with token,
// trusting the CA bundle dial trusts (benchmarks dial their own member).
func (c *conn) tokenOpts(token string) []client.Option {
	opts := []client.Option{client.WithToken(token)}
	if caFile := c.caFileInUse(); caFile != "" {
		opts = append(opts, client.WithCAFile(caFile))
	}
	return opts
}

// with dials with the shared flags, runs fn with the connection and closes it.
func (c *conn) with(cmd *cobra.Command, operator bool, fn func(ctx context.Context, cl *client.Client) error, opts ...client.Option) error {
	ctx := cmd.Context()
	cl, err := c.dial(ctx, operator, opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	return fn(ctx, cl)
}

// writeKeySet prints a key set as the JSON `stixhub verify --keys` reads.
func writeKeySet(w io.Writer, ks *client.KeySet) error {
	b, err := client.MarshalKeySet(ks)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// describe renders an error for people: gRPC statuses as code, message and
// field violations.
func describe(err error) string {
	st, ok := status.FromError(err)
	if !ok {
		return err.Error()
	}
	msg := fmt.Sprintf("%s: %s", st.Code(), st.Message())
	if st.Code() == codes.Unavailable && strings.Contains(st.Message(), "connection") {
		msg += " (is the hub running, and are --hub and --ca-file right?)"
	}
	if st.Code() == codes.ResourceExhausted && strings.Contains(st.Message(), "rate limit") {
		msg += " (the hub's operator sets these limits: stixhubd -rate-requests and -rate-objects)"
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				msg += fmt.Sprintf("\n  %s: %s", v.GetField(), v.GetDescription())
			}
		}
	}
	return msg
}

// objectErrorText renders a per-object error on one line.
func objectErrorText(e *stixhubv1.ObjectError) string {
	var b strings.Builder
	b.WriteString(codes.Code(e.GetCode()).String())
	b.WriteString(": ")
	b.WriteString(e.GetMessage())
	var fields []string
	for _, v := range e.GetFieldViolations() {
		if v.GetField() == "" {
			fields = append(fields, v.GetDescription())
		} else {
			fields = append(fields, v.GetField()+": "+v.GetDescription())
		}
	}
	if len(fields) > 0 && !(len(fields) == 1 && strings.Contains(e.GetMessage(), fields[0])) {
		b.WriteString(" [")
		b.WriteString(strings.Join(fields, "; "))
		b.WriteString("]")
	}
	return b.String()
}

// createSecretFile creates a new file readable only by its owner, refusing to
// replace an existing one.
func createSecretFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%s already exists; not overwriting it", path)
	}
	return f, err
}
