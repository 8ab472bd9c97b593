package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
)

// TestMemberCertificateCommands admits a member with a client certificate
// only, and uses it for publish and subscribe without any token: the
// commands of the README's mTLS section.
func TestMemberCertificateCommands(t *testing.T) {
	hub := hubtest.Start(t)
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	opTok := file("op.token")
	if err := os.WriteFile(opTok, []byte(hub.OperatorToken), 0o600); err != nil {
		t.Fatal(err)
	}
	must := func(args ...string) string {
		t.Helper()
		out, errOut, err := run(t, append([]string{"--hub", hub.Addr}, args...)...)
		if err != nil {
			t.Fatalf("stixhub %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}
	fails := func(want string, args ...string) {
		t.Helper()
		out, errOut, err := run(t, append([]string{"--hub", hub.Addr}, args...)...)
		if err == nil {
			t.Fatalf("stixhub %s succeeded:\n%s", strings.Join(args, " "), out)
		}
		if msg := err.Error() + errOut; !strings.Contains(msg, want) {
			t.Errorf("stixhub %s: %q does not say %q", strings.Join(args, " "), msg, want)
		}
	}
	first := func(s string) string { return strings.SplitN(s, "\n", 2)[0] }
	certDir := file("bank-a")
	op := []string{"--ca-file", hub.CAFile(), "--token-file", opTok}

	fails("--token-out is required, or --cert-out", append(op, "admin", "member", "add", "--name", "Nowhere",
		"--identity", "identity--11111111-2222-4333-8444-555555555555")...)
	bank := first(must(append(op, "admin", "member", "add", "--name", "Bank A",
		"--identity", "identity--81cade27-7df8-4730-836b-62d880e6d9d3", "--cert-out", certDir, "--roles", "publisher,subscriber")...))
	for name, perm := range map[string]os.FileMode{"member.pem": 0o644, "member-key.pem": 0o600, "ca.pem": 0o644} {
		st, err := os.Stat(filepath.Join(certDir, name))
		if err != nil {
			t.Fatalf("--cert-out wrote no %s: %v", name, err)
		}
		if st.Mode().Perm() != perm {
			t.Errorf("%s has mode %v, want %v", name, st.Mode().Perm(), perm)
		}
	}
	hubCA, _ := os.ReadFile(hub.CAFile())
	if gotCA, _ := os.ReadFile(filepath.Join(certDir, "ca.pem")); !bytes.Equal(gotCA, hubCA) {
		t.Error("ca.pem is not the hub's CA")
	}
	// Running it again never replaces the member's key.
	fails("already exists", append(op, "admin", "member", "cert", "--member", bank, "--cert-out", certDir)...)

	must("keygen", "--out", file("bank.key"))
	must(append(op, "admin", "key", "add", "--member", bank, "--public-key", file("bank.key.pub"))...)

	// The member: only the files in its directory, no token.
	mtls := []string{"--ca-file", filepath.Join(certDir, "ca.pem"),
		"--cert", filepath.Join(certDir, "member.pem"), "--cert-key", filepath.Join(certDir, "member-key.pem")}
	obj := filepath.Join("..", "..", "..", "testdata", "stix", "oasis", "indicator-for-c2-ip-address.json")
	if out := must(append(mtls, "publish", "--key", file("bank.key"), obj)...); !strings.HasPrefix(out, "accepted ") {
		t.Fatalf("publish with the certificate: %s", out)
	}
	// The same through the environment.
	t.Setenv("STIXHUB_CA_FILE", filepath.Join(certDir, "ca.pem"))
	t.Setenv("STIXHUB_CERT", filepath.Join(certDir, "member.pem"))
	t.Setenv("STIXHUB_CERT_KEY", filepath.Join(certDir, "member-key.pem"))
	if out := must("subscribe", "--from", "beginning", "--count", "1"); !strings.Contains(out, `"member_id":"`+bank+`"`) {
		t.Fatalf("subscribe with the certificate: %s", out)
	}
	t.Setenv("STIXHUB_CERT_KEY", "")
	fails("--cert and --cert-key go together", "subscribe", "--from", "beginning", "--count", "1")
	t.Setenv("STIXHUB_CERT", "")

	// Roles: a subscriber-only member cannot publish.
	if got := first(must(append(op, "admin", "member", "roles", "--member", bank, "--roles", "subscriber")...)); got != "subscriber" {
		t.Errorf("roles printed %q", got)
	}
	fails("publisher role", append(mtls, "publish", "--key", file("bank.key"), obj)...)
	if list := must(append(op, "admin", "member", "list")...); !strings.Contains(list, "ROLES") || !strings.Contains(list, "subscriber") {
		t.Errorf("member list does not show roles:\n%s", list)
	}
	fails("unknown role", append(op, "admin", "member", "roles", "--member", bank, "--roles", "admin")...)

	// A member that makes its own key sends only its request (--csr).
	keyPEM, csr, err := client.NewClientKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file("own.csr"), csr, 0o600); err != nil {
		t.Fatal(err)
	}
	own := file("own")
	must(append(op, "admin", "member", "cert", "--member", bank, "--cert-out", own, "--csr", file("own.csr"))...)
	if _, err := os.Stat(filepath.Join(own, "member-key.pem")); !os.IsNotExist(err) {
		t.Errorf("--csr wrote a key: %v", err)
	}
	if err := os.WriteFile(filepath.Join(own, "member-key.pem"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	ownConn := []string{"--ca-file", filepath.Join(own, "ca.pem"),
		"--cert", filepath.Join(own, "member.pem"), "--cert-key", filepath.Join(own, "member-key.pem")}
	if out := must(append(ownConn, "subscribe", "--from", "beginning", "--count", "1")...); !strings.Contains(out, bank) {
		t.Fatalf("subscribe with the member's own key: %s", out)
	}
}
