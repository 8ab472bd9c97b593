package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/jsonscan"
	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

type taxiiBenchOpts struct {
	sizes      []int
	limit      int
	passes     int
	collection string
	dataDir    string
	profile    string
	http2      bool
}

func newBenchTAXIICmd() *cobra.Command {
	var o taxiiBenchOpts
	var sizes string
	cmd := &cobra.Command{
		Use:   "taxii",
		Short: "Measure TAXII 2.1 paging: objects/s and p99 page latency as the store grows",
		Long: `taxii starts a hub in process (embedded NATS, TLS, TAXII on loopback), grows
its store to each of --sizes objects by publishing signed indicators over
gRPC, waits until the TAXII index has caught up, then pages through the
whole collection with ?limit=--limit following next, over HTTPS, and prints
per size:

  objects_per_s   objects served per second over the whole pass
  p50_ms, p99_ms  page latency (request sent to last byte read)

The rate must not fall as the store grows. With --data-dir the store is kept
and reused: a later run with larger sizes only publishes the difference.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for s := range strings.SplitSeq(sizes, ",") {
				n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
				if err != nil || n < 1 {
					return fmt.Errorf("--sizes: %q is not a positive number", s)
				}
				o.sizes = append(o.sizes, int(n))
			}
			if !slices.IsSorted(o.sizes) {
				return errors.New("--sizes must grow")
			}
			if o.limit < 1 || o.passes < 1 {
				return errors.New("--limit and --passes must be positive")
			}
			return runTAXIIBench(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&sizes, "sizes", "1e4,1e5", "store sizes to measure at, comma-separated, growing (1e6 takes minutes to load)")
	f.IntVar(&o.limit, "limit", 1000, "objects per page")
	f.IntVar(&o.passes, "passes", 1, "full passes through the collection per size")
	f.StringVar(&o.collection, "collection", "indicators", "collection alias or id to page")
	f.StringVar(&o.dataDir, "data-dir", "", "data directory for the in-process hub (default: a temporary directory, removed after)")
	f.BoolVar(&o.http2, "http2", false, "page over HTTP/2 instead of HTTP/1.1")
	f.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of the paging passes (hub and client) to this file")
	return cmd
}

func runTAXIIBench(ctx context.Context, o taxiiBenchOpts, stdout, stderr io.Writer) error {
	hub, stop, err := benchHub(ctx, o.dataDir, "127.0.0.1:0", stderr)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(stderr, "TAXII on %s\n", hub.TAXIIAddr())

	op, err := client.New(ctx, hub.Addr().String(), client.WithCAFile(hub.CAFile()), client.WithTokenFile(hub.OperatorTokenFile()))
	if err != nil {
		return err
	}
	defer op.Close()
	acct, err := benchMember(ctx, op, "bench taxii")
	if err != nil {
		return err
	}
	token, signer, identity := acct.Token, acct.Signer, acct.Identity
	pub, err := client.New(ctx, hub.Addr().String(), client.WithCAFile(hub.CAFile()), client.WithToken(token))
	if err != nil {
		return err
	}
	defer pub.Close()

	pem, err := os.ReadFile(hub.CAFile())
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	if o.http2 {
		tr.ForceAttemptHTTP2 = true
	} else {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{} // HTTP/1.1, as most TAXII clients
	}
	hc := &http.Client{Transport: tr}
	base := "https://" + hub.TAXIIAddr().String() + "/stixhub/collections/" + url.PathEscape(o.collection) + "/objects/"

	fmt.Fprintf(stdout, "machine: %s, %d CPUs, GOMAXPROCS=%d, %s %s/%s\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(stdout, "collection %s, limit %d, in-process hub over HTTPS (%s) on loopback\n", o.collection, o.limit, map[bool]string{false: "HTTP/1.1", true: "HTTP/2"}[o.http2])
	for _, size := range o.sizes {
		last, err := hub.LastCursor(ctx)
		if err != nil {
			return err
		}
		if have := int(last); have < size {
			fmt.Fprintf(stderr, "loading %d -> %d objects...\n", have, size)
			start := time.Now()
			if err := loadIndicators(ctx, pub, signer, identity, size-have); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "loaded in %.1fs\n", time.Since(start).Seconds())
		}
		last, err = hub.LastCursor(ctx)
		if err != nil {
			return err
		}
		start := time.Now()
		for hub.TAXIIIndexPosition() < last {
			time.Sleep(50 * time.Millisecond)
		}
		fmt.Fprintf(stderr, "index caught up %.1fs after the load\n", time.Since(start).Seconds())

		var lat []time.Duration
		var served int
		if o.profile != "" {
			pf, err := os.Create(o.profile)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(pf); err != nil {
				return err
			}
		}
		start = time.Now()
		for range o.passes {
			n, l, err := pageTAXII(ctx, hc, base, token, o.limit)
			if err != nil {
				return err
			}
			served += n
			lat = append(lat, l...)
		}
		elapsed := time.Since(start)
		if o.profile != "" {
			pprof.StopCPUProfile()
		}
		slices.Sort(lat)
		pct := func(p float64) float64 {
			return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
		}
		fmt.Fprintf(stdout, "stored=%d served=%d pages=%d objects_per_s=%.0f p50_ms=%.2f p99_ms=%.2f\n",
			last, served, len(lat), float64(served)/elapsed.Seconds(), pct(0.50), pct(0.99))
	}
	return nil
}

// pageTAXII pages through a collection and returns the objects served and
// each page's latency.
func pageTAXII(ctx context.Context, hc *http.Client, base, token string, limit int) (int, []time.Duration, error) {
	var lat []time.Duration
	served := 0
	next := ""
	var buf []byte
	for {
		u := base + "?limit=" + strconv.Itoa(limit)
		if next != "" {
			u += "&next=" + url.QueryEscape(next)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Accept", "application/taxii+json;version=2.1")
		req.Header.Set("Authorization", "Bearer "+token)
		t0 := time.Now()
		res, err := hc.Do(req)
		if err != nil {
			return 0, nil, err
		}
		if res.ContentLength > int64(cap(buf)) {
			buf = make([]byte, 0, res.ContentLength)
		}
		body, err := readAll(res.Body, buf[:0])
		buf = body[:0]
		res.Body.Close()
		lat = append(lat, time.Since(t0))
		if err != nil {
			return 0, nil, err
		}
		if res.StatusCode != http.StatusOK {
			return 0, nil, fmt.Errorf("GET %s: %s: %s", u, res.Status, body)
		}
		env, err := scanEnvelope(body)
		if err != nil {
			return 0, nil, fmt.Errorf("decode page: %w", err)
		}
		served += env.objects
		if !env.more {
			return served, lat, nil
		}
		next = env.next
	}
}

// loadIndicators signs and publishes n indicators, in chunks so memory
// stays flat, signing the next chunk while the hub stores this one.
func loadIndicators(ctx context.Context, c *client.Client, s *sign.Ed25519Signer, identity string, n int) error {
	const chunk, batch, conns = 20000, 1000, 4
	for done := 0; done < n; done += chunk {
		signed, err := signIndicators(ctx, s, identity, min(chunk, n-done))
		if err != nil {
			return err
		}
		var next atomic.Int64
		var firstErr error
		var once sync.Once
		var wg sync.WaitGroup
		for range conns {
			wg.Go(func() {
				for {
					lo := int(next.Add(batch)) - batch
					if lo >= len(signed) {
						return
					}
					rs, err := c.PublishSigned(ctx, signed[lo:min(lo+batch, len(signed))]...)
					if err == nil {
						for _, r := range rs {
							if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
								err = fmt.Errorf("object not accepted: %v", r)
								break
							}
						}
					}
					if err != nil {
						once.Do(func() { firstErr = err })
						return
					}
				}
			})
		}
		wg.Wait()
		if firstErr != nil {
			return fmt.Errorf("publish: %s", describe(firstErr))
		}
	}
	return nil
}

// page is what the benchmark reads of a TAXII envelope.
type page struct {
	more    bool
	next    string
	objects int
}

// scanEnvelope reads more, next and the number of objects of a TAXII
// envelope with the hub's zero-allocation scanner, so the load generator,
// which shares the machine with the hub, costs little next to it.
func scanEnvelope(body []byte) (page, error) {
	var p page
	it := jsonscan.NewObjectIter(body)
	for it.Next() {
		switch string(it.Name()) {
		case `"more"`:
			p.more = string(it.Value()) == "true"
		case `"next"`:
			s, ok := jsonscan.String(it.Value())
			if !ok {
				return p, errors.New("next is not a string")
			}
			p.next = string(s)
		case `"objects"`:
			objs := jsonscan.NewArrayIter(it.Value())
			for objs.Next() {
				p.objects++
			}
			if err := objs.Err(); err != nil {
				return p, err
			}
		}
	}
	return p, it.Err()
}

// readAll is io.ReadAll into buf, which it grows only when needed.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
