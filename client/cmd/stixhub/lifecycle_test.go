package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	"github.com/stixhub/stixhub/internal/marking"
	"github.com/stixhub/stixhub/internal/sign"
)

// TestLifecycleCommands drives the operator's key lifecycle through the CLI
// as an operator would: rotate, revoke as compromised, suspend, resume, audit,
// and offline verification that flags suspect objects.
func TestLifecycleCommands(t *testing.T) {
	hub := hubtest.Start(t)
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	opTok := file("op.token")
	os.WriteFile(opTok, []byte(hub.OperatorToken), 0o600)
	conn := []string{"--hub", hub.Addr, "--ca-file", hub.CAFile()}
	must := func(args ...string) string {
		t.Helper()
		out, errOut, err := run(t, append(conn, args...)...)
		if err != nil {
			t.Fatalf("stixhub %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}
	exitCode := func(args ...string) (int, string) {
		t.Helper()
		out, errOut, err := run(t, append(conn, args...)...)
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code, out + errOut
		}
		if err != nil {
			return 2, out + errOut + err.Error()
		}
		return 0, out + errOut
	}
	first := func(s string) string { return strings.SplitN(s, "\n", 2)[0] }

	bank := first(must("admin", "member", "add", "--token-file", opTok, "--name", "Bank A",
		"--identity", "identity--81cade27-7df8-4730-836b-62d880e6d9d3", "--token-out", file("bank.token")))
	cert := first(must("admin", "member", "add", "--token-file", opTok, "--name", "CERT",
		"--identity", "identity--5f1d4a47-4f28-4b0e-9d9e-6b8e3f0c2a11", "--token-out", file("cert.token")))
	must("admin", "group", "add", "--token-file", opTok, "cti-exchange")
	must("admin", "group", "add-member", "--token-file", opTok, "cti-exchange", bank)
	if out := must("admin", "group", "add-member", "--token-file", opTok, "cti-exchange", cert); !strings.Contains(out, bank) || !strings.Contains(out, cert) {
		t.Fatalf("group after two add-member: %s", out)
	}
	k1 := first(must("keygen", "--out", file("k1.key")))
	k2 := first(must("keygen", "--out", file("k2.key")))
	must("admin", "key", "add", "--token-file", opTok, "--member", bank, "--public-key", file("k1.key.pub"))
	obj := filepath.Join("..", "..", "..", "testdata", "stix", "oasis", "indicator-for-c2-ip-address.json")
	must("publish", "--token-file", file("bank.token"), "--key", file("k1.key"), obj)

	// Rotate with no overlap: the old key is refused, the new one works.
	if got := first(must("admin", "key", "rotate", "--token-file", opTok, "--member", bank, "--public-key", file("k2.key.pub"), "--overlap", "0")); got != k2 {
		t.Fatalf("rotate printed %q, want the new key id %s", got, k2)
	}
	if code, out := exitCode("publish", "--token-file", file("bank.token"), "--key", file("k1.key"), file("k1.key.pub")); code == 0 {
		t.Fatalf("publish with the rotated-out key succeeded:\n%s", out)
	}
	raw, _ := os.ReadFile(obj)
	newer := strings.Replace(string(raw), `"modified": "2014-05-08T09:00:00.000Z"`, `"modified": "2014-06-08T09:00:00.000Z"`, 1)
	if newer == string(raw) {
		t.Fatal("test object has no modified to change")
	}
	os.WriteFile(file("newer.json"), []byte(newer), 0o600)
	must("publish", "--token-file", file("bank.token"), "--key", file("k2.key"), file("newer.json"))
	keys := must("admin", "key", "list", "--token-file", opTok)
	if !strings.Contains(keys, k1) || !strings.Contains(keys, "expired") {
		t.Errorf("key list after rotation:\n%s", keys)
	}

	// Save the feed and the key set, then revoke k2 as compromised since
	// an hour ago: its object becomes suspect, the k1 object does not.
	feed := must("subscribe", "--token-file", file("cert.token"), "--from", "beginning", "--count", "2")
	os.WriteFile(file("feed.jsonl"), []byte(feed), 0o600)
	os.WriteFile(file("keys-before.json"), []byte(must("keys", "--token-file", file("cert.token"))), 0o600)
	if code, out := exitCode("verify", file("feed.jsonl"), "--keys", file("keys-before.json")); code != 0 {
		t.Fatalf("verify before the revocation: exit %d\n%s", code, out)
	}
	out := must("admin", "key", "revoke", "--token-file", opTok, "--key", k2, "--reason", "compromised", "--compromised-at", "1h")
	if !strings.Contains(out, "flagged as suspect") {
		t.Errorf("revoke output:\n%s", out)
	}
	os.WriteFile(file("keys-after.json"), []byte(must("keys", "--token-file", file("cert.token"))), 0o600)
	code, out := exitCode("verify", file("feed.jsonl"), "--keys", file("keys-after.json"))
	if code != 1 || strings.Count(out, "SUSPECT") != 1 || !strings.Contains(out, "1 verified, 0 failed, 1 suspect") {
		t.Errorf("verify with the revoked key set: exit %d\n%s", code, out)
	}
	// The same from the event in the feed, with the old key set: the
	// revocation comes after the object it makes suspect.
	full := collectLines(t, hub, file("cert.token"), 3)
	os.WriteFile(file("feed-with-event.jsonl"), []byte(full), 0o600)
	code, out = exitCode("verify", file("feed-with-event.jsonl"), "--keys", file("keys-before.json"))
	if code != 1 || !strings.Contains(out, "revoked cursor=3 key="+k2) || !strings.Contains(out, "SUSPECT") || !strings.Contains(out, "1 verified, 0 failed, 1 suspect") {
		t.Errorf("verify with the event in the feed: exit %d\n%s", code, out)
	}

	// Suspend the CERT: it can no longer read; resume: it can.
	must("admin", "member", "suspend", "--token-file", opTok, cert)
	if code, out := exitCode("subscribe", "--token-file", file("cert.token"), "--from", "beginning", "--count", "1"); code == 0 || !strings.Contains(out, "suspended") {
		t.Errorf("suspended member subscribes: exit %d\n%s", code, out)
	}
	if list := must("admin", "member", "list", "--token-file", opTok); !strings.Contains(list, "suspended since") {
		t.Errorf("member list:\n%s", list)
	}
	must("admin", "member", "resume", "--token-file", opTok, cert)
	must("subscribe", "--token-file", file("cert.token"), "--from", "beginning", "--count", "1")

	audit := must("admin", "audit", "--token-file", opTok)
	for _, action := range []string{"member.create", "key.add", "key.rotate", "key.revoke", "member.suspend", "member.resume"} {
		if !strings.Contains(audit, action) {
			t.Errorf("audit lacks %s:\n%s", action, audit)
		}
	}
	if !strings.Contains(audit, "reason=compromised") {
		t.Errorf("audit lacks the revocation reason:\n%s", audit)
	}
}

// collectLines subscribes with the Go client from the beginning and returns
// n deliveries (objects and events) as `stixhub subscribe` lines.
func collectLines(t *testing.T, hub *hubtest.Hub, tokenFile string, n int) string {
	t.Helper()
	c, err := client.New(context.Background(), hub.Addr, client.WithCAFile(hub.CAFile()), client.WithTokenFile(tokenFile))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var b strings.Builder
	done := errors.New("done")
	got := 0
	err = c.Subscribe(context.Background(), client.Beginning(), func(_ context.Context, d *client.Delivery) error {
		line, err := client.MarshalDeliveryJSON(d)
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
		if got++; got == n {
			return done
		}
		return nil
	})
	if !errors.Is(err, done) {
		t.Fatalf("subscribe: %v", err)
	}
	return b.String()
}

// TestPublishGroupsAndRecipients: `stixhub publish --groups --recipients`
// decide who reads: a TLP:RED object reaches the named recipient only, a
// TLP:AMBER one the named group.
func TestPublishGroupsAndRecipients(t *testing.T) {
	hub := hubtest.Start(t)
	dir := t.TempDir()
	opTok := filepath.Join(dir, "op.token")
	os.WriteFile(opTok, []byte(hub.OperatorToken), 0o600)
	conn := []string{"--hub", hub.Addr, "--ca-file", hub.CAFile()}
	must := func(args ...string) string {
		t.Helper()
		out, errOut, err := run(t, append(conn, args...)...)
		if err != nil {
			t.Fatalf("stixhub %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}
	bank := hub.AddLoneMember(t, "Bank")
	red, amber, other := hub.AddLoneMember(t, "Recipient"), hub.AddLoneMember(t, "Group member"), hub.AddLoneMember(t, "Other")
	must("admin", "group", "add", "--token-file", opTok, "g7-cert")
	must("admin", "group", "add-member", "--token-file", opTok, "g7-cert", amber.ID)
	key := filepath.Join(dir, "bank.key")
	os.WriteFile(filepath.Join(dir, "bank.token"), []byte(bank.Token), 0o600)
	if err := sign.WritePrivateKeyFile(key, bank.Signer.PrivateKey()); err != nil {
		t.Fatal(err)
	}
	object := func(name, tlp string) string {
		p := filepath.Join(dir, name+".json")
		o := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",`+
			`"valid_from":"2026-01-01T00:00:00Z","pattern":"[ipv4-addr:value = '198.51.100.9']","pattern_type":"stix","name":%q,"object_marking_refs":[%q]}`,
			uuid.NewString(), name, tlp)
		os.WriteFile(p, []byte(o), 0o600)
		return p
	}
	must("publish", "--token-file", filepath.Join(dir, "bank.token"), "--key", key, "--recipients", red.ID, object("red", marking.Red.ID()))
	must("publish", "--token-file", filepath.Join(dir, "bank.token"), "--key", key, "--groups", "g7-cert", object("amber", marking.Amber.ID()))
	must("publish", "--token-file", filepath.Join(dir, "bank.token"), "--key", key, object("clear", marking.Clear.ID()))

	// Each reader subscribes until the TLP:CLEAR object everyone reads.
	reads := func(m hubtest.Member) string {
		tok := filepath.Join(dir, m.ID+".token")
		os.WriteFile(tok, []byte(m.Token), 0o600)
		var names []string
		for _, line := range strings.Split(strings.TrimSpace(collectLines(t, hub, tok, map[string]int{red.ID: 2, amber.ID: 2, other.ID: 1}[m.ID])), "\n") {
			var d struct {
				Object struct {
					Name string `json:"name"`
				} `json:"object"`
			}
			json.Unmarshal([]byte(line), &d)
			names = append(names, d.Object.Name)
		}
		return strings.Join(names, ",")
	}
	for m, want := range map[hubtest.Member]string{red: "red,clear", amber: "amber,clear", other: "clear"} {
		if got := reads(m); got != want {
			t.Errorf("%s reads %q, want %q", m.ID, got, want)
		}
	}
	if _, _, err := run(t, append(conn, "publish", "--token-file", filepath.Join(dir, "bank.token"), "--key", key, "--groups", "no-such-group", object("x", marking.Amber.ID()))...); err == nil || !strings.Contains(describe(err), "no sharing group") {
		t.Errorf("publish to an unknown group: %v", err)
	}
}
