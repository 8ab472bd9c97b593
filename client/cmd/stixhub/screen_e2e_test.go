package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/sign"
)

// TestREADMEScreening runs the README's screening block, verbatim, against a
// real stixhubd.
func TestREADMEScreening(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the binaries")
	}
	block := readmeBlock(t, "screening")
	work := t.TempDir()
	copyDir(t, filepath.Join("..", "..", "..", "testdata"), filepath.Join(work, "testdata"))
	addr := freeAddr(t)
	hub := startHubProc(t, work, addr)
	out, err := runScript(t, block, work, 2*time.Minute, "STIXHUB_HUB="+addr)
	if err != nil {
		t.Fatalf("screening block failed: %v\n--- output\n%s\n--- hub log\n%s", err, out, hub.logs.String())
	}
	t.Logf("output:\n%s", out)
	const id = "indicator--7d0e5c38-5a61-4c8e-9b8e-3f3c2b6d9a41"
	alerts, _ := os.ReadFile(filepath.Join(work, "alerts.jsonl"))
	if !bytes.Contains(alerts, []byte(`"value":"1ExampleDPRKWa11etXq7Rz9TmVbN5cHk"`)) || !bytes.Contains(alerts, []byte(`"indicator_id":"`+id+`"`)) {
		t.Errorf("watch alert: %s", alerts)
	}
	for _, want := range []string{`"indicator_id":"` + id + `"`, `"tlp":"TLP:AMBER"`, `"confidence":85`, "\n1\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// TestLookupAndWatchCommands checks the exit codes of lookup and that a
// published wallet indicator is found by `stixhub lookup`, and alerted by
// `stixhub watch --from now`, within a second of being accepted.
func TestLookupAndWatchCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the binaries")
	}
	work := t.TempDir()
	addr := freeAddr(t)
	startHubProc(t, work, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	caFile := filepath.Join(work, "stixhub-data", "tls", "ca.pem")
	op, err := client.New(ctx, addr, client.WithCAFile(caFile), client.WithTokenFile(filepath.Join(work, "stixhub-data", "operator.token")))
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	admit := func(name string) (string, string) {
		m, tok, err := op.Admin().CreateMember(ctx, name, "identity--"+uuid.NewString())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(work, name+".token")
		if err := os.WriteFile(path, []byte(tok), 0o600); err != nil {
			t.Fatal(err)
		}
		return m.GetId(), path
	}
	bankID, bankTok := admit("bank")
	exID, exTok := admit("exchange")
	shareGroup(t, op.Admin(), bankID, exID)
	signer, _ := sign.GenerateEd25519()
	if _, err := op.Admin().AddKey(ctx, bankID, signer.PublicKey()); err != nil {
		t.Fatal(err)
	}
	bank, err := client.New(ctx, addr, client.WithCAFile(caFile), client.WithTokenFile(bankTok), client.WithSigner(signer))
	if err != nil {
		t.Fatal(err)
	}
	defer bank.Close()

	stixhub := func(args ...string) *exec.Cmd {
		c := exec.CommandContext(ctx, filepath.Join(binDir, "stixhub"), append([]string{"--hub", addr, "--ca-file", caFile, "--token-file", exTok}, args...)...)
		c.Env = cleanEnv()
		return c
	}
	run := func(args ...string) (string, int) {
		var out, errOut bytes.Buffer
		c := stixhub(args...)
		c.Stdout, c.Stderr = &out, &errOut
		err := c.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return out.String(), 0
		case errors.As(err, &ee):
			return out.String() + errOut.String(), ee.ExitCode()
		}
		t.Fatal(err)
		return "", -1
	}

	address := "3Lazarus" + strings.ReplaceAll(uuid.NewString(), "-", "")[:20]
	if out, code := run("lookup", address); code != 1 || out != "" {
		t.Errorf("unknown wallet: exit %d, output %q; want 1 and nothing", code, out)
	}
	if out, code := run("lookup", "--type", "ipv4-addr", "not-an-address"); code != 2 || !strings.Contains(out, "observables[0].value") {
		t.Errorf("bad value: exit %d, output %q; want 2 naming the field", code, out)
	}
	if _, code := run("lookup", "--type", "Not A Type", "x"); code != 2 {
		t.Errorf("bad type: exit %d, want 2", code)
	}

	// watch from now: wait until it is subscribed.
	list := filepath.Join(work, "list.txt")
	if err := os.WriteFile(list, []byte("# withdrawals\n10.9.9.9\n"+address+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	watch := stixhub("watch", "--list", list, "--count", "1")
	var watchOut bytes.Buffer
	watch.Stdout = &watchOut
	stderr, _ := watch.StderrPipe()
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "watching 2 values") {
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatal("watch did not subscribe")
	}

	now := time.Now().UTC().Add(-time.Second).Format("2006-01-02T15:04:05.000Z")
	ind := json.RawMessage(`{"type":"indicator","spec_version":"2.1","id":"indicator--` + uuid.NewString() + `","created":"` + now + `","modified":"` + now + `",
		"valid_from":"` + now + `","pattern_type":"stix","pattern":"[cryptocurrency-wallet:value = '` + address + `']"}`)
	rs, err := bank.Publish(ctx, ind)
	if err != nil || rs[0].GetError() != nil {
		t.Fatalf("publish: %v %v", err, rs)
	}
	accepted := time.Now()
	var out string
	for {
		var code int
		out, code = run("lookup", address)
		if code == 0 {
			break
		}
		if code != 1 || time.Since(accepted) > time.Second {
			t.Fatalf("lookup %s: exit %d after %v: %s", address, code, time.Since(accepted), out)
		}
	}
	t.Logf("stixhub lookup found the wallet %v after it was accepted", time.Since(accepted))
	var line map[string]any
	if err := json.Unmarshal([]byte(out), &line); err != nil {
		t.Fatalf("lookup output %q: %v", out, err)
	}
	if line["indicator_id"] != rs[0].GetObjectId() || line["member_id"] != bankID || line["status"] != "live" || line["type"] != "cryptocurrency-wallet" {
		t.Errorf("lookup line: %v", line)
	}

	done := make(chan error, 1)
	go func() { done <- watch.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("no watch alert within a second of the lookup")
	}
	if !strings.Contains(watchOut.String(), `"indicator_id":"`+rs[0].GetObjectId()+`"`) || !strings.Contains(watchOut.String(), `"value":"`+address+`"`) {
		t.Errorf("watch alert: %q", watchOut.String())
	}
}
