package jsonscan

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestTrimSpace(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{" \t\r\n", ""},
		{" \t{} \r\n", "{}"},
		{"{ }", "{ }"},
		{"\u00a0{}\u00a0", "\u00a0{}\u00a0"}, // not JSON whitespace: left for Valid to refuse
		{"\v1\f", "\v1\f"},
	}
	for _, tt := range tests {
		if got := TrimSpace([]byte(tt.in)); string(got) != tt.want {
			t.Errorf("TrimSpace(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := SkipSpace([]byte("  x"), 0); got != 2 {
		t.Errorf("SkipSpace = %d, want 2", got)
	}
	if got := SkipSpace([]byte("  "), 1); got != 2 {
		t.Errorf("SkipSpace at the end = %d, want 2", got)
	}
}

func TestSkipValue(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{`"a"`, 3},
		{`"a\"b",1`, 6},
		{`{"a":[1,"]}"]}x`, 14},
		{`[[],{}] `, 7},
		{`123,`, 3},
		{`true}`, 4},
		{`null`, 4},
		{`-1.5e3]`, 6},

		{``, -1},
		{`,`, -1},
		{`]`, -1},
		{` 1`, -1}, // values start where SkipSpace left off
		{`"abc`, -1},
		{`{"a":1`, -1},
		{`[[]`, -1},
		{`["]"`, -1},
	}
	for _, tt := range tests {
		if got := SkipValue([]byte(tt.in), 0); got != tt.want {
			t.Errorf("SkipValue(%q, 0) = %d, want %d", tt.in, got, tt.want)
		}
	}
	for _, i := range []int{-1, 4} {
		if got := SkipValue([]byte(`null`), i); got != -1 {
			t.Errorf("SkipValue at %d = %d, want -1", i, got)
		}
		if got := SkipString([]byte(`"ab"`), i); got != -1 {
			t.Errorf("SkipString at %d = %d, want -1", i, got)
		}
	}
}

func TestKind(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, "nothing"}, {`{}`, "an object"}, {`[]`, "an array"}, {`"s"`, "a string"},
		{`true`, "a boolean"}, {`false`, "a boolean"}, {`null`, "null"}, {`-1`, "a number"}, {`0`, "a number"},
	}
	for _, tt := range tests {
		if got := Kind([]byte(tt.in)); got != tt.want {
			t.Errorf("Kind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsHex(t *testing.T) {
	for c := range 256 {
		want := bytes.IndexByte([]byte("0123456789abcdefABCDEF"), byte(c)) >= 0
		if got := IsHex(byte(c)); got != want {
			t.Errorf("IsHex(%q) = %v, want %v", byte(c), got, want)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", `"abc"`, "abc", true},
		{"empty", `""`, "", true},
		{"UTF-8", `"é😀"`, "é😀", true},
		{"escapes", `"a\"b\\c\/d\b\f\n\r\t"`, "a\"b\\c/d\b\f\n\r\t", true},
		{"unicode escapes", `"\u00e9\uD83D\uDE00"`, "é😀", true},
		{"escaped name", `"object\u005fmarking_refs"`, "object_marking_refs", true},
		{"lone surrogate escape, as encoding/json decodes it", `"\ud800x"`, "\uFFFDx", true},

		{"not a literal", `abc`, "", false},
		{"number", `1`, "", false},
		{"lone quote", `"`, "", false},
		{"unterminated", `"abc`, "", false},
		{"unknown escape", `"\x"`, "", false},
		{"short unicode escape", `"\u12"`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := String([]byte(tt.in))
			if string(got) != tt.want || ok != tt.ok {
				t.Errorf("String(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestStringAliasesUnescapedInput(t *testing.T) {
	raw := []byte(`"abc"`)
	s, _ := String(raw)
	if &s[0] != &raw[1] {
		t.Error("String copied a literal without escapes")
	}
	if n := testing.AllocsPerRun(100, func() { String(raw) }); n != 0 {
		t.Errorf("String allocated %v times on a literal without escapes", n)
	}
}

// skipStringByByte is the obvious definition of SkipString, stepping over
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
			if got, want := SkipString(data, i), skipStringByByte(data, i); got != want {
				t.Fatalf("SkipString(%q, %d) = %d, want %d", data, i, got, want)
			}
		}
	})
}

// FuzzString holds String to encoding/json on every literal Valid accepts.
func FuzzString(f *testing.F) {
	for _, s := range []string{`""`, `"abc"`, `"a\"b"`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, `"\udc00\ud800x"`, `"\\"`, "\"\xc3\xa9\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = TrimSpace(data)
		if len(data) == 0 || data[0] != '"' || !Valid(data) {
			return
		}
		got, ok := String(data)
		var want string
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("encoding/json refused a literal Valid accepts: %v", err)
		}
		if !ok || string(got) != want {
			t.Fatalf("String(%q) = %q, %v; encoding/json decodes %q", data, got, ok, want)
		}
	})
}
