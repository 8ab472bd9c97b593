package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
)

// Files --cert-out writes.
const (
	certOutCert = "member.pem"
	certOutKey  = "member-key.pem"
	certOutCA   = "ca.pem"
)

// certOut prepares a --cert-out directory: it makes the member's private
// key and certificate request locally (the key never leaves this machine)
// and, once the hub signed the request, writes the files.
type certOut struct {
	dir    string
	keyPEM []byte
	csr    []byte // nil when the member sent its own request (--csr)
}

// prepareCertOut checks dir (created 0700 if missing; existing member files
// are never replaced) and makes a key and request, or reads csrFile.
func prepareCertOut(dir, csrFile string) (*certOut, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("--cert-out: %w", err)
	}
	for _, name := range []string{certOutCert, certOutKey} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return nil, fmt.Errorf("%s already exists; not overwriting it", filepath.Join(dir, name))
		}
	}
	o := &certOut{dir: dir}
	var err error
	if csrFile != "" {
		if o.csr, err = os.ReadFile(csrFile); err != nil {
			return nil, fmt.Errorf("--csr: %w", err)
		}
		return o, nil
	}
	o.keyPEM, o.csr, err = client.NewClientKey()
	return o, err
}

// issue has the hub sign the request and writes member.pem, ca.pem and (for
// a key made here) member-key.pem (0600). caFile is what this command
// trusts the hub with, written as ca.pem when the hub does not return its
// server CA (a hub whose server certificate comes from another CA).
func (o *certOut) issue(ctx context.Context, cl *client.Client, memberID string, validity time.Duration, caFile string, stderr io.Writer) error {
	mc, err := cl.Admin().IssueCertificate(ctx, memberID, o.csr, validity)
	if err != nil {
		return err
	}
	if o.keyPEM != nil {
		f, err := createSecretFile(filepath.Join(o.dir, certOutKey))
		if err != nil {
			return err
		}
		_, err = f.Write(o.keyPEM)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(o.dir, certOutCert), mc.GetCertificatePem(), 0o644); err != nil {
		return err
	}
	ca := mc.GetServerCaPem()
	if len(ca) == 0 && caFile != "" {
		if ca, err = os.ReadFile(caFile); err != nil {
			return err
		}
	}
	if len(ca) > 0 {
		if err := os.WriteFile(filepath.Join(o.dir, certOutCA), ca, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "client certificate %s for %s, valid until %s, written to %s\n",
		mc.GetSerial(), memberID, ts(mc.GetNotAfter()), o.dir)
	return nil
}

func newMemberCertCmd(c *conn) *cobra.Command {
	var memberID, dir, csrFile string
	var validity time.Duration
	cmd := &cobra.Command{
		Use:   "cert --member MEMBER-ID --cert-out DIR [--csr FILE]",
		Short: "Issue a client certificate (mTLS) for a member",
		Long: `cert has the hub sign a client certificate that authenticates the member on
gRPC and TAXII without a token. It writes DIR/member.pem, DIR/ca.pem (what the
member trusts the hub with) and, unless --csr names the member's own request,
DIR/member-key.pem (mode 0600), a key made on this machine: private keys never
travel to the hub.

With --csr the member makes its key and request itself, for example
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout member-key.pem -out member.csr -subj /CN=member`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if memberID == "" || dir == "" {
				return errors.New("--member and --cert-out are required")
			}
			out, err := prepareCertOut(dir, csrFile)
			if err != nil {
				return err
			}
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				return out.issue(ctx, cl, memberID, validity, c.caFileInUse(), cmd.ErrOrStderr())
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&memberID, "member", "", "member id")
	f.StringVar(&dir, "cert-out", "", "directory for member.pem, member-key.pem and ca.pem (created 0700)")
	f.StringVar(&csrFile, "csr", "", "the member's own certificate signing request (PEM or DER) instead of a key made here")
	f.DurationVar(&validity, "validity", 0, "how long the certificate is valid (default 8760h, at most 19800h)")
	return cmd
}

func newMemberRolesCmd(c *conn) *cobra.Command {
	var memberID, roles string
	cmd := &cobra.Command{
		Use:   "roles --member MEMBER-ID --roles publisher,subscriber,operator",
		Short: "Set a member's roles",
		Long: `roles replaces a member's roles: publisher (may publish), subscriber (may read:
subscribe, lookup, TAXII reads), operator (may use the admin commands). A
member that loses the subscriber role has its open streams closed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if memberID == "" || roles == "" {
				return errors.New("--member and --roles are required")
			}
			return c.with(cmd, true, func(ctx context.Context, cl *client.Client) error {
				m, err := cl.Admin().SetRoles(ctx, memberID, splitList(roles)...)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), strings.Join(client.RoleNames(m), ","))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&memberID, "member", "", "member id")
	cmd.Flags().StringVar(&roles, "roles", "", "comma-separated roles: publisher, subscriber, operator")
	return cmd
}

// splitList splits a comma-separated flag value, dropping empty parts.
func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
