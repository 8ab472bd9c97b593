package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	"github.com/stixhub/stixhub/internal/sign"
	"github.com/stixhub/stixhub/internal/vaulttest"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// binDir holds stixhub and stixhubd built from this tree for the end-to-end
// tests.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "stixhub-e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		cmd := exec.Command("go", "build", "-o", dir, "./client/cmd/stixhub", "./server/cmd/stixhubd")
		cmd.Dir = filepath.Join("..", "..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build binaries: %v\n%s", err, out)
			return 1
		}
		binDir = dir
		return m.Run()
	}())
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// hubProc is a stixhubd process.
type hubProc struct {
	cmd   *exec.Cmd
	addr  string
	taxii string // TAXII listen address
	dir   string // working directory; data in dir/stixhub-data
	logs  *bytes.Buffer
	done  chan error
}

// startHubProc runs `stixhubd --data-dir ./stixhub-data` in dir and waits
// until it logs that it listens.
func startHubProc(t *testing.T, dir, addr string) *hubProc {
	t.Helper()
	p := &hubProc{addr: addr, dir: dir, logs: &bytes.Buffer{}, done: make(chan error, 1)}
	p.taxii = freeAddr(t)
	p.cmd = exec.Command(filepath.Join(binDir, "stixhubd"), "--data-dir", "./stixhub-data", "--grpc-addr", addr, "--taxii-addr", p.taxii)
	p.cmd.Dir = dir
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan struct{})
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.OnceFunc(func() { close(listening) })
		for sc.Scan() {
			mu.Lock()
			p.logs.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.Contains(sc.Text(), "stixhub listening") {
				once()
			}
		}
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case <-listening:
	case err := <-p.done:
		t.Fatalf("stixhubd exited: %v\n%s", err, p.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("stixhubd did not start\n%s", p.logs.String())
	}
	return p
}

// kill sends sig and waits for the process to end.
func (p *hubProc) kill(t *testing.T, sig syscall.Signal) error {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("stixhubd did not exit on %v", sig)
		return nil
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// readmeBlock returns the shell block between the <!-- name:begin --> and
// <!-- name:end --> markers of README.md.
func readmeBlock(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- " + name + ":begin -->\\s*```sh\n(.*?)```\\s*<!-- " + name + ":end -->").FindSubmatch(b)
	if m == nil {
		t.Fatalf("README.md has no %s block", name)
	}
	return string(m[1])
}

// runScript runs a README block with bash -euo pipefail in dir, with env and
// binDir first on PATH, and returns its combined output. The block runs in
// a process group of its own, killed when the block ends or after timeout:
// a command it left in the background (a hub, a watch) cannot outlive the
// test or hold its output open.
func runScript(t *testing.T, script, dir string, timeout time.Duration, env ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Env = append(cmd.Env, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Output to a file, not a pipe: Wait returns when bash does, whatever
	// the commands it started still hold open.
	out, err := os.CreateTemp(t.TempDir(), "output")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err = cmd.Start(); err == nil {
		err = cmd.Wait()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // what the block left running
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (timed out after %s)", err, timeout)
	}
	b, readErr := os.ReadFile(out.Name())
	if readErr != nil {
		t.Fatal(readErr)
	}
	return string(b), err
}

// TestREADMETour runs the README's five-minute tour, verbatim, against a real
// stixhubd started with the README's run command.
func TestREADMETour(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the binaries")
	}
	work := t.TempDir()
	copyDir(t, filepath.Join("..", "..", "..", "testdata"), filepath.Join(work, "testdata"))
	addr := freeAddr(t)
	hub := startHubProc(t, work, addr)

	out, err := runScript(t, readmeBlock(t, "tour"), work, 5*time.Minute, "STIXHUB_HUB="+addr)
	if err != nil {
		t.Fatalf("tour failed: %v\n--- output\n%s\n--- hub log\n%s", err, out, hub.logs.String())
	}
	t.Logf("tour output:\n%s", out)

	feed, err := os.ReadFile(filepath.Join(work, "feed.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(feed, []byte("\n")); n != 231 {
		t.Errorf("feed.jsonl has %d lines, want 231", n)
	}
	for _, want := range []string{"231 objects, 231 valid, 0 invalid", "231 verified, 0 failed", "\n76\n", "rejected  indicator--", "key_id: key "} {
		if !strings.Contains(out, want) {
			t.Errorf("tour output lacks %q", want)
		}
	}
	st, err := os.Stat(filepath.Join(work, "bank-a.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("bank-a.key: %v %v, want mode 0600", err, st)
	}
	if err := hub.kill(t, syscall.SIGTERM); err != nil {
		t.Errorf("stixhubd did not exit cleanly on SIGTERM: %v\n%s", err, hub.logs.String())
	}
}

// cleanEnv is the environment without stixhub settings, as on a fresh shell.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STIXHUB_") {
			env = append(env, kv)
		}
	}
	return env
}

