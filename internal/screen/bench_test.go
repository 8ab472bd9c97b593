package screen

import (
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchIndex is an index of 1e6 observables: 10,000 indicators naming 40
// wallets, 40 IPv4 addresses and 20 domains each, plus 256 /24 blocks.
var benchIndex = sync.OnceValue(func() *Index {
	x := New(Config{})
	for i := range 10000 {
		o := &Object{ID: fmt.Sprintf("indicator--%08d-0000-4000-8000-000000000000", i), Type: "indicator",
			Modified: t0, ValidFrom: t0, Confidence: 80, Source: Source{MemberID: "m", KeyID: "k", Cursor: uint64(i + 1)}}
		for j := range 40 {
			n := i*40 + j
			o.Entries = append(o.Entries,
				Entry{Observable{TypeWallet, benchWallet(n)}, "cryptocurrency-wallet:value IN"},
				Entry{Observable{TypeIPv4, benchIP(n).String()}, "ipv4-addr:value IN"})
		}
		for j := range 20 {
			o.Entries = append(o.Entries, Entry{Observable{TypeDomain, fmt.Sprintf("wallet-%d.example", i*20+j)}, "domain-name:value IN"})
		}
		x.Add(o)
	}
	for i := range 256 {
		x.Add(&Object{ID: fmt.Sprintf("indicator--%08d-0000-4000-8000-000000000001", i), Type: "indicator", Modified: t0, ValidFrom: t0,
			Entries: []Entry{{Observable{TypeIPv4, fmt.Sprintf("172.16.%d.0/24", i)}, "ipv4-addr:value ISSUBSET"}}})
	}
	return x
})

func benchWallet(n int) string { return fmt.Sprintf("bc1q%038d", n) }
func benchIP(n int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})
}

func BenchmarkLookup(b *testing.B) {
	x := benchIndex()
	if n, _ := x.Len(); n != 1000256 {
		b.Fatalf("%d observables", n)
	}
	now := t0.Add(time.Hour)
	for _, c := range []struct {
		name string
		q    Observable
		want int
	}{
		{"wallet-hit", Observable{TypeWallet, benchWallet(123456)}, 1},
		{"wallet-miss", Observable{TypeWallet, "bc1qnotindexed"}, 0},
		{"domain-hit-mixed-case", Observable{TypeDomain, "WALLET-4242.example"}, 1},
		{"ipv4-hit", Observable{TypeIPv4, benchIP(77777).String()}, 1},
		{"ipv4-in-cidr", Observable{TypeIPv4, "172.16.200.9"}, 1},
		{"ipv4-miss", Observable{TypeIPv4, "192.0.2.1"}, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]Match, 0, 4)
			for b.Loop() {
				ms, err := x.Lookup(buf[:0], c.q, LookupOptions{Now: now})
				if err != nil || len(ms) != c.want {
					b.Fatalf("%d matches, %v", len(ms), err)
				}
			}
		})
	}
}

