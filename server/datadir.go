package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/stixhub/stixhub/internal/registry"
	"github.com/stixhub/stixhub/internal/sign"
)

// lockDir takes an exclusive lock on path so that two hubs never share one
// data directory. The lock lasts until the returned file is closed.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("data directory is in use by another stixhubd (lock %s): %w", path, err)
	}
	return f, nil
}

// loadOrCreateToken reads the operator token, creating it (mode 0600) on
// first start.
func loadOrCreateToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("operator token file %s is empty", path)
		}
		return tok, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read operator token: %w", err)
	}
	tok, err := registry.NewToken()
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create operator token: %w", err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("write operator token: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write operator token: %w", err)
	}
	return tok, nil
}

// loadOrCreateHubKey loads the hub's receipt key, generating it on first
// start.
func loadOrCreateHubKey(path string) (*sign.Ed25519Signer, error) {
	s, err := sign.LoadPrivateKeyFile(path)
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("hub key: %w", err)
	}
	s, err = sign.GenerateEd25519()
	if err != nil {
		return nil, fmt.Errorf("generate hub key: %w", err)
	}
	if err := sign.WritePrivateKeyFile(path, s.PrivateKey()); err != nil {
		return nil, fmt.Errorf("hub key: %w", err)
	}
	return s, nil
}
