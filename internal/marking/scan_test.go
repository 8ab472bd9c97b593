package marking

import "testing"

func TestKindSaysList(t *testing.T) {
	for raw, want := range map[string]string{
		`{}`: "an object", `[]`: "a list", `"s"`: "a string", `true`: "a boolean",
		`null`: "null", `-1`: "a number", ``: "nothing",
	} {
		if got := kind([]byte(raw)); got != want {
			t.Errorf("kind(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindTLP: "tlp", KindStatement: "statement", KindOther: "other", Kind(9): "other"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(k), got, want)
		}
	}
}
