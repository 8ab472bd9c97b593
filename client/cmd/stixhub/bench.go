package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

func newBenchCmd(c *conn) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load benchmarks against a hub",
	}
	cmd.AddCommand(newBenchIngestCmd(c), newBenchFanoutCmd(c), newBenchLookupCmd(c), newBenchTAXIICmd())
	return cmd
}

type ingestOpts struct {
	objects  int
	conns    int
	batch    int
	embedded bool
	dataDir  string
	profile  string
}

func newBenchIngestCmd(c *conn) *cobra.Command {
	var o ingestOpts
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Measure verified + durable ingest against the raw Ed25519 verify rate",
		Long: `ingest publishes --objects signed indicators over --conns connections in
batches of --batch and prints, from the same run:

  verify_rate   raw Ed25519 verifications per second on this machine, using
                GOMAXPROCS goroutines (measured before and after the ingest,
                averaged)
  ingest_rate   objects per second the hub verified and stored durably
  ingest_ratio  ingest_rate / verify_rate, alone on the last line

Objects are signed before the clock starts: the figure is the hub's cost, not
the members'. Without --hub (or STIXHUB_HUB) it starts a hub in process on a
temporary data directory; with --hub it targets that hub, using the operator
token to admit a benchmark member.` + benchRateNote,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.embedded = !cmd.Flags().Changed("hub") && os.Getenv("STIXHUB_HUB") == ""
			return runIngest(cmd.Context(), c, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.objects, "objects", 20000, "indicators to publish")
	f.IntVar(&o.conns, "conns", 4, "concurrent connections")
	f.IntVar(&o.batch, "batch", 250, "objects per Publish call")
	f.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of the publishing phase to this file (in-process hub: includes the hub)")
	f.StringVar(&o.dataDir, "data-dir", "", "data directory for the in-process hub (default: a temporary directory, removed after)")
	return cmd
}

