package sign

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrivateKeyFileRoundTrip(t *testing.T) {
	s, err := GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "member.key")
	if err := WritePrivateKeyFile(path, s.PrivateKey()); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadPrivateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.KeyID() != s.KeyID() || !bytes.Equal(loaded.PrivateKey(), s.PrivateKey()) {
		t.Fatalf("loaded key %s, wrote %s", loaded.KeyID(), s.KeyID())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("file does not start with a PKCS#8 PEM header:\n%s", data)
	}
}

func TestPrivateKeyFileIsOwnerOnly(t *testing.T) {
	s, err := GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "member.key")
	if err := WritePrivateKeyFile(path, s.PrivateKey()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %v, want 0600", got)
	}
}

func TestKeyFilesAreNeverOverwritten(t *testing.T) {
	s, err := GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		write func(path string) error
	}{
		{"refuses to overwrite a private key file", func(p string) error { return WritePrivateKeyFile(p, s.PrivateKey()) }},
		{"refuses to overwrite a public key file", func(p string) error { return WritePublicKeyFile(p, s.PublicKey()) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "k")
			if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
				t.Fatal(err)
			}
			err := tc.write(path)
			if !errors.Is(err, fs.ErrExist) {
				t.Fatalf("error = %v, want fs.ErrExist", err)
			}
			if data, _ := os.ReadFile(path); string(data) != "precious" {
				t.Errorf("existing file changed to %q", data)
			}
		})
	}
}

func TestWriteKeyFilesRejectsInvalidKeys(t *testing.T) {
	dir := t.TempDir()
	if err := WritePrivateKeyFile(filepath.Join(dir, "a"), make([]byte, 10)); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("WritePrivateKeyFile(short) = %v, want ErrInvalidKey", err)
	}
	if err := WritePublicKeyFile(filepath.Join(dir, "b"), make([]byte, 10)); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("WritePublicKeyFile(short) = %v, want ErrInvalidKey", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files created for invalid keys: %v", entries)
	}
}

func TestPublicKeyFileRoundTrip(t *testing.T) {
	s, err := GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "member.pub")
	if err := WritePublicKeyFile(path, s.PublicKey()); err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pub, s.PublicKey()) {
		t.Fatalf("loaded %x, wrote %x", pub, s.PublicKey())
	}
}

func TestLoadPrivateKeyFileRejects(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	s := rfc8032Signer(t)
	pubDER, err := x509.MarshalPKIXPublicKey(s.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	tests := []struct {
		name, content string
		wantErr       error
	}{
		{"rejects a file without PEM", "not a key", ErrInvalidKey},
		{"rejects an ECDSA key", pemOf("PRIVATE KEY", ecDER), ErrInvalidKey},
		{"rejects a public key", pemOf("PUBLIC KEY", pubDER), ErrInvalidKey},
		{"rejects an encrypted key", pemOf("ENCRYPTED PRIVATE KEY", []byte{0x30, 0}), ErrInvalidKey},
		{"rejects a corrupt PKCS#8 body", pemOf("PRIVATE KEY", []byte{0x30, 0x03, 1, 2, 3}), ErrInvalidKey},
		{"rejects an empty file", "", ErrInvalidKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "k")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadPrivateKeyFile(path)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	t.Run("reports a missing file with fs.ErrNotExist", func(t *testing.T) {
		_, err := LoadPrivateKeyFile(filepath.Join(t.TempDir(), "missing"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("error = %v, want fs.ErrNotExist", err)
		}
	})
}

func TestParsePublicKey(t *testing.T) {
	s := rfc8032Signer(t)
	raw := []byte(s.PublicKey())
	der, err := x509.MarshalPKIXPublicKey(s.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	accepts := []struct {
		name string
		in   []byte
	}{
		{"accepts PEM", pemKey},
		{"accepts PEM with surrounding whitespace", append(append([]byte("\n  "), pemKey...), "\n\n"...)},
		{"accepts raw 32 bytes", raw},
		{"accepts standard base64", []byte(base64.StdEncoding.EncodeToString(raw))},
		{"accepts standard base64 with a trailing newline", []byte(base64.StdEncoding.EncodeToString(raw) + "\n")},
		{"accepts unpadded base64", []byte(base64.RawStdEncoding.EncodeToString(raw))},
		{"accepts URL-safe base64", []byte(base64.URLEncoding.EncodeToString(raw))},
	}
	for _, tc := range accepts {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePublicKey(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, raw) {
				t.Errorf("got %x, want %x", got, raw)
			}
		})
	}
	rejects := []struct {
		name string
		in   []byte
	}{
		{"rejects 31 raw bytes", raw[:31]},
		{"rejects 33 raw bytes", append(bytes.Clone(raw), 0)},
		{"rejects base64 of 31 bytes", []byte(base64.StdEncoding.EncodeToString(raw[:31]))},
		{"rejects an ECDSA public key", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER})},
		{"rejects a private key PEM", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})},
		{"rejects a truncated PEM", pemKey[:40]},
		{"rejects hex", []byte(rfc8032Pub)},
		{"rejects nothing", nil},
	}
	for _, tc := range rejects {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := ParsePublicKey(tc.in); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("ParsePublicKey = %x, %v; want ErrInvalidKey", got, err)
			}
		})
	}
}

