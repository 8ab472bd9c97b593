package pki

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func ensureOK(t *testing.T, dir string, sans ...string) *Material {
	t.Helper()
	m, err := Ensure(dir, sans)
	if err != nil {
		t.Fatalf("Ensure(%v): %v", sans, err)
	}
	return m
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// snapshot returns the contents of the four material files.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	s := map[string][]byte{}
	for _, name := range []string{caCertName, caKeyName, serverCertName, serverKeyName} {
		s[name] = readFile(t, filepath.Join(dir, name))
	}
	return s
}

func mustLoadCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	cert, err := loadCert(path)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// serve runs a TLS server with cfg on a loopback listener until the test
// ends; every connection gets a handshake and "ok".
func serve(t *testing.T, network, addr string, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen(network, addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if c.(*tls.Conn).Handshake() == nil {
					io.WriteString(c, "ok")
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// handshake connects to addr with cfg and returns the server's certificate.
func handshake(t *testing.T, addr string, cfg *tls.Config) (*x509.Certificate, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	tc := conn.(*tls.Conn)
	if v := tc.ConnectionState().Version; v != tls.VersionTLS13 {
		t.Errorf("negotiated TLS version %x, want 1.3", v)
	}
	got, err := io.ReadAll(conn)
	if err != nil || string(got) != "ok" {
		t.Fatalf("read %q, %v", got, err)
	}
	return tc.ConnectionState().PeerCertificates[0], nil
}

func clientTLS(t *testing.T, caFile, serverName string) *tls.Config {
	t.Helper()
	cfg, err := ClientTLS(caFile, serverName)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func serverTLS(t *testing.T, m *Material) *tls.Config {
	t.Helper()
	cfg, err := ServerTLS(m.CertFile, m.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestEnsureCreatesMaterial(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "tls")
	m := ensureOK(t, dir, "hub.example.org", "192.0.2.10", "2001:db8::1")
	if !m.CreatedCA || !m.Reissued {
		t.Errorf("CreatedCA = %v, Reissued = %v; want both true", m.CreatedCA, m.Reissued)
	}
	modes := map[string]os.FileMode{dir: 0o700, filepath.Join(dir, caKeyName): 0o600, m.KeyFile: 0o600, m.CAFile: 0o644, m.CertFile: 0o644}
	for path, want := range modes {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
		}
	}
	ca, cert := mustLoadCert(t, m.CAFile), mustLoadCert(t, m.CertFile)
	if !ca.IsCA || ca.MaxPathLen != 0 || !ca.MaxPathLenZero {
		t.Error("CA certificate is not a CA limited to path length 0")
	}
	for _, c := range []*x509.Certificate{ca, cert} {
		pub, ok := c.PublicKey.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			t.Errorf("%s: key %T, want ECDSA P-256", c.Subject.CommonName, c.PublicKey)
		}
	}
	if d := ca.NotAfter.Sub(ca.NotBefore); d < 10*365*24*time.Hour {
		t.Errorf("CA valid for %v, want 10 years", d)
	}
	if d := cert.NotAfter.Sub(cert.NotBefore); d < 365*24*time.Hour || d > 367*24*time.Hour {
		t.Errorf("server certificate valid for %v, want 1 year", d)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, name := range []string{"127.0.0.1", "::1", "localhost", "hub.example.org", "HUB.example.org", "192.0.2.10", "2001:db8::1"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: roots}); err != nil {
			t.Errorf("server certificate does not cover %s: %v", name, err)
		}
	}
	if len(cert.IPAddresses) != 4 || len(cert.DNSNames) != 2 {
		t.Errorf("IP SANs %v, DNS SANs %v; want IPs in one and names in the other", cert.IPAddresses, cert.DNSNames)
	}
}

func TestEnsureReusesExistingFilesByteForByte(t *testing.T) {
	dir := t.TempDir()
	ensureOK(t, dir, "hub.example.org")
	before := snapshot(t, dir)
	tests := []struct {
		name string
		sans []string
	}{
		{"reuses with the same names", []string{"hub.example.org"}},
		{"reuses with names differing in case and a trailing dot", []string{"HUB.Example.org."}},
		{"reuses with fewer names", nil},
		{"reuses with names that are always covered", []string{"localhost", "127.0.0.1", "::1", " "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := ensureOK(t, dir, tc.sans...)
			if m.CreatedCA || m.Reissued {
				t.Errorf("CreatedCA = %v, Reissued = %v; want both false", m.CreatedCA, m.Reissued)
			}
			for name, data := range snapshot(t, dir) {
				if !bytes.Equal(data, before[name]) {
					t.Errorf("%s changed", name)
				}
			}
		})
	}
}

func TestEnsureReissuesUnderTheSameCA(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		change func(t *testing.T, dir string) (*Material, error)
	}{
		{"reissues for a new DNS name", func(t *testing.T, dir string) (*Material, error) {
			return ensure(dir, []string{"hub.example.org", "new.example.org"}, now)
		}},
		{"reissues for a new IP address", func(t *testing.T, dir string) (*Material, error) {
			return ensure(dir, []string{"hub.example.org", "198.51.100.7"}, now)
		}},
		{"reissues 29 days before expiry", func(t *testing.T, dir string) (*Material, error) {
			return ensure(dir, []string{"hub.example.org"}, now.AddDate(1, 0, -29))
		}},
		{"reissues a missing server key", func(t *testing.T, dir string) (*Material, error) {
			os.Remove(filepath.Join(dir, serverKeyName))
			return ensure(dir, []string{"hub.example.org"}, now)
		}},
		{"reissues a corrupt server certificate", func(t *testing.T, dir string) (*Material, error) {
			os.WriteFile(filepath.Join(dir, serverCertName), []byte("garbage"), 0o644)
			return ensure(dir, []string{"hub.example.org"}, now)
		}},
		{"reissues a server key that does not match the certificate", func(t *testing.T, dir string) (*Material, error) {
			other := t.TempDir()
			if _, err := Ensure(other, nil); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, serverKeyName), readFile(t, filepath.Join(other, serverKeyName)), 0o600)
			return ensure(dir, []string{"hub.example.org"}, now)
		}},
		{"reissues a server certificate from another CA", func(t *testing.T, dir string) (*Material, error) {
			other := t.TempDir()
			if _, err := Ensure(other, []string{"hub.example.org"}); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{serverCertName, serverKeyName} {
				os.WriteFile(filepath.Join(dir, name), readFile(t, filepath.Join(other, name)), 0o600)
			}
			return ensure(dir, []string{"hub.example.org"}, now)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := ensure(dir, []string{"hub.example.org"}, now); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, dir)
			m, err := tc.change(t, dir)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Reissued || m.CreatedCA {
				t.Fatalf("Reissued = %v, CreatedCA = %v; want true, false", m.Reissued, m.CreatedCA)
			}
			after := snapshot(t, dir)
			for _, name := range []string{caCertName, caKeyName} {
				if !bytes.Equal(after[name], before[name]) {
					t.Errorf("%s changed", name)
				}
			}
			if bytes.Equal(after[serverCertName], before[serverCertName]) {
				t.Error("server certificate did not change")
			}
			if _, _, err := loadPair(m.CertFile, m.KeyFile); err != nil {
				t.Errorf("new server pair: %v", err)
			}
			if err := mustLoadCert(t, m.CertFile).CheckSignatureFrom(mustLoadCert(t, m.CAFile)); err != nil {
				t.Errorf("new server certificate is not signed by the CA: %v", err)
			}
		})
	}
	t.Run("keeps a certificate 31 days before expiry", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := ensure(dir, nil, now); err != nil {
			t.Fatal(err)
		}
		m, err := ensure(dir, nil, now.AddDate(1, 0, -31))
		if err != nil {
			t.Fatal(err)
		}
		if m.Reissued {
			t.Error("reissued a certificate with 31 days left")
		}
	})
}

func TestEnsureRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		sans  []string
		now   time.Time
	}{
		{"refuses a URL as a name", nil, []string{"https://hub.example.org"}, time.Now()},
		{"refuses a host and port", nil, []string{"hub.example.org:8443"}, time.Now()},
		{"refuses an address with a zone", nil, []string{"fe80::1%eth0"}, time.Now()},
		{"refuses a name with spaces", nil, []string{"hub example"}, time.Now()},
		{"refuses a CA certificate without its key", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, caKeyName))
		}, nil, time.Now()},
		{"refuses a CA key without its certificate", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, caCertName))
		}, nil, time.Now()},
		{"refuses an expired CA", nil, nil, time.Now().AddDate(10, 0, 1)},
		{"refuses a CA key that does not match the CA certificate", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, caKeyName), readFile(t, filepath.Join(dir, serverKeyName)), 0o600)
		}, nil, time.Now()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ensureOK(t, dir)
			before := snapshot(t, dir)
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			if m, err := ensure(dir, tc.sans, tc.now); err == nil {
				t.Fatalf("Ensure = %+v, want an error", m)
			}
			if tc.setup != nil {
				return
			}
			for name, data := range snapshot(t, dir) {
				if !bytes.Equal(data, before[name]) {
					t.Errorf("%s changed", name)
				}
			}
		})
	}
}

