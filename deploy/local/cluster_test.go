// Package local_test runs the loopback cluster of up.sh and down.sh (a
// 3-node NATS cluster with JetStream R3 and two stixhubd nodes, real
// processes) and breaks it: kill -9 a NATS node, kill -9 a hub node, crash
// and restart everything, while members publish and subscribe. Every object
// the hub acknowledged must reach every subscriber exactly once.
package local_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// binDir holds nats-server, stixhubd and stixhub built once for all tests;
// each cluster directory links to them, so up.sh builds nothing.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "stixhub-cluster-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		for _, args := range [][]string{
			{"build", "-o", dir + "/", "./server/cmd/stixhubd", "./client/cmd/stixhub"},
			{"build", "-o", filepath.Join(dir, "nats-server"), "github.com/nats-io/nats-server/v2"},
		} {
			cmd := exec.Command("go", args...)
			cmd.Dir = filepath.Join("..", "..")
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "go %v: %v\n%s", args, err, out)
				return 1
			}
		}
		binDir = dir
		return m.Run()
	}())
}

// cluster is a loopback cluster started by up.sh in dir.
type cluster struct {
	dir      string
	hubs     []string // gRPC addresses of hub1 and hub2
	caFile   string
	opToken  string
	portBase int
}

// startCluster runs up.sh in a fresh directory; down.sh runs at cleanup.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a 3-node NATS cluster and 2 hub processes")
	}
	c := &cluster{dir: t.TempDir()}
	if err := os.Mkdir(filepath.Join(c.dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"nats-server", "stixhubd", "stixhub"} {
		if err := os.Symlink(filepath.Join(binDir, b), filepath.Join(c.dir, "bin", b)); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			c.keepLogs(t)
		}
		if out, err := exec.Command("./down.sh", c.dir).CombinedOutput(); err != nil {
			t.Errorf("down.sh: %v\n%s", err, out)
		}
		if t.Failed() {
			c.dumpLogs(t)
		}
	})
	c.up(t)
	env, err := os.ReadFile(filepath.Join(c.dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(env), "\n") {
		if v, ok := strings.CutPrefix(line, "PORT_BASE="); ok {
			c.portBase, _ = strconv.Atoi(v)
		}
	}
	return c
}

// up runs up.sh, which starts whatever is not running, and checks what it
// prints: the two hub addresses and the CLI settings.
func (c *cluster) up(t *testing.T) {
	t.Helper()
	cmd := exec.Command("./up.sh", c.dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("up.sh: %v\n%s%s", err, out, stderr.String())
	}
	var hubs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "hub "); ok {
			hubs = append(hubs, a)
		}
	}
	if len(hubs) != 2 {
		t.Fatalf("up.sh printed %d hub addresses, want 2:\n%s", len(hubs), out)
	}
	if !bytes.Contains(out, []byte("export STIXHUB_HUB="+hubs[0]+","+hubs[1]+"\n")) {
		t.Fatalf("up.sh did not print STIXHUB_HUB for both nodes:\n%s", out)
	}
	c.hubs = hubs
	c.caFile = filepath.Join(c.dir, "hub1", "tls", "ca.pem")
	tok, err := os.ReadFile(filepath.Join(c.dir, "hub1", "operator.token"))
	if err != nil {
		t.Fatal(err)
	}
	c.opToken = strings.TrimSpace(string(tok))
}

// keepLogs asks the hubs for a goroutine dump (SIGQUIT) and copies every
// log to a directory that outlives the test, for a post-mortem.
func (c *cluster) keepLogs(t *testing.T) {
	for _, p := range []string{"hub1.pid", "hub2.pid"} {
		if b, err := os.ReadFile(filepath.Join(c.dir, p)); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGQUIT)
			}
		}
	}
	time.Sleep(500 * time.Millisecond)
	keep, err := os.MkdirTemp("", "stixhub-cluster-failed-")
	if err != nil {
		return
	}
	for _, f := range []string{"hub1.log", "hub2.log", "nats/n1.log", "nats/n2.log", "nats/n3.log"} {
		if b, err := os.ReadFile(filepath.Join(c.dir, f)); err == nil {
			_ = os.WriteFile(filepath.Join(keep, strings.ReplaceAll(f, "/", "-")), b, 0o600)
		}
	}
	t.Logf("logs kept in %s", keep)
}

func (c *cluster) dumpLogs(t *testing.T) {
	for _, f := range []string{"hub1.log", "hub2.log", "nats/n1.log", "nats/n2.log", "nats/n3.log"} {
		b, err := os.ReadFile(filepath.Join(c.dir, f))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		t.Logf("--- last lines of %s:\n%s", f, strings.Join(lines[max(0, len(lines)-25):], "\n"))
	}
}

// kill sends SIGKILL to the process of a pid file (relative to dir) and
// waits until it is gone.
func (c *cluster) kill(t *testing.T, pidFile string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, pidFile))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %s (%d): %v", pidFile, pid, err)
	}
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil // gone
		}
		if f := strings.Fields(string(st)); len(f) > 2 && f[2] == "Z" {
			return nil // dead, not yet reaped
		}
		return fmt.Errorf("%s (%d) still running", pidFile, pid)
	})
}

