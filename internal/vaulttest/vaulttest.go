// Package vaulttest starts real Vault dev servers for tests: `vault server
// -dev` on a random loopback port, with the Transit and KV v2 engines, stopped
// when the test ends.
//
// The Vault binary comes from STIXHUB_VAULT_BIN, or from .ci/vault-build,
// which builds Vault once from its Go module and caches it under
// ~/.cache/stixhub (8 to 25 minutes the first time on a cold machine; .ci/run
// does that before the tests).
package vaulttest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
)

// Server is a running Vault dev server.
type Server struct {
	Addr      string // http://127.0.0.1:<port>
	RootToken string

	t      testing.TB
	cmd    *exec.Cmd
	port   int
	output *syncBuffer
	done   chan struct{}
}

// syncBuffer is the server's output: written by exec's copying goroutine,
// read by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// Binary returns the path of the Vault server binary, building it if needed.
func Binary() (string, error) {
	binOnce.Do(func() {
		if p := os.Getenv("STIXHUB_VAULT_BIN"); p != "" {
			binPath = p
			return
		}
		script, err := findScript()
		if err != nil {
			binErr = err
			return
		}
		cmd := exec.Command(script)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			binErr = fmt.Errorf("%s: %w", script, err)
			return
		}
		binPath = strings.TrimSpace(string(out))
	})
	return binPath, binErr
}

func findScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, ".ci", "vault-build")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf(".ci/vault-build not found above the test directory; set STIXHUB_VAULT_BIN")
		}
		dir = parent
	}
}

// Start runs a Vault dev server for the test and stops it at cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := Binary(); err != nil {
		t.Fatalf("vault binary: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{
		Addr:      fmt.Sprintf("http://127.0.0.1:%d", port),
		RootToken: "root-" + fmt.Sprint(time.Now().UnixNano()),
		t:         t,
		port:      port,
	}
	s.start()
	t.Cleanup(s.Stop)
	c := s.Client(s.RootToken)
	if err := c.Sys().MountWithContext(context.Background(), "transit", &api.MountInput{Type: "transit"}); err != nil {
		t.Fatalf("enable transit: %v", err)
	}
	return s
}

func (s *Server) start() {
	s.t.Helper()
	s.output = new(syncBuffer)
	bin, _ := Binary()
	s.cmd = exec.Command(bin, "server", "-dev",
		"-dev-listen-address", fmt.Sprintf("127.0.0.1:%d", s.port),
		"-dev-root-token-id", s.RootToken,
		"-dev-no-store-token")
	s.cmd.Env = append(os.Environ(), "VAULT_DISABLE_MLOCK=true", "HOME="+s.t.TempDir())
	s.cmd.Stdout = s.output
	s.cmd.Stderr = s.output
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start vault: %v", err)
	}
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	c := s.Client(s.RootToken)
	deadline := time.Now().Add(30 * time.Second)
	for {
		h, err := c.Sys().Health()
		if err == nil && h.Initialized && !h.Sealed {
			return
		}
		select {
		case <-s.done:
			s.t.Fatalf("vault exited at start:\n%s", s.output)
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("vault not ready after 30s (%v):\n%s", err, s.output)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server. Its data (a dev server keeps it in memory) is lost.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Kill()
	<-s.done
}

// Pause stops the Vault process without losing its state (SIGSTOP), so
// calls to it time out as they would against a Vault that went away; Resume
// lets it go on.
func (s *Server) Pause() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sigStop); err != nil {
		s.t.Fatalf("pause vault: %v", err)
	}
}

// Resume continues a paused server.
func (s *Server) Resume() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sigCont); err != nil {
		s.t.Fatalf("resume vault: %v", err)
	}
}

// Seal seals the server, as an operator would in an emergency.
func (s *Server) Seal() {
	s.t.Helper()
	if err := s.Root().Sys().Seal(); err != nil {
		s.t.Fatalf("seal vault: %v", err)
	}
}

// Unseal unseals the server with the unseal key the dev server printed.
func (s *Server) Unseal() {
	s.t.Helper()
	m := regexp.MustCompile(`Unseal Key: (\S+)`).FindStringSubmatch(s.output.String())
	if m == nil {
		s.t.Fatalf("no unseal key in the dev server's output:\n%s", s.output)
	}
	st, err := s.Root().Sys().Unseal(m[1])
	if err != nil || st.Sealed {
		s.t.Fatalf("unseal vault: %v %+v", err, st)
	}
}

// Client returns an API client for the server with the given token.
func (s *Server) Client(token string) *api.Client {
	s.t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = s.Addr
	cfg.Timeout = 2 * time.Second
	cfg.MaxRetries = 0
	c, err := api.NewClient(cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	c.SetToken(token)
	return c
}

// Root returns a client with the root token.
func (s *Server) Root() *api.Client { return s.Client(s.RootToken) }

// CreateTransitKey creates an ed25519 transit key.
func (s *Server) CreateTransitKey(name string) {
	s.t.Helper()
	if _, err := s.Root().Logical().Write("transit/keys/"+name, map[string]any{"type": "ed25519"}); err != nil {
		s.t.Fatalf("create transit key %s: %v", name, err)
	}
}

// TokenWithPolicy writes the policy and returns a token that has only it.
func (s *Server) TokenWithPolicy(name, hcl string) string {
	s.t.Helper()
	c := s.Root()
	if err := c.Sys().PutPolicy(name, hcl); err != nil {
		s.t.Fatalf("put policy %s: %v", name, err)
	}
	sec, err := c.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{name}, NoDefaultPolicy: true})
	if err != nil {
		s.t.Fatalf("token for %s: %v", name, err)
	}
	return sec.Auth.ClientToken
}
