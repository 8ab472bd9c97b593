package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// startNATS runs a standalone NATS server with JetStream on a random port,
// standing in for an external cluster.
func startNATS(t *testing.T) string {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS not ready")
	}
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

// TestTwoHubsOnOneExternalNATS runs two hub nodes, each with its own data
// directory, on one external NATS server: what one node accepts, the other
// serves; members admitted on one authenticate on the other; a republish
// through the other node is a duplicate.
func TestTwoHubsOnOneExternalNATS(t *testing.T) {
	url := startNATS(t)
	external := func(c *stixhubConfig) { c.NATSURL = url }
	a, b := hubtest.Start(t, external), hubtest.Start(t, external)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	bank := a.AddMember(t, "Bank A")
	cert := a.AddMember(t, "CERT")
	obj := indicator(t, nil)
	rs, err := a.Client(t, bank).Publish(ctx, obj)
	if err != nil || rs[0].GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
		t.Fatalf("publish on node a: %v %v", rs, err)
	}

	// Node b learns the members through the registry watch.
	hubtest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		ms, err := b.Operator(t).Admin().ListMembers(ctx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.GetId() == cert.ID {
				return nil
			}
		}
		return fmt.Errorf("node b does not know %s yet", cert.ID)
	})
	got := collect(ctx, t, b.Client(t, cert), client.Beginning(), 1)
	if err := client.NewVerifier(b.KeySet(t)).Verify(got[0]); err != nil {
		t.Fatalf("node b delivers node a's object: %v", err)
	}
	again, err := b.Client(t, bank).Publish(ctx, obj)
	if err != nil || again[0].GetOutcome() != stixhubv1.Outcome_OUTCOME_DUPLICATE || again[0].GetCursor() != rs[0].GetCursor() {
		t.Fatalf("republish through node b: %v %v, want DUPLICATE at %d", again, err, rs[0].GetCursor())
	}
	if n := len(b.KeySet(t).GetHubKeys()); n != 2 {
		t.Errorf("key set lists %d hub keys, want both nodes'", n)
	}
}
