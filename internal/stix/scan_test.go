package stix

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"empty object", `{}`, true},
		{"nested values", `{"a":[1,{"b":null},true,false,"s"],"c":{}}`, true},
		{"surrounding whitespace", " \t\r\n{ } \n", true},
		{"number forms", `[0,-0,1.5,-1.5e10,2E-3,3e+4,10]`, true},
		{"escapes", `["\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"]`, true},
		{"lone surrogate escape, as encoding/json allows", `["\ud800"]`, true},
		{"multi-byte UTF-8", "[\"é😀\"]", true},
		{"nesting at the limit", strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth), true},

		{"empty", ``, false},
		{"only whitespace", `  `, false},
		{"two values", `{} {}`, false},
		{"trailing comma in object", `{"a":1,}`, false},
		{"trailing comma in array", `[1,]`, false},
		{"missing colon", `{"a" 1}`, false},
		{"unquoted name", `{a:1}`, false},
		{"single quotes", `['a']`, false},
		{"leading zero", `[01]`, false},
		{"bare minus", `[-]`, false},
		{"fraction without digits", `[1.]`, false},
		{"exponent without digits", `[1e]`, false},
		{"leading plus", `[+1]`, false},
		{"hex number", `[0x1]`, false},
		{"NaN", `[NaN]`, false},
		{"truncated literal", `[tru]`, false},
		{"literal with suffix", `[truex]`, false},
		{"capitalised literal", `[True]`, false},
		{"control character in string", "[\"a\tb\"]", false},
		{"unknown escape", `["\x41"]`, false},
		{"short unicode escape", `["\u12"]`, false},
		{"non-hex unicode escape", `["\u12g4"]`, false},
		{"unterminated string", `["abc]`, false},
		{"backslash at end", `["abc\`, false},
		{"invalid UTF-8 byte", "[\"\xff\"]", false},
		{"overlong UTF-8", "[\"\xc0\xaf\"]", false},
		{"UTF-8 encoded surrogate", "[\"\xed\xa0\x80\"]", false},
		{"truncated UTF-8", "[\"\xe2\x82\"]", false},
		{"non-ASCII outside strings", "[1]\u00a0", false},
		{"nesting over the limit", strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1), false},
		{"unclosed object", `{"a":1`, false},
		{"unclosed array", `[1,2`, false},
		{"mismatched brackets", `[1}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validJSON([]byte(tt.in)); got != tt.want {
				t.Errorf("validJSON(%.40q) = %v, want %v", tt.in, got, tt.want)
			}
			// The validator must agree with the standard library.
			std := json.Valid([]byte(tt.in)) && utf8.ValidString(tt.in)
			if std != tt.want {
				t.Errorf("json.Valid && utf8.Valid = %v, want %v", std, tt.want)
			}
		})
	}
}

func TestPlainASCII(t *testing.T) {
	// plainASCII decides eight bytes at a time; compare it with the obvious
	// byte-by-byte definition on random words biased towards the boundaries.
	r := rand.New(rand.NewPCG(1, 2))
	special := []byte{0x00, 0x1f, 0x20, 0x21, '"', '#', '[', '\\', ']', 0x7e, 0x7f, 0x80, 0xff}
	for range 1_000_000 {
		var b [8]byte
		for i := range b {
			if r.IntN(3) == 0 {
				b[i] = special[r.IntN(len(special))]
			} else {
				b[i] = byte(0x20 + r.IntN(0x5f))
			}
		}
		want := true
		for _, c := range b {
			if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
				want = false
			}
		}
		if got := plainASCII(binary.LittleEndian.Uint64(b[:])); got != want {
			t.Fatalf("plainASCII(%q) = %v, want %v", b, got, want)
		}
	}
}

func TestIteratorsOnMalformedInput(t *testing.T) {
	// The iterators run on text validJSON accepted, but must still stop
	// cleanly, not panic, on anything else.
	inputs := []string{
		``, `{`, `[`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,`, `{"a" 1}`, `{"a":1 "b":2}`,
		`{1:2}`, `["abc`, `[1 2]`, `[1,`, `{"a":"\`, `[{]`, `["\"]`, `{"a":}`, `[,]`,
	}
	for _, in := range inputs {
		oi := newObjectIter([]byte(in))
		for oi.next() {
		}
		ai := newArrayIter([]byte(in))
		for ai.next() {
		}
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) succeeded", in)
		}
	}
}

func TestJSONKind(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, "nothing"}, {`{}`, "an object"}, {`[]`, "an array"}, {`"s"`, "a string"},
		{`true`, "a boolean"}, {`false`, "a boolean"}, {`null`, "null"}, {`-1`, "a number"},
	}
	for _, tt := range tests {
		if got := jsonKind([]byte(tt.in)); got != tt.want {
			t.Errorf("jsonKind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// skipStringByByte is the obvious definition of skipString, stepping over
// each byte: a backslash escapes the byte after it, a quote ends the
// literal.
func skipStringByByte(data []byte, i int) int {
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

func FuzzSkipString(f *testing.F) {
	for _, s := range []string{`""`, `"a"`, `"\""`, `"\\"`, `"\\\""`, `"\\\\"x`, `"abc`, `"\`, `"a\\\\\"b"c`, `x"a"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for i := range min(len(data), 4) {
			if got, want := skipString(data, i), skipStringByByte(data, i); got != want {
				t.Fatalf("skipString(%q, %d) = %d, want %d", data, i, got, want)
			}
		}
	})
}
