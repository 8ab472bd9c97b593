package store

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stixhub/stixhub/internal/broker"
	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// BenchmarkIngestFloor measures, in one run, what bounds `stixhub bench
// ingest`'s ingest_ratio from above on this machine when the hub does
// nothing but verify and append: the raw Ed25519 verify rate on GOMAXPROCS
// goroutines (as the bench measures it, before and after), and the rate of
// a pipeline in which GOMAXPROCS goroutines verify batches of 250 objects
// and one goroutine appends each verified batch and waits for its
// acknowledgements, overlapping as the hub's publish handlers and appender
// do. "raw" appends with a bare JetStream async publish (the headers and
// size of a stored object, the sequence guard); "store" through Store.Append
// (receipts, index, protobuf record). floor_ratio = pipeline rate / verify
// rate, the ingest_ratio a hub with no other work (no gRPC, TLS,
// validation, canonicalization, screening) would reach.
//
//	go test -run '^$' -bench IngestFloor -benchtime 1x ./internal/store/
func BenchmarkIngestFloor(b *testing.B) {
	const objects, batch = 20000, 250
	pub, priv, _ := ed25519.GenerateKey(nil)
	msgs := make([][]byte, objects)
	sigs := make([][]byte, objects)
	for i := range msgs {
		// A canonical indicator of the bench's size (about 800 bytes).
		msgs[i] = fmt.Appendf(nil, `{"confidence":80,"created":"2026-11-26T03:00:00.000Z","created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","description":"Address observed receiving funds from the 2018 exchange thefts; linked to DPRK operators by on-chain analysis.","id":"indicator--%08d-17d4-4cbf-938f-98ee46b3cd3f","indicator_types":["malicious-activity","attribution"],"labels":["dprk","cryptocurrency"],"modified":"2026-11-26T03:00:00.000Z","name":"Lazarus withdrawal wallet cluster node %d","object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],"pattern":"[ipv4-addr:value = '10.0.%d.%d'] OR [domain-name:value = 'wallet-%d.example']","pattern_type":"stix","spec_version":"2.1","type":"indicator","valid_from":"2026-11-26T03:00:00.000Z"}`, i, i, (i>>8)&255, i&255, i)
		sigs[i] = ed25519.Sign(priv, msgs[i])
	}
	for _, mode := range []string{"raw", "raw-core", "store"} {
		b.Run(mode, func(b *testing.B) {
			br, err := broker.StartEmbedded(context.Background(), broker.EmbeddedConfig{StoreDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			ctx := context.Background()
			var appendBatch func(first int) error
			switch mode {
			case "raw":
				if _, err := br.JS.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage}); err != nil {
					b.Fatal(err)
				}
				payload := make([]byte, 1400) // a stored object: canonical JSON, signature, receipt
				var seq uint64
				appendBatch = func(first int) error {
					futures := make([]jetstream.PubAckFuture, 0, batch)
					for i := first; i < first+batch; i++ {
						m := &nats.Msg{Subject: "raw.indicator", Data: payload, Header: floorHeader(i, seq)}
						seq++
						f, err := br.JS.PublishMsgAsync(m)
						if err != nil {
							return err
						}
						futures = append(futures, f)
					}
					for _, f := range futures {
						select {
						case <-f.Ok():
						case err := <-f.Err():
							return err
						}
					}
					return nil
				}
			case "raw-core":
				// As raw, but with core NATS publishes to a reply subject of
				// our own and the acknowledgements read from one channel and
				// checked with a byte search, instead of PublishMsgAsync's
				// futures and encoding/json: what cheaper ack handling in the
				// appender could save.
				if _, err := br.JS.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage}); err != nil {
					b.Fatal(err)
				}
				nc := br.JS.Conn()
				inbox := nats.NewInbox()
				acks := make(chan *nats.Msg, batch)
				sub, err := nc.ChanSubscribe(inbox+".*", acks)
				if err != nil {
					b.Fatal(err)
				}
				defer sub.Unsubscribe()
				payload := make([]byte, 1400)
				var seq uint64
				appendBatch = func(first int) error {
					for i := first; i < first+batch; i++ {
						m := &nats.Msg{Subject: "raw.indicator", Reply: inbox + "." + strconv.Itoa(i), Data: payload, Header: floorHeader(i, seq)}
						seq++
						if err := nc.PublishMsg(m); err != nil {
							return err
						}
					}
					timeout := time.After(10 * time.Second)
					for range batch {
						select {
						case m := <-acks:
							if bytes.Contains(m.Data, []byte(`"error"`)) || !bytes.Contains(m.Data, []byte(`"seq":`)) {
								return fmt.Errorf("publish refused: %s", m.Data)
							}
						case <-timeout:
							return errors.New("acknowledgements timed out")
						}
					}
					return nil
				}
			case "store":
				hub, _ := sign.GenerateEd25519()
				st, err := Open(ctx, br.JS, Config{Signer: hub, Exclusive: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				entries := make([]Entry, objects) // built before the clock starts
				for i := range entries {
					entries[i] = entry(fmt.Sprintf("indicator--%08d-17d4-4cbf-938f-98ee46b3cd3f", i), "member--4e2b8a8c-8d3d-4a4c-9b1e-1f0c3f6d8a21", 0)
					entries[i].Canonical, entries[i].Signature = msgs[i], sigs[i]
					entries[i].Sharing = &stixhubv1.Sharing{Tlp: "amber", Groups: []string{"members"}, Refs: []string{"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"}}
				}
				appendBatch = func(first int) error {
					rs, err := st.Append(ctx, entries[first:first+batch])
					if err == nil && rs[0].Outcome != Accepted {
						err = rs[0].Err
					}
					return err
				}
			}
			verify := func(i int) {
				if !sign.Verify(pub, msgs[i], sigs[i]) {
					panic("signature does not verify")
				}
			}
			var vr, pr, vcpu, pcpu float64
			for b.Loop() {
				before, beforeCPU := verifyRate(objects, verify)
				start, startCPU := time.Now(), cpuTime()
				if err := verifyAndAppend(objects, batch, verify, appendBatch); err != nil {
					b.Fatal(err)
				}
				pr, pcpu = objects/time.Since(start).Seconds(), (cpuTime()-startCPU)/objects
				after, afterCPU := verifyRate(objects, verify)
				vr, vcpu = (before+after)/2, (beforeCPU+afterCPU)/2
			}
			b.ReportMetric(vr, "verify/s")
			b.ReportMetric(pr, "objects/s")
			b.ReportMetric(pr/vr, "floor_ratio")
			// The same from the CPU time this process used, per object: less
			// sensitive than the rates to other processes on the machine.
			b.ReportMetric(vcpu*1e6, "verify-cpu-us/op")
			b.ReportMetric(pcpu*1e6, "pipeline-cpu-us/op")
			b.ReportMetric(vcpu/pcpu, "cpu_floor_ratio")
		})
	}
}