// TestHubKilledMidStreamNothingLostNothingRepeated kill -9s the hub while a
// member publishes and a CERT subscribes, restarts it on the same data
// directory, and checks that the subscriber received exactly the set of
// objects the hub acknowledged, each once, in order.
func TestHubKilledMidStreamNothingLostNothingRepeated(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the binaries")
	}
	work := t.TempDir()
	addr := freeAddr(t)
	hub := startHubProc(t, work, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	caFile := filepath.Join(work, "stixhub-data", "tls", "ca.pem")
	opTok, err := os.ReadFile(filepath.Join(work, "stixhub-data", "operator.token"))
	if err != nil {
		t.Fatal(err)
	}
	dial := func(opts ...client.Option) *client.Client {
		c, err := client.New(ctx, addr, append(opts, client.WithCAFile(caFile))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	admin := dial(client.WithToken(strings.TrimSpace(string(opTok)))).Admin()
	member := func(name string) (string, string) {
		m, tok, err := admin.CreateMember(ctx, name, "identity--"+uuid.NewString())
		if err != nil {
			t.Fatal(err)
		}
		return m.GetId(), tok
	}
	bankID, bankTok := member("Bank A")
	govID, govTok := member("CERT")
	shareGroup(t, admin, bankID, govID)
	signer, _ := sign.GenerateEd25519()
	if _, err := admin.AddKey(ctx, bankID, signer.PublicKey()); err != nil {
		t.Fatal(err)
	}
	pub := dial(client.WithToken(bankTok), client.WithSigner(signer))
	gov := dial(client.WithToken(govTok))

	var mu sync.Mutex
	received := map[uint64]int{}
	var order []uint64
	subCtx, stopSub := context.WithCancel(ctx)
	subDone := make(chan error, 1)
	go func() {
		subDone <- gov.Subscribe(subCtx, client.Beginning(), func(_ context.Context, d *client.Delivery) error {
			mu.Lock()
			defer mu.Unlock()
			received[d.GetCursor()]++
			order = append(order, d.GetCursor())
			return nil
		}, client.WithBackoff(50*time.Millisecond, 500*time.Millisecond))
	}()

	// The publisher sends batches and retries a batch until every object in
	// it has a definite outcome, as a real member would.
	var ackMu sync.Mutex
	acked := map[uint64]bool{}
	pubErr := make(chan error, 1)
	go func() {
		for i := 0; i < 40; i++ {
			var objs []json.RawMessage
			for range 40 {
				objs = append(objs, testIndicator())
			}
			for {
				rs, err := pub.Publish(ctx, objs...)
				if err != nil {
					if ctx.Err() != nil {
						pubErr <- fmt.Errorf("publish never recovered: %w", err)
						return
					}
					time.Sleep(100 * time.Millisecond)
					continue
				}
				ackMu.Lock()
				for _, r := range rs {
					switch r.GetOutcome() {
					case stixhubv1.Outcome_OUTCOME_ACCEPTED, stixhubv1.Outcome_OUTCOME_DUPLICATE:
						acked[r.GetCursor()] = true
					default:
						ackMu.Unlock()
						pubErr <- fmt.Errorf("rejected: %v", r.GetError())
						return
					}
				}
				ackMu.Unlock()
				break
			}
		}
		pubErr <- nil
	}()

	// Kill the hub while both are busy, then start it again.
	hubtest.CheckFor(t, 30*time.Second, 2*time.Millisecond, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(received) < 200 {
			return errors.New("waiting for traffic")
		}
		return nil
	})
	_ = hub.kill(t, syscall.SIGKILL)
	ackMu.Lock()
	atKill := len(acked)
	ackMu.Unlock()
	hub = startHubProc(t, work, addr)
	if err := <-pubErr; err != nil {
		t.Fatal(err)
	}
	if atKill >= 40*40 {
		t.Fatal("the hub was killed after publishing had finished")
	}

	hubtest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		mu.Lock()
		defer mu.Unlock()
		ackMu.Lock()
		defer ackMu.Unlock()
		if len(received) < len(acked) {
			return fmt.Errorf("subscriber has %d of %d acknowledged objects", len(received), len(acked))
		}
		return nil
	})
	stopSub()
	<-subDone
	mu.Lock()
	defer mu.Unlock()
	ackMu.Lock()
	defer ackMu.Unlock()
	for c := range acked {
		if received[c] != 1 {
			t.Errorf("acknowledged cursor %d received %d times", c, received[c])
		}
	}
	for c, n := range received {
		if !acked[c] {
			t.Errorf("cursor %d received but never acknowledged", c)
		}
		if n != 1 {
			t.Errorf("cursor %d received %d times", c, n)
		}
	}
	for i := 1; i < len(order); i++ {
		if order[i] <= order[i-1] {
			t.Fatalf("out of order: %d after %d", order[i], order[i-1])
		}
	}
	t.Logf("%d objects acknowledged and received exactly once across a kill -9", len(acked))
}

