package client

import (
	"github.com/stixhub/stixhub/internal/sign"
)

// LoadKeyFile loads an Ed25519 private key written by `stixhub keygen`
// (PKCS#8 PEM) as a Signer.
func LoadKeyFile(path string) (Signer, error) {
	return sign.LoadPrivateKeyFile(path)
}

// LoadPublicKeyFile loads an Ed25519 public key (PKIX PEM, as written next
// to a key by `stixhub keygen`).
func LoadPublicKeyFile(path string) ([]byte, error) {
	return sign.LoadPublicKeyFile(path)
}
