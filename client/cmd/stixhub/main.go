// Command stixhub is the stixhub command line for members and operators:
// generate keys, publish signed STIX objects, subscribe to the feed, verify
// saved output offline, and administer members and keys.
//
// Connection settings come from flags or the environment:
//
//	--hub         STIXHUB_HUB         hub gRPC address (default 127.0.0.1:7700)
//	--ca-file     STIXHUB_CA_FILE     CA bundle that signed the hub certificate
//	--token-file  STIXHUB_TOKEN_FILE  member or operator token
//
// When neither is set, the CA file and (for admin commands) the operator
// token of a hub running from ./stixhub-data are used if present.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(os.Stderr, "stixhub:", ee.msg)
			}
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "stixhub:", describe(err))
		os.Exit(2)
	}
}

// exitError ends the command with a given exit code.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }
