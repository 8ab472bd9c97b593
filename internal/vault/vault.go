// Package vault connects the hub and its members to HashiCorp Vault: login
// (token or AppRole), and Ed25519 signing through the Transit secrets engine,
// where the private key never leaves Vault.
package vault

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/stixhub/stixhub/internal/sign"
)

// ErrUnavailable means Vault could not be reached, is sealed or is in
// standby without a leader: the call may succeed later.
var ErrUnavailable = errors.New("vault unavailable")

// Config says how to reach and log in to Vault. Empty fields fall back to
// the standard Vault environment (VAULT_ADDR, VAULT_TOKEN, VAULT_CACERT, ...).
type Config struct {
	// Addr is Vault's address, such as "https://vault.example:8200".
	Addr string
	// Token is a Vault token. Ignored when RoleIDFile is set.
	Token string
	// RoleIDFile and SecretIDFile name files holding an AppRole role id and
	// secret id; the client logs in with them and renews its token.
	RoleIDFile   string
	SecretIDFile string
	// AppRoleMount is the AppRole auth mount. Default "approle".
	AppRoleMount string
	// Timeout bounds each Vault request. Default 5 s.
	Timeout time.Duration
	// Logger receives login and renewal events. Default slog.Default().
	Logger *slog.Logger
}

// Connect returns a logged-in Vault client.
func Connect(ctx context.Context, cfg Config) (*api.Client, error) {
	vc := api.DefaultConfig() // reads VAULT_ADDR, VAULT_CACERT, ...
	if vc.Error != nil {
		return nil, fmt.Errorf("vault config: %w", vc.Error)
	}
	if cfg.Addr != "" {
		vc.Address = cfg.Addr
	}
	vc.Timeout = cfg.Timeout
	if vc.Timeout == 0 {
		vc.Timeout = 5 * time.Second
	}
	vc.MaxRetries = 0 // callers decide about retries; a dead Vault must show quickly
	c, err := api.NewClient(vc)
	if err != nil {
		return nil, fmt.Errorf("vault client: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RoleIDFile == "" {
		if cfg.Token != "" {
			c.SetToken(cfg.Token)
		}
		if c.Token() == "" {
			return nil, errors.New("no Vault token: set VAULT_TOKEN or give an AppRole role-id and secret-id file")
		}
		return c, nil
	}
	if cfg.AppRoleMount == "" {
		cfg.AppRoleMount = "approle"
	}
	login := func(ctx context.Context) (*api.Secret, error) {
		roleID, err := readSecretFile(cfg.RoleIDFile)
		if err != nil {
			return nil, err
		}
		secretID, err := readSecretFile(cfg.SecretIDFile)
		if err != nil {
			return nil, err
		}
		s, err := c.Logical().WriteWithContext(ctx, "auth/"+cfg.AppRoleMount+"/login", map[string]any{"role_id": roleID, "secret_id": secretID})
		if err != nil {
			return nil, fmt.Errorf("vault approle login: %w", classify(err))
		}
		if s == nil || s.Auth == nil {
			return nil, errors.New("vault approle login returned no token")
		}
		c.SetToken(s.Auth.ClientToken)
		return s, nil
	}
	s, err := login(ctx)
	if err != nil {
		return nil, err
	}
	go keepLoggedIn(c, s, login, cfg.Logger)
	return c, nil
}

// keepLoggedIn renews the AppRole token while it can and logs in again when
// it cannot (max TTL reached, Vault restarted).
func keepLoggedIn(c *api.Client, s *api.Secret, login func(context.Context) (*api.Secret, error), log *slog.Logger) {
	for {
		if s != nil && s.Auth != nil && s.Auth.Renewable {
			w, err := c.NewLifetimeWatcher(&api.LifetimeWatcherInput{Secret: s})
			if err == nil {
				go w.Start()
				err = <-w.DoneCh()
				w.Stop()
			}
			if err != nil {
				log.Warn("vault token renewal stopped", "err", err)
			}
		} else {
			ttl := 30 * time.Second
			if s != nil && s.Auth != nil && s.Auth.LeaseDuration > 0 {
				ttl = time.Duration(s.Auth.LeaseDuration) * time.Second * 2 / 3
			}
			time.Sleep(ttl)
		}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			ns, err := login(ctx)
			cancel()
			if err == nil {
				s = ns
				log.Info("vault: logged in again with AppRole")
				break
			}
			log.Warn("vault: AppRole login failed; retrying", "err", err)
			time.Sleep(5 * time.Second)
		}
	}
}

func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}

// classify wraps errors that mean "Vault is not there now" with
// ErrUnavailable, so callers answer Unavailable instead of failing hard.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var re *api.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case 429, 500, 502, 503, 504:
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return err
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// Classify is classify for other packages that call Vault with the API
// client directly (the registry's Vault KV backend).
func Classify(err error) error { return classify(err) }