// TestKeyFilesAreOpenSSLCompatible checks the files against the openssl
// command line, when the machine has one.
func TestKeyFilesAreOpenSSLCompatible(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed: cannot check key files against it")
	}
	run := func(t *testing.T, args ...string) []byte {
		t.Helper()
		out, err := exec.Command(openssl, args...).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) && strings.Contains(string(ee.Stderr), "ED25519") {
				t.Skipf("this openssl lacks Ed25519: %s", ee.Stderr)
			}
			t.Fatalf("openssl %v: %v", args, err)
		}
		return out
	}

	t.Run("openssl derives the same public key file from our private key", func(t *testing.T) {
		dir := t.TempDir()
		s, err := GenerateEd25519()
		if err != nil {
			t.Fatal(err)
		}
		keyPath, pubPath := filepath.Join(dir, "k.key"), filepath.Join(dir, "k.pub")
		if err := WritePrivateKeyFile(keyPath, s.PrivateKey()); err != nil {
			t.Fatal(err)
		}
		if err := WritePublicKeyFile(pubPath, s.PublicKey()); err != nil {
			t.Fatal(err)
		}
		got := run(t, "pkey", "-in", keyPath, "-pubout")
		want, err := os.ReadFile(pubPath)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("openssl pkey -pubout:\n%s\nWritePublicKeyFile:\n%s", got, want)
		}
	})

	t.Run("we load a key made by openssl genpkey and verify its signatures", func(t *testing.T) {
		dir := t.TempDir()
		keyPath, msgPath, sigPath := filepath.Join(dir, "k.key"), filepath.Join(dir, "msg"), filepath.Join(dir, "sig")
		run(t, "genpkey", "-algorithm", "ed25519", "-out", keyPath)
		s, err := LoadPrivateKeyFile(keyPath)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ParsePublicKey(run(t, "pkey", "-in", keyPath, "-pubout"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pub, s.PublicKey()) {
			t.Fatal("public key from openssl differs from ours")
		}
		msg, err := Canonicalize([]byte(readIndicator(t)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(msgPath, msg, 0o600); err != nil {
			t.Fatal(err)
		}
		run(t, "pkeyutl", "-sign", "-rawin", "-inkey", keyPath, "-in", msgPath, "-out", sigPath)
		sig, err := os.ReadFile(sigPath)
		if err != nil {
			t.Fatal(err)
		}
		if !Verify(pub, msg, sig) {
			t.Error("Verify rejects the openssl signature")
		}
		ours, err := s.Sign(context.Background(), msg)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, sig) { // Ed25519 is deterministic
			t.Error("our signature differs from openssl's")
		}
	})
}
