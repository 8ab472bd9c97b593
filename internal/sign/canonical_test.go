package sign

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// canonicalVectors are inputs with their expected RFC 8785 form. The first
// ones are the examples of RFC 8785 itself.
var canonicalVectors = []struct {
	name, in, want string
}{
	{
		name: "RFC 8785 3.2.2 example: numbers, escapes and literals",
		in: `{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
		want: `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
	},
	{
		name: "RFC 8785 3.2.3 example: keys sorted by UTF-16 code units, not code points",
		in: `{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`,
		// U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB33
		// although its code point is larger.
		want: "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
	},
	{
		name: "sorts keys bytewise, ignoring locale and case",
		in:   `{"sin":1,"pêche":2,"péché":3,"peach":4,"B":5,"a":6,"":7}`,
		want: `{"":7,"B":5,"a":6,"peach":4,"péché":3,"pêche":2,"sin":1}`,
	},
	{
		name: "sorts nested objects and keeps array order",
		in:   `{"1":{"f":{"f":"hi","F":5},"\n":56.0},"10":{},"":"empty","a":{},"111":[{"e":"yes","E":"no"}],"A":{}}`,
		want: `{"":"empty","1":{"\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],"A":{},"a":{}}`,
	},
	{
		name: "writes 1e21 and above in exponent form",
		in:   `{"a":1e21,"b":999999999999999999999,"c":1e20,"d":1e23}`,
		want: `{"a":1e+21,"b":1e+21,"c":100000000000000000000,"d":1e+23}`,
	},
	{
		name: "writes 0.000001 in decimal form and smaller in exponent form",
		in:   `{"a":0.000001,"b":0.0000001,"c":9.999999999999997e-7}`,
		want: `{"a":0.000001,"b":1e-7,"c":9.999999999999997e-7}`,
	},
	{
		name: "writes minus zero as 0",
		in:   `{"a":-0,"b":-0.0,"c":0e10}`,
		want: `{"a":0,"b":0,"c":0}`,
	},
	{
		name: "writes doubles at the extremes of the range",
		in:   `{"a":5e-324,"b":-5e-324,"c":1.7976931348623157e308,"d":9007199254740992,"e":295147905179352830000}`,
		want: `{"a":5e-324,"b":-5e-324,"c":1.7976931348623157e+308,"d":9007199254740992,"e":295147905179352830000}`,
	},
	{
		name: "rounds integers beyond 2^53 as doubles",
		in:   `{"a":12345678901234567890,"b":1.0,"c":-4.50E+2}`,
		want: `{"a":12345678901234567000,"b":1,"c":-450}`,
	},
	{
		name: "escapes control characters with lowercase hex and only those",
		in:   `{"a":"\u001F\u0000\b\f\t\u007f\u2028\/\u00e9"}`,
		want: "{\"a\":\"\\u001f\\u0000\\b\\f\\t\u007f\u2028/é\"}",
	},
	{
		name: "keeps literals and empty containers",
		in:   " \t\r\n{ \"a\" : [ true , false , null , [ ] , { } ] } \n",
		want: `{"a":[true,false,null,[],{}]}`,
	},
	{
		name: "keeps non-normalized Unicode as is",
		in:   `{"Unnormalized Unicode":"A\u030a"}`,
		want: "{\"Unnormalized Unicode\":\"A\u030a\"}",
	},
	{
		name: "accepts raw UTF-8 including 4-byte sequences",
		in:   "{\"k\":\"日本 😀\"}",
		want: "{\"k\":\"日本 😀\"}",
	},
	{
		name: "sorts names above U+FFFF before U+E000-U+FFFF beyond the first 8 bytes",
		in:   "{\"prefix--\uffff\":1,\"prefix--\U0001F600\":2,\"prefix--\ue000\":3,\"prefix--\ud7ff\":4}",
		want: "{\"prefix--\ud7ff\":4,\"prefix--\U0001F600\":2,\"prefix--\ue000\":3,\"prefix--\uffff\":1}",
	},
	{
		name: "sorts escaped names by their characters, not their escapes",
		// '"' (22) < '#' (23) and '\\' (5c) < ']' (5d), though their
		// escapes start with a backslash; controls sort first.
		in:   `{"]":1,"#":2,"\\\\":3,"\"":4,"\u0001":5,"\n":6,"[":7}`,
		want: `{"\u0001":5,"\n":6,"\"":4,"#":2,"[":7,"\\\\":3,"]":1}`,
	},
	{
		name: "sorts a name before a longer name it starts, also when padding would tie them",
		in:   `{"ab\u0000":1,"ab":2,"abcdefgh1":3,"abcdefgh":4,"abcdefgh\u0000":5}`,
		want: `{"ab":2,"ab\u0000":1,"abcdefgh":4,"abcdefgh\u0000":5,"abcdefgh1":3}`,
	},
	{
		name: "writes unescaped characters that need no escape",
		in:   `{"\u0041\u00e9\u20ac\ud83d\ude00\/\u007f":"\u0022\u005c\u001f\u0008\u000c"}`,
		want: "{\"Aé€😀/\u007f\":\"\\\"\\\\\\u001f\\b\\f\"}",
	},
	{
		name: "writes numbers in ECMAScript form",
		in:   `{"a":[1E2,-1e-7,1e-6,123456789012345678,0.1,1.5e300,2.5E-300,100e-2,-0.0e5,999999999999999,1e+0,12e20,1.7976931348623157e308]}`,
		want: `{"a":[100,-1e-7,0.000001,123456789012345680,0.1,1.5e+300,2.5e-300,1,0,999999999999999,1,1.2e+21,1.7976931348623157e+308]}`,
	},
}

