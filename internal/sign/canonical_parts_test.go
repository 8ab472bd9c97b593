package sign

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// TestAppendES6NumberMatchesJCS checks the number formatter against the one of
// github.com/gowebpki/jcs on the values where formats change, the extremes of
// the double range and millions of random doubles.
func TestAppendES6NumberMatchesJCS(t *testing.T) {
	values := []float64{
		1, -1, 0.1, 1e-6, 1e-7, 1e21, 1e20, 1e22, 1e23, 5e-324, math.MaxFloat64,
		math.SmallestNonzeroFloat64, 9007199254740992, 9007199254740993, 123e-20,
		333333333.33333329, 4.5, 0.002, 1e-27, 1e300, 1.5e-300, 1e100, 1e-100,
	}
	for _, f := range slices.Clone(values) {
		values = append(values, math.Nextafter(f, 0), math.Nextafter(f, math.Inf(1)))
	}
	for e := -330; e <= 310; e++ {
		f, _ := strconv.ParseFloat(fmt.Sprintf("1e%d", e), 64)
		values = append(values, f, math.Nextafter(f, 0), math.Nextafter(f, math.Inf(1)), 7*f, f/3)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	n := 300_000
	if testing.Short() {
		n = 30_000
	}
	for range n {
		// Random bit patterns cover every exponent evenly; random
		// integers and short decimals are what objects hold.
		values = append(values, math.Float64frombits(rng.Uint64()), float64(rng.Int64N(1<<60)), float64(rng.IntN(1_000_000))/1000)
	}
	checked := 0
	for _, f := range values {
		for _, f := range []float64{f, -f} {
			want, err := jcs.NumberToJSON(f)
			if err != nil { // NaN or infinity: not a JSON number
				continue
			}
			if got := appendES6Number(nil, f); string(got) != want {
				t.Fatalf("appendES6Number(%v) = %s, want %s", f, got, want)
			}
			checked++
		}
	}
	t.Logf("checked %d values", checked)
}

// TestAppendNumberMatchesJCS checks number literals, including the integers
// appendNumber copies as they are, against parsing and formatting by jcs.
func TestAppendNumberMatchesJCS(t *testing.T) {
	lits := []string{"0", "-0", "1", "-1", "10", "999999999999999", "-999999999999999", "1000000000000000",
		"9007199254740993", "12345678901234567890", "0.0", "1.0", "1e0", "-0e-0", "100e-2", "1E400", "-1e309", "1e-400", "-2e-324", "3e-324"}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 100_000 {
		// Integers of 1 to 20 digits, either sign.
		lit := strconv.FormatUint(rng.Uint64()>>rng.UintN(64), 10)
		if rng.IntN(2) == 0 {
			lit = "-" + lit
		}
		lits = append(lits, lit)
	}
	for _, lit := range lits {
		got, ok := appendNumber(nil, []byte(lit))
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			if ok {
				t.Errorf("appendNumber(%s) = %s, want failure", lit, got)
			}
			continue
		}
		want, _ := jcs.NumberToJSON(f)
		if !ok || string(got) != want {
			t.Errorf("appendNumber(%s) = %s, %v; want %s", lit, got, ok, want)
		}
	}
}

// TestSpecial8 checks the word-at-a-time search for bytes a string does not
// copy as they are against a byte-by-byte one.
func TestSpecial8(t *testing.T) {
	special := func(c byte) bool { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80 }
	check := func(word [8]byte) {
		t.Helper()
		want := 8
		for i, c := range word {
			if special(c) {
				want = i
				break
			}
		}
		got := 8
		if m := special8(binary.LittleEndian.Uint64(word[:])); m != 0 {
			got = bits.TrailingZeros64(m) / 8
		}
		if got != want {
			t.Fatalf("special8(%q): first special byte at %d, want %d", word, got, want)
		}
	}
	// Every byte value at every position, among plain bytes and before
	// and after other special ones (borrows run upwards).
	for _, fill := range []byte{'a', ' ', '#', '[', ']', 0x7f, 0x00, 0x1f, '"', '\\', 0x80, 0xff} {
		for pos := range 8 {
			for c := range 256 {
				var w [8]byte
				for i := range w {
					w[i] = 'a'
				}
				w[pos] = byte(c)
				if pos < 7 {
					w[pos+1] = fill
				}
				if pos > 0 {
					w[pos-1] = fill
				}
				check(w)
			}
		}
	}
	rng := rand.New(rand.NewPCG(9, 10))
	alphabet := []byte{0, 0x1f, 0x20, 0x21, '"', 0x23, 0x5b, '\\', 0x5d, 0x7e, 0x7f, 0x80, 0xc3, 0xff}
	for range 200_000 {
		var w [8]byte
		for i := range w {
			w[i] = alphabet[rng.IntN(len(alphabet))]
		}
		check(w)
	}
}

// TestCompareNamesIsUTF16Order checks compareNames, and the prefixes that
// decide most comparisons, against a comparison of UTF-16 code units.
func TestCompareNamesIsUTF16Order(t *testing.T) {
	// Characters at the edges of the ranges where UTF-8 and UTF-16 orders
	// differ, and around 8 bytes so that prefixes end inside characters.
	chars := []rune{0, 'a', 'b', 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xefff, 0xf000, 0xfb33, 0xffff, 0x10000, 0x1f600, 0x10ffff}
	rng := rand.New(rand.NewPCG(11, 12))
	name := func() []byte {
		var b []byte
		for range rng.IntN(7) {
			b = utf8.AppendRune(b, chars[rng.IntN(len(chars))])
		}
		return b
	}
	utf16Compare := func(a, b []byte) int {
		return slices.Compare(utf16.Encode([]rune(string(a))), utf16.Encode([]rune(string(b))))
	}
	for range 200_000 {
		a, b := name(), name()
		if rng.IntN(4) == 0 { // a shared start makes later bytes decide
			b = append(slices.Clone(a), b...)
		}
		want := utf16Compare(a, b)
		if got := compareNames(a, b); got != want {
			t.Fatalf("compareNames(%q, %q) = %d, want %d", a, b, got, want)
		}
		if p, q := namePrefix(a), namePrefix(b); p != q && cmp.Compare(p, q) != want {
			t.Fatalf("prefixes of %q and %q compare %d, want %d", a, b, cmp.Compare(p, q), want)
		}
	}
}
