package jsonscan

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValid(t *testing.T) {
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
		{"nesting at the limit", strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), true},

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
		{"nesting over the limit", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), false},
		{"unclosed object", `{"a":1`, false},
		{"unclosed array", `[1,2`, false},
		{"mismatched brackets", `[1}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Valid([]byte(tt.in)); got != tt.want {
				t.Errorf("Valid(%.40q) = %v, want %v", tt.in, got, tt.want)
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

// TestValidDepth: the nesting limit is encoding/json's, for arrays and
// objects alike.
func TestValidDepth(t *testing.T) {
	for _, depth := range []int{MaxDepth - 1, MaxDepth, MaxDepth + 1} {
		for _, open := range []string{"[", `{"a":`} {
			closing := "]"
			if open != "[" {
				closing = "}"
			}
			data := []byte(strings.Repeat(open, depth) + "1" + strings.Repeat(closing, depth))
			if got, want := Valid(data), json.Valid(data); got != want || got != (depth <= MaxDepth) {
				t.Errorf("depth %d %s: Valid = %v, json.Valid = %v", depth, open, got, want)
			}
		}
	}
}

func TestValidObject(t *testing.T) {
	type member struct{ name, value string }
	tests := []struct {
		name string
		in   string
		want []member // nil: refused
	}{
		{"empty object", ` {} `, []member{}},
		{"members in order, nested ones not", `{"b":1, "a" : {"c":[2]},"s":"x"}`,
			[]member{{`"b"`, `1`}, {`"a"`, `{"c":[2]}`}, {`"s"`, `"x"`}}},
		{"duplicates included, names raw", `{"t":1,"\u0074":2}`, []member{{`"t"`, `1`}, {`"\u0074"`, `2`}}},

		{"array", `[1]`, nil},
		{"string", `"{}"`, nil},
		{"empty", ``, nil},
		{"trailing text", `{} 1`, nil},
		{"invalid member value", `{"a":01}`, nil},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []member
			ok := ValidObject([]byte(tt.in), func(name, value []byte) {
				got = append(got, member{string(name), string(value)})
			})
			if ok != (tt.want != nil) {
				t.Fatalf("ValidObject(%q) = %v, want %v", tt.in, ok, tt.want != nil)
			}
			if ok && !slices.Equal(got, tt.want) {
				t.Errorf("members %q, want %q", got, tt.want)
			}
			if ok != Valid([]byte(tt.in)) && strings.HasPrefix(strings.TrimSpace(tt.in), "{") {
				t.Errorf("ValidObject = %v, Valid = %v", ok, !ok)
			}
		})
	}
}

// FuzzValid holds Valid to encoding/json plus UTF-8 (RFC 8259 section 8.1),
// and ValidObject to Valid.
func FuzzValid(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,-0.5e+3,true,null,"\u00e9\ud83d\ude00\n"]}`, `01`, `1.`, `-`, `1e`, `"\x`,
		`{"a" 1}`, `[1,]`, `{"a":1,}`, " \t\n\r{} ", `"\u12G4"`, "\"\x01\"", `nul`, `[[[]]]`,
		"[\"\xed\xa0\x80\"]", "[\"\xc0\xaf\"]", "{\"\xff\":1}", "[\"abcdefgh\xe2\x82\xacabcdefgh\"]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got := Valid(data)
		if want := json.Valid(data) && utf8.Valid(data); got != want {
			t.Fatalf("Valid = %v, json.Valid && utf8.Valid = %v", got, want)
		}
		n := 0
		isObject := ValidObject(data, func(_, _ []byte) { n++ })
		if trimmed := TrimSpace(data); isObject != (got && trimmed[0] == '{') {
			t.Fatalf("ValidObject = %v, Valid = %v", isObject, got)
		}
		if isObject {
			it := NewObjectIter(TrimSpace(data))
			for it.Next() {
				n--
			}
			if n != 0 || it.Err() != nil {
				t.Fatalf("ValidObject and ObjectIter disagree on the members: %d more, %v", n, it.Err())
			}
		}
	})
}