func testIndicator() json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"type": "indicator", "spec_version": "2.1", "id": "indicator--" + uuid.NewString(),
		"created": "2024-03-01T10:00:00.000Z", "modified": "2024-03-01T10:00:00.000Z",
		"pattern": "[domain-name:value = 'wallet-drain.example']", "pattern_type": "stix",
		"valid_from": "2024-03-01T10:00:00Z",
	})
	return b
}

// TestREADMEVaultTour runs the README's Vault section, verbatim, against a
// real Vault dev server: deploy/vault/setup.sh, stixhubd with every hub key in
// Vault, a member signing through Transit, and the policy boundary.
func TestREADMEVaultTour(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the binaries")
	}
	v := vaulttest.Start(t)
	vaultBin, err := vaulttest.Binary()
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	root := filepath.Join("..", "..", "..")
	copyDir(t, filepath.Join(root, "testdata"), filepath.Join(work, "testdata"))
	copyDir(t, filepath.Join(root, "deploy", "vault"), filepath.Join(work, "deploy", "vault"))
	// The vault CLI is the server binary; setup.sh calls it as `vault`.
	if err := os.Symlink(vaultBin, filepath.Join(work, "vault")); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	path := strings.Join([]string{binDir, work, os.Getenv("PATH")}, string(os.PathListSeparator))
	out, runErr := runScript(t, readmeBlock(t, "vault-tour"), work, 5*time.Minute,
		"PATH="+path, "STIXHUB_HUB="+addr, "VAULT_ADDR="+v.Addr, "VAULT_TOKEN="+v.RootToken)
	hubLog, _ := os.ReadFile(filepath.Join(work, "hub.log"))
	if runErr != nil {
		t.Fatalf("Vault tour failed: %v\n--- output\n%s\n--- hub log\n%s", runErr, out, hubLog)
	}
	t.Logf("Vault tour output:\n%s", out)
	for _, want := range []string{"76 verified, 0 failed", "76 accepted", "permission denied"} {
		if !strings.Contains(out, want) {
			t.Errorf("Vault tour output lacks %q", want)
		}
	}
	if !strings.Contains(string(hubLog), "vault transit transit/stixhub-hub; registry vault-kv secret/stixhub/registry") {
		t.Errorf("hub did not run with its keys in Vault:\n%s", hubLog)
	}
	if _, err := os.Stat(filepath.Join(work, "stixhub-vault", "hub.key")); !os.IsNotExist(err) {
		t.Errorf("a hub key file exists: %v", err)
	}
	for _, f := range []string{"vault-hub/role-id", "vault-hub/secret-id"} {
		if st, err := os.Stat(filepath.Join(work, f)); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, err, st)
		}
	}
}

// shareGroup puts members in one sharing group, so unmarked objects (TLP:AMBER
// to the publisher's groups) reach all of them.
func shareGroup(t *testing.T, admin *client.Admin, memberIDs ...string) {
	t.Helper()
	ctx := context.Background()
	if _, err := admin.CreateGroup(ctx, "e2e-community"); err != nil {
		t.Fatal(err)
	}
	for _, id := range memberIDs {
		if _, err := admin.AddGroupMember(ctx, "e2e-community", id); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRunScriptKillsWhatTheBlockLeftRunning checks the README runner: a
// block that leaves a command running in the background (holding the
// output open) returns at once, and the command does not outlive it.
func TestRunScriptKillsWhatTheBlockLeftRunning(t *testing.T) {
	start := time.Now()
	out, err := runScript(t, "sleep 300 & echo $!", t.TempDir(), time.Minute)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("runScript took %s: the background command held it", d)
	}
	var pid int
	if _, err := fmt.Sscan(out, &pid); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	hubtest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if err := syscall.Kill(pid, 0); err == nil {
			return fmt.Errorf("background sleep (pid %d) still running", pid)
		}
		return nil
	})

	out, err = runScript(t, "echo before; sleep 300", t.TempDir(), time.Second)
	if err == nil || !strings.Contains(err.Error(), "timed out") || !strings.Contains(out, "before") {
		t.Errorf("a block past its timeout: %v, output %q", err, out)
	}
}