func TestTLSHandshakes(t *testing.T) {
	dir := t.TempDir()
	m := ensureOK(t, dir, "hub.example.org")
	addr := serve(t, "tcp", "127.0.0.1:0", serverTLS(t, m))
	otherCA := ensureOK(t, t.TempDir()).CAFile
	tls12 := clientTLS(t, m.CAFile, "localhost")
	tls12.MinVersion, tls12.MaxVersion = tls.VersionTLS12, tls.VersionTLS12

	tests := []struct {
		name    string
		cfg     *tls.Config
		wantErr bool
	}{
		{"accepts 127.0.0.1 when dialed by address", clientTLS(t, m.CAFile, ""), false},
		{"accepts localhost", clientTLS(t, m.CAFile, "localhost"), false},
		{"accepts a configured name", clientTLS(t, m.CAFile, "hub.example.org"), false},
		{"rejects a name the certificate does not cover", clientTLS(t, m.CAFile, "evil.example.org"), true},
		{"rejects a client that trusts another CA", clientTLS(t, otherCA, "localhost"), true},
		{"rejects TLS 1.2", tls12, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := handshake(t, addr, tc.cfg)
			if (err != nil) != tc.wantErr {
				t.Fatalf("handshake error = %v, want error: %v", err, tc.wantErr)
			}
		})
	}

	t.Run("accepts ::1 when dialed by address", func(t *testing.T) {
		ln, err := net.Listen("tcp", "[::1]:0")
		if err != nil {
			t.Skipf("no IPv6 loopback on this machine: %v", err)
		}
		ln.Close()
		addr6 := serve(t, "tcp", "[::1]:0", serverTLS(t, m))
		if _, err := handshake(t, addr6, clientTLS(t, m.CAFile, "")); err != nil {
			t.Fatal(err)
		}
	})
}

func TestServerTLSPicksUpRotatedCertificate(t *testing.T) {
	dir := t.TempDir()
	m := ensureOK(t, dir)
	addr := serve(t, "tcp", "127.0.0.1:0", serverTLS(t, m))
	newName := clientTLS(t, m.CAFile, "new.example.org")
	if _, err := handshake(t, addr, newName); err == nil {
		t.Fatal("handshake for a name not yet covered succeeded")
	}

	m2 := ensureOK(t, dir, "new.example.org")
	if !m2.Reissued {
		t.Fatal("Ensure did not reissue for a new name")
	}
	cert, err := handshake(t, addr, newName)
	if err != nil {
		t.Fatalf("running server did not pick up the new certificate: %v", err)
	}
	if !bytes.Equal(cert.Raw, mustLoadCert(t, m2.CertFile).Raw) {
		t.Error("server presents another certificate than server.pem")
	}

	t.Run("keeps serving when the files become unreadable", func(t *testing.T) {
		if err := writeFileAtomic(m.CertFile, []byte("not a certificate"), 0o644); err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second time without retrying the broken files
			if _, err := handshake(t, addr, newName); err != nil {
				t.Fatalf("handshake with broken files: %v", err)
			}
		}
	})
	t.Run("keeps serving while only the key was replaced", func(t *testing.T) {
		dir2 := t.TempDir()
		other := ensureOK(t, dir2)
		if err := writeFileAtomic(m.KeyFile, readFile(t, other.KeyFile), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := handshake(t, addr, newName); err != nil {
			t.Fatalf("handshake with mismatched files: %v", err)
		}
	})
}

func TestServerTLSRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	m := ensureOK(t, dir)
	other := ensureOK(t, t.TempDir())
	tests := []struct {
		name, cert, key string
	}{
		{"rejects a missing certificate", filepath.Join(dir, "missing.pem"), m.KeyFile},
		{"rejects a missing key", m.CertFile, filepath.Join(dir, "missing.pem")},
		{"rejects a key of another certificate", m.CertFile, other.KeyFile},
		{"rejects a certificate given as key", m.CertFile, m.CertFile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ServerTLS(tc.cert, tc.key); err == nil {
				t.Fatal("ServerTLS succeeded")
			}
		})
	}
}

func TestClientTLS(t *testing.T) {
	dir := t.TempDir()
	m := ensureOK(t, dir)
	cfg := clientTLS(t, m.CAFile, "hub.example.org")
	if cfg.MinVersion != tls.VersionTLS13 || cfg.ServerName != "hub.example.org" || cfg.InsecureSkipVerify {
		t.Errorf("config = MinVersion %x, ServerName %q, InsecureSkipVerify %v", cfg.MinVersion, cfg.ServerName, cfg.InsecureSkipVerify)
	}
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, nil, 0o644)
	tests := []struct{ name, path string }{
		{"rejects a missing file", filepath.Join(dir, "missing.pem")},
		{"rejects a file without certificates", empty},
		{"rejects a key file", m.KeyFile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ClientTLS(tc.path, ""); err == nil {
				t.Fatal("ClientTLS succeeded")
			}
		})
	}
}

func TestParseSANs(t *testing.T) {
	ips, names, err := parseSANs([]string{"Hub.Example.org.", "10.0.0.1", "::ffff:10.0.0.1", "*.hubs.example.org", "127.0.0.1", "hub.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	var gotIPs []string
	for _, ip := range ips {
		gotIPs = append(gotIPs, ip.String())
	}
	if got, want := strings.Join(gotIPs, " "), "127.0.0.1 ::1 10.0.0.1"; got != want {
		t.Errorf("IPs = %s, want %s", got, want)
	}
	if got, want := strings.Join(names, " "), "localhost hub.example.org *.hubs.example.org"; got != want {
		t.Errorf("names = %s, want %s", got, want)
	}
}
