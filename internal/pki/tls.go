package pki

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync"
)

// ServerTLS returns a server TLS configuration (TLS 1.3 minimum) with the
// certificate and key in certFile and keyFile.
//
// The files are re-read when they change, so operators (and Ensure) can
// rotate them under a running server: each handshake stats both files, and
// when either has changed the pair is loaded again. Until the new files form
// a valid pair (while a rotation is half done, or when they are broken) the
// server keeps the pair it has.
func ServerTLS(certFile, keyFile string) (*tls.Config, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile}
	if err := r.load(); err != nil {
		return nil, fmt.Errorf("server tls: %w", err)
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS13,
		GetCertificate: r.getCertificate,
	}, nil
}

// ClientTLS returns a client TLS configuration (TLS 1.3 minimum) that trusts
// only the CA certificates in the PEM file caFile. serverName is the name
// the server certificate must cover; when "" the dialer uses the host of the
// address it dials (as gRPC does).
func ClientTLS(caFile, serverName string) (*tls.Config, error) {
	data, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("client tls: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("client tls: %s holds no PEM certificate", caFile)
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		RootCAs:    pool,
		ServerName: serverName,
	}, nil
}

// fileStamp identifies one version of a file.
type fileStamp struct {
	info os.FileInfo
}

func (s fileStamp) same(o fileStamp) bool {
	if s.info == nil || o.info == nil {
		return s.info == o.info
	}
	return os.SameFile(s.info, o.info) && s.info.ModTime().Equal(o.info.ModTime()) && s.info.Size() == o.info.Size()
}

// certReloader serves a certificate pair and reloads it when its files
// change.
type certReloader struct {
	certFile, keyFile string

	mu   sync.Mutex
	cert *tls.Certificate
	// Versions of the files behind cert, and of the last versions that
	// failed to load (not retried until they change again).
	certStamp, keyStamp   fileStamp
	failedCert, failedKey fileStamp
}

func stat(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{info: fi}
}

// load reads the pair. Called with mu held, or before the reloader is
// shared.
func (r *certReloader) load() error {
	certStamp, keyStamp := stat(r.certFile), stat(r.keyFile)
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		r.failedCert, r.failedKey = certStamp, keyStamp
		return err
	}
	// Stat again: if a file changed while it was read, the stamps would not
	// describe what was loaded; leave them unset so the next handshake
	// reloads.
	if !certStamp.same(stat(r.certFile)) || !keyStamp.same(stat(r.keyFile)) {
		certStamp, keyStamp = fileStamp{}, fileStamp{}
	}
	r.cert, r.certStamp, r.keyStamp = &cert, certStamp, keyStamp
	r.failedCert, r.failedKey = fileStamp{}, fileStamp{}
	return nil
}

func (r *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	certStamp, keyStamp := stat(r.certFile), stat(r.keyFile)
	changed := !certStamp.same(r.certStamp) || !keyStamp.same(r.keyStamp)
	retried := certStamp.same(r.failedCert) && keyStamp.same(r.failedKey)
	if changed && !retried && certStamp.info != nil && keyStamp.info != nil {
		_ = r.load() // on failure keep serving the pair we have
	}
	return r.cert, nil
}
