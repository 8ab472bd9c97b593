package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestREADMETAXII runs the README's TAXII 2.1 block against a real
// stixhubd, with curl as the TAXII client. The block names the default
// TAXII address; the test's hub listens on a free port instead.
func TestREADMETAXII(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the binaries")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed to run the README's TAXII example")
	}
	block := readmeBlock(t, "taxii")
	work := t.TempDir()
	copyDir(t, filepath.Join("..", "..", "..", "testdata"), filepath.Join(work, "testdata"))
	addr := freeAddr(t)
	hub := startHubProc(t, work, addr)
	script := strings.ReplaceAll(block, "127.0.0.1:7701", hub.taxii)

	out, err := runScript(t, script, work, 2*time.Minute, "STIXHUB_HUB="+addr, "STIXHUB_TAXII="+hub.taxii)
	if err != nil {
		t.Fatalf("README TAXII block failed: %v\n--- output\n%s\n--- hub log\n%s", err, out, hub.logs.String())
	}
	t.Logf("output:\n%s", out)
	for _, want := range []string{`"api_roots":["/stixhub/"]`, `"alias":"indicators"`, "1 verified, 0 failed", "taxii-unsigned=true", `"success_count":3`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
