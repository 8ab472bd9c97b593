// Package pki keeps the hub's TLS material in its data directory: a private
// CA and a server certificate it signs, made on first start and renewed when
// needed, plus TLS configurations that use them.
//
// Members trust the hub by its CA certificate (ca.pem), which stays the same
// for ten years; the server certificate is re-issued under it whenever the
// hub is given a new name or the certificate nears its end, and a running
// server picks the new one up without a restart.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// File names inside the data directory.
const (
	caCertName     = "ca.pem"
	caKeyName      = "ca-key.pem"
	serverCertName = "server.pem"
	serverKeyName  = "server-key.pem"
)

const (
	// renewBefore is how long before its end a server certificate is
	// re-issued.
	renewBefore = 30 * 24 * time.Hour
	// backdate covers clocks of clients that run a little behind.
	backdate = time.Hour
)

// Material names the TLS files Ensure keeps in a data directory and says what
// it changed.
type Material struct {
	CAFile   string // CA certificate (PEM): what clients trust
	CertFile string // server certificate (PEM), signed by the CA
	KeyFile  string // server private key (PEM, PKCS#8), mode 0600
	Reissued bool   // Ensure (re)created the server certificate and key
	// CreatedCA is true when Ensure created the CA; clients must then be
	// given the new ca.pem.
	CreatedCA bool
}

// Ensure makes sure dir holds a CA (ca.pem, ca-key.pem 0600) and a server
// certificate (server.pem, server-key.pem 0600) signed by it that covers
// 127.0.0.1, ::1, localhost and every name in sans (IP addresses go into the
// certificate's IP SANs, other names into its DNS SANs; DNS names are
// compared without case). Existing files are reused as they are; the server
// certificate and key are re-issued (same CA) when they are missing or
// unreadable, were not signed by the CA, do not cover every requested name,
// or expire within 30 days. dir is created with mode 0700 if missing.
//
// Keys are ECDSA P-256; the CA is valid for 10 years, a server certificate
// for 1 year (never beyond the CA). Ensure refuses to go on, rather than
// replace the CA clients trust, when only one of the CA files exists or the
// CA has expired.
func Ensure(dir string, sans []string) (*Material, error) {
	return ensure(dir, sans, time.Now())
}