// BenchmarkRead reads the objects the hub's index reads for every stored
// object: a small indicator, one of the stixhub bench lookup feed (100
// observables), an observed-data, a cyber-observable and the indicator
// stixhub bench ingest publishes; "reference" is the former encoding/json
// decoding (refRead), for comparison.
func BenchmarkRead(b *testing.B) {
	var wallets, ips []string
	for j := range 40 {
		wallets = append(wallets, "'"+benchWallet(j)+"'")
		ips = append(ips, "'"+benchIP(j).String()+"'")
	}
	objs := []struct {
		name string
		obj  []byte
	}{
		{"indicator", indicator(id(1), "[cryptocurrency-wallet:value = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT'] OR [ipv4-addr:value ISSUBSET '10.0.0.0/8']",
			map[string]any{"object_marking_refs": []string{"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"}, "confidence": 80})},
		{"indicator-100", indicator(id(2), "[cryptocurrency-wallet:value IN ("+strings.Join(wallets, ", ")+")] OR [ipv4-addr:value IN ("+strings.Join(ips, ", ")+")]",
			map[string]any{"object_marking_refs": []string{"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}, "confidence": 80})},
		{"observed-data", []byte(`{"type":"observed-data","spec_version":"2.1","id":"observed-data--44444444-4444-4444-8444-444444444444","created":"2026-01-01T00:00:00.000Z",` +
			`"modified":"2026-01-01T00:00:00.000Z","first_observed":"2026-01-01T00:00:00Z","last_observed":"2026-01-01T00:00:00Z","number_observed":1,` +
			`"objects":{"0":{"type":"file","hashes":{"SHA-256":"` + strings.Repeat("0f", 32) + `"}},"1":{"type":"ipv4-addr","value":"198.51.100.99"}},` +
			`"object_refs":["cryptocurrency-wallet--11111111-1111-4111-8111-111111111111"]}`)},
		{"cyber-observable", []byte(`{"type":"cryptocurrency-wallet","spec_version":"2.1","id":"cryptocurrency-wallet--11111111-1111-4111-8111-111111111111",` +
			`"value":"bc1qsco1","extensions":{"extension-definition--89126a49-4d35-474b-90b9-bde9e93d0215":{"extension_type":"new-sco"}}}`)},
	}
	if ingest, err := os.ReadFile("../../testdata/stix/bench/indicator.json"); err == nil { // what stixhub bench ingest publishes
		objs = append(objs, struct {
			name string
			obj  []byte
		}{"bench-ingest-indicator", ingest})
	}
	for _, o := range objs {
		for _, impl := range []struct {
			name string
			read func([]byte) (*Object, error)
		}{{"", Read}, {"-reference", refRead}} {
			b.Run(o.name+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := impl.read(o.obj); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkKnown(b *testing.B) {
	x := benchIndex()
	now := t0.Add(time.Hour)
	for _, q := range []Observable{{TypeWallet, benchWallet(123456)}, {TypeWallet, "bc1qnotindexed"}, {TypeIPv4, "172.16.200.9"}} {
		b.Run(q.Type+"/"+q.Value, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := x.Known(q, LookupOptions{Now: now}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInferAndKnown is what a Screener does for a value without a type.
func BenchmarkInferAndKnown(b *testing.B) {
	x := benchIndex()
	now := t0.Add(time.Hour)
	for _, v := range []string{benchWallet(123456), "bc1qnotindexed", benchIP(77777).String(), "192.0.2.1"} {
		b.Run(v, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, t := range InferTypes(v) {
					if _, err := x.Known(Observable{t, v}, LookupOptions{Now: now}); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// spreadQueries are 65,536 distinct untyped values, half of them indexed
// (wallets and IPv4 addresses), half not, spread over the whole index: a
// benchmark that cycles through them measures lookups whose data is not
// already in the CPU caches, as screening a stream of customers' addresses
// is, unlike the benchmarks above that repeat one value.
var spreadQueries = sync.OnceValue(func() []string {
	out := make([]string, 1<<16)
	for i := range out {
		k := i * 7919 % 400000
		switch i % 4 {
		case 0:
			out[i] = benchWallet(k)
		case 1:
			out[i] = benchIP(k).String()
		case 2:
			out[i] = fmt.Sprintf("bc1qunknown%d", k)
		default:
			out[i] = fmt.Sprintf("192.0.%d.%d", k>>8&255, k&255)
		}
	}
	return out
})

// BenchmarkInferAndKnownSpread is what a Screener does for an untyped value,
// over 65,536 distinct values.
func BenchmarkInferAndKnownSpread(b *testing.B) {
	x := benchIndex()
	qs := spreadQueries()
	now := t0.Add(time.Hour)
	b.ReportAllocs()
	known, i := 0, 0
	for b.Loop() {
		v := qs[i&(len(qs)-1)]
		i++
		for _, t := range InferTypes(v) {
			if k, _ := x.Known(Observable{t, v}, LookupOptions{Now: now}); k {
				known++
				break
			}
		}
	}
	if d := known*2 - i; i >= len(qs) && (d < -4 || d > 4) {
		b.Fatalf("%d of %d known", known, i)
	}
}

// BenchmarkKnownUntypedSpread is BenchmarkInferAndKnownSpread through
// KnownUntyped, what a Screener calls for an untyped value: with Now given,
// and with Now zero (the clock read at each hit), as the Screener does.
func BenchmarkKnownUntypedSpread(b *testing.B) {
	x := benchIndex()
	qs := spreadQueries()
	for _, c := range []struct {
		name string
		now  time.Time
	}{{"Now", t0.Add(time.Hour)}, {"time.Now", time.Time{}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			known, i := 0, 0
			for b.Loop() {
				if k, _ := x.KnownUntyped(qs[i&(len(qs)-1)], LookupOptions{Now: c.now}); k {
					known++
				}
				i++
			}
			if d := known*2 - i; i >= len(qs) && (d < -4 || d > 4) {
				b.Fatalf("%d of %d known", known, i)
			}
		})
	}
}

// BenchmarkGCWithIndex is one full garbage collection with the 1e6 index
// live: what every GC cycle of a process holding the index pays to mark it.
func BenchmarkGCWithIndex(b *testing.B) {
	x := benchIndex()
	runtime.GC()
	for b.Loop() {
		runtime.GC()
	}
	runtime.KeepAlive(x)
}
