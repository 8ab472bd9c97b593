package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/limit"
	"github.com/stixhub/stixhub/internal/sign"
	"github.com/stixhub/stixhub/server"
)

// benchHub starts an in-process hub for a benchmark in dataDir (a temporary
// directory, removed by the returned stop, when empty), without rate limits
// (the benchmarks measure the hub, not the per-member limits). taxiiAddr is
// the TAXII listen address, "off" for none.
func benchHub(ctx context.Context, dataDir, taxiiAddr string, stderr io.Writer) (*server.Hub, func(), error) {
	dir := dataDir
	cleanup := func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "stixhub-bench-")
		if err != nil {
			return nil, nil, err
		}
		dir, cleanup = tmp, func() { os.RemoveAll(tmp) }
	}
	cfg := server.DefaultConfig(dir)
	cfg.Limits = limit.Config{}
	cfg.GRPCAddr = "127.0.0.1:0"
	cfg.TAXIIAddr = taxiiAddr
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	hub, err := server.Start(ctx, cfg)
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("start in-process hub: %w", err)
	}
	fmt.Fprintf(stderr, "started in-process hub on %s (data %s)\n", hub.Addr(), dir)
	return hub, func() { hub.Shutdown(context.Background()); cleanup() }, nil
}

// benchAccount is a benchmark member: its id, STIX identity, token and key.
type benchAccount struct {
	ID, Identity, Token string
	Signer              *sign.Ed25519Signer
}

// benchMember admits a benchmark member with a fresh identity and key.
func benchMember(ctx context.Context, op *client.Client, name string) (benchAccount, error) {
	a := benchAccount{Identity: "identity--" + uuid.NewString()}
	m, token, err := op.Admin().CreateMember(ctx, name+" "+time.Now().UTC().Format(time.RFC3339Nano), a.Identity)
	if err != nil {
		return a, fmt.Errorf("admit benchmark member: %w", err)
	}
	a.ID, a.Token = m.GetId(), token
	if a.Signer, err = sign.GenerateEd25519(); err != nil {
		return a, err
	}
	if _, err := op.Admin().AddKey(ctx, a.ID, a.Signer.PublicKey()); err != nil {
		return a, fmt.Errorf("add benchmark key: %w", err)
	}
	return a, nil
}

// benchRateNote ends the help of the benchmarks that can target a running
// hub.
const benchRateNote = `

That hub must not rate-limit the benchmark member: start it with
-rate-requests 0 -rate-objects 0 (by default a member may make 100
requests/s).`

// benchSetup resolves where a benchmark runs (an in-process hub started here
// when embedded, else the connection's hub) and admits its member through
// the operator token. stop releases the in-process hub.
func benchSetup(ctx context.Context, c *conn, embedded bool, dataDir, taxiiAddr, name string, stderr io.Writer) (target conn, acct benchAccount, stop func(), err error) {
	target, stop = *c, func() {}
	if embedded {
		var hub *server.Hub
		if hub, stop, err = benchHub(ctx, dataDir, taxiiAddr, stderr); err != nil {
			return target, acct, nil, err
		}
		target = conn{hub: hub.Addr().String(), caFile: hub.CAFile(), tokenFile: hub.OperatorTokenFile()}
	}
	op, err := target.dial(ctx, true)
	if err != nil {
		stop()
		return target, acct, nil, err
	}
	defer op.Close()
	if acct, err = benchMember(ctx, op, name); err != nil {
		stop()
		return target, acct, nil, err
	}
	return target, acct, stop, nil
}
