package local_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/sign"
)

// members admits a publishing bank (with a key) and a CERT, and waits until
// both hub nodes know them.
func members(t *testing.T, c *cluster) (bankID, bankToken, certToken string, signer *sign.Ed25519Signer) {
	t.Helper()
	signer, err := sign.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	bankID = "identity--" + uuid.NewString()
	bankToken = c.member(t, "Bank A", bankID, signer)
	certToken = c.member(t, "National CERT", "identity--"+uuid.NewString(), nil)
	c.known(t, bankToken)
	c.known(t, certToken)
	return bankID, bankToken, certToken, signer
}

// waitAcked waits until the publisher has n acknowledged objects.
func waitAcked(t *testing.T, p *publisher, n int, within time.Duration) {
	t.Helper()
	checkFor(t, within, 20*time.Millisecond, func() error {
		if got := p.count(); got < n {
			return fmt.Errorf("%d objects acknowledged, waiting for %d", got, n)
		}
		return nil
	})
}

// TestKillNATSNodeWhilePublishing kills -9 the NATS node that leads the
// object stream while a bank publishes and three subscriptions read:
// publishing goes on (JetStream elects a new leader among the other two
// replicas), and every acknowledged object reaches every subscriber exactly
// once, at the cursor its receipt names.
func TestKillNATSNodeWhilePublishing(t *testing.T) {
	c := startCluster(t)
	bankID, bankToken, certToken, signer := members(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	subs := []*subscriber{
		subscribe(ctx, "cert-1", c.dial(t, certToken)),
		subscribe(ctx, "cert-2", c.dial(t, certToken)),
		subscribe(ctx, "bank", c.dial(t, bankToken)),
	}
	pub := newPublisher(c.dial(t, bankToken, client.WithSigner(signer)), bankID, signer)
	stopPub := pub.start(ctx, t)

	waitAcked(t, pub, 300, 30*time.Second)
	leader := c.streamLeader(t, 1)
	c.kill(t, "nats/"+leader+".pid")
	killedAt := pub.count()
	t.Logf("killed NATS %s (stream leader) after %d acknowledged objects", leader, killedAt)
	waitAcked(t, pub, killedAt+500, 45*time.Second)
	if other := c.streamLeader(t, map[string]int{"n1": 2, "n2": 3, "n3": 1}[leader]); other == leader {
		t.Errorf("stream still led by the killed node %s", leader)
	}
	stopPub()

	checkEveryAckedDelivered(t, pub, subs)
}

// TestKillHubNode connects a publisher and three subscribers to hub node 1,
// kills it with -9, and checks they all move to node 2: the subscribers
// resume from their cursors with nothing lost or repeated, and publishing
// goes on. up.sh then restarts node 1, which serves the same stream.
func TestKillHubNode(t *testing.T) {
	c := startCluster(t)
	bankID, bankToken, certToken, signer := members(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	subs := []*subscriber{
		subscribe(ctx, "cert-1", c.dial(t, certToken, firstNodeFirst)),
		subscribe(ctx, "cert-2", c.dial(t, certToken, firstNodeFirst)),
		subscribe(ctx, "bank", c.dial(t, bankToken, firstNodeFirst)),
	}
	pub := newPublisher(c.dial(t, bankToken, client.WithSigner(signer), firstNodeFirst), bankID, signer)
	stopPub := pub.start(ctx, t)

	waitAcked(t, pub, 300, 30*time.Second)
	checkFor(t, 10*time.Second, 50*time.Millisecond, func() error {
		if n, err := c.metric(1, "stixhub_subscribers"); err != nil || n != 3 {
			return fmt.Errorf("hub1 has %v subscribers (%v), want 3", n, err)
		}
		return nil
	})
	c.kill(t, "hub1.pid")
	killedAt := pub.count()
	t.Logf("killed hub1 after %d acknowledged objects", killedAt)
	waitAcked(t, pub, killedAt+500, 30*time.Second)
	checkFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		if n, err := c.metric(2, "stixhub_subscribers"); err != nil || n != 3 {
			return fmt.Errorf("hub2 has %v subscribers (%v), want 3", n, err)
		}
		return nil
	})
	stopPub()

	acked := pub.snapshot()
	for _, s := range subs {
		s.check(t, acked)
		if n := s.startCount(); n < 2 {
			t.Errorf("%s: subscribed %d times, want a resubscription after the kill", s.name, n)
		}
	}

	// up.sh restarts the killed node only; it rebuilds its index from the
	// stream and serves everything.
	c.up(t)
	only1, err := client.New(ctx, c.hubs[0], client.WithCAFile(c.caFile), client.WithToken(certToken))
	if err != nil {
		t.Fatal(err)
	}
	defer only1.Close()
	s := subscribe(ctx, "cert on restarted hub1", only1)
	s.check(t, acked)
	t.Logf("%d objects acknowledged (%d retried calls), each delivered once to %d subscribers", len(acked), pub.failures, len(subs)+1)
}

