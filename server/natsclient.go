package server

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
)

// NATSClientConfig says how a hub logs in to an external NATS cluster
// (Config.NATSURL). Every field is optional: a cluster without
// authentication needs none of them. deploy/nats/ gives the hub the user
// "stixhub" in its own account, with a password.
type NATSClientConfig struct {
	// User and PasswordFile log in with a user name and the password held in
	// a file (first line), so the password never appears in a process list.
	User, PasswordFile string
	// CredsFile logs in with a NATS credentials file (JWT and NKey seed), for
	// clusters run in operator mode. Exclusive with User.
	CredsFile string
	// CAFile is the CA bundle (PEM) that signed the NATS servers'
	// certificates, for tls:// URLs with a private CA.
	CAFile string
	// CertFile and KeyFile are a client certificate, for clusters that
	// verify clients (mutual TLS).
	CertFile, KeyFile string
}

// natsOptions turns the configuration into nats.go options, and logs the
// connection's disconnects and reconnects: on a cluster they are the first
// sign of a lost node.
func (c NATSClientConfig) natsOptions(log *slog.Logger) ([]nats.Option, error) {
	var opts []nats.Option
	switch {
	case c.User != "" && c.CredsFile != "":
		return nil, errors.New("NATS: a user and a credentials file exclude each other")
	case c.User != "":
		pass := ""
		if c.PasswordFile != "" {
			b, err := os.ReadFile(c.PasswordFile)
			if err != nil {
				return nil, fmt.Errorf("NATS password: %w", err)
			}
			pass, _, _ = strings.Cut(string(b), "\n")
			if pass = strings.TrimSpace(pass); pass == "" {
				return nil, fmt.Errorf("NATS password file %s is empty", c.PasswordFile)
			}
		}
		opts = append(opts, nats.UserInfo(c.User, pass))
	case c.PasswordFile != "":
		return nil, errors.New("NATS: a password file needs a user")
	case c.CredsFile != "":
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	}
	if c.CAFile != "" {
		opts = append(opts, nats.RootCAs(c.CAFile))
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, errors.New("NATS: client certificate and key go together")
	}
	if c.CertFile != "" {
		opts = append(opts, nats.ClientCert(c.CertFile, c.KeyFile))
	}
	log = log.With("component", "nats")
	opts = append(opts,
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if nc.IsClosed() {
				return // the hub closed it
			}
			log.Warn("disconnected from NATS; reconnecting", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("reconnected to NATS", "server", nc.ConnectedUrlRedacted())
		}),
	)
	return opts, nil
}
