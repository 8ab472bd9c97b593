package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	"github.com/stixhub/stixhub/internal/pki"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
	"github.com/stixhub/stixhub/server"
)

// memberCert has the hub issue a client certificate for memberID over a
// fresh key, through the admin API, and returns the PEM file paths.
func memberCert(t *testing.T, hub *hubtest.Hub, memberID string) (certFile, keyFile string) {
	t.Helper()
	keyPEM, csr, err := client.NewClientKey()
	if err != nil {
		t.Fatal(err)
	}
	mc, err := hub.Operator(t).Admin().IssueCertificate(context.Background(), memberID, csr, 0)
	if err != nil {
		t.Fatalf("issue certificate: %v", err)
	}
	return writePair(t, mc.GetCertificatePem(), keyPEM)
}

func writePair(t *testing.T, certPEM, keyPEM []byte) (string, string) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "member.pem"), filepath.Join(dir, "member-key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// certFromCA signs a member certificate with ca directly, valid from
// notBefore to notAfter, for certificates the hub would never issue.
func certFromCA(t *testing.T, ca *pki.CA, memberID string, notBefore, notAfter time.Time) (string, string) {
	t.Helper()
	keyPEM, csrDER, err := pki.NewClientKey()
	if err != nil {
		t.Fatal(err)
	}
	csr, err := pki.ParseCSR(csrDER)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _, err := ca.IssueMember(csr, memberID, notBefore, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	return writePair(t, certPEM, keyPEM)
}

// hubCA loads the CA the hub keeps in its data directory.
func hubCA(t *testing.T, hub *hubtest.Hub) *pki.CA {
	t.Helper()
	ca, err := pki.LoadCA(filepath.Join(hub.Config.DataDir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// certClient connects with a client certificate and no token.
func certClient(t *testing.T, hub *hubtest.Hub, certFile, keyFile string, opts ...client.Option) *client.Client {
	t.Helper()
	return hub.Dial(t, append([]client.Option{client.WithClientCertificate(certFile, keyFile)}, opts...)...)
}

// taxiiGet sends one TAXII GET with a client certificate and no
// Authorization header.
func taxiiGet(t *testing.T, hub *hubtest.Hub, certFile, keyFile, path string) (int, []byte, error) {
	t.Helper()
	caPEM, err := os.ReadFile(hub.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	conf := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		conf.Certificates = []tls.Certificate{pair}
	}
	tr := &http.Transport{TLSClientConfig: conf}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, "https://"+hub.TAXIIAddr().String()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// taxiiDo sends one TAXII request with a bearer token (and body, as a
// TAXII envelope, when not nil).
func taxiiDo(t *testing.T, hub *hubtest.Hub, method, path, token string, body []byte) (int, http.Header, []byte, error) {
	t.Helper()
	caPEM, err := os.ReadFile(hub.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(method, "https://"+hub.TAXIIAddr().String()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/taxii+json;version=2.1")
	}
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

func TestMemberCertificateWorksForPublishSubscribeAndTAXII(t *testing.T) {
	hub := hubtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bank := hub.AddMember(t, "Bank A")
	cert := hub.AddMember(t, "National CERT")
	bankCert, bankKey := memberCert(t, hub, bank.ID)
	certCert, certKey := memberCert(t, hub, cert.ID)

	// The certificate names the member in its URI SAN and is for client
	// authentication only.
	pair, err := tls.LoadX509KeyPair(bankCert, bankKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(leaf.URIs) != 1 || leaf.URIs[0].String() != "stixhub:member:"+bank.ID {
		t.Errorf("URI SANs %v, want stixhub:member:%s", leaf.URIs, bank.ID)
	}
	if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		t.Errorf("extended key usage %v, want client authentication only", leaf.ExtKeyUsage)
	}

	// Publish with the certificate alone (no token).
	pub := certClient(t, hub, bankCert, bankKey, client.WithSigner(bank.Signer))
	obj := indicator(t, nil)
	res, err := pub.Publish(ctx, obj)
	if err != nil {
		t.Fatalf("publish with a client certificate: %v", err)
	}
	if res[0].GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
		t.Fatalf("publish: %v", res[0])
	}

	// Subscribe with the other member's certificate alone; the delivery
	// names the publishing member: the certificate identified it.
	sub := certClient(t, hub, certCert, certKey)
	got := collect(ctx, t, sub, client.Beginning(), 1)
	if got[0].GetMemberId() != bank.ID || len(got[0].GetObject().GetObject()) == 0 {
		t.Fatalf("delivery %v, want the object from %s", got[0], bank.ID)
	}

	// TAXII GET with the certificate alone.
	code, body, err := taxiiGet(t, hub, certCert, certKey, "/stixhub/collections/indicators/objects/")
	if err != nil || code != http.StatusOK {
		t.Fatalf("TAXII GET with a client certificate: %d %s %v", code, body, err)
	}
	if !strings.Contains(string(body), objectID(t, obj)) {
		t.Errorf("TAXII page lacks the published object: %s", body)
	}
	// Without certificate or token TAXII still asks for credentials.
	if code, _, err := taxiiGet(t, hub, "", "", "/taxii2/"); err != nil || code != http.StatusUnauthorized {
		t.Errorf("TAXII without credentials: %d %v, want 401", code, err)
	}
	// Token clients keep working next to certificate clients.
	if _, err := hub.Client(t, cert).KeySet(ctx, ""); err != nil {
		t.Errorf("token client: %v", err)
	}
}

func TestMTLSRefusals(t *testing.T) {
	hub := hubtest.Start(t)
	ctx := context.Background()
	m := hub.AddMember(t, "Exchange")
	suspended := hub.AddMember(t, "Suspended exchange")

	// A CA the hub does not trust, naming a real member.
	foreign, err := pki.Ensure(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	foreignCA, err := pki.LoadCA(filepath.Dir(foreign.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	wrongCACert, wrongCAKey := certFromCA(t, foreignCA, m.ID, now.Add(-time.Hour), now.Add(time.Hour))
	// The hub's own CA, but expired an hour ago.
	expiredCert, expiredKey := certFromCA(t, hubCA(t, hub), m.ID, now.Add(-48*time.Hour), now.Add(-time.Hour))
	// The hub's own CA, naming no admitted member.
	strangerCert, strangerKey := certFromCA(t, hubCA(t, hub), "member--"+uuid.NewString(), now.Add(-time.Hour), now.Add(time.Hour))
	// A valid certificate of a member the operator then suspends.
	suspCert, suspKey := memberCert(t, hub, suspended.ID)
	if _, err := hub.Operator(t).Admin().SuspendMember(ctx, suspended.ID); err != nil {
		t.Fatal(err)
	}
	// The hub's own server certificate is not a client certificate.
	serverCert := filepath.Join(hub.Config.DataDir, "tls", "server.pem")
	serverKey := filepath.Join(hub.Config.DataDir, "tls", "server-key.pem")

	tests := []struct {
		name, cert, key string
		grpcCode        codes.Code
		taxiiStatus     int // 0: the TLS handshake fails
	}{
		{"certificate from an untrusted CA", wrongCACert, wrongCAKey, codes.Unavailable, 0},
		{"expired certificate", expiredCert, expiredKey, codes.Unavailable, 0},
		{"server certificate used as a client certificate", serverCert, serverKey, codes.Unavailable, 0},
		{"certificate naming no member", strangerCert, strangerKey, codes.Unauthenticated, http.StatusUnauthorized},
		{"valid certificate of a suspended member", suspCert, suspKey, codes.PermissionDenied, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			c := certClient(t, hub, tc.cert, tc.key)
			_, err := c.KeySet(cctx, "")
			if status.Code(err) != tc.grpcCode {
				t.Errorf("gRPC: %v, want %v", err, tc.grpcCode)
			}
			code, body, err := taxiiGet(t, hub, tc.cert, tc.key, "/stixhub/collections/")
			switch {
			case tc.taxiiStatus == 0 && err == nil:
				t.Errorf("TAXII: handshake succeeded (%d %s), want a TLS error", code, body)
			case tc.taxiiStatus == 0 && !isTLSError(err):
				t.Errorf("TAXII: %v, want a TLS error", err)
			case tc.taxiiStatus != 0 && (err != nil || code != tc.taxiiStatus):
				t.Errorf("TAXII: %d %s %v, want %d", code, body, err, tc.taxiiStatus)
			case tc.taxiiStatus != 0:
				var e struct {
					HTTPStatus string `json:"http_status"`
				}
				if json.Unmarshal(body, &e) != nil || e.HTTPStatus == "" {
					t.Errorf("TAXII error body is not TAXII error JSON: %s", body)
				}
			}
		})
	}
}

// isTLSError reports whether err is the client's view of a handshake the
// server refused: a TLS alert, or the connection closed right after it.
func isTLSError(err error) bool {
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "tls:") || strings.Contains(s, "connection reset") || strings.Contains(s, "EOF")
}

func TestIssueMemberCertificateValidation(t *testing.T) {
	hub := hubtest.Start(t)
	ctx := context.Background()
	admin := hub.Operator(t).Admin()
	m := hub.AddMember(t, "Bank")
	_, csr, err := client.NewClientKey()
	if err != nil {
		t.Fatal(err)
	}
	tamperedCSR := append([]byte(nil), csr...)
	tamperedCSR[len(tamperedCSR)-5] ^= 0xff
	tests := []struct {
		name     string
		member   string
		csr      []byte
		validity time.Duration
		want     codes.Code
	}{
		{"good request", m.ID, csr, 0, codes.OK},
		{"unknown member", "member--" + uuid.NewString(), csr, 0, codes.NotFound},
		{"no request", m.ID, nil, 0, codes.InvalidArgument},
		{"broken signature", m.ID, tamperedCSR, 0, codes.InvalidArgument},
		{"validity too long", m.ID, csr, 1000 * 24 * time.Hour, codes.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := admin.IssueCertificate(ctx, tc.member, tc.csr, tc.validity)
			if status.Code(err) != tc.want {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// A member may not issue certificates (it could impersonate others).
	if _, err := hub.Client(t, m).Admin().IssueCertificate(ctx, m.ID, csr, 0); status.Code(err) != codes.PermissionDenied {
		t.Errorf("member issuing a certificate: %v, want PermissionDenied", err)
	}
	// Issuance is audited.
	entries, err := admin.Audit(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || (e.GetAction() == "member.certificate" && e.GetTarget() == m.ID)
	}
	if !found {
		t.Error("no member.certificate audit entry")
	}
}

func TestExternalClientCA(t *testing.T) {
	// The operator's own CA issues member certificates; the hub trusts it
	// through --client-ca.
	ext, err := pki.Ensure(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	extCA, err := pki.LoadCA(filepath.Dir(ext.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	hub := hubtest.Start(t, func(c *server.Config) { c.ClientCAFile = ext.CAFile })
	m := hub.AddMember(t, "Bank")
	now := time.Now()
	certFile, keyFile := certFromCA(t, extCA, m.ID, now.Add(-time.Hour), now.Add(time.Hour))
	if _, err := certClient(t, hub, certFile, keyFile).KeySet(context.Background(), ""); err != nil {
		t.Fatalf("certificate from the configured client CA: %v", err)
	}
	// The hub's own CA still works too.
	own, ownKey := memberCert(t, hub, m.ID)
	if _, err := certClient(t, hub, own, ownKey).KeySet(context.Background(), ""); err != nil {
		t.Fatalf("certificate from the hub CA: %v", err)
	}
}
