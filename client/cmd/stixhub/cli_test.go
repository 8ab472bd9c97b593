package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
)

// run executes the CLI in process with args and returns stdout, stderr and
// the error main would turn into an exit code.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestKeygenPrintsKeyIDFirstAndNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "bank.key")
	out, _, err := run(t, "keygen", "--out", key)
	if err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(out, "\n", 2)[0]
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(first) {
		t.Fatalf("first line %q is not a key id", first)
	}
	s, err := client.LoadKeyFile(key)
	if err != nil || s.KeyID() != first {
		t.Fatalf("key file: %v, id %v, printed %s", err, s, first)
	}
	if st, _ := os.Stat(key); st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v", st.Mode().Perm())
	}
	if _, err := os.Stat(key + ".pub"); err != nil {
		t.Errorf("public key: %v", err)
	}
	if _, _, err := run(t, "keygen", "--out", key); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second keygen on the same file: %v", err)
	}
	if _, _, err := run(t, "keygen"); err == nil {
		t.Error("keygen without --out succeeded")
	}
}

func TestParsePosition(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"beginning", "beginning", true},
		{"now", "now", true},
		{"42", "42", true},
		{"0", "beginning", true},
		{"-1", "", false},
		{"yesterday", "", false},
	}
	for _, tc := range tests {
		p, err := parsePosition(tc.in)
		if (err == nil) != tc.ok || (tc.ok && p.String() != tc.want) {
			t.Errorf("parsePosition(%q) = %v, %v; want %s ok=%v", tc.in, p, err, tc.want, tc.ok)
		}
	}
}

func TestCommandsExplainMissingInputs(t *testing.T) {
	hub := hubtest.Start(t)
	dir := t.TempDir()
	tok := filepath.Join(dir, "op.token")
	if err := os.WriteFile(tok, []byte(hub.OperatorToken), 0o600); err != nil {
		t.Fatal(err)
	}
	conn := []string{"--hub", hub.Addr, "--ca-file", hub.CAFile(), "--token-file", tok}
	existing := filepath.Join(dir, "exists.token")
	os.WriteFile(existing, nil, 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"member add without --token-out", []string{"admin", "member", "add", "--name", "X", "--identity", "identity--5f1d4a47-4f28-4b0e-9d9e-6b8e3f0c2a11"}, "--token-out is required"},
		{"member add over an existing token file", []string{"admin", "member", "add", "--name", "X", "--identity", "identity--5f1d4a47-4f28-4b0e-9d9e-6b8e3f0c2a11", "--token-out", existing}, "already exists"},
		{"member add with a bad identity", []string{"admin", "member", "add", "--name", "X", "--identity", "bank-a", "--token-out", filepath.Join(dir, "new.token")}, "InvalidArgument"},
		{"publish without --key", []string{"publish", "x.json"}, "--key is required"},
		{"verify without --keys", []string{"verify", "feed.jsonl"}, "--keys is required"},
		{"subscribe from nowhere", []string{"subscribe", "--from", "yesterday"}, "--from"},
		{"publish with two keys", []string{"publish", "--key", "a.key", "--vault-key", "bank-a", "x.json"}, "exclude each other"},
		{"revoke as compromised without a time", []string{"admin", "key", "revoke", "--key", "0123456789abcdef0123456789abcdef", "--reason", "compromised"}, "--compromised-at"},
		{"compromise time without the reason", []string{"admin", "key", "revoke", "--key", "0123456789abcdef0123456789abcdef", "--compromised-at", "1h"}, "goes with --reason compromised"},
		{"compromise time unreadable", []string{"admin", "key", "revoke", "--key", "0123456789abcdef0123456789abcdef", "--reason", "compromised", "--compromised-at", "last week"}, "neither an RFC 3339 time"},
		{"compromise time in the future", []string{"admin", "key", "revoke", "--key", "0123456789abcdef0123456789abcdef", "--reason", "compromised", "--compromised-at", "2999-01-01T00:00:00Z"}, "must not be in the future"},
		{"rotate with a negative overlap", []string{"admin", "key", "rotate", "--member", "member--00000000-0000-4000-8000-000000000000", "--public-key", "x.pub", "--overlap", "-1h"}, "--overlap must not be negative"},
		{"suspend an unknown member", []string{"admin", "member", "suspend", "member--00000000-0000-4000-8000-000000000000"}, "NotFound"},
		{"audit since nonsense", []string{"admin", "audit", "--since", "soon"}, "--since"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, append(conn, tc.args...)...)
			if err == nil || !strings.Contains(describe(err), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
	// The refused member add left no token file and admitted no one.
	if _, err := os.Stat(filepath.Join(dir, "new.token")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed member add left its token file: %v", err)
	}
	out, _, err := run(t, append(conn, "admin", "member", "list")...)
	if err != nil || strings.Count(out, "\n") != 1 {
		t.Errorf("members after refused adds:\n%s %v", out, err)
	}
}

func TestValidateOffline(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","valid_until":"2015-01-01T00:00:00Z"}
{"type":"indicator","id":"nope"}
{"type":"indicator","spec_version":"2.1","id":"indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[ipv4-addr:value = '1.2.3.4' AND]","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}
`), 0o600)
	out, errOut, err := run(t, "validate", filepath.Join("..", "..", "..", "testdata", "stix", "oasis", "apt1.json"))
	if err != nil || out != "" || !strings.Contains(errOut, "76 objects, 76 valid, 0 invalid") {
		t.Fatalf("valid bundle: %v\n%s%s", err, out, errOut)
	}
	out, _, err = run(t, "validate", bad)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("invalid input: exit %v, want 1", err)
	}
	for _, want := range []string{
		"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: valid_until: must be after valid_from\n",
		"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: pattern: ",
		"object #2: id: ",
		"indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: pattern: invalid STIX pattern: column 33: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