// Check reports whether Vault is reachable, unsealed and active.
func Check(ctx context.Context, c *api.Client) error {
	h, err := c.Sys().HealthWithContext(ctx)
	if err != nil {
		return classify(err)
	}
	switch {
	case h.Sealed:
		return fmt.Errorf("%w: vault is sealed", ErrUnavailable)
	case !h.Initialized:
		return fmt.Errorf("%w: vault is not initialized", ErrUnavailable)
	}
	return nil
}

// TransitSigner signs with an ed25519 key of Vault's Transit engine. It
// implements the hub's receipt signer and the client's Signer: the same
// signatures as a key file, verifiable by the same code, but the private key
// never leaves Vault.
type TransitSigner struct {
	c       *api.Client
	mount   string
	name    string
	version int
	pub     ed25519.PublicKey
	keyID   string
}

// NewTransitSigner binds the newest version of the Transit key name (an
// ed25519 key) on the Transit mount (default "transit"). Rotating the key
// in Vault does not change a running signer: the new version is a new key
// with a new id, registered with the hub first and then picked up by a
// restart.
func NewTransitSigner(ctx context.Context, c *api.Client, mount, name string) (*TransitSigner, error) {
	if mount == "" {
		mount = "transit"
	}
	if name == "" {
		return nil, errors.New("vault transit key name is empty")
	}
	s, err := c.Logical().ReadWithContext(ctx, mount+"/keys/"+name)
	if err != nil {
		return nil, fmt.Errorf("read transit key %s/%s: %w", mount, name, classify(err))
	}
	if s == nil || s.Data == nil {
		return nil, fmt.Errorf("transit key %s/%s does not exist (create it with: vault write -f %s/keys/%s type=ed25519)", mount, name, mount, name)
	}
	pub, version, err := newestPublicKey(s.Data)
	if err != nil {
		return nil, fmt.Errorf("transit key %s/%s: %w", mount, name, err)
	}
	return &TransitSigner{c: c, mount: mount, name: name, version: version, pub: pub, keyID: sign.KeyID(pub)}, nil
}

// CreateTransitKey creates an ed25519 Transit key if it does not exist (the
// caller's policy must allow it) and returns a signer for it.
func CreateTransitKey(ctx context.Context, c *api.Client, mount, name string) (*TransitSigner, error) {
	if mount == "" {
		mount = "transit"
	}
	if _, err := c.Logical().WriteWithContext(ctx, mount+"/keys/"+name, map[string]any{"type": "ed25519"}); err != nil {
		return nil, fmt.Errorf("create transit key %s/%s: %w", mount, name, classify(err))
	}
	return NewTransitSigner(ctx, c, mount, name)
}

func newestPublicKey(data map[string]any) (ed25519.PublicKey, int, error) {
	if t, _ := data["type"].(string); t != "ed25519" {
		return nil, 0, fmt.Errorf("key type is %q, want ed25519", t)
	}
	keys, _ := data["keys"].(map[string]any)
	var versions []int
	for v := range keys {
		n, err := strconv.Atoi(v)
		if err == nil {
			versions = append(versions, n)
		}
	}
	if len(versions) == 0 {
		return nil, 0, errors.New("no key versions")
	}
	sort.Ints(versions)
	newest := versions[len(versions)-1]
	entry, _ := keys[strconv.Itoa(newest)].(map[string]any)
	b64, _ := entry["public_key"].(string)
	pub, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, 0, fmt.Errorf("version %d has no usable ed25519 public key", newest)
	}
	return pub, newest, nil
}

// KeyID is the hub key id of the Transit key's public key.
func (s *TransitSigner) KeyID() string { return s.keyID }

// PublicKey returns the raw Ed25519 public key.
func (s *TransitSigner) PublicKey() ed25519.PublicKey { return s.pub }

// Name is "<mount>/<key>", for logs.
func (s *TransitSigner) Name() string { return s.mount + "/" + s.name }

// Sign asks Vault for an Ed25519 signature of msg.
func (s *TransitSigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	r, err := s.c.Logical().WriteWithContext(ctx, s.mount+"/sign/"+s.name, map[string]any{
		"input":       base64.StdEncoding.EncodeToString(msg),
		"key_version": s.version,
	})
	if err != nil {
		return nil, fmt.Errorf("vault transit sign with %s: %w", s.Name(), classify(err))
	}
	if r == nil || r.Data == nil {
		return nil, fmt.Errorf("vault transit sign with %s: empty response", s.Name())
	}
	v, _ := r.Data["signature"].(string)
	parts := strings.Split(v, ":") // "vault:v<version>:<base64>"
	if len(parts) != 3 || parts[0] != "vault" {
		return nil, fmt.Errorf("vault transit sign with %s: unexpected signature format", s.Name())
	}
	sig, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("vault transit sign with %s: signature is not 64 bytes of base64", s.Name())
	}
	return sig, nil
}
