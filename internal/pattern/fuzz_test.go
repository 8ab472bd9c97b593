package pattern

import (
	"errors"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzObservations are matched against every pattern the fuzzer finds
// valid, to exercise the matcher on arbitrary patterns.
func fuzzObservations() []Observation {
	t0 := time.Date(2016, 6, 1, 10, 0, 0, 0, time.UTC)
	objs := func(kv ...map[string]any) map[string]map[string]any {
		m := map[string]map[string]any{}
		for i, o := range kv {
			m[string(rune('0'+i))] = o
		}
		return m
	}
	return []Observation{
		{Objects: objs(
			map[string]any{"type": "file", "name": "a", "size": 10.0, "hashes": map[string]any{"MD5": "00"},
				"x_list": []any{"a", 1.0, true, nil, map[string]any{"b": "c"}}, "parent_ref": "1"},
			map[string]any{"type": "ipv4-addr", "value": "10.0.0.1", "x_refs": []any{"0", "9"}},
		), First: t0, Last: t0.Add(time.Minute), Count: 2},
		{Objects: objs(
			map[string]any{"type": "x-a", "b": "x", "payload_bin": "QUJD", "k_hex": "00ff"},
			map[string]any{"type": "domain-name", "value": "Example.com"},
		), First: t0.Add(time.Hour), Last: t0.Add(time.Hour), Count: 1},
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range validCases {
		f.Add(tc.in)
	}
	for _, tc := range invalidCases {
		f.Add(tc.in)
	}
	for _, s := range semanticValid {
		f.Add(s)
	}
	for _, tc := range semanticInvalid {
		f.Add(tc.in)
	}
	obs := fuzzObservations()

	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		loose, looseErr := ParseWithOptions(s, anyType)

		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			if p != nil {
				t.Fatal("a pattern returned with an error")
			}
			if pe.Column < 1 || pe.Column > utf8.RuneCountInString(s)+1 {
				t.Fatalf("column %d outside the input (%d runes)", pe.Column, utf8.RuneCountInString(s))
			}
			if pe.Expected == "" && pe.Msg == "" {
				t.Fatalf("error without text: %#v", pe)
			}
			// Syntax errors do not depend on the options.
			var le *Error
			if errors.As(looseErr, &le) && le.Expected != "" && *le != *pe {
				t.Fatalf("syntax error differs with options: %v vs %v", pe, le)
			}
		}
		if looseErr != nil {
			if err == nil {
				t.Fatalf("accepted by default but not with more types: %v", looseErr)
			}
			return
		}
		// The canonical form parses back to the same pattern, with the
		// options that accepted it.
		checkRoundTrip(t, loose, anyType)
		if err != nil {
			return
		}
		checkRoundTrip(t, p, Options{})
		if loose.String() != p.String() {
			t.Fatalf("options change the canonical form: %q vs %q", p.String(), loose.String())
		}
		_ = p.Comparisons()
		_ = p.ObjectTypes()

		// The matcher answers or says why not; it never panics.
		for _, o := range [][]Observation{obs, obs[:1], nil} {
			if _, err := p.Match(o); err != nil &&
				!errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrMatchLimit) && !errors.Is(err, ErrNoTime) {
				t.Fatalf("Match: unexpected error %v", err)
			}
		}
		for _, obj := range obs[1].Objects {
			if _, err := p.MatchObject(obj); err != nil &&
				!errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrMatchLimit) && !errors.Is(err, ErrNoTime) {
				t.Fatalf("MatchObject: unexpected error %v", err)
			}
		}
	})
}