// cpuTime returns the user and system CPU time this process has used, in
// seconds.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// verifyRate returns how many verifications per second GOMAXPROCS
// goroutines do over about a second, and the CPU seconds each took.
func verifyRate(n int, verify func(i int)) (rate, cpu float64) {
	var total atomic.Int64
	var wg sync.WaitGroup
	start, startCPU := time.Now(), cpuTime()
	deadline := start.Add(time.Second)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			k := 0
			for i := 0; time.Now().Before(deadline); i++ {
				verify(i % n)
				k++
			}
			total.Add(int64(k))
		})
	}
	wg.Wait()
	return float64(total.Load()) / time.Since(start).Seconds(), (cpuTime() - startCPU) / float64(total.Load())
}

// verifyAndAppend verifies n objects in batches on GOMAXPROCS goroutines
// and appends each verified batch from one goroutine, in order.
func verifyAndAppend(n, batch int, verify func(i int), appendBatch func(first int) error) error {
	batches := n / batch
	done := make([]chan struct{}, batches)
	for i := range done {
		done[i] = make(chan struct{})
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= batches {
					return
				}
				for i := k * batch; i < (k+1)*batch; i++ {
					verify(i)
				}
				close(done[k])
			}
		})
	}
	defer wg.Wait()
	for k := range batches {
		<-done[k]
		if err := appendBatch(k * batch); err != nil {
			next.Store(int64(batches)) // stop the verifiers
			return err
		}
	}
	return nil
}

// floorHeader is the header of the i-th raw message of the floor
// benchmark: a stored object's, guarded to land after sequence seq.
func floorHeader(i int, seq uint64) nats.Header {
	return nats.Header{
		HeaderID:                        {"indicator--" + strconv.Itoa(i)},
		HeaderVersion:                   {"20261126030000000000000"},
		HeaderMember:                    {"member--4e2b8a8c-8d3d-4a4c-9b1e-1f0c3f6d8a21"},
		HeaderSharing:                   {"CgVhbWJlchoOZ3JvdXAtLW1lbWJlcnM"},
		jetstream.ExpectedLastSeqHeader: {strconv.FormatUint(seq, 10)},
	}
}
