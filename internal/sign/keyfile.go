package sign

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
)

const (
	privatePEMType = "PRIVATE KEY"
	publicPEMType  = "PUBLIC KEY"
)

// WritePrivateKeyFile writes priv to a new file at path as a PEM "PRIVATE KEY"
// block (PKCS#8, as openssl writes it) with mode 0600. It never replaces an
// existing file: if path exists, the error wraps fs.ErrExist.
func WritePrivateKeyFile(path string, priv ed25519.PrivateKey) error {
	full, err := checkPrivateKey(priv)
	if err != nil {
		return fmt.Errorf("write private key %s: %w", path, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(full)
	if err != nil {
		return fmt.Errorf("write private key %s: %w", path, err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: privatePEMType, Bytes: der})
	if err := writeNewFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write private key: %w", err)
	}
	return nil
}

// WritePublicKeyFile writes pub to a new file at path as a PEM "PUBLIC KEY"
// block (PKIX, as `openssl pkey -pubout` writes it) with mode 0644. Like
// WritePrivateKeyFile it never replaces an existing file (the error wraps
// fs.ErrExist): a public key file is a trust anchor for whoever reads it.
func WritePublicKeyFile(path string, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("write public key %s: %w: %d bytes, want %d", path, ErrInvalidKey, len(pub), ed25519.PublicKeySize)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Errorf("write public key %s: %w", path, err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: publicPEMType, Bytes: der})
	if err := writeNewFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write public key: %w", err)
	}
	return nil
}

// writeNewFile creates path exclusively with mode perm (whatever the umask)
// and writes data to it. On failure it removes what it created.
func writeNewFile(path string, data []byte, perm os.FileMode) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err // *fs.PathError; wraps fs.ErrExist when path exists
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Sync()
}

// LoadPrivateKeyFile reads a PEM "PRIVATE KEY" (PKCS#8) Ed25519 key, such as
// one written by WritePrivateKeyFile or `openssl genpkey -algorithm ed25519`,
// and returns a signer for it. Other key types and encrypted keys are
// refused with an error wrapping ErrInvalidKey.
func LoadPrivateKeyFile(path string) (*Ed25519Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load private key: %w", err)
	}
	priv, err := parsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("load private key %s: %w", path, err)
	}
	return NewEd25519Signer(priv), nil
}

func parsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrInvalidKey)
	}
	switch block.Type {
	case privatePEMType:
	case "ENCRYPTED PRIVATE KEY":
		return nil, fmt.Errorf("%w: encrypted keys are not supported", ErrInvalidKey)
	default:
		return nil, fmt.Errorf("%w: PEM block %q, want %q (PKCS#8)", ErrInvalidKey, block.Type, privatePEMType)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s key, want Ed25519", ErrInvalidKey, keyType(key))
	}
	return checkPrivateKey(priv)
}

// keyType names the type of a parsed key without printing the key.
func keyType(key any) string {
	return fmt.Sprintf("%T", key)
}

// ParsePublicKey parses an Ed25519 public key given as a PEM "PUBLIC KEY"
// block (PKIX), as the raw 32 bytes, or as the standard or URL base64 of the
// raw 32 bytes (padded or not). Surrounding whitespace is ignored except in
// the raw form.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	if len(data) == ed25519.PublicKeySize {
		return ed25519.PublicKey(bytes.Clone(data)), nil
	}
	text := bytes.TrimSpace(data)
	if bytes.HasPrefix(text, []byte("-----BEGIN")) {
		return parsePublicPEM(text)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if enc.DecodedLen(len(text)) < ed25519.PublicKeySize {
			continue
		}
		raw, err := enc.DecodeString(string(text))
		if err == nil && len(raw) == ed25519.PublicKeySize {
			return ed25519.PublicKey(raw), nil
		}
	}
	return nil, fmt.Errorf("%w: %d bytes that are neither PEM, 32 raw bytes nor their base64", ErrInvalidKey, len(data))
}

func parsePublicPEM(text []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(text)
	if block == nil {
		return nil, fmt.Errorf("%w: bad PEM", ErrInvalidKey)
	}
	if block.Type != publicPEMType {
		return nil, fmt.Errorf("%w: PEM block %q, want %q", ErrInvalidKey, block.Type, publicPEMType)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s key, want Ed25519", ErrInvalidKey, keyType(key))
	}
	return pub, nil
}

// LoadPublicKeyFile reads an Ed25519 public key in any form ParsePublicKey
// accepts.
func LoadPublicKeyFile(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load public key: %w", err)
	}
	pub, err := ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("load public key %s: %w", path, err)
	}
	return pub, nil
}
