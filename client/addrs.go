package client

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
)

// resolverSeq gives each multi-address client its own resolver scheme, so
// that clients never share resolver state.
var resolverSeq atomic.Uint64

// dialTarget turns New's address into a gRPC target. One "host:port" is
// dialled as is. Several, comma-separated ("a:7700,b:7700"), are the nodes
// of one clustered hub: the client connects to one of them, chosen at
// random so that clients spread over the nodes, and when that node goes away
// it moves to another, where subscriptions resume from their cursors. Each
// node's certificate is checked against its own host name.
func dialTarget(addr string) (string, []grpc.DialOption, error) {
	var addrs []string
	for _, a := range strings.Split(addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	switch len(addrs) {
	case 0:
		return "", nil, errors.New("hub address required")
	case 1:
		return addrs[0], nil, nil
	}
	state := resolver.State{Addresses: make([]resolver.Address, len(addrs))}
	for i, a := range addrs {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			return "", nil, fmt.Errorf("hub address %q: want host:port", a)
		}
		state.Addresses[i] = resolver.Address{Addr: a, ServerName: host}
	}
	r := manual.NewBuilderWithScheme(fmt.Sprintf("stixhub-nodes-%d", resolverSeq.Add(1)))
	r.InitialState(state)
	return r.Scheme() + ":///hub", []grpc.DialOption{
		grpc.WithResolvers(r),
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig":[{"pick_first":{"shuffleAddressList":true}}]}`),
	}, nil
}
