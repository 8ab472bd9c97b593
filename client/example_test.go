package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"testing"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	"github.com/stixhub/stixhub/internal/sign"
	"github.com/stixhub/stixhub/server"
)

// hub is a real hub (embedded NATS, TLS, gRPC on loopback) for the examples.
var hub struct {
	addr, caFile string
	bank, cert   member
	keySet       *client.KeySet
}

type member struct {
	ID     string
	Token  string
	Signer client.Signer
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stixhub-example-")
	if err != nil {
		log.Fatal(err)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		ctx := context.Background()
		cfg := server.DefaultConfig(dir)
		cfg.GRPCAddr = "127.0.0.1:0"
		cfg.TAXIIAddr = "127.0.0.1:0"
		cfg.Logger = hubtest.Logger()
		h, err := server.Start(ctx, cfg)
		if err != nil {
			log.Fatal(err)
		}
		defer h.Shutdown(ctx)
		hub.addr, hub.caFile = h.Addr().String(), h.CAFile()
		op, err := client.New(ctx, hub.addr, client.WithCAFile(hub.caFile), client.WithTokenFile(h.OperatorTokenFile()))
		if err != nil {
			log.Fatal(err)
		}
		defer op.Close()
		admit := func(name string) member {
			m, tok, err := op.Admin().CreateMember(ctx, name, "identity--"+uuid.NewString())
			if err != nil {
				log.Fatal(err)
			}
			s, err := sign.GenerateEd25519()
			if err != nil {
				log.Fatal(err)
			}
			if _, err := op.Admin().AddKey(ctx, m.GetId(), s.PublicKey()); err != nil {
				log.Fatal(err)
			}
			return member{ID: m.GetId(), Token: tok, Signer: s}
		}
		hub.bank, hub.cert = admit("Bank A"), admit("National CERT")
		// Both share a group: unmarked objects are TLP:AMBER to the
		// publisher's groups.
		if _, err := op.Admin().CreateGroup(ctx, "cti-exchange"); err != nil {
			log.Fatal(err)
		}
		for _, m := range []member{hub.bank, hub.cert} {
			if _, err := op.Admin().AddGroupMember(ctx, "cti-exchange", m.ID); err != nil {
				log.Fatal(err)
			}
		}
		if hub.keySet, err = op.Admin().KeySet(ctx, ""); err != nil {
			log.Fatal(err)
		}
		return m.Run()
	}()
	os.Exit(code)
}

// indicator is an OASIS example indicator (indicator-for-c2-ip-address.json).
var indicator = json.RawMessage(`{
  "type": "indicator", "spec_version": "2.1",
  "id": "indicator--33fe3b22-0201-47cf-85d0-97c02164528d",
  "created": "2014-05-08T09:00:00.000Z", "modified": "2014-05-08T09:00:00.000Z",
  "name": "IP Address for known C2 channel", "indicator_types": ["malicious-activity"],
  "pattern": "[ipv4-addr:value = '10.0.0.0']", "pattern_type": "stix",
  "valid_from": "2014-05-08T09:00:00.000000Z"
}`)

func Example() {
	ctx := context.Background()
	// A member signs with its own Ed25519 key (client.LoadKeyFile("bank-a.key")).
	bank, err := client.New(ctx, hub.addr,
		client.WithCAFile(hub.caFile),
		client.WithToken(hub.bank.Token),
		client.WithSigner(hub.bank.Signer))
	if err != nil {
		log.Fatal(err)
	}
	defer bank.Close()

	results, err := bank.Publish(ctx, indicator)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		fmt.Println(r.GetOutcome(), r.GetObjectId())
	}

	// Publishing the same version again stores nothing new.
	results, _ = bank.Publish(ctx, indicator)
	fmt.Println(results[0].GetOutcome())
	// Output:
	// OUTCOME_ACCEPTED indicator--33fe3b22-0201-47cf-85d0-97c02164528d
	// OUTCOME_DUPLICATE
}

func ExampleClient_Subscribe() {
	ctx := context.Background()
	bank, _ := client.New(ctx, hub.addr, client.WithCAFile(hub.caFile), client.WithToken(hub.bank.Token), client.WithSigner(hub.bank.Signer))
	defer bank.Close()
	rs, err := bank.Publish(ctx, json.RawMessage(`{"type":"indicator","spec_version":"2.1",
		"id":"indicator--4e2b8a8c-8d3d-4a4c-9b1e-1f0c3f6d8a21",
		"created":"2018-01-26T00:00:00.000Z","modified":"2018-01-26T00:00:00.000Z",
		"name":"Wallet that received stolen NEM","pattern":"[url:value = 'http://wallet-drain.example/']",
		"pattern_type":"stix","valid_from":"2018-01-26T00:00:00Z"}`))
	if err != nil {
		log.Fatal(err)
	}

	cert, err := client.New(ctx, hub.addr, client.WithCAFile(hub.caFile), client.WithToken(hub.cert.Token))
	if err != nil {
		log.Fatal(err)
	}
	defer cert.Close()
	// Check every delivery offline against the hub's public key set.
	verifier := client.NewVerifier(hub.keySet)
	done := errors.New("done")
	err = cert.Subscribe(ctx, client.After(rs[0].GetCursor()-1), func(ctx context.Context, d *client.Delivery) error {
		if err := verifier.Verify(d); err != nil {
			return err
		}
		fmt.Println("verified", d.GetReceipt().GetObjectId(), "from the bank:", d.GetMemberId() == hub.bank.ID)
		// A real subscriber keeps going, and after a restart resumes with
		// client.After(cursor of the last delivery it handled).
		return done
	}, client.WithTypes("indicator"))
	fmt.Println(err == done)
	// Output:
	// verified indicator--4e2b8a8c-8d3d-4a4c-9b1e-1f0c3f6d8a21 from the bank: true
	// true
}
