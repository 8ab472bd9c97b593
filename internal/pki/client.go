package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Member client certificates.
//
// A member certificate names the member twice: as the URI SAN
// "stixhub:member:<member id>" (what the hub reads first) and as the common
// name. It carries only the client-authentication extended key usage, so it
// can never serve as a server certificate, and the hub's server certificate
// (server-authentication only) is refused as a client certificate.

// MemberURIScheme is the URI scheme of the SAN that names a member.
const MemberURIScheme = "stixhub"

const memberURIPrefix = MemberURIScheme + ":member:"

// Limits of issued member certificates.
const (
	// DefaultMemberValidity is how long a member certificate is valid when
	// the request names no validity.
	DefaultMemberValidity = 365 * 24 * time.Hour
	// MaxMemberValidity is the longest validity the hub issues.
	MaxMemberValidity = 825 * 24 * time.Hour
	// MaxCSRBytes bounds a certificate signing request.
	MaxCSRBytes = 16 << 10
)

// Errors of member certificate issuance.
var (
	// ErrBadCSR means a certificate signing request cannot be used.
	ErrBadCSR = errors.New("unusable certificate signing request")
)

// MemberURI is the URI SAN that names memberID.
func MemberURI(memberID string) *url.URL {
	return &url.URL{Scheme: MemberURIScheme, Opaque: "member:" + memberID}
}

// MemberID returns the member a verified client certificate names: the
// member id in its "stixhub:member:" URI SAN, or else its common name when
// that is a member id ("member--<UUID>", as certificates from an external CA
// may carry it). A certificate naming two different members names none.
func MemberID(cert *x509.Certificate) (string, bool) {
	var id string
	for _, u := range cert.URIs {
		s := u.String()
		if !strings.HasPrefix(s, memberURIPrefix) {
			continue
		}
		cand := strings.TrimPrefix(s, memberURIPrefix)
		if !isMemberID(cand) || (id != "" && id != cand) {
			return "", false
		}
		id = cand
	}
	if id != "" {
		return id, true
	}
	if cn := cert.Subject.CommonName; isMemberID(cn) {
		return cn, true
	}
	return "", false
}

func isMemberID(s string) bool {
	rest, ok := strings.CutPrefix(s, "member--")
	if !ok || len(rest) != 36 {
		return false
	}
	u, err := uuid.Parse(rest)
	return err == nil && u.String() == rest
}

// CA is a certificate authority that can sign member certificates.
type CA struct {
	Cert *x509.Certificate
	// PEM is the CA certificate as it is stored.
	PEM []byte
	key crypto.Signer
}

// LoadCA loads the CA that Ensure (or EnsureCA) keeps in dir.
func LoadCA(dir string) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, caCertName), filepath.Join(dir, caKeyName)
	cert, key, err := loadPair(certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("load CA: %s is not a CA certificate", certPath)
	}
	data, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	return &CA{Cert: cert, PEM: data, key: key}, nil
}

// EnsureCA makes sure dir holds a CA (ca.pem, ca-key.pem 0600), creating it
// if neither file exists, and loads it. It is for hubs whose server
// certificate comes from elsewhere but which issue member certificates.
func EnsureCA(dir string) (*CA, bool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("tls material: %w", err)
	}
	_, _, created, err := loadOrCreateCA(filepath.Join(dir, caCertName), filepath.Join(dir, caKeyName), time.Now())
	if err != nil {
		return nil, false, fmt.Errorf("tls material in %s: %w", dir, err)
	}
	ca, err := LoadCA(dir)
	return ca, created, err
}

// ParseCSR reads a PKCS#10 request in DER or PEM and checks its signature
// and key.
func ParseCSR(data []byte) (*x509.CertificateRequest, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrBadCSR)
	}
	if len(data) > MaxCSRBytes {
		return nil, fmt.Errorf("%w: %d bytes is over the %d byte limit", ErrBadCSR, len(data), MaxCSRBytes)
	}
	der := data
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
			return nil, fmt.Errorf("%w: PEM block %q is not a certificate request", ErrBadCSR, block.Type)
		}
		der = block.Bytes
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCSR, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: signature does not verify: %v", ErrBadCSR, err)
	}
	switch k := csr.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return nil, fmt.Errorf("%w: ECDSA keys must be P-256 or P-384", ErrBadCSR)
		}
	case ed25519.PublicKey:
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("%w: RSA keys must have at least 2048 bits", ErrBadCSR)
		}
	default:
		return nil, fmt.Errorf("%w: unsupported key type %T", ErrBadCSR, csr.PublicKey)
	}
	return csr, nil
}

// IssueMember signs a client certificate for memberID over the key of csr
// (see ParseCSR), valid from notBefore to notAfter (cut at the CA's end).
// It returns the certificate in PEM and parsed.
func (ca *CA) IssueMember(csr *x509.CertificateRequest, memberID string, notBefore, notAfter time.Time) ([]byte, *x509.Certificate, error) {
	if !isMemberID(memberID) {
		return nil, nil, fmt.Errorf("issue member certificate: %q is not a member id", memberID)
	}
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	if !notAfter.After(notBefore) {
		return nil, nil, errors.New("issue member certificate: empty validity")
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"stixhub member"}, CommonName: memberID},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		URIs:         []*url.URL{MemberURI(memberID)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, csr.PublicKey, ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("issue member certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("issue member certificate: %w", err)
	}
	return pemCert(der), cert, nil
}

// NewClientKey makes an ECDSA P-256 key and a certificate signing request
// for it, for a member certificate. It returns the key (PKCS#8 PEM) and the
// request (DER).
func NewClientKey() (keyPEM, csrDER []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("client key: %w", err)
	}
	csrDER, err = x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "stixhub member"},
	}, key)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate request: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("client key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), csrDER, nil
}

// CertPool reads every PEM certificate in the given files into one pool.
func CertPool(files ...string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("%s holds no PEM certificate", f)
		}
	}
	return pool, nil
}