func TestCanonicalizeProducesRFC8785Form(t *testing.T) {
	for _, tc := range canonicalVectors {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			if err != nil {
				t.Fatalf("Canonicalize: %v", err)
			}
			if string(got) != tc.want {
				t.Errorf("Canonicalize:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestCanonicalizeMatchesReference compares Canonicalize with the previous
// implementation, built on github.com/gowebpki/jcs (see reference_test.go),
// over the vectors, a real STIX corpus and objects with many members.
func TestCanonicalizeMatchesReference(t *testing.T) {
	inputs := map[string]string{"indicator": readIndicator(t)}
	for _, tc := range canonicalVectors {
		inputs[tc.name] = tc.in
	}
	for i, obj := range readBundle(t, "testdata/oasis/poisonivy.json") {
		inputs[fmt.Sprintf("poisonivy object %d", i)] = string(obj)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{17, 33, 100, 1000} {
		var b strings.Builder
		b.WriteString("{")
		for i, k := range rng.Perm(n) {
			if i > 0 {
				b.WriteString(",")
			}
			// Names that share prefixes, escapes and non-ASCII, and
			// nested objects that must be sorted too.
			fmt.Fprintf(&b, `"%s%d":{"z":%d,"\u00e9%d":[%d.5e-9,{"b":1,"a":2}]}`, []string{"", "x-acme-", `\\`, `\ue000`, `\ud83d\ude00`}[k%5], k, k, k, k)
		}
		b.WriteString("}")
		inputs[fmt.Sprintf("object of %d members", n)] = b.String()
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			want, err := referenceCanonicalize([]byte(in))
			if err != nil {
				t.Fatalf("referenceCanonicalize: %v", err)
			}
			got, err := Canonicalize([]byte(in))
			if err != nil {
				t.Fatalf("Canonicalize: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Canonicalize:\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestCanonicalizeAllocatesOnlyTheResult guards the working space on the
// stack (see Canonicalize): a change that lets it escape to the heap shows
// here rather than only in benchmarks.
func TestCanonicalizeAllocatesOnlyTheResult(t *testing.T) {
	for name, in := range map[string]string{
		"indicator":      readIndicator(t),
		"with signature": withSignatureExtension(t, readIndicator(t), `{"k":"v"}`),
		"numbers":        `{"a":[1.5,1e21,-0,12345678901234567890]}`,
	} {
		obj := []byte(in)
		if n := testing.AllocsPerRun(100, func() { _, _ = Canonicalize(obj) }); n != 1 {
			t.Errorf("%s: Canonicalize made %v allocations, want 1", name, n)
		}
	}
}

func TestCanonicalizeIsIdempotent(t *testing.T) {
	inputs := []string{readIndicator(t), withSignatureExtension(t, readIndicator(t), `{"x":1}`)}
	for _, tc := range canonicalVectors {
		inputs = append(inputs, tc.in)
	}
	for i, in := range inputs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			once, err := Canonicalize([]byte(in))
			if err != nil {
				t.Fatalf("Canonicalize: %v", err)
			}
			twice, err := Canonicalize(once)
			if err != nil {
				t.Fatalf("Canonicalize(Canonicalize): %v", err)
			}
			if !bytes.Equal(once, twice) {
				t.Errorf("not idempotent:\n once %s\ntwice %s", once, twice)
			}
		})
	}
}

func TestCanonicalizeRejectsInput(t *testing.T) {
	deep := func(n int) string {
		return `{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + "}"
	}
	wide := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":%d`, i, i)
		}
		b.WriteString("}")
		return b.String()
	}
	tests := []struct {
		name, in string
		want     error
	}{
		{"rejects nil input", "", ErrInvalidJSON},
		{"rejects whitespace only", " \n", ErrInvalidJSON},
		{"rejects a top-level array", `[1]`, ErrNotObject},
		{"rejects a top-level string", `"{}"`, ErrNotObject},
		{"rejects a top-level number", `1`, ErrNotObject},
		{"rejects a top-level literal", `null`, ErrNotObject},
		{"rejects whitespace inside a literal", `{"a":tr ue}`, ErrInvalidJSON},
		{"rejects whitespace inside a number", `{"a":1 2}`, ErrInvalidJSON},
		{"rejects a leading zero", `{"a":01}`, ErrInvalidJSON},
		{"rejects a leading plus", `{"a":+1}`, ErrInvalidJSON},
		{"rejects a bare fraction", `{"a":.5}`, ErrInvalidJSON},
		{"rejects a fraction without digits", `{"a":1.}`, ErrInvalidJSON},
		{"rejects an exponent without digits", `{"a":1e+}`, ErrInvalidJSON},
		{"rejects a hex float", `{"a":0x1p-2}`, ErrInvalidJSON},
		{"rejects digit separators", `{"a":1_000}`, ErrInvalidJSON},
		{"rejects Infinity", `{"a":Infinity}`, ErrInvalidJSON},
		{"rejects NaN", `{"a":NaN}`, ErrInvalidJSON},
		{"rejects numbers beyond the double range", `{"a":1e400}`, ErrInvalidJSON},
		{"rejects a trailing comma in an object", `{"a":1,}`, ErrInvalidJSON},
		{"rejects a trailing comma in an array", `{"a":[1,]}`, ErrInvalidJSON},
		{"rejects a missing colon", `{"a" 1}`, ErrInvalidJSON},
		{"rejects a non-string member name", `{1:1}`, ErrInvalidJSON},
		{"rejects single quotes", `{'a':1}`, ErrInvalidJSON},
		{"rejects an unterminated object", `{"a":1`, ErrInvalidJSON},
		{"rejects an unterminated string", `{"a":"b}`, ErrInvalidJSON},
		{"rejects mismatched brackets", `{"a":[1}}`, ErrInvalidJSON},
		{"rejects a second value", `{} {}`, ErrInvalidJSON},
		{"rejects trailing garbage", `{}x`, ErrInvalidJSON},
		{"rejects invalid UTF-8", "{\"a\":\"\xff\"}", ErrInvalidJSON},
		{"rejects a UTF-8 encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", ErrInvalidJSON},
		{"rejects overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", ErrInvalidJSON},
		{"rejects non-ASCII outside strings", "{\"a\":1\u00a0}", ErrInvalidJSON},
		{"rejects a lone high surrogate escape", `{"a":"\ud800"}`, ErrInvalidJSON},
		{"rejects a high surrogate followed by a non-surrogate", `{"a":"\ud800\u0041"}`, ErrInvalidJSON},
		{"rejects two high surrogates", `{"a":"\ud800\ud800"}`, ErrInvalidJSON},
		{"rejects a lone low surrogate escape", `{"a":"\udc00"}`, ErrInvalidJSON},
		{"rejects a lone surrogate in a member name", `{"a":1,"\ud800":2}`, ErrInvalidJSON},
		{"rejects an unescaped control character", "{\"a\":\"x\x01\"}", ErrInvalidJSON},
		{"rejects an unescaped newline in a string", "{\"a\":\"x\ny\"}", ErrInvalidJSON},
		{"rejects an unknown escape", `{"a":"\x"}`, ErrInvalidJSON},
		{"rejects a short unicode escape", `{"a":"\u12"}`, ErrInvalidJSON},
		{"rejects a duplicate member name", `{"a":1,"a":2}`, ErrInvalidJSON},
		{"rejects a duplicate member name spelled with an escape", `{"a":1,"\u0061":2}`, ErrInvalidJSON},
		{"rejects a duplicate extensions member", `{"extensions":{"` + SignatureExtensionID + `":{}},"extensions":{}}`, ErrInvalidJSON},
		{"rejects a duplicate signature extension", `{"extensions":{"` + SignatureExtensionID + `":{},"` + SignatureExtensionID + `":{}}}`, ErrInvalidJSON},
		{"rejects a duplicate name in a nested object", `{"a":{"b":1,"c":2,"b":3}}`, ErrInvalidJSON},
		{"rejects a duplicate name among many members", wide(40)[:len(wide(40))-1] + `,"k7":0}`, ErrInvalidJSON},
		{"rejects a duplicate escaped name among many members", wide(40)[:len(wide(40))-1] + `,"\u006b\u0037":0}`, ErrInvalidJSON},
		{"rejects a duplicate name spelled with a surrogate pair", `{"\ud83d\ude00":1,"😀":2}`, ErrInvalidJSON},
		{"rejects a number beyond the double range in a nested array", `{"a":[[1,-1e309]]}`, ErrInvalidJSON},
		{"rejects an unterminated array", `{"a":[1`, ErrInvalidJSON},
		{"rejects a value after the top-level object closes", `{"a":1},`, ErrInvalidJSON},
		{"rejects a member name after a comma in an array", `{"a":[1,"b":2]}`, ErrInvalidJSON},
		{"rejects a colon after a value", `{"a":1:2}`, ErrInvalidJSON},
		{"rejects a backslash at the end of input", `{"a":"\`, ErrInvalidJSON},
		{"rejects a surrogate pair cut short", `{"a":"\ud83d\ude0"}`, ErrInvalidJSON},
		{"rejects nesting deeper than MaxDepth", deep(MaxDepth + 1), ErrTooComplex},
		{"rejects an object with more than MaxMembers", wide(MaxMembers + 1), ErrTooComplex},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Canonicalize(%q) = %q, %v; want error %v", tc.in, got, err, tc.want)
			}
		})
	}

	t.Run("accepts nesting of exactly MaxDepth", func(t *testing.T) {
		if _, err := Canonicalize([]byte(deep(MaxDepth))); err != nil {
			t.Fatalf("Canonicalize: %v", err)
		}
	})
	t.Run("accepts an object of exactly MaxMembers", func(t *testing.T) {
		if _, err := Canonicalize([]byte(wide(MaxMembers))); err != nil {
			t.Fatalf("Canonicalize: %v", err)
		}
	})
}

func TestCanonicalizeStripsSignatureExtension(t *testing.T) {
	sig := `"` + SignatureExtensionID + `":{"extension_type":"property-extension","key_id":"00","signature":"AAAA"}`
	tests := []struct {
		name string
		in   string // object carrying the signature extension
		want string // the same object as it was before the hub added it
	}{
		{
			name: "removes extensions when the signature was its only member",
			in:   `{"type":"indicator","extensions":{` + sig + `},"id":"indicator--1"}`,
			want: `{"type":"indicator","id":"indicator--1"}`,
		},
		{
			name: "removes extensions when it is the first member",
			in:   `{"extensions":{` + sig + `},"id":"x","type":"t"}`,
			want: `{"id":"x","type":"t"}`,
		},
		{
			name: "removes extensions when it is the last member",
			in:   `{"a":1,"extensions":{` + sig + `}}`,
			want: `{"a":1}`,
		},
		{
			name: "removes extensions when it is the only member",
			in:   `{"extensions":{` + sig + `}}`,
			want: `{}`,
		},
		{
			name: "keeps other extensions sorted before the signature",
			in:   `{"extensions":{` + sig + `,"extension-definition--00000000-0000-4000-8000-000000000000":{"a":1}},"type":"t"}`,
			want: `{"type":"t","extensions":{"extension-definition--00000000-0000-4000-8000-000000000000":{"a":1}}}`,
		},
		{
			name: "keeps other extensions sorted after the signature",
			in:   `{"id":"x","extensions":{"x-acme-ext":{"b":[1,2]},` + sig + `}}`,
			want: `{"id":"x","extensions":{"x-acme-ext":{"b":[1,2]}}}`,
		},
		{
			name: "keeps other extensions on both sides of the signature",
			in:   `{"extensions":{"a-ext":{},` + sig + `,"z-ext":{}},"z":null}`,
			want: `{"extensions":{"a-ext":{},"z-ext":{}},"z":null}`,
		},
		{
			name: "finds the signature extension when the input escapes its name",
			in:   `{"extensions":{"extension-definition\u002d-0baa6a1a-6aff-4cfc-afff-7567a9106cae":{"k":"v"}},"id":"x"}`,
			want: `{"id":"x"}`,
		},
		{
			name: "finds extensions when the input escapes its name",
			in:   `{"ext\u0065nsions":{` + sig + `},"id":"x"}`,
			want: `{"id":"x"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			if err != nil {
				t.Fatalf("Canonicalize(with extension): %v", err)
			}
			want, err := Canonicalize([]byte(tc.want))
			if err != nil {
				t.Fatalf("Canonicalize(without extension): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Canonicalize:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestCanonicalizeKeepsLookalikesOfSignatureExtension(t *testing.T) {
	id := SignatureExtensionID
	tests := []struct{ name, in string }{
		{"keeps the id as a string value", `{"description":"` + id + `"}`},
		{"keeps the id as a top-level member name", `{"` + id + `":{}}`},
		{"keeps the id inside a nested extensions object", `{"x":{"extensions":{"` + id + `":{}}}}`},
		{"keeps the id inside an array", `{"extensions":[{"` + id + `":{}}]}`},
		{"keeps a non-object extensions member", `{"extensions":"` + id + `"}`},
		{"keeps the id as a value inside extensions", `{"extensions":{"x-ext":{"ref":"` + id + `"}}}`},
		{"keeps an empty extensions object it did not empty", `{"extensions":{},"ref":"` + id + `"}`},
		{"keeps a longer id that starts with the same text", `{"extensions":{"` + id + `x":{}}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			if err != nil {
				t.Fatalf("Canonicalize: %v", err)
			}
			if string(got) != tc.in {
				t.Errorf("Canonicalize changed the object:\n got %s\nwant %s", got, tc.in)
			}
		})
	}
}

// TestCanonicalizeStripMatchesNeverSigned checks, over many object shapes,
// that removing the extension gives exactly the canonical form of the object
// that never had it.
func TestCanonicalizeStripMatchesNeverSigned(t *testing.T) {
	sig := `"` + SignatureExtensionID + `":{"signature":"x"}`
	tops := [][]string{{}, {`"a":1`}, {`"zz":[{}]`}, {`"a":1`, `"zz":"extensions"`}}
	others := [][]string{{}, {`"a-ext":{"n":1}`}, {`"z-ext":[]`}, {`"a-ext":{}`, `"z-ext":{}`}}
	for ti, top := range tops {
		for oi, other := range others {
			t.Run(fmt.Sprintf("top%d-others%d", ti, oi), func(t *testing.T) {
				exts := append([]string{sig}, other...)
				signed := "{" + strings.Join(append(append([]string{}, top...), `"extensions":{`+strings.Join(exts, ",")+"}"), ",") + "}"
				var never string
				if len(other) == 0 {
					never = "{" + strings.Join(top, ",") + "}"
				} else {
					never = "{" + strings.Join(append(append([]string{}, top...), `"extensions":{`+strings.Join(other, ",")+"}"), ",") + "}"
				}
				got, err := Canonicalize([]byte(signed))
				if err != nil {
					t.Fatalf("Canonicalize(%s): %v", signed, err)
				}
				want, err := Canonicalize([]byte(never))
				if err != nil {
					t.Fatalf("Canonicalize(%s): %v", never, err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("Canonicalize(%s):\n got %s\nwant %s", signed, got, want)
				}
			})
		}
	}
}

// readBundle returns the objects of the STIX bundle in the named file.
func readBundle(tb testing.TB, name string) []json.RawMessage {
	tb.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	var bundle struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return bundle.Objects
}

func readIndicator(tb testing.TB) string {
	tb.Helper()
	data, err := os.ReadFile("testdata/indicator.json")
	if err != nil {
		tb.Fatal(err)
	}
	return string(data)
}

// withSignatureExtension returns obj (a JSON object) with an "extensions"
// member holding the signature extension with value ext.
func withSignatureExtension(tb testing.TB, obj, ext string) string {
	tb.Helper()
	i := strings.LastIndexByte(obj, '}')
	if i < 0 {
		tb.Fatalf("not an object: %s", obj)
	}
	return obj[:i] + `,"extensions":{"` + SignatureExtensionID + `":` + ext + "}}"
}
