package marking

import "testing"

// TestWalkersOnMalformedInput: the walkers run on validated text, but must
// stop, not panic or loop, on anything else.
func TestWalkersOnMalformedInput(t *testing.T) {
	for _, raw := range []string{
		``, `{`, `[`, `{"a"`, `{"a":`, `{"a" 1}`, `{"a":1`, `{"a":1 "b":2}`, `{"a":"x`, `{"a":"\"}`,
		`{"a":[1,}`, `{"a":{]}`, `{1:2}`, `[1 2]`, `[1,`, `["\`, `[,]`, `{"a":}`,
	} {
		n := 0
		members([]byte(raw), func(_, _ []byte) bool { n++; return true })
		elements([]byte(raw), func(_ int, _ []byte) bool { n++; return true })
		if n > 2 {
			t.Errorf("%q: %d members or elements", raw, n)
		}
		if end := skipValue([]byte(raw), 0); end > len(raw) {
			t.Errorf("skipValue(%q) = %d", raw, end)
		}
	}
	if ok := members([]byte(`{"a":1 "b":2}`), func(_, _ []byte) bool { return true }); ok {
		t.Error("members accepted a missing comma")
	}
	if ok := elements([]byte(`[1 2]`), func(_ int, _ []byte) bool { return true }); ok {
		t.Error("elements accepted a missing comma")
	}
	for raw, want := range map[string]string{
		`{}`: "an object", `[]`: "a list", `"s"`: "a string", `true`: "a boolean",
		`null`: "null", `-1`: "a number", ``: "nothing",
	} {
		if got := kind([]byte(raw)); got != want {
			t.Errorf("kind(%q) = %q, want %q", raw, got, want)
		}
	}
	if _, ok := unquote([]byte(`"\x"`)); ok {
		t.Error(`unquote accepted "\x"`)
	}
	if nameIs([]byte(`"\x"`), "x") || nameIs([]byte(`"`), "") {
		t.Error("nameIs matched a malformed name")
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindTLP: "tlp", KindStatement: "statement", KindOther: "other", Kind(9): "other"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(k), got, want)
		}
	}
}
