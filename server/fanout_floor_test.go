package server_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/mem"

	"github.com/stixhub/stixhub/internal/pki"
)

// BenchmarkFanoutTransportFloor measures what gRPC over TLS alone can carry
// to 100 subscribers on this machine, as the hub's fan-out sends it:
// server streams, one connection each, of batch messages of up to 32 KiB,
// of deliveries of 1.4 KB (a stored indicator with its receipt) or 600
// bytes (the message size of DEVELOPERS.md's reference figure).
// The server sends the same pre-encoded bytes as fast as each stream takes
// them and does nothing else; the clients count messages and decode
// nothing. deliveries/s is the ceiling for `stixhub bench fanout` with the
// hub and its subscribers in one process: the hub's own work comes on top.
func BenchmarkFanoutTransportFloor(b *testing.B) {
	for _, delivery := range []int{1400, 600} {
		b.Run(fmt.Sprintf("delivery=%d", delivery), func(b *testing.B) { benchmarkTransportFloor(b, delivery) })
	}
}

func benchmarkTransportFloor(b *testing.B, delivery int) {
	const (
		subscribers = 100
		duration    = 3 * time.Second
	)
	perMessage := 32 << 10 / delivery
	m, err := pki.Ensure(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	serverTLS, err := pki.ServerTLS(m.CertFile, m.KeyFile)
	if err != nil {
		b.Fatal(err)
	}
	clientTLS, err := pki.ClientTLS(m.CAFile, "")
	if err != nil {
		b.Fatal(err)
	}
	frame := make([]byte, perMessage*delivery)
	for i := range frame {
		frame[i] = byte(i * 7)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(serverTLS)), grpc.ForceServerCodecV2(rawCodec{}))
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: "floor.Floor",
		HandlerType: (*any)(nil),
		Streams: []grpc.StreamDesc{{
			StreamName:    "Sub",
			ServerStreams: true,
			Handler: func(_ any, stream grpc.ServerStream) error {
				var req []byte
				if err := stream.RecvMsg(&req); err != nil {
					return err
				}
				for stream.Context().Err() == nil {
					if err := stream.SendMsg(&frame); err != nil {
						return err
					}
				}
				return nil
			},
		}},
	}, nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	for b.Loop() {
		var received atomic.Int64
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		ready := make(chan struct{})
		for range subscribers {
			conn, err := grpc.NewClient(lis.Addr().String(),
				grpc.WithTransportCredentials(credentials.NewTLS(clientTLS.Clone())),
				grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})))
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/floor.Floor/Sub")
			if err != nil {
				b.Fatal(err)
			}
			if err := stream.SendMsg(&[]byte{}); err != nil {
				b.Fatal(err)
			}
			if err := stream.CloseSend(); err != nil {
				b.Fatal(err)
			}
			wg.Go(func() {
				<-ready
				var msg []byte
				for stream.RecvMsg(&msg) == nil {
					received.Add(1)
				}
			})
		}
		start := time.Now()
		close(ready)
		time.Sleep(duration)
		n := received.Load()
		elapsed := time.Since(start)
		cancel()
		wg.Wait()
		b.ReportMetric(float64(n*int64(perMessage))/elapsed.Seconds(), "deliveries/s")
		b.ReportMetric(float64(n*int64(perMessage*delivery))/elapsed.Seconds()/1e6, "MB/s")
	}
}

// rawCodec sends and receives messages as bytes, unchanged.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*[]byte))}, nil
}

// Unmarshal keeps nothing: the subscribers of the floor only count.
func (rawCodec) Unmarshal(mem.BufferSlice, any) error { return nil }

func (rawCodec) Name() string { return "proto" }
