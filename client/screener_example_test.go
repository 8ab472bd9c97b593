package client_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/stixhub/stixhub/client"
)

func ExampleNewScreener() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The bank shares a DPRK-linked withdrawal address.
	bank, _ := client.New(ctx, hub.addr, client.WithCAFile(hub.caFile), client.WithToken(hub.bank.Token), client.WithSigner(hub.bank.Signer))
	defer bank.Close()
	if _, err := bank.Publish(ctx, walletIndicator("1ExampleDPRKWa11etXq7Rz9TmVbN5cHk", "")); err != nil {
		log.Fatal(err)
	}

	// An exchange keeps its own index of the feed, saved in a file and
	// resumed from its cursor after a restart, and screens withdrawal
	// addresses locally: they never leave the exchange.
	exchange, err := client.New(ctx, hub.addr, client.WithCAFile(hub.caFile), client.WithToken(hub.cert.Token))
	if err != nil {
		log.Fatal(err)
	}
	defer exchange.Close()
	dir, _ := os.MkdirTemp("", "screener-example-")
	defer os.RemoveAll(dir)
	screener, err := client.NewScreener(ctx, exchange, client.WithScreenerFile(filepath.Join(dir, "screen.db")))
	if err != nil {
		log.Fatal(err)
	}
	defer screener.Close()
	stopped := make(chan error, 1)
	go func() { stopped <- screener.Run(ctx) }() // follows the feed until ctx ends

	withdrawal := client.Observable{Value: "1ExampleDPRKWa11etXq7Rz9TmVbN5cHk"} // type inferred
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if known, _ := screener.Known(withdrawal); known {
			break
		}
	}
	matches, _ := screener.Lookup(withdrawal)
	for _, m := range matches {
		fmt.Println(m.Status, m.ObjectType, "shared by the bank:", m.MemberID == hub.bank.ID)
	}
	ok, _ := screener.Known(client.Observable{Value: "1exampledprkwa11etxq7rz9tmvbn5chk"})
	fmt.Println("addresses are case-sensitive:", !ok)
	cancel()
	<-stopped // Run saves what it indexed before it returns
	// Output:
	// live indicator shared by the bank: true
	// addresses are case-sensitive: true
}
