package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net/url"
	"testing"
	"time"
)

func TestMemberID(t *testing.T) {
	const id = "member--0b5b3c44-2f8e-4a3c-9d51-6f7e2c1a9b10"
	const other = "member--c3e1f0d2-7a4b-4e5f-8c6d-1a2b3c4d5e6f"
	uri := func(s string) *url.URL { u, _ := url.Parse(s); return u }
	tests := []struct {
		name string
		cert x509.Certificate
		want string
	}{
		{"URI SAN", x509.Certificate{URIs: []*url.URL{MemberURI(id)}}, id},
		{"URI SAN wins over the common name", x509.Certificate{URIs: []*url.URL{MemberURI(id)}, Subject: pkix.Name{CommonName: other}}, id},
		{"common name alone", x509.Certificate{Subject: pkix.Name{CommonName: id}}, id},
		{"two members named", x509.Certificate{URIs: []*url.URL{MemberURI(id), MemberURI(other)}}, ""},
		{"malformed member id", x509.Certificate{URIs: []*url.URL{uri("stixhub:member:member--nope")}}, ""},
		{"upper-case UUID is not a member id", x509.Certificate{Subject: pkix.Name{CommonName: "member--0B5B3C44-2F8E-4A3C-9D51-6F7E2C1A9B10"}}, ""},
		{"other URI and a plain common name", x509.Certificate{URIs: []*url.URL{uri("spiffe://example.org/bank")}, Subject: pkix.Name{CommonName: "bank"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := MemberID(&tc.cert)
			if got != tc.want || ok != (tc.want != "") {
				t.Fatalf("got %q %v, want %q", got, ok, tc.want)
			}
		})
	}
}

func TestIssueMemberCertificate(t *testing.T) {
	dir := t.TempDir()
	if _, err := Ensure(dir, nil); err != nil {
		t.Fatal(err)
	}
	ca, err := LoadCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, csrDER, err := NewClientKey()
	if err != nil {
		t.Fatal(err)
	}
	csr, err := ParseCSR(csrDER)
	if err != nil {
		t.Fatal(err)
	}
	const id = "member--0b5b3c44-2f8e-4a3c-9d51-6f7e2c1a9b10"
	now := time.Now()
	_, cert, err := ca.IssueMember(csr, id, now, now.AddDate(50, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !cert.NotAfter.Equal(ca.Cert.NotAfter) {
		t.Errorf("validity %v runs past the CA's end %v", cert.NotAfter, ca.Cert.NotAfter)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("not a valid client certificate: %v", err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Fatal("a member certificate verifies as a server certificate")
	}
	if got, _ := MemberID(cert); got != id {
		t.Errorf("certificate names %q, want %s", got, id)
	}
	if _, _, err := ca.IssueMember(csr, "bank", now, now.Add(time.Hour)); err == nil {
		t.Error("issued a certificate for a name that is not a member id")
	}
}
