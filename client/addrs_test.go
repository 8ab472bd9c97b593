package client

import (
	"context"
	"strings"
	"testing"
)

func TestDialTarget(t *testing.T) {
	for _, tc := range []struct {
		addr, target, err string
	}{
		{"hub.example:7700", "hub.example:7700", ""},
		{" hub.example:7700 ,", "hub.example:7700", ""},
		{"a:7700,b:7700", "stixhub-nodes-", ""},
		{"a:7700,b", "", `hub address "b": want host:port`},
		{" , ", "", "hub address required"},
	} {
		target, opts, err := dialTarget(tc.addr)
		switch {
		case tc.err != "":
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %q", tc.addr, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.addr, err)
		case !strings.HasPrefix(target, tc.target):
			t.Errorf("%q: target %q, want %q...", tc.addr, target, tc.target)
		case strings.Contains(tc.addr, ",b:") && len(opts) != 2:
			t.Errorf("%q: %d dial options, want the resolver and the balancer", tc.addr, len(opts))
		}
	}
	if _, err := New(context.Background(), "a:1,b"); err == nil {
		t.Error("New accepted a node without a port")
	}
}
