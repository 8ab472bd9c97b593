package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/client"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

type fanoutOpts struct {
	subscribers int
	rate        int
	duration    time.Duration
	batch       int
	conns       int
	embedded    bool
	dataDir     string
	hubMetrics  []string
	profile     string
	drain       time.Duration
	decode      string
}

func newBenchFanoutCmd(c *conn) *cobra.Command {
	var o fanoutOpts
	cmd := &cobra.Command{
		Use:   "fanout",
		Short: "Measure publish-to-delivery latency with many concurrent subscribers",
		Long: `fanout opens --subscribers subscriptions (each on its own connection, as
separate members would), publishes signed indicators at --rate objects per
second for --duration in batches of --batch, and prints:

  delivered     deliveries received, and whether every subscriber got every
                accepted object exactly once, in order (missing=0 dup=0;
                missing counts what had not arrived when --drain ended)
  latency       p50, p99 and max from the start of the Publish call that
                carried an object to its delivery at a subscriber
  achieved_rate objects per second actually accepted
  hub_rss       resident memory of the hub after the run, read from its
                /metrics (--hub-metrics; for the in-process hub, not shown:
                the process also holds the subscribers)

Without --hub (or STIXHUB_HUB) it starts a hub in process on a temporary data
directory; with --hub it targets that hub (several nodes comma-separated: the
subscribers spread over them), admitting a benchmark member with the operator
token.` + benchRateNote,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.embedded = !cmd.Flags().Changed("hub") && os.Getenv("STIXHUB_HUB") == ""
			return runFanout(cmd.Context(), c, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.subscribers, "subscribers", 100, "concurrent subscriptions, each on its own connection")
	f.IntVar(&o.rate, "rate", 5000, "objects published per second")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "how long to publish")
	f.IntVar(&o.batch, "batch", 50, "objects per Publish call")
	f.DurationVar(&o.drain, "drain", time.Minute, "after publishing, how long to wait for every subscriber to receive every object")
	f.IntVar(&o.conns, "conns", 4, "publishing connections (calls in flight at most)")
	f.StringVar(&o.dataDir, "data-dir", "", "data directory for the in-process hub (default: a temporary directory, removed after)")
	f.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of the publishing phase to this file (in-process hub: includes the hub)")
	f.StringVar(&o.decode, "decode", "cursor", `what subscribers decode of each delivery: "cursor" (its cursor only, so that the emulated subscribers leave the hub its CPU) or "full" (the client library's full decode, as a member does)`)
	f.StringSliceVar(&o.hubMetrics, "hub-metrics", nil, "metrics URLs of the hub nodes (http://host:port/metrics), to report their resident memory")
	return cmd
}

// delivery is one object received by one subscriber.
type delivery struct {
	cursor uint64
	at     int64 // UnixNano
}