func ensure(dir string, sans []string, now time.Time) (*Material, error) {
	ips, names, err := parseSANs(sans)
	if err != nil {
		return nil, fmt.Errorf("tls material in %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("tls material: %w", err)
	}
	m := &Material{
		CAFile:   filepath.Join(dir, caCertName),
		CertFile: filepath.Join(dir, serverCertName),
		KeyFile:  filepath.Join(dir, serverKeyName),
	}
	caCert, caKey, created, err := loadOrCreateCA(m.CAFile, filepath.Join(dir, caKeyName), now)
	if err != nil {
		return nil, fmt.Errorf("tls material in %s: %w", dir, err)
	}
	m.CreatedCA = created
	if serverCertUsable(m.CertFile, m.KeyFile, caCert, ips, names, now) {
		return m, nil
	}
	if err := issueServer(m.CertFile, m.KeyFile, caCert, caKey, ips, names, now); err != nil {
		return nil, fmt.Errorf("tls material in %s: %w", dir, err)
	}
	m.Reissued = true
	return m, nil
}

// parseSANs returns the IP addresses and DNS names a server certificate must
// cover: the loopback ones and those in sans, without duplicates.
func parseSANs(sans []string) ([]net.IP, []string, error) {
	ips := []net.IP{net.IPv4(127, 0, 0, 1).To4(), net.IPv6loopback}
	names := []string{"localhost"}
	for _, s := range sans {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if addr, err := netip.ParseAddr(s); err == nil {
			if addr.Zone() != "" {
				return nil, nil, fmt.Errorf("subject alternative name %q: an address with a zone cannot be in a certificate", s)
			}
			ip := net.IP(addr.Unmap().AsSlice())
			if !slices.ContainsFunc(ips, ip.Equal) {
				ips = append(ips, ip)
			}
			continue
		}
		name := strings.ToLower(strings.TrimSuffix(s, "."))
		if !validDNSName(name) {
			return nil, nil, fmt.Errorf("subject alternative name %q is neither an IP address nor a DNS name", s)
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return ips, names, nil
}

// validDNSName reports whether name (lowercase, no trailing dot) is a host
// name, optionally with a leading "*." wildcard label.
func validDNSName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for i, label := range strings.Split(name, ".") {
		if label == "*" && i == 0 && strings.Contains(name, ".") {
			continue
		}
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// loadOrCreateCA loads the CA from its files, or creates it if neither file
// exists.
func loadOrCreateCA(certPath, keyPath string, now time.Time) (*x509.Certificate, crypto.Signer, bool, error) {
	certExists, err := exists(certPath)
	if err != nil {
		return nil, nil, false, err
	}
	keyExists, err := exists(keyPath)
	if err != nil {
		return nil, nil, false, err
	}
	switch {
	case certExists && keyExists:
		cert, key, err := loadPair(certPath, keyPath)
		if err != nil {
			return nil, nil, false, fmt.Errorf("load CA: %w", err)
		}
		if !cert.IsCA {
			return nil, nil, false, fmt.Errorf("load CA: %s is not a CA certificate", certPath)
		}
		if now.After(cert.NotAfter) {
			return nil, nil, false, fmt.Errorf("CA %s expired on %s; move ca.pem and ca-key.pem away to create a new CA, then give clients the new ca.pem",
				certPath, cert.NotAfter.Format(time.DateOnly))
		}
		return cert, key, false, nil
	case certExists || keyExists:
		return nil, nil, false, fmt.Errorf("only one of %s and %s exists; restore the other or remove both to create a new CA",
			filepath.Base(certPath), filepath.Base(keyPath))
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, false, fmt.Errorf("create CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, false, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"stixhub"}, CommonName: "stixhub hub CA"},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, false, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, false, fmt.Errorf("create CA certificate: %w", err)
	}
	// Key first: a certificate without its key would block the next start.
	if err := writeKey(keyPath, key); err != nil {
		return nil, nil, false, err
	}
	if err := writeFileAtomic(certPath, pemCert(der), 0o644); err != nil {
		return nil, nil, false, err
	}
	return cert, key, true, nil
}

// serverCertUsable reports whether the server files hold a matching key and
// certificate, signed by ca, covering ips and names for more than
// renewBefore.
func serverCertUsable(certPath, keyPath string, ca *x509.Certificate, ips []net.IP, names []string, now time.Time) bool {
	cert, _, err := loadPair(certPath, keyPath)
	if err != nil {
		return false
	}
	if cert.CheckSignatureFrom(ca) != nil || now.Before(cert.NotBefore) || now.Add(renewBefore).After(cert.NotAfter) {
		return false
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return false
		}
	}
	for _, name := range names {
		if !slices.ContainsFunc(cert.DNSNames, func(n string) bool { return strings.EqualFold(n, name) }) {
			return false
		}
	}
	return true
}

// issueServer writes a new server key and a certificate for it signed by ca.
func issueServer(certPath, keyPath string, ca *x509.Certificate, caKey crypto.Signer, ips []net.IP, names []string, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("create server key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return err
	}
	notAfter := now.AddDate(1, 0, 0)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"stixhub"}, CommonName: "stixhub hub"},
		NotBefore:    now.Add(-backdate),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return fmt.Errorf("create server certificate: %w", err)
	}
	// Each file is replaced atomically; a server reading in between sees a
	// new key with the old certificate and keeps its loaded pair until both
	// match (see ServerTLS).
	if err := writeKey(keyPath, key); err != nil {
		return err
	}
	return writeFileAtomic(certPath, pemCert(der), 0o644)
}

func newSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("certificate serial number: %w", err)
	}
	return serial.Add(serial, big.NewInt(1)), nil
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

// writeFileAtomic replaces path with data, with mode perm whatever the umask:
// readers see the old file or the new one, never a part.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("write %s: %w", path, err)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, err
	}
}

// loadPair reads a PEM certificate (the first in the file) and the PEM
// private key that belongs to it.
func loadPair(certPath, keyPath string) (*x509.Certificate, crypto.Signer, error) {
	cert, err := loadCert(certPath)
	if err != nil {
		return nil, nil, err
	}
	key, err := loadKey(keyPath)
	if err != nil {
		return nil, nil, err
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, nil, fmt.Errorf("%s does not hold the key of %s", keyPath, certPath)
	}
	return cert, key, nil
}

func loadCert(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("%s: no PEM CERTIFICATE block", path)
		}
		if block.Type == "CERTIFICATE" {
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return cert, nil
		}
	}
}

// loadKey reads a PEM private key in PKCS#8, SEC 1 (EC) or PKCS#1 (RSA) form,
// so that an operator may bring a CA made with other tools.
func loadKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%s: PEM block %q is not a private key", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: %T cannot sign", path, key)
	}
	return signer, nil
}