func runIngest(ctx context.Context, c *conn, o ingestOpts, stdout, stderr io.Writer) error {
	if o.objects <= 0 || o.conns <= 0 || o.batch <= 0 || o.batch > 1000 {
		return errors.New("--objects and --conns must be positive, --batch 1..1000")
	}
	target, acct, stop, err := benchSetup(ctx, c, o.embedded, o.dataDir, "off", "bench", stderr)
	if err != nil {
		return err
	}
	defer stop()
	token, signer, identity := acct.Token, acct.Signer, acct.Identity

	fmt.Fprintf(stderr, "signing %d indicators...\n", o.objects)
	signed, err := signIndicators(ctx, signer, identity, o.objects)
	if err != nil {
		return err
	}
	verifyBefore := verifyRate(signer, signed, time.Second)

	clients := make([]*client.Client, o.conns)
	for i := range clients {
		opts := target.tokenOpts(token)
		if clients[i], err = client.New(ctx, target.hub, opts...); err != nil {
			return err
		}
		defer clients[i].Close()
	}
	// Open the connections (TLS handshakes) outside the measurement.
	for _, cl := range clients {
		if err := cl.Ping(ctx); err != nil {
			return err
		}
	}

	fmt.Fprintf(stderr, "publishing over %d connections in batches of %d...\n", o.conns, o.batch)
	var next, accepted, other atomic.Int64
	var firstErr error
	var errOnce sync.Once
	start := time.Now()
	if o.profile != "" {
		pf, err := os.Create(o.profile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Go(func() {
			for {
				lo := int(next.Add(int64(o.batch))) - o.batch
				if lo >= len(signed) {
					return
				}
				hi := min(lo+o.batch, len(signed))
				rs, err := cl.PublishSigned(ctx, signed[lo:hi]...)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				for _, r := range rs {
					if r.GetOutcome() == stixhubv1.Outcome_OUTCOME_ACCEPTED {
						accepted.Add(1)
					} else {
						other.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if o.profile != "" {
		pprof.StopCPUProfile()
	}
	if firstErr != nil {
		return fmt.Errorf("publish: %s", describe(firstErr))
	}
	if other.Load() > 0 {
		return fmt.Errorf("%d objects were not accepted; the figure would be meaningless", other.Load())
	}
	verifyAfter := verifyRate(signer, signed, time.Second)

	vr := (verifyBefore + verifyAfter) / 2
	ir := float64(accepted.Load()) / elapsed.Seconds()
	fmt.Fprintf(stdout, "machine: %s, %d CPUs, GOMAXPROCS=%d, %s %s/%s\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(stdout, "hub: %s\n", map[bool]string{true: "in-process (embedded NATS, same machine)", false: target.hub}[o.embedded])
	fmt.Fprintf(stdout, "verify_rate=%.0f objects/s (before %.0f, after %.0f)\n", vr, verifyBefore, verifyAfter)
	fmt.Fprintf(stdout, "ingest_rate=%.0f objects/s (%d objects, %d connections, batches of %d, %.2fs)\n", ir, accepted.Load(), o.conns, o.batch, elapsed.Seconds())
	fmt.Fprintf(stdout, "ingest_ratio=%.3f\n", ir/vr)
	return nil
}

// signIndicators builds n distinct realistic indicators and signs them on
// every core.
func signIndicators(ctx context.Context, s *sign.Ed25519Signer, identity string, n int) ([]*stixhubv1.SignedObject, error) {
	out := make([]*stixhubv1.SignedObject, n)
	var firstErr error
	var once sync.Once
	var next atomic.Int64
	var wg sync.WaitGroup
	now := time.Now().UTC().Truncate(time.Millisecond)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				so, err := client.SignObject(ctx, s, benchIndicator(i, identity, now))
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				out[i] = so
			}
		})
	}
	wg.Wait()
	return out, firstErr
}

func benchIndicator(i int, identity string, now time.Time) json.RawMessage {
	ts := now.Format("2006-01-02T15:04:05.000Z")
	obj := map[string]any{
		"type":                "indicator",
		"spec_version":        "2.1",
		"id":                  "indicator--" + uuid.NewString(),
		"created":             ts,
		"modified":            ts,
		"created_by_ref":      identity,
		"name":                fmt.Sprintf("Lazarus withdrawal wallet cluster node %d", i),
		"description":         "Address observed receiving funds from the 2018 exchange thefts; linked to DPRK operators by on-chain analysis.",
		"indicator_types":     []string{"malicious-activity", "attribution"},
		"pattern":             fmt.Sprintf("[ipv4-addr:value = '10.%d.%d.%d'] OR [domain-name:value = 'wallet-%d.example']", (i>>16)&255, (i>>8)&255, i&255, i),
		"pattern_type":        "stix",
		"valid_from":          ts,
		"confidence":          80,
		"labels":              []string{"dprk", "cryptocurrency"},
		"object_marking_refs": []string{"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"},
	}
	b, _ := json.Marshal(obj)
	return b
}

// verifyRate measures Ed25519 verifications per second over the canonical
// forms of objs, on GOMAXPROCS goroutines, for about d.
func verifyRate(s *sign.Ed25519Signer, objs []*stixhubv1.SignedObject, d time.Duration) float64 {
	msgs := make([][]byte, 0, 512)
	sigs := make([][]byte, 0, 512)
	for _, o := range objs[:min(512, len(objs))] {
		c, _ := sign.Canonicalize(o.GetObject())
		msgs, sigs = append(msgs, c), append(sigs, o.GetSignature())
	}
	pub := s.PublicKey()
	var total atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			n := 0
			for i := 0; time.Now().Before(deadline); i++ {
				j := i % len(msgs)
				if !sign.Verify(pub, msgs[j], sigs[j]) {
					panic("benchmark signature does not verify")
				}
				n++
			}
			total.Add(int64(n))
		})
	}
	wg.Wait()
	return float64(total.Load()) / time.Since(start).Seconds()
}

func cpuModel() string {
	b, err := os.ReadFile(filepath.Join("/proc", "cpuinfo"))
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
