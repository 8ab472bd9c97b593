package sign

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// worstCases are inputs of about 1 MiB built to make Canonicalize work
// hardest: many members to sort, long shared name prefixes, deep nesting
// that forces every level to be moved, numbers that need formatting.
func worstCases() []struct{ name, in string } {
	const size = 1 << 20
	rng := rand.New(rand.NewPCG(1, 2))
	var cases []struct{ name, in string }
	add := func(name, in string) { cases = append(cases, struct{ name, in string }{name, in}) }

	// Many short members in random order.
	var b strings.Builder
	b.WriteString("{")
	perm := rng.Perm(200000)
	n := 0
	for _, k := range perm {
		if b.Len() > size-16 {
			break
		}
		if n > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"%x":%d`, k, k%10)
		n++
	}
	b.WriteString("}")
	add(fmt.Sprintf("wide-%dk-members", n/1000), b.String())

	// Objects of 1000 members in random order, the most that the previous
	// implementation accepted, as many as fit.
	b.Reset()
	b.WriteString(`{"a":[`)
	for b.Len() < size-16000 {
		if b.Len() > 6 {
			b.WriteString(",")
		}
		b.WriteString("{")
		for i, k := range rng.Perm(1000) {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"%x":%d`, k, k%10)
		}
		b.WriteString("}")
	}
	b.WriteString("]}")
	add("objects-of-1000-members", b.String())

	// Members whose names share a long prefix.
	b.Reset()
	b.WriteString("{")
	prefix := strings.Repeat("x", 1000)
	for i, k := range rng.Perm(1000) {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"%s%04d":0`, prefix, k)
	}
	b.WriteString("}")
	add("1000-names-with-1000-byte-common-prefix", b.String())

	// MaxDepth objects nested in each other, each with its members out of
	// order around 1 MiB of text, so that every level is moved.
	inner := `"` + strings.Repeat("a", size-MaxDepth*16) + `"`
	add("max-depth-objects-all-moved", strings.Repeat(`{"b":1,"a":`, MaxDepth)+inner+strings.Repeat("}", MaxDepth))

	// Non-integer numbers, which go through strconv and jcs.
	add("numbers", `{"a":[`+strings.Repeat("1.5,", size/4)+"0]}")

	// Escapes in strings.
	add("escapes", `{"a":"`+strings.Repeat(`\u00e9\n`, size/8)+`"}`)

	// Deep nesting, rejected early.
	add("10k-deep-rejected", `{"a":`+strings.Repeat("[", 10000)+strings.Repeat("]", 10000)+"}")
	return cases
}

func BenchmarkCanonicalizeWorstCase(b *testing.B) {
	for _, bc := range worstCases() {
		b.Run(bc.name, func(b *testing.B) {
			in := []byte(bc.in)
			if _, err := Canonicalize(in); (err != nil) != strings.HasSuffix(bc.name, "-rejected") {
				b.Fatalf("Canonicalize: %v", err)
			}
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Canonicalize(in)
			}
		})
	}
}