func runFanout(ctx context.Context, c *conn, o fanoutOpts, stdout, stderr io.Writer) error {
	if o.subscribers <= 0 || o.rate <= 0 || o.duration <= 0 || o.batch <= 0 || o.batch > 1000 || o.conns <= 0 {
		return errors.New("--subscribers, --rate, --duration and --conns must be positive, --batch 1..1000")
	}
	if o.decode != "cursor" && o.decode != "full" {
		return fmt.Errorf("--decode %q: want cursor or full", o.decode)
	}
	target, acct, stop, err := benchSetup(ctx, c, o.embedded, o.dataDir, "off", "bench fanout", stderr)
	if err != nil {
		return err
	}
	defer stop()
	if err := waitMemberKnown(ctx, target, acct.Token); err != nil {
		return err
	}
	identity, token, signer := acct.Identity, acct.Token, acct.Signer
	n := int(int64(o.rate) * int64(o.duration) / int64(time.Second))
	n -= n % o.batch
	if n == 0 {
		return errors.New("--rate x --duration is less than one batch")
	}
	fmt.Fprintf(stderr, "signing %d indicators...\n", n)
	signed, err := signIndicators(ctx, signer, identity, n)
	if err != nil {
		return err
	}
	dial := func(extra ...client.Option) (*client.Client, error) {
		opts := target.tokenOpts(token)
		return client.New(ctx, target.hub, append(opts, extra...)...)
	}
	var subOpts []client.Option
	if o.decode == "cursor" {
		subOpts = append(subOpts, client.WithDialOptions(grpc.WithDefaultCallOptions(grpc.ForceCodecV2(newCursorCodec()))))
	}

	// Subscribers, each on its own connection, all started before the
	// first publish.
	fmt.Fprintf(stderr, "opening %d subscriptions...\n", o.subscribers)
	subCtx, cancelSubs := context.WithCancel(ctx)
	defer cancelSubs()
	got := make([][]delivery, o.subscribers)
	var started sync.WaitGroup
	started.Add(o.subscribers)
	var subWG sync.WaitGroup
	subErrs := make(chan error, o.subscribers)
	var received atomic.Int64
	for i := range o.subscribers {
		cl, err := dial(subOpts...)
		if err != nil {
			return err
		}
		defer cl.Close()
		got[i] = make([]delivery, 0, n)
		var once sync.Once
		subWG.Go(func() {
			err := cl.Subscribe(subCtx, client.Now(), func(_ context.Context, d *client.Delivery) error {
				got[i] = append(got[i], delivery{cursor: d.GetCursor(), at: time.Now().UnixNano()})
				received.Add(1)
				return nil
			}, client.OnStart(func(uint64) { once.Do(started.Done) }))
			if err != nil && subCtx.Err() == nil {
				subErrs <- err
			}
		})
	}
	waitStarted := make(chan struct{})
	go func() { started.Wait(); close(waitStarted) }()
	select {
	case <-waitStarted:
	case err := <-subErrs:
		return fmt.Errorf("subscribe: %s", describe(err))
	case <-time.After(60 * time.Second):
		return errors.New("subscriptions did not start within 60s")
	}

	pubs := make([]*client.Client, o.conns)
	for i := range pubs {
		if pubs[i], err = dial(); err != nil {
			return err
		}
		defer pubs[i].Close()
		if err := pubs[i].Ping(ctx); err != nil {
			return err
		}
	}

	// Publish on schedule: batch k leaves at start + k*batch/rate. Each
	// accepted cursor remembers when its Publish call began.
	fmt.Fprintf(stderr, "publishing %d objects at %d/s in batches of %d...\n", n, o.rate, o.batch)
	sentAt := make(map[uint64]int64, n)
	var sentMu sync.Mutex
	var accepted, other, retries atomic.Int64
	var otherOnce sync.Once
	var otherWhy string
	var firstErr error
	var errOnce sync.Once
	batches := make(chan int)
	var pubWG sync.WaitGroup
	for _, cl := range pubs {
		pubWG.Go(func() {
			for lo := range batches {
				// A call refused as a whole (UNAVAILABLE, or RESOURCE_EXHAUSTED
				// by the member's rate limit) stored nothing: retry it as a
				// member would, for up to 10s. Latency still
				// counts from the first attempt.
				t0 := time.Now().UnixNano()
				var rs []*client.PublishResult
				var err error
				for {
					rs, err = cl.PublishSigned(ctx, signed[lo:lo+o.batch]...)
					if c := status.Code(err); (c != codes.Unavailable && c != codes.ResourceExhausted) || time.Since(time.Unix(0, t0)) > 10*time.Second {
						break
					}
					retries.Add(1)
					time.Sleep(50 * time.Millisecond)
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					continue
				}
				sentMu.Lock()
				for _, r := range rs {
					if r.GetOutcome() == stixhubv1.Outcome_OUTCOME_ACCEPTED {
						sentAt[r.GetCursor()] = t0
						accepted.Add(1)
					} else {
						other.Add(1)
						otherOnce.Do(func() { otherWhy = fmt.Sprintf("%s %s", r.GetOutcome(), objectErrorText(r.GetError())) })
					}
				}
				sentMu.Unlock()
			}
		})
	}
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
	start := time.Now()
	interval := time.Duration(int64(time.Second) * int64(o.batch) / int64(o.rate))
	for k := 0; k*o.batch < n; k++ {
		if d := time.Until(start.Add(time.Duration(k) * interval)); d > 0 {
			time.Sleep(d)
		}
		batches <- k * o.batch
	}
	close(batches)
	pubWG.Wait()
	pubElapsed := time.Since(start)
	if firstErr != nil {
		return fmt.Errorf("publish: %s", describe(firstErr))
	}
	if other.Load() > 0 {
		return fmt.Errorf("%d objects were not accepted (first: %s); the figures would be meaningless", other.Load(), otherWhy)
	}

	// Wait for every subscriber to receive every accepted object.
	want := accepted.Load() * int64(o.subscribers)
	deadline := time.Now().Add(o.drain)
	for received.Load() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	drained := time.Since(start)
	if o.profile != "" {
		pprof.StopCPUProfile()
	}
	cancelSubs()
	subWG.Wait()
	select {
	case err := <-subErrs:
		return fmt.Errorf("subscribe: %s", describe(err))
	default:
	}

	var lost, dups, foreign int
	lat := make([]int64, 0, want)
	for _, g := range got {
		seen := make(map[uint64]bool, len(g))
		var last uint64
		for _, d := range g {
			t0, ok := sentAt[d.cursor]
			switch {
			case !ok:
				foreign++ // not ours (another publisher on a shared hub)
				continue
			case seen[d.cursor] || d.cursor <= last:
				dups++
				continue
			}
			seen[d.cursor], last = true, d.cursor
			lat = append(lat, d.at-t0)
		}
		lost += len(sentAt) - len(seen)
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return time.Duration(lat[min(len(lat)-1, int(p*float64(len(lat))))])
	}
	fmt.Fprintf(stdout, "machine: %s, %d CPUs, GOMAXPROCS=%d, %s %s/%s\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(stdout, "hub: %s\n", map[bool]string{true: "in-process (embedded NATS, same machine)", false: target.hub}[o.embedded])
	fmt.Fprintf(stdout, "subscribers=%d rate=%d/s batch=%d objects=%d decode=%s\n", o.subscribers, o.rate, o.batch, accepted.Load(), o.decode)
	fmt.Fprintf(stdout, "achieved_rate=%.0f objects/s (publishing took %.2fs; all delivered after %.2fs)\n", float64(accepted.Load())/pubElapsed.Seconds(), pubElapsed.Seconds(), drained.Seconds())
	fmt.Fprintf(stdout, "delivered=%d of %d missing=%d dup=%d other=%d (publish calls retried: %d; missing = not delivered within --drain %v)\n", len(lat), want, lost, dups, foreign, retries.Load(), o.drain)
	fmt.Fprintf(stdout, "latency p50=%v p99=%v max=%v\n", pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
	for _, u := range o.hubMetrics {
		rss, err := scrapeRSS(ctx, u)
		if err != nil {
			fmt.Fprintf(stdout, "hub_rss %s: %v\n", u, err)
			continue
		}
		fmt.Fprintf(stdout, "hub_rss %s = %.1f MiB\n", u, float64(rss)/(1<<20))
	}
	if lost > 0 || dups > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d deliveries missing after --drain %v, %d duplicated", lost, o.drain, dups)}
	}
	return nil
}

// waitMemberKnown waits until every node of target.hub authenticates token:
// on a cluster, a member admitted on one node reaches the others through the
// registry watch within moments.
func waitMemberKnown(ctx context.Context, target conn, token string) error {
	for _, addr := range strings.Split(target.hub, ",") {
		opts := target.tokenOpts(token)
		addr = strings.TrimSpace(addr)
		cl, err := client.New(ctx, addr, opts...)
		if err != nil {
			return err
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := cl.KeySet(ctx, "")
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				cl.Close()
				return fmt.Errorf("node %s does not know the benchmark member: %s", addr, describe(err))
			}
			time.Sleep(20 * time.Millisecond)
		}
		cl.Close()
	}
	return nil
}

// scrapeRSS reads process_resident_memory_bytes from a metrics URL.
func scrapeRSS(ctx context.Context, url string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_resident_memory_bytes "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return int64(f), err
		}
	}
	return 0, errors.New("no process_resident_memory_bytes")
}