// natsHTTP is the monitoring address of NATS node k (1..3); see up.sh.
func (c *cluster) natsHTTP(k int) string { return fmt.Sprintf("127.0.0.1:%d", c.portBase+6+k-1) }

// hubMetrics is the metrics address of hub node k (1..2).
func (c *cluster) hubMetrics(k int) string { return fmt.Sprintf("127.0.0.1:%d", c.portBase+11+k-1) }

// streamLeader asks NATS node k which node leads the object stream.
func (c *cluster) streamLeader(t *testing.T, k int) string {
	t.Helper()
	var leader string
	checkFor(t, 10*time.Second, 100*time.Millisecond, func() error {
		resp, err := http.Get("http://" + c.natsHTTP(k) + "/jsz?accounts=true&streams=true")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var jsz struct {
			Accounts []struct {
				Streams []struct {
					Name    string `json:"name"`
					Cluster struct {
						Leader string `json:"leader"`
					} `json:"cluster"`
				} `json:"stream_detail"`
			} `json:"account_details"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&jsz); err != nil {
			return err
		}
		for _, a := range jsz.Accounts {
			for _, s := range a.Streams {
				if s.Name == "STIXHUB_OBJECTS" && s.Cluster.Leader != "" {
					leader = s.Cluster.Leader
					return nil
				}
			}
		}
		return fmt.Errorf("no leader for STIXHUB_OBJECTS yet")
	})
	return leader
}

// metric reads one sample (name with labels, as printed) from hub k.
func (c *cluster) metric(k int, sample string) (float64, error) {
	resp, err := http.Get("http://" + c.hubMetrics(k) + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("hub%d has no sample %s", k, sample)
}

// dial connects to the cluster's hub nodes with a token.
func (c *cluster) dial(t *testing.T, token string, opts ...client.Option) *client.Client {
	t.Helper()
	opts = append([]client.Option{client.WithCAFile(c.caFile), client.WithToken(token)}, opts...)
	cl, err := client.New(context.Background(), strings.Join(c.hubs, ","), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// member admits a member and returns its token; with a signer, also
// registers its key.
func (c *cluster) member(t *testing.T, name, identity string, signer *sign.Ed25519Signer) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	op := c.dial(t, c.opToken)
	m, token, err := op.Admin().CreateMember(ctx, name, identity)
	if err != nil {
		t.Fatalf("create member: %v", err)
	}
	if signer != nil {
		if _, err := op.Admin().AddKey(ctx, m.GetId(), signer.PublicKey()); err != nil {
			t.Fatalf("add key: %v", err)
		}
	}
	return token
}

// firstNodeFirst makes a client connect to the first hub address while it
// answers, instead of a random node, so a test knows where its clients are.
var firstNodeFirst = client.WithDialOptions(grpc.WithDefaultServiceConfig(`{"loadBalancingConfig":[{"pick_first":{}}]}`))

// publisher publishes fresh indicators in small batches until stopped, and
// records every object the hub acknowledged (accepted, or a duplicate of a
// version stored before: a retry after a lost answer). A call that fails is
// retried with the same signed objects, as a member would.
type publisher struct {
	c        *client.Client
	identity string
	signer   *sign.Ed25519Signer

	mu       sync.Mutex
	acked    map[string]uint64 // object id -> cursor
	failures int               // calls or objects retried
}

// start runs the publisher in the background (batches of 20, 5 ms apart)
// until the returned stop, which waits for it to finish.
func (p *publisher) start(ctx context.Context, t *testing.T) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { p.run(ctx, t, 20, 5*time.Millisecond) })
	return func() { cancel(); wg.Wait() }
}

func newPublisher(c *client.Client, identity string, signer *sign.Ed25519Signer) *publisher {
	return &publisher{c: c, identity: identity, signer: signer, acked: map[string]uint64{}}
}

// run publishes batches of batch objects every interval until ctx ends,
// then finishes the batch in hand.
func (p *publisher) run(ctx context.Context, t *testing.T, batch int, interval time.Duration) {
	for ctx.Err() == nil {
		objs := make([]*stixhubv1.SignedObject, batch)
		for i := range objs {
			so, err := client.SignObject(context.Background(), p.signer, indicator(p.identity))
			if err != nil {
				t.Error(err)
				return
			}
			objs[i] = so
		}
		p.publish(t, objs)
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
}

// publish sends objs until every one is acknowledged (or 60s pass).
func (p *publisher) publish(t *testing.T, objs []*stixhubv1.SignedObject) {
	deadline := time.Now().Add(60 * time.Second)
	for len(objs) > 0 {
		if time.Now().After(deadline) {
			t.Errorf("%d objects still not acknowledged after 60s", len(objs))
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		rs, err := p.c.PublishSigned(ctx, objs...)
		cancel()
		if err != nil {
			p.mu.Lock()
			p.failures++
			p.mu.Unlock()
			time.Sleep(50 * time.Millisecond)
			continue
		}
		var retry []*stixhubv1.SignedObject
		for i, r := range rs {
			switch {
			case r.GetError() != nil && codes.Code(r.GetError().GetCode()) == codes.Unavailable:
				retry = append(retry, objs[i])
			case r.GetError() != nil:
				t.Errorf("object %s rejected: %v", r.GetObjectId(), r.GetError())
			default:
				p.mu.Lock()
				if prev, ok := p.acked[r.GetObjectId()]; ok && prev != r.GetCursor() {
					t.Errorf("object %s acknowledged at cursor %d and at %d", r.GetObjectId(), prev, r.GetCursor())
				}
				p.acked[r.GetObjectId()] = r.GetCursor()
				p.mu.Unlock()
			}
		}
		if len(retry) > 0 {
			p.mu.Lock()
			p.failures++
			p.mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
		objs = retry
	}
}

func (p *publisher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.acked)
}

func (p *publisher) snapshot() map[string]uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]uint64, len(p.acked))
	for k, v := range p.acked {
		out[k] = v
	}
	return out
}

// subscriber records what one subscription delivers and fails the test on a
// repeat or a step back.
type subscriber struct {
	name   string
	mu     sync.Mutex
	got    map[string]uint64 // object id -> cursor
	last   uint64
	starts int // subscriptions the hub confirmed: 1 + reconnects
	errs   []string
	done   chan error
}

// subscribe follows the stream from the beginning until ctx ends.
func subscribe(ctx context.Context, name string, c *client.Client) *subscriber {
	s := &subscriber{name: name, got: map[string]uint64{}, done: make(chan error, 1)}
	go func() {
		s.done <- c.Subscribe(ctx, client.Beginning(), func(_ context.Context, d *client.Delivery) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			if d.GetCursor() <= s.last {
				s.errs = append(s.errs, fmt.Sprintf("cursor %d after %d", d.GetCursor(), s.last))
			}
			s.last = d.GetCursor()
			if d.GetObject() == nil {
				return nil
			}
			var obj struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(d.GetObject().GetObject(), &obj); err != nil {
				s.errs = append(s.errs, err.Error())
				return nil
			}
			if prev, ok := s.got[obj.ID]; ok {
				s.errs = append(s.errs, fmt.Sprintf("%s delivered twice, at %d and %d", obj.ID, prev, d.GetCursor()))
			}
			s.got[obj.ID] = d.GetCursor()
			return nil
		}, client.WithBackoff(50*time.Millisecond, 500*time.Millisecond), client.OnStart(func(uint64) {
			s.mu.Lock()
			s.starts++
			s.mu.Unlock()
		}))
	}()
	return s
}

func (s *subscriber) startCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.starts
}

// check waits until the subscriber has every acknowledged object, then
// checks it got each exactly once, at the cursor the publisher was told, and
// nothing else.
func (s *subscriber) check(t *testing.T, acked map[string]uint64) {
	t.Helper()
	checkFor(t, 60*time.Second, 50*time.Millisecond, func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		missing := 0
		for id := range acked {
			if _, ok := s.got[id]; !ok {
				missing++
			}
		}
		if missing > 0 {
			return fmt.Errorf("%s: %d of %d acknowledged objects not delivered", s.name, missing, len(acked))
		}
		return nil
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.errs {
		t.Errorf("%s: %s", s.name, e)
	}
	for id, cur := range acked {
		if s.got[id] != cur {
			t.Errorf("%s: %s delivered at cursor %d, acknowledged at %d", s.name, id, s.got[id], cur)
		}
	}
	if len(s.got) != len(acked) {
		t.Errorf("%s: %d objects delivered, %d acknowledged", s.name, len(s.got), len(acked))
	}
}

func indicator(identity string) json.RawMessage {
	ts := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	id := uuid.New()
	b, _ := json.Marshal(map[string]any{
		"type":           "indicator",
		"spec_version":   "2.1",
		"id":             "indicator--" + id.String(),
		"created":        ts,
		"modified":       ts,
		"created_by_ref": identity,
		"name":           "failover test indicator",
		"pattern":        fmt.Sprintf("[ipv4-addr:value = '10.%d.%d.%d']", id[0], id[1], id[2]),
		"pattern_type":   "stix",
		"valid_from":     ts,
		// TLP:CLEAR, so that every member may read it (unmarked objects
		// are shared as --default-tlp, amber: the publisher's groups).
		"object_marking_refs": []string{"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"},
	})
	return b
}

// checkFor polls fn every interval until it returns nil, failing the test
// with its last error after timeout.
func checkFor(t *testing.T, timeout, interval time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", timeout, err)
		}
		time.Sleep(interval)
	}
}

// known waits until every hub node authenticates token: a member admitted on
// one node reaches the other through the registry watch.
func (c *cluster) known(t *testing.T, token string) {
	t.Helper()
	for _, addr := range c.hubs {
		cl, err := client.New(context.Background(), addr, client.WithCAFile(c.caFile), client.WithToken(token))
		if err != nil {
			t.Fatal(err)
		}
		checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, err := cl.KeySet(ctx, "")
			return err
		})
		cl.Close()
	}
}
