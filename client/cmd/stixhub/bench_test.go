package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stixhub/stixhub/internal/hubtest"
)

// TestBenchLookupAgainstARunningHub runs bench lookup the way an operator
// does against a running hub: --hub and nothing else, from the directory
// that holds the hub's data, so that the CA bundle and the operator token are
// the local defaults. Its member clients must trust that CA too. A hub with
// the default rate limits refuses the benchmark, and the error says which
// limits to lift.
func TestBenchLookupAgainstARunningHub(t *testing.T) {
	args := []string{"bench", "lookup", "--observables", "100", "--calls", "300"}
	t.Run("no limits", func(t *testing.T) {
		hub := hubtest.Start(t, hubtest.NoLimits)
		inDataDirParent(t, hub)
		out, errOut, err := run(t, append([]string{"--hub", hub.Addr}, args...)...)
		if err != nil {
			t.Fatalf("%s\n%s", describe(err), errOut)
		}
		for _, want := range []string{"lookup_batch1 ", "lookup_batch100 ", "screener lookups/s="} {
			if !strings.Contains(out, want) {
				t.Errorf("output has no %q line:\n%s", want, out)
			}
		}
	})
	t.Run("default limits", func(t *testing.T) {
		hub := hubtest.Start(t) // the defaults a hub starts with
		inDataDirParent(t, hub)
		_, _, err := run(t, append([]string{"--hub", hub.Addr}, args...)...)
		if err == nil || !strings.Contains(describe(err), "stixhubd -rate-requests") {
			t.Fatalf("got %v, want the rate limit refusal naming the flags that lift it", err)
		}
	})
}

// inDataDirParent changes to a directory where stixhub-data holds hub's CA
// bundle and operator token, as it does beside a hub started from the README.
func inDataDirParent(t *testing.T, hub *hubtest.Hub) {
	t.Helper()
	dir := t.TempDir()
	for src, dst := range map[string]string{
		hub.Hub.CAFile():            filepath.Join(dir, "stixhub-data", "tls", "ca.pem"),
		hub.Hub.OperatorTokenFile(): filepath.Join(dir, "stixhub-data", "operator.token"),
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
}
