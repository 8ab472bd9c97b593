package screen

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestWatchlist(t *testing.T) {
	w, err := NewWatchlist([]Observable{
		{Value: "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"},
		{Value: "10.1.2.3"},
		{Value: "192.168.0.0/16"},
		{Type: "domain", Value: "Drain.Example"},
		{Value: strings.Repeat("AB", 32)}, // a hash (or a transaction id)
		{Value: "2001:db8::5"},
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func(pat string, extra map[string]any) *Object {
		o, err := Read(indicator(id(1), pat, extra))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	now := t0.Add(time.Hour)
	for _, c := range []struct {
		pattern string
		extra   map[string]any
		want    string // listed values hit
	}{
		{"[cryptocurrency-wallet:value = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT']", nil, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"},
		{"[cryptocurrency-wallet:value = '1boatslrhtknngkdxeeobr76b53lettpyt']", nil, ""},
		{"[ipv4-addr:value ISSUBSET '10.0.0.0/8']", nil, "10.1.2.3"},
		{"[ipv4-addr:value = '192.168.44.1']", nil, "192.168.0.0/16"},
		{"[ipv4-addr:value = '192.0.0.0/8']", nil, "192.168.0.0/16"},
		{"[ipv6-addr:value = '2001:db8::/64']", nil, "2001:db8::5"},
		{"[domain-name:value = 'drain.example'] OR [file:hashes.'SHA-256' = '" + strings.Repeat("ab", 32) + "']", nil, strings.Repeat("AB", 32) + ",Drain.Example"},
		{"[domain-name:value = 'drain.example']", map[string]any{"revoked": true}, ""},
		{"[domain-name:value = 'drain.example']", map[string]any{"valid_until": "2026-01-01T00:30:00Z"}, ""},
		{"[ipv4-addr:value = '10.1.2.4']", nil, ""},
	} {
		var got []string
		for _, h := range w.Match(read(c.pattern, c.extra), now) {
			got = append(got, h.Listed.Value)
			if h.Match.ObjectID != id(1) || h.Match.Status != StatusLive {
				t.Errorf("%s: hit %+v", c.pattern, h.Match)
			}
		}
		sort.Strings(got)
		if strings.Join(got, ",") != c.want {
			t.Errorf("%s: hits %v, want %s", c.pattern, got, c.want)
		}
	}
	var ie *ItemError
	if _, err := NewWatchlist([]Observable{{Value: "x"}, {Type: "ipv4-addr", Value: "bad"}}); !errors.As(err, &ie) || ie.Item != 1 {
		t.Errorf("bad item: %v", err)
	}
}
