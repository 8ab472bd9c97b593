package local_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stixhub/stixhub/internal/pki"
)

// TestNATSConfigsAreValid has nats-server check both cluster configurations
// (nats-server -t), the TLS one with real certificate files, so that the
// production file cannot rot while the tests use the loopback one.
func TestNATSConfigsAreValid(t *testing.T) {
	m, err := pki.Ensure(t.TempDir(), []string{"nats-1.example"})
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"NATS_NAME=n1", "NATS_HOST=127.0.0.1", "NATS_PORT=4222", "NATS_CLUSTER_PORT=6222", "NATS_HTTP_PORT=8222",
		"NATS_ROUTE_1=nats://route:pw@127.0.0.1:6222", "NATS_ROUTE_2=nats://route:pw@127.0.0.1:6223", "NATS_ROUTE_3=nats://route:pw@127.0.0.1:6224",
		"NATS_STORE_DIR="+t.TempDir(),
		"NATS_TLS_CERT="+m.CertFile, "NATS_TLS_KEY="+m.KeyFile, "NATS_TLS_CA="+m.CAFile,
		"STIXHUB_NATS_PASSWORD=hub", "STIXHUB_NATS_SYS_PASSWORD=sys", "STIXHUB_NATS_ROUTE_PASSWORD=pw",
	)
	for _, conf := range []string{"nats.conf", "nats-tls.conf"} {
		cmd := exec.Command(filepath.Join(binDir, "nats-server"), "-t", "-c", filepath.Join("..", "nats", conf))
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", conf, err, out)
		}
	}
	// And a broken one is refused: the check is not a formality.
	cmd := exec.Command(filepath.Join(binDir, "nats-server"), "-t", "-c", filepath.Join("..", "nats", "nats-tls.conf"))
	cmd.Env = append(env, "NATS_TLS_CERT="+filepath.Join(t.TempDir(), "missing.pem"))
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("nats-tls.conf with a missing certificate passed the check:\n%s", out)
	}
}
