package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/stixhub/stixhub/internal/broker"
	"github.com/stixhub/stixhub/internal/receipt"
	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// startBroker starts a real embedded NATS server with JetStream in a temp dir.
func startBroker(t *testing.T) *broker.Broker {
	t.Helper()
	b, err := broker.StartEmbedded(context.Background(), broker.EmbeddedConfig{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// secondConn is another in-process connection to the same server: a second
// hub node as far as JetStream can tell.
func secondConn(t *testing.T, b *broker.Broker) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(b.Server))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func openStore(t *testing.T, js jetstream.JetStream, s *sign.Ed25519Signer, exclusive ...bool) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := Open(ctx, js, Config{Signer: s, MaxGroup: 64, Exclusive: len(exclusive) > 0 && exclusive[0]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func hubSigner(t *testing.T) *sign.Ed25519Signer {
	t.Helper()
	s, err := sign.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func entry(id, member string, version int) Entry {
	ts := time.Date(2024, 1, 1, 0, 0, version, 0, time.UTC)
	return Entry{
		ID:         id,
		VersionKey: ts.Format("20060102150405") + "000000000",
		Modified:   ts.Format(time.RFC3339Nano),
		Canonical:  fmt.Appendf(nil, `{"id":%q,"modified":%q,"type":"indicator"}`, id, ts.Format(time.RFC3339)),
		MemberID:   member,
		KeyID:      "0123456789abcdef0123456789abcdef",
		Signature:  make([]byte, 64),
	}
}

func newID() string { return "indicator--" + uuid.NewString() }

func mustAppend(t *testing.T, st *Store, es ...Entry) []Result {
	t.Helper()
	rs, err := st.Append(context.Background(), es)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// checkStream reads every stored message and checks the invariant receipts
// rely on: the receipt's cursor is the message's stream sequence, and the
// receipt verifies with the hub key.
func checkStream(t *testing.T, st *Store, hub *sign.Ed25519Signer) int {
	t.Helper()
	ctx := context.Background()
	last, err := st.LastCursor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	versions := map[string]bool{}
	for seq := uint64(1); seq <= last; seq++ {
		rec, err := st.Get(ctx, seq)
		if err != nil {
			t.Fatalf("cursor %d: %v", seq, err)
		}
		r := rec.GetReceipt()
		if r.GetCursor() != seq {
			t.Errorf("message %d carries a receipt for cursor %d", seq, r.GetCursor())
		}
		if err := receipt.Verify(r, hub.PublicKey()); err != nil {
			t.Errorf("cursor %d: receipt: %v", seq, err)
		}
		v := r.GetObjectId() + "@" + r.GetModified()
		if versions[v] {
			t.Errorf("version %s stored twice", v)
		}
		versions[v] = true
	}
	return int(last)
}

func TestAppendStoresAtTheCursorsItsReceiptsName(t *testing.T) {
	b := startBroker(t)
	hub := hubSigner(t)
	st := openStore(t, b.JS, hub)
	var es []Entry
	for range 200 {
		es = append(es, entry(newID(), "member--a", 0))
	}
	rs := mustAppend(t, st, es...)
	for i, r := range rs {
		if r.Outcome != Accepted {
			t.Fatalf("entry %d: %v %v", i, r.Outcome, r.Err)
		}
		if r.Receipt.GetCursor() != r.Cursor || r.Receipt.GetObjectId() != es[i].ID {
			t.Fatalf("entry %d: receipt %v for cursor %d", i, r.Receipt, r.Cursor)
		}
		if i > 0 && r.Cursor != rs[i-1].Cursor+1 {
			t.Fatalf("cursors not consecutive within one append: %d after %d", r.Cursor, rs[i-1].Cursor)
		}
	}
	if n := checkStream(t, st, hub); n != 200 {
		t.Fatalf("stream holds %d messages, want 200", n)
	}
}

func TestAppendDuplicatesVersionsAndOwners(t *testing.T) {
	b := startBroker(t)
	hub := hubSigner(t)
	st := openStore(t, b.JS, hub)
	id := newID()
	first := mustAppend(t, st, entry(id, "member--a", 0))[0]

	tests := []struct {
		name    string
		entries []Entry
		want    []Outcome
		errs    []error
	}{
		{"same version again is a duplicate", []Entry{entry(id, "member--a", 0)}, []Outcome{Duplicate}, []error{nil}},
		{"another member may not write the id", []Entry{entry(id, "member--b", 1)}, []Outcome{Rejected}, []error{ErrOwnedByOther}},
		{"another member's copy of the same version", []Entry{entry(id, "member--b", 0)}, []Outcome{Rejected}, []error{ErrOwnedByOther}},
		{"same id spelled in upper case is the same object", []Entry{entry("indicator--"+strings.ToUpper(id[11:]), "member--a", 0)}, []Outcome{Duplicate}, []error{nil}},
		{"upper-case spelling by another member", []Entry{entry("indicator--"+strings.ToUpper(id[11:]), "member--b", 3)}, []Outcome{Rejected}, []error{ErrOwnedByOther}},
		{"owner's new version and a repeat in one call", []Entry{entry(id, "member--a", 1), entry(id, "member--a", 2), entry(id, "member--a", 1)},
			[]Outcome{Accepted, Accepted, Duplicate}, []error{nil, nil, nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := mustAppend(t, st, tc.entries...)
			for i, r := range rs {
				if r.Outcome != tc.want[i] || !errors.Is(r.Err, tc.errs[i]) || (tc.errs[i] == nil && r.Err != nil) {
					t.Errorf("entry %d: %v %v, want %v %v", i, r.Outcome, r.Err, tc.want[i], tc.errs[i])
				}
			}
		})
	}
	dup := mustAppend(t, st, entry(id, "member--a", 0))[0]
	if dup.Cursor != first.Cursor || !proto.Equal(dup.Receipt, first.Receipt) {
		t.Errorf("duplicate points at cursor %d with another receipt; want the stored one at %d", dup.Cursor, first.Cursor)
	}
	checkStream(t, st, hub)
}

func TestIndexIsRebuiltFromTheStreamOnOpen(t *testing.T) {
	for _, exclusive := range []bool{false, true} {
		t.Run(fmt.Sprintf("exclusive=%v", exclusive), func(t *testing.T) {
			b := startBroker(t)
			hub := hubSigner(t)
			st := openStore(t, b.JS, hub, exclusive)
			ids := []string{newID(), newID(), newID()}
			for _, id := range ids {
				mustAppend(t, st, entry(id, "member--a", 0))
			}
			st.Close()

			st2 := openStore(t, b.JS, hub, exclusive)
			for _, id := range ids {
				if r := mustAppend(t, st2, entry(id, "member--a", 0))[0]; r.Outcome != Duplicate {
					t.Errorf("after reopen, %s: %v, want Duplicate", id, r.Outcome)
				}
				if r := mustAppend(t, st2, entry(id, "member--b", 5))[0]; !errors.Is(r.Err, ErrOwnedByOther) {
					t.Errorf("after reopen, %s by another member: %v", id, r.Err)
				}
			}
			if r := mustAppend(t, st2, entry(newID(), "member--a", 0))[0]; r.Outcome != Accepted || r.Cursor != 4 {
				t.Errorf("new object after reopen: %v at %d, want Accepted at 4", r.Outcome, r.Cursor)
			}
		})
	}
}

// TestStaleIndexIsCorrectedByTheGuards lets an exclusive store miss another
// writer's objects (it does not tail the stream): the stream's guards refuse
// the conflicting writes and the store re-reads the truth, so duplicates and
// foreign ids are still caught.
func TestStaleIndexIsCorrectedByTheGuards(t *testing.T) {
	b := startBroker(t)
	hub := hubSigner(t)
	blind := openStore(t, b.JS, hub, true)
	other := openStore(t, secondConn(t, b), hub)
	id := newID()
	first := mustAppend(t, other, entry(id, "member--a", 0))[0]
	if r := mustAppend(t, blind, entry(id, "member--a", 0))[0]; r.Outcome != Duplicate || r.Cursor != first.Cursor {
		t.Errorf("same version through the blind node: %v at %d, want Duplicate at %d", r.Outcome, r.Cursor, first.Cursor)
	}
	id2 := newID()
	mustAppend(t, other, entry(id2, "member--a", 0))
	if r := mustAppend(t, blind, entry(id2, "member--b", 1))[0]; !errors.Is(r.Err, ErrOwnedByOther) {
		t.Errorf("foreign id through the blind node: %v %v", r.Outcome, r.Err)
	}
	if r := mustAppend(t, blind, entry(newID(), "member--a", 0))[0]; r.Outcome != Accepted {
		t.Errorf("new object through the blind node: %v %v", r.Outcome, r.Err)
	}
	checkStream(t, blind, hub)
}

// TestWriteLandingBeyondAnUnseenOne covers a group whose first writes are
// stored without the appender knowing, while a later write of the group
// lands after them. In production that is a NATS leader killed after storing
// the first writes but before acknowledging them (the later ones reach the
// new leader on reconnect). Here another writer stores the same versions
// first, which leaves the stream and the blind node's index in the same
// state: the later write's guard names the unseen message, so it is stored,
// and the index must not take it as covering the gap. Before, it did, and
// the first writes were stored a second time.
func TestWriteLandingBeyondAnUnseenOne(t *testing.T) {
	b := startBroker(t)
	hub := hubSigner(t)
	blind := openStore(t, b.JS, hub, true) // exclusive: no tail to fill the gap
	other := openStore(t, secondConn(t, b), hub)
	group := []Entry{entry(newID(), "member--a", 0), entry(newID(), "member--a", 0), entry(newID(), "member--a", 0), entry(newID(), "member--a", 0)}
	first := mustAppend(t, other, group[:3]...)

	rs := mustAppend(t, blind, group...)
	for i, r := range rs[:3] {
		if r.Outcome != Duplicate || r.Cursor != first[i].Cursor {
			t.Errorf("entry %d, stored unseen at %d: %v at %d (%v), want Duplicate at %d", i, first[i].Cursor, r.Outcome, r.Cursor, r.Err, first[i].Cursor)
		}
	}
	if r := rs[3]; r.Outcome != Accepted || r.Cursor != 4 {
		t.Errorf("entry 3: %v at %d (%v), want Accepted at 4", r.Outcome, r.Cursor, r.Err)
	}
	if n := checkStream(t, blind, hub); n != 4 {
		t.Errorf("stream holds %d messages, want 4", n)
	}
}

// TestTwoNodesWritingOneStream runs two stores (two hub nodes) on one stream,
// each appending concurrently, with a shared set of objects both try to
// store. Guards must keep every receipt's cursor right and every version
// stored once.
func TestTwoNodesWritingOneStream(t *testing.T) {
	b := startBroker(t)
	hub := hubSigner(t)
	nodes := []*Store{openStore(t, b.JS, hub), openStore(t, secondConn(t, b), hub)}
	var shared []Entry
	for range 100 {
		shared = append(shared, entry(newID(), "member--a", 0))
	}
	type tally struct{ accepted, duplicate int }
	tallies := make([]tally, len(nodes))
	var wg sync.WaitGroup
	for n, st := range nodes {
		wg.Go(func() {
			own := make([]Entry, 0, 400)
			for range 300 {
				own = append(own, entry(newID(), "member--a", 0))
			}
			own = append(own, shared...)
			rand.Shuffle(len(own), func(i, j int) { own[i], own[j] = own[j], own[i] })
			for lo := 0; lo < len(own); lo += 25 {
				rs, err := st.Append(context.Background(), own[lo:min(lo+25, len(own))])
				if err != nil {
					t.Error(err)
					return
				}
				for _, r := range rs {
					switch r.Outcome {
					case Accepted:
						tallies[n].accepted++
					case Duplicate:
						tallies[n].duplicate++
					default:
						t.Errorf("node %d: %v", n, r.Err)
					}
				}
			}
		})
	}
	wg.Wait()
	total := tallies[0].accepted + tallies[1].accepted
	if total != 700 {
		t.Errorf("accepted %d objects in all, want 700 (600 own + 100 shared once)", total)
	}
	if d := tallies[0].duplicate + tallies[1].duplicate; d != 100 {
		t.Errorf("%d duplicates, want 100", d)
	}
	if n := checkStream(t, nodes[0], hub); n != 700 {
		t.Errorf("stream holds %d messages, want 700", n)
	}
}

func TestSubscribeDeliversInOrderFromACursor(t *testing.T) {
	b := startBroker(t)
	hub := hubSigner(t)
	st := openStore(t, b.JS, hub)
	var es []Entry
	for i := range 50 {
		e := entry(newID(), "member--a", 0)
		if i%5 == 0 {
			e.ID = "malware--" + uuid.NewString()
		}
		es = append(es, e)
	}
	mustAppend(t, st, es...)

	read := func(opts SubscribeOptions, n int) []*stixhubv1.Delivery {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var got []*stixhubv1.Delivery
		errDone := errors.New("done")
		err := st.Subscribe(ctx, opts, func() error { return nil }, func(m Stored) error {
			got = append(got, m.Delivery)
			if len(got) == n {
				return errDone
			}
			return nil
		})
		if !errors.Is(err, errDone) {
			t.Fatalf("subscribe %+v: %v after %d", opts, err, len(got))
		}
		return got
	}
	all := read(SubscribeOptions{}, 50)
	for i, d := range all {
		if d.GetCursor() != uint64(i+1) || d.GetReceipt().GetCursor() != d.GetCursor() {
			t.Fatalf("delivery %d: cursor %d receipt %d", i, d.GetCursor(), d.GetReceipt().GetCursor())
		}
	}
	rest := read(SubscribeOptions{AfterCursor: 20}, 30)
	if rest[0].GetCursor() != 21 {
		t.Errorf("after cursor 20: first is %d", rest[0].GetCursor())
	}
	malware := read(SubscribeOptions{Types: []string{"malware"}}, 10)
	for _, d := range malware {
		if (d.GetCursor()-1)%5 != 0 {
			t.Errorf("type filter delivered cursor %d", d.GetCursor())
		}
	}
	err := st.Subscribe(context.Background(), SubscribeOptions{AfterCursor: 51}, func() error { return nil }, func(Stored) error { return nil })
	if !errors.Is(err, ErrCursorAhead) {
		t.Errorf("cursor beyond the end: %v", err)
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{1, 100, 500} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			br, err := broker.StartEmbedded(context.Background(), broker.EmbeddedConfig{StoreDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			hub, _ := sign.GenerateEd25519()
			st, err := Open(context.Background(), br.JS, Config{Signer: hub, Exclusive: true})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			b.ReportAllocs()
			var n int
			for b.Loop() {
				es := make([]Entry, size)
				for i := range es {
					es[i] = entry(newID(), "member--a", 0)
				}
				rs, err := st.Append(context.Background(), es)
				if err != nil || rs[0].Outcome != Accepted {
					b.Fatal(err, rs[0].Err)
				}
				n += size
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}

// BenchmarkRawJetStreamPublish is the floor under BenchmarkAppend: async
// publishes of messages the size of a stored object to a file stream, waiting
// for every ack, with no receipts or index; with and without the headers an
// exclusive store sets (object id, version, member and the expected-last-
// sequence guard).
func BenchmarkRawJetStreamPublish(b *testing.B) {
	for _, headers := range []bool{false, true} {
		b.Run(fmt.Sprintf("headers=%v", headers), func(b *testing.B) {
			br, err := broker.StartEmbedded(context.Background(), broker.EmbeddedConfig{StoreDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			ctx := context.Background()
			if _, err := br.JS.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage}); err != nil {
				b.Fatal(err)
			}
			payload := make([]byte, 1400)
			b.ReportAllocs()
			var seq uint64
			const batch = 500
			for b.Loop() {
				futures := make([]jetstream.PubAckFuture, 0, batch)
				for range batch {
					seq++
					m := &nats.Msg{Subject: "raw.indicator", Data: payload}
					if headers {
						m.Header = nats.Header{
							HeaderID:                        {"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"},
							HeaderVersion:                   {"20240101000000000000000"},
							HeaderMember:                    {"member--4e2b8a8c-8d3d-4a4c-9b1e-1f0c3f6d8a21"},
							jetstream.ExpectedLastSeqHeader: {strconv.FormatUint(seq-1, 10)},
						}
					}
					f, err := br.JS.PublishMsgAsync(m)
					if err != nil {
						b.Fatal(err)
					}
					futures = append(futures, f)
				}
				for _, f := range futures {
					select {
					case <-f.Ok():
					case err := <-f.Err():
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(seq)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}