// TestCrashAndRestartWholeCluster kills -9 every process of the cluster
// (both hubs, all three NATS nodes) in the middle of publishing, starts it
// again with up.sh, and checks that nothing acknowledged was lost: the
// subscribers that were reading resume, a new one reads everything from the
// beginning, and publishing carries on where it stopped.
func TestCrashAndRestartWholeCluster(t *testing.T) {
	c := startCluster(t)
	bankID, bankToken, certToken, signer := members(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	subs := []*subscriber{
		subscribe(ctx, "cert", c.dial(t, certToken)),
		subscribe(ctx, "bank", c.dial(t, bankToken)),
	}
	pub := newPublisher(c.dial(t, bankToken, client.WithSigner(signer)), bankID, signer)
	stopPub := pub.start(ctx, t)

	waitAcked(t, pub, 300, 30*time.Second)
	for _, p := range []string{"hub1.pid", "hub2.pid", "nats/n1.pid", "nats/n2.pid", "nats/n3.pid"} {
		c.kill(t, p)
	}
	killedAt := pub.count()
	t.Logf("killed every process after %d acknowledged objects", killedAt)
	start := time.Now()
	c.up(t)
	t.Logf("up.sh restarted the cluster in %v", time.Since(start).Round(time.Millisecond))
	waitAcked(t, pub, killedAt+300, 60*time.Second)
	stopPub()

	// The publisher has stopped: a subscriber that starts now must get
	// the same set.
	subs = append(subs, subscribe(ctx, "new cert subscriber", c.dial(t, certToken)))
	checkEveryAckedDelivered(t, pub, subs)
}

// TestTwoHubsPublishAtOnce has a bank publish through both hub nodes at the
// same time, so that their appenders contend for the same stream positions
// of the R3 stream: every object is acknowledged once, every subscriber
// gets each once, and the stream keeps working (an expected-last-message-id
// guard on a replicated stream once stopped it on every replica).
func TestTwoHubsPublishAtOnce(t *testing.T) {
	c := startCluster(t)
	bankID, bankToken, certToken, signer := members(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	subs := []*subscriber{
		subscribe(ctx, "cert", c.dial(t, certToken)),
		subscribe(ctx, "bank", c.dial(t, bankToken)),
	}
	var pubs []*publisher
	for _, addr := range c.hubs {
		cl, err := client.New(ctx, addr, client.WithCAFile(c.caFile), client.WithToken(bankToken), client.WithSigner(signer))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		pubs = append(pubs, newPublisher(cl, bankID, signer))
	}
	pubCtx, stopPub := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, p := range pubs {
		wg.Go(func() { p.run(pubCtx, t, 50, 0) })
	}
	for _, p := range pubs {
		waitAcked(t, p, 1000, 60*time.Second)
	}
	stopPub()
	wg.Wait()

	acked := map[string]uint64{}
	cursors := map[uint64]string{}
	for _, p := range pubs {
		for id, cur := range p.snapshot() {
			if other, ok := cursors[cur]; ok {
				t.Fatalf("cursor %d acknowledged for %s and %s", cur, other, id)
			}
			acked[id], cursors[cur] = cur, id
		}
	}
	for _, s := range subs {
		s.check(t, acked)
	}
	t.Logf("%d objects acknowledged through two nodes at once (%d + %d retried calls)", len(acked), pubs[0].failures, pubs[1].failures)
}

// checkEveryAckedDelivered checks that each subscriber got every object pub
// had acknowledged, once.
func checkEveryAckedDelivered(t *testing.T, pub *publisher, subs []*subscriber) {
	t.Helper()
	acked := pub.snapshot()
	for _, s := range subs {
		s.check(t, acked)
	}
	t.Logf("%d objects acknowledged (%d retried calls), each delivered once to %d subscribers", len(acked), pub.failures, len(subs))
}
