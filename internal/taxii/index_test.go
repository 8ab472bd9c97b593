package taxii

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// syntheticDelivery is a stored indicator as the stream delivers it, with
// a receipt of realistic size (a 9-level inclusion proof).
func syntheticDelivery(seq uint64, accepted time.Time) *stixhubv1.Delivery {
	ts := "2026-11-25T10:00:00.000Z"
	obj := fmt.Sprintf(`{"confidence":80,"created":"%s","description":"Address observed receiving funds from the 2018 exchange thefts; linked to DPRK operators by on-chain analysis.","id":"indicator--%s","indicator_types":["malicious-activity","attribution"],"labels":["cryptocurrency","dprk"],"modified":"%s","name":"Lazarus withdrawal wallet cluster node %d","object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],"pattern":"[ipv4-addr:value = '10.0.%d.%d']","pattern_type":"stix","spec_version":"2.1","type":"indicator","valid_from":"%s"}`,
		ts, uuid.NewString(), ts, seq, (seq>>8)&255, seq&255, ts)
	proof := make([][]byte, 9)
	for i := range proof {
		proof[i] = make([]byte, 32)
	}
	return &stixhubv1.Delivery{
		Cursor:   seq,
		MemberId: "member--2d4c6f1e-8a3b-4c5d-9e6f-7a8b9c0d1e2f",
		Object:   &stixhubv1.SignedObject{Object: []byte(obj), KeyId: "0123456789abcdef0123456789abcdef", Signature: make([]byte, 64)},
		Receipt: &stixhubv1.Receipt{HubKeyId: "fedcba9876543210fedcba9876543210", ObjectId: "indicator--x", Cursor: seq,
			AcceptedAt: timestamppb.New(accepted), MemberId: "member--2d4c6f1e-8a3b-4c5d-9e6f-7a8b9c0d1e2f",
			KeyId: "0123456789abcdef0123456789abcdef", ObjectSha256: make([]byte, 32), TreeSize: 512, LeafIndex: 7,
			Proof: proof, Signature: make([]byte, 64)},
	}
}

func entryOf(tb testing.TB, d *stixhubv1.Delivery) entry {
	h, err := readHead(d.GetObject().GetObject())
	if err != nil {
		tb.Fatal(err)
	}
	js, err := render(nil, d)
	if err != nil {
		tb.Fatal(err)
	}
	return entry{seq: d.GetCursor(), acceptedAt: d.GetReceipt().GetAcceptedAt().AsTime().UnixMicro(), head: h, member: d.GetMemberId(), json: js}
}

// buildIndex indexes n synthetic indicators in a fresh index, accepted in
// groups of 512 with the same acceptance time.
func buildIndex(tb testing.TB, n int) *Index {
	tb.Helper()
	x, err := OpenIndex(filepath.Join(tb.TempDir(), "taxii-index.db"), "bench", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = x.Close() })
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	batch := make([]entry, 0, maxApply)
	for seq := uint64(1); seq <= uint64(n); seq++ {
		batch = append(batch, entryOf(tb, syntheticDelivery(seq, start.Add(time.Duration(seq/512)*time.Millisecond))))
		if len(batch) == maxApply || seq == uint64(n) {
			if err := x.apply(batch); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return x
}

func TestDateAddedStrictlyIncreasesWithoutTies(t *testing.T) {
	x := buildIndex(t, 2000) // 512 objects per acceptance time
	all, _ := collection("all")
	q := Query{Coll: all, Limit: 5000, May: func(string, []byte, []byte) bool { return true }}
	var prev int64
	var n int
	if _, _, err := x.Page(&q, func(it *Item) {
		if it.Added <= prev {
			t.Fatalf("date_added %d after %d at key %d", it.Added, prev, it.Key)
		}
		prev = it.Added
		n++
	}); err != nil {
		t.Fatal(err)
	}
	if n != 2001 {
		t.Fatalf("%d objects", n)
	}
}

func TestRenderAddsTheExtension(t *testing.T) {
	d := syntheticDelivery(7, time.Now())
	for _, obj := range []string{
		`{"id":"indicator--1","type":"indicator"}`,
		`{"extensions":{"x-ext":{"a":1}},"id":"indicator--1","type":"indicator"}`,
	} {
		d.Object.Object = []byte(obj)
		out, err := render(nil, d)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ReadExtension(out)
		if err != nil || e.MemberID != d.GetMemberId() || e.Receipt.Cursor != 7 || len(e.Receipt.Proof) != 9 || len(e.Signature) != 64 {
			t.Fatalf("%s: %v %+v", out, err, e)
		}
	}
}

// BenchmarkIndexPage measures one page of 1000 objects from collections of
// growing size, at the start, middle and end: the cost must not grow with
// the collection.
func BenchmarkIndexPage(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		x := buildIndex(b, n)
		for _, alias := range []string{"all", "indicators"} {
			c, _ := collection(alias)
			for _, at := range []struct {
				name  string
				after uint64
			}{{"start", 0}, {"middle", uint64(n / 2)}, {"end", uint64(n - 1000)}} {
				b.Run(fmt.Sprintf("stored=%d/%s/%s", n, alias, at.name), func(b *testing.B) {
					b.ReportAllocs()
					var bytes int
					for b.Loop() {
						q := Query{Coll: c, After: at.after, Limit: 1000, May: func(string, []byte, []byte) bool { return true }}
						bytes = 0
						if _, _, err := x.Page(&q, func(it *Item) { bytes += len(it.JSON) }); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/object")
					b.SetBytes(int64(bytes))
				})
			}
		}
	}
}

// BenchmarkIndexApply measures indexing stream messages, in transactions
// of maxApply.
func BenchmarkIndexApply(b *testing.B) {
	b.ReportAllocs()
	x := buildIndex(b, 1)
	entries := make([]entry, maxApply)
	seq := uint64(1)
	start := time.Now()
	for b.Loop() {
		for i := range entries {
			seq++
			entries[i] = entryOf(b, syntheticDelivery(seq, start))
		}
		if err := x.apply(entries); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*maxApply), "ns/object")
}

// TestIndexFootprint keeps the index file near the size of what it serves
// (about 2 KB per indicator with its signature extension).
func TestIndexFootprint(t *testing.T) {
	const n = 20_000
	x := buildIndex(t, n)
	st, err := os.Stat(x.path)
	if err != nil {
		t.Fatal(err)
	}
	perObject := st.Size() / n
	t.Logf("index file: %d bytes, %d per object", st.Size(), perObject)
	if perObject > 3500 {
		t.Fatalf("%d bytes per object", perObject)
	}
}
