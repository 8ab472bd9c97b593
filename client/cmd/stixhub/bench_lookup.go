package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

type lookupBenchOpts struct {
	observables int
	calls       int
	embedded    bool
	dataDir     string
	profile     string
	memProfile  string
	keepHub     bool
}

// Each benchmark indicator names this many observables: 40 wallets, 40 IPv4
// addresses and 20 domains.
const benchObservablesPerIndicator = 100

func newBenchLookupCmd(c *conn) *cobra.Command {
	var o lookupBenchOpts
	cmd := &cobra.Command{
		Use:   "lookup",
		Short: "Measure screening: hub Lookup latency and local screener lookups/s",
		Long: `lookup publishes indicators naming --observables observables in all (each
indicator names 40 wallets, 40 IPv4 addresses and 20 domains; 256 more name
a /24 block), waits until the hub has indexed them, then prints:

  lookup_batch1    p50/p99 latency of Lookup calls of 1 observable
  lookup_batch100  p50/p99 latency of Lookup calls of 100 observables
                   (half of the values known, half not; one connection,
                   calls one after another)
  screener         local Screener lookups per second (Known, values without
                   a type) on one goroutine and on GOMAXPROCS goroutines,
                   after it indexed the same feed

Each latency is a whole call as a member sees it: encoding, the hub's work,
decoding. A GC runs before each timed phase, so that each starts from a
settled heap rather than from the garbage of publishing.

The screener is measured as it runs in a member's process: once it has
indexed the feed, the in-process hub (its own index, JetStream, gRPC) is
shut down and a GC runs, so that the process holds the client and the
screener only (--keep-hub leaves the hub running beside it, as earlier
versions of this benchmark did). It looks up 65,536 distinct values (half known) in turn,
not a few values whose index entries stay in the CPU caches; the values
themselves lie one after another in memory, as a value a member has just
received would be in cache. A second line gives the rate over 4,096
values, the set of earlier versions of this benchmark.

Without --hub (or STIXHUB_HUB) it starts a hub in process on a temporary
data directory; with --hub it targets that hub, using the operator token to
admit a benchmark member.` + benchRateNote,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.embedded = !cmd.Flags().Changed("hub") && os.Getenv("STIXHUB_HUB") == ""
			return runLookupBench(cmd.Context(), c, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.observables, "observables", 1_000_000, "observables to index")
	f.IntVar(&o.calls, "calls", 2000, "Lookup calls per batch size")
	f.StringVar(&o.profile, "cpuprofile", "", "write CPU profiles of the timed phases: the Lookup calls (in-process hub: hub and client) to this file, the screener lookups to this file with .screener appended")
	f.StringVar(&o.memProfile, "memprofile", "", "write allocation profiles (in-process hub: hub and client) taken before and after the Lookup calls to FILE.before and FILE; compare with go tool pprof -sample_index=alloc_space -diff_base FILE.before FILE")
	f.BoolVar(&o.keepHub, "keep-hub", false, "measure the screener with the in-process hub still running, beside it (how this benchmark measured it before)")
	f.StringVar(&o.dataDir, "data-dir", "", "data directory for the in-process hub (default: a temporary directory, removed after)")
	return cmd
}

func runLookupBench(ctx context.Context, c *conn, o lookupBenchOpts, stdout, stderr io.Writer) error {
	if o.observables < benchObservablesPerIndicator || o.calls <= 0 {
		return fmt.Errorf("--observables must be at least %d, --calls positive", benchObservablesPerIndicator)
	}
	target, acct, stopHub, err := benchSetup(ctx, c, o.embedded, o.dataDir, "127.0.0.1:0", "bench lookup", stderr)
	if err != nil {
		return err
	}
	stopHub = sync.OnceFunc(stopHub)
	defer stopHub()
	token, signer, identity := acct.Token, acct.Signer, acct.Identity
	opts := append(target.tokenOpts(token), client.WithSigner(signer))
	cl, err := client.New(ctx, target.hub, opts...)
	if err != nil {
		return err
	}
	defer cl.Close()

	// Values are unique to this run, so a shared hub's older data does not
	// change the hit rate.
	run := strings.ReplaceAll(uuid.NewString(), "-", "")[:8]
	n := o.observables / benchObservablesPerIndicator
	fmt.Fprintf(stderr, "publishing %d indicators (%d observables)...\n", n+256, n*benchObservablesPerIndicator+256)
	start := time.Now()
	last, err := publishScreeningFeed(ctx, cl, signer, identity, run, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "published in %.1fs; waiting for the hub's index...\n", time.Since(start).Seconds())
	probe := []client.Observable{{Type: "cryptocurrency-wallet", Value: benchWalletValue(run, n*40-1)}}
	for {
		rs, err := cl.Lookup(ctx, probe)
		if err != nil {
			return err
		}
		if len(rs[0].GetMatches()) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Fprintf(stderr, "indexed %.1fs after publishing began\n", time.Since(start).Seconds())

	queries := func(size, call int) []client.Observable {
		out := make([]client.Observable, size)
		for i := range out {
			k := (call*size + i) * 7919 % (n * 40)
			switch (call*size + i) % 4 {
			case 0:
				out[i] = client.Observable{Value: benchWalletValue(run, k)}
			case 1:
				out[i] = client.Observable{Value: benchIPValue(k)}
			case 2:
				out[i] = client.Observable{Value: "bc1qunknown" + run + fmt.Sprint(k)}
			default:
				out[i] = client.Observable{Value: fmt.Sprintf("192.0.%d.%d", k>>8&255, k&255)}
			}
		}
		return out
	}
	// latency runs the calls of one phase; allocated is the process's
	// allocation per call (hub and client, with an in-process hub), gcs the
	// garbage collections during the phase.
	latency := func(size int) (lat []time.Duration, hits int, allocated uint64, gcs uint32, err error) {
		lat = make([]time.Duration, 0, o.calls)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for call := range o.calls + o.calls/10 {
			q := queries(size, call)
			t := time.Now()
			rs, err := cl.Lookup(ctx, q)
			d := time.Since(t)
			if err != nil {
				return nil, 0, 0, 0, err
			}
			if call < o.calls/10 {
				continue // warm-up
			}
			lat = append(lat, d)
			for _, r := range rs {
				if len(r.GetMatches()) > 0 {
					hits++
				}
			}
		}
		runtime.ReadMemStats(&after)
		slices.Sort(lat)
		return lat, hits, (after.TotalAlloc - before.TotalAlloc) / uint64(o.calls+o.calls/10), after.NumGC - before.NumGC, nil
	}
	stopProfile, err := startProfile(o.profile)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := writeAllocs(o.memProfile, ".before"); err != nil {
		return err
	}
	latA, hitsA, allocA, gcsA, err := latency(1)
	if err != nil {
		return err
	}
	runtime.GC()
	latB, hitsB, allocB, gcsB, err := latency(100)
	if err != nil {
		return err
	}
	stopProfile()
	if err := writeAllocs(o.memProfile, ""); err != nil {
		return err
	}

	fmt.Fprintf(stderr, "local screener: indexing the feed...\n")
	s, err := client.NewScreener(ctx, cl)
	if err != nil {
		return err
	}
	defer s.Close()
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	start = time.Now()
	go func() { done <- s.Run(sctx) }()
	for s.Cursor() < last {
		select {
		case err := <-done:
			stop()
			return fmt.Errorf("screener: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	stop()
	<-done
	indexTime := time.Since(start)
	nObs, _ := s.Len()
	// The values are laid out one after another, as a member screens a
	// value it has just received, in cache, not one scattered in a heap.
	local := make([]client.Observable, 1<<16)
	var text strings.Builder
	for i := range local {
		text.WriteString(queries(1, i)[0].Value)
	}
	all := text.String()
	for i, at := range local {
		v := queries(1, i)[0].Value
		at.Value, all = all[:len(v)], all[len(v):]
		local[i] = at
	}
	// From here on the process is what a member's is: a client and its
	// screener, no hub.
	stopped := o.embedded && !o.keepHub
	if stopped {
		fmt.Fprintf(stderr, "stopping the in-process hub before measuring the screener...\n")
		stopHub()
	}
	runtime.GC()
	debug.FreeOSMemory()
	var heap runtime.MemStats
	runtime.ReadMemStats(&heap)
	if o.profile != "" {
		o.profile += ".screener"
	}
	if stopProfile, err = startProfile(o.profile); err != nil {
		return err
	}
	rate1, cpu1, hitsL := screenerRate(s, local, 1, 2*time.Second)
	rateN, cpuN, _ := screenerRate(s, local, runtime.GOMAXPROCS(0), 2*time.Second)
	rateHot, cpuHot, _ := screenerRate(s, local[:4096], 1, 2*time.Second)
	stopProfile()

	fmt.Fprintf(stdout, "machine: %s, %d CPUs, GOMAXPROCS=%d, %s %s/%s\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(stdout, "hub: %s; index of %d observables\n", map[bool]string{true: "in-process (embedded NATS, same machine)", false: target.hub}[o.embedded], nObs)
	fmt.Fprintf(stdout, "lookup_batch1   %s (%d calls, %d of %d values known; %d KiB allocated per call, %d GCs)\n", percentiles(latA), o.calls, hitsA, o.calls, allocA>>10, gcsA)
	fmt.Fprintf(stdout, "lookup_batch100 %s (%d calls, %d of %d values known; %d KiB allocated per call, %d GCs)\n", percentiles(latB), o.calls, hitsB, o.calls*100, allocB>>10, gcsB)
	fmt.Fprintf(stdout, "screener indexed the feed in %.1fs; measured %s, heap %d MiB\n", indexTime.Seconds(),
		map[bool]string{true: "after stopping the in-process hub and a GC", false: "after a GC"}[stopped], heap.HeapAlloc>>20)
	fmt.Fprintf(stdout, "screener lookups/s=%.0f on 1 goroutine (%.0f ns wall, %d ns CPU each; %d distinct values, %.0f%% known), %.0f on %d goroutines (%d ns CPU each)\n",
		rate1, 1e9/rate1, cpu1.Nanoseconds(), len(local), hitsL*100, rateN, runtime.GOMAXPROCS(0), cpuN.Nanoseconds())
	fmt.Fprintf(stdout, "screener lookups/s=%.0f on 1 goroutine over 4096 distinct values (%.0f ns wall, %d ns CPU each)\n",
		rateHot, 1e9/rateHot, cpuHot.Nanoseconds())
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(stdout, "load average at the end: %s", b)
	}
	return nil
}

// startProfile starts a CPU profile into path (none if empty) and returns
// what stops it.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// writeAllocs writes the process's allocation profile to path+suffix (none
// if path is empty).
func writeAllocs(path, suffix string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path + suffix)
	if err != nil {
		return err
	}
	runtime.GC() // the profile holds what was allocated up to the last GC
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// percentiles formats the p50 and p99 of the sorted latencies, then p90,
// p99.9 and the maximum in parentheses.
func percentiles(lat []time.Duration) string {
	at := func(q float64) time.Duration { return lat[int(q*float64(len(lat)))] }
	return fmt.Sprintf("p50=%s p99=%s (p90=%s p99.9=%s max=%s)", us(at(0.5)), us(at(0.99)), us(at(0.9)), us(at(0.999)), us(lat[len(lat)-1]))
}

func us(d time.Duration) string { return fmt.Sprintf("%.0fus", float64(d.Microseconds())) }

func benchWalletValue(run string, k int) string { return fmt.Sprintf("bc1q%s%030d", run, k) }

func benchIPValue(k int) string { return fmt.Sprintf("10.%d.%d.%d", k>>16&255, k>>8&255, k&255) }

// processCPU returns the CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// screenerRate measures Known calls per second (wall clock) on g goroutines
// for about d, the process CPU time per call (this machine is shared: the
// wall-clock rate depends on how much CPU the process gets), and the share
// of queries known.
func screenerRate(s *client.Screener, qs []client.Observable, g int, d time.Duration) (rate float64, cpuPer time.Duration, known float64) {
	var total, hits atomic.Int64
	var wg sync.WaitGroup
	cpu0 := processCPU()
	start := time.Now()
	deadline := start.Add(d)
	for w := range g {
		wg.Go(func() {
			n, h := 0, 0
			for i := w; ; i++ {
				if i%1024 == 0 && time.Now().After(deadline) {
					break
				}
				ok, _ := s.Known(qs[i%len(qs)])
				if ok {
					h++
				}
				n++
			}
			total.Add(int64(n))
			hits.Add(int64(h))
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	return float64(total.Load()) / elapsed.Seconds(), cpu / time.Duration(total.Load()), float64(hits.Load()) / float64(total.Load())
}

// publishScreeningFeed publishes n indicators of 100 observables and 256
// naming a /24 block each, and returns the last cursor.
func publishScreeningFeed(ctx context.Context, cl *client.Client, s *sign.Ed25519Signer, identity, run string, n int) (uint64, error) {
	ts := time.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04:05.000Z")
	indicator := func(p string) json.RawMessage {
		b, _ := json.Marshal(map[string]any{
			"type": "indicator", "spec_version": "2.1", "id": "indicator--" + uuid.NewString(),
			"created": ts, "modified": ts, "valid_from": ts, "created_by_ref": identity,
			"name": "DPRK-linked wallets and infrastructure (benchmark)", "indicator_types": []string{"malicious-activity"},
			"pattern": p, "pattern_type": "stix", "confidence": 80,
			"object_marking_refs": []string{"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"},
		})
		return b
	}
	quoted := func(vs []string) string {
		for i, v := range vs {
			vs[i] = "'" + v + "'"
		}
		return strings.Join(vs, ", ")
	}
	objs := make([]json.RawMessage, 0, n+256)
	for i := range n {
		var wallets, ips, domains []string
		for j := range 40 {
			wallets = append(wallets, benchWalletValue(run, i*40+j))
			ips = append(ips, benchIPValue(i*40+j))
		}
		for j := range 20 {
			domains = append(domains, fmt.Sprintf("w%d-%s.example", i*20+j, run))
		}
		objs = append(objs, indicator(fmt.Sprintf("[cryptocurrency-wallet:value IN (%s)] OR [ipv4-addr:value IN (%s)] OR [domain-name:value IN (%s)]",
			quoted(wallets), quoted(ips), quoted(domains))))
	}
	for i := range 256 {
		objs = append(objs, indicator(fmt.Sprintf("[ipv4-addr:value ISSUBSET '172.16.%d.0/24']", i)))
	}
	signed := make([]*stixhubv1.SignedObject, len(objs))
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(objs); i = int(next.Add(1) - 1) {
				so, err := client.SignObject(ctx, s, objs[i])
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				signed[i] = so
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	var last uint64
	for startIdx := 0; startIdx < len(signed); startIdx += 200 {
		rs, err := cl.PublishSigned(ctx, signed[startIdx:min(startIdx+200, len(signed))]...)
		if err != nil {
			return 0, fmt.Errorf("publish: %s", describe(err))
		}
		for _, r := range rs {
			if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
				return 0, errors.New("benchmark indicator not accepted: " + objectErrorText(r.GetError()))
			}
			last = max(last, r.GetCursor())
		}
	}
	return last, nil
}
