package screen

import (
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/stixhub/stixhub/internal/marking"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// TestObjectRecordsHoldNoPointers: what the index keeps per object in its
// fixed-size records gives the garbage collector nothing to mark.
func TestObjectRecordsHoldNoPointers(t *testing.T) {
	var walk func(reflect.Type) bool
	walk = func(ty reflect.Type) bool {
		switch ty.Kind() {
		case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Interface,
			reflect.Chan, reflect.Func, reflect.UnsafePointer:
			return true
		case reflect.Array:
			return walk(ty.Elem())
		case reflect.Struct:
			for i := range ty.NumField() {
				if walk(ty.Field(i).Type) {
					return true
				}
			}
		}
		return false
	}
	for _, v := range []any{objRec{}, judged{}, stamp{}, entryRef{}} {
		if walk(reflect.TypeOf(v)) {
			t.Errorf("%T holds pointers", v)
		}
	}
}

// copyObject returns a copy of o as Add sees it, for comparing after Add
// (which takes o's Entries).
func copyObject(o *Object) *Object {
	c := *o
	c.Entries = append([]Entry(nil), o.Entries...)
	return &c
}

// TestMatchIsTheObjectAdded: a match reports the fields of the object
// added, exactly (==, so the same locations): zero times, times beyond the
// int64 nanosecond range, times in other zones, Sharing and the rest.
func TestMatchIsTheObjectAdded(t *testing.T) {
	plus2 := time.FixedZone("", 2*60*60)
	sharing := &stixhubv1.Sharing{Tlp: "amber", Groups: []string{"finance", "energy"}}
	for _, c := range []struct {
		name string
		o    Object
	}{
		{"zero times, no sharing", Object{Type: "ipv4-addr", Confidence: -1}},
		{"an indicator", Object{Type: "indicator", Modified: t0.Add(time.Nanosecond), ValidFrom: t0,
			ValidUntil: t0.Add(24 * time.Hour), Confidence: 85, TLP: marking.Amber,
			Source: Source{MemberID: "m1", KeyID: "k1", Cursor: 7, AcceptedAt: t0.Add(time.Second), Sharing: sharing}}},
		{"beyond the nanosecond range", Object{Type: "indicator", Modified: t0,
			ValidFrom:  time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
			ValidUntil: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
			Source:     Source{MemberID: "m1", KeyID: "k1", AcceptedAt: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)}}},
		{"other zones", Object{Type: "indicator", Modified: t0.In(plus2), ValidFrom: t0.In(time.Local),
			Source: Source{MemberID: "m2", KeyID: "k2", AcceptedAt: t0.Add(time.Minute).In(plus2)}}},
		{"before 1970", Object{Type: "indicator", Modified: time.Date(1969, 12, 31, 23, 59, 59, 5, time.UTC),
			ValidFrom: time.Date(1969, 7, 20, 20, 17, 0, 123, time.UTC), Revoked: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := New(Config{})
			o := c.o
			o.ID = "Indicator--AAAAAAAA-0000-4000-8000-000000000000"
			o.Entries = []Entry{{Observable{TypeDomain, "example.com"}, "value"}}
			want := copyObject(&o)
			x.Add(&o)
			now := t0.Add(time.Hour)
			ms := lookup(t, x, TypeDomain, "example.com", LookupOptions{Now: now, IncludeRevoked: true})
			if len(ms) != 1 {
				t.Fatalf("%d matches", len(ms))
			}
			w := want.match(Observable{TypeDomain, "example.com"}, "value", want.Status(now, nil))
			if !reflect.DeepEqual(ms[0], w) {
				t.Errorf("match\n%+v\nwant\n%+v", ms[0], w)
			}
			for _, p := range [][2]time.Time{{ms[0].ValidFrom, w.ValidFrom}, {ms[0].ValidUntil, w.ValidUntil},
				{ms[0].Modified, w.Modified}, {ms[0].AcceptedAt, w.AcceptedAt}} {
				if p[0] != p[1] {
					t.Errorf("time %v (%v), want %v (%v)", p[0], p[0].Location(), p[1], p[1].Location())
				}
			}
			if ms[0].Sharing != nil && !proto.Equal(ms[0].Sharing, sharing) {
				t.Errorf("sharing %v, want %v", ms[0].Sharing, sharing)
			}
		})
	}
}

// TestInternedTables: objects share one copy of each distinct type,
// member, key, location and Sharing value; a Sharing equal in value to an
// earlier one is reported as that one.
func TestInternedTables(t *testing.T) {
	x := New(Config{})
	for i := range 1000 {
		x.Add(&Object{ID: id(i), Type: "indicator", Modified: t0, ValidFrom: t0.In(time.FixedZone("", 3600*(i%2))),
			Source: Source{MemberID: fmt.Sprintf("m%d", i%3), KeyID: fmt.Sprintf("k%d", i%5), AcceptedAt: t0,
				Sharing: &stixhubv1.Sharing{Tlp: "amber", Groups: []string{fmt.Sprint("g", i%4)}}},
			Entries: []Entry{{Observable{TypeDomain, fmt.Sprintf("d%d.example", i)}, "value"}}})
	}
	// indicator, 3 members, 5 keys; nil and 4 sharings; UTC and two fixed
	// zones, though each object has its own *time.Location.
	if len(x.strs) != 1+3+5 {
		t.Errorf("%d strings: %q", len(x.strs), x.strs)
	}
	if len(x.locs) != 3 {
		t.Errorf("%d locations", len(x.locs))
	}
	if len(x.sharings) != 1+4 {
		t.Errorf("%d sharings", len(x.sharings))
	}
	a := lookup(t, x, TypeDomain, "d0.example", LookupOptions{})
	b := lookup(t, x, TypeDomain, "d4.example", LookupOptions{})
	if a[0].Sharing != b[0].Sharing || a[0].Sharing.GetGroups()[0] != "g0" {
		t.Errorf("equal sharings not shared: %p %p", a[0].Sharing, b[0].Sharing)
	}
	if c := lookup(t, x, TypeDomain, "d1.example", LookupOptions{}); c[0].Sharing == a[0].Sharing || c[0].Sharing.GetGroups()[0] != "g1" {
		t.Errorf("different sharings: %v, %v", c[0].Sharing, a[0].Sharing)
	}
	if n := len(x.refs); n != 0 {
		t.Errorf("%d objects with refs, want 0", n)
	}
}

// TestReplacedObjectReportsNewest: a newer version replaces every field
// the index keeps, its id as given included; an older one changes nothing.
func TestReplacedObjectReportsNewest(t *testing.T) {
	x := New(Config{KeyTrust: func(keyID string, at time.Time) bool { return keyID != "k1" || at.Before(t0) }})
	e := []Entry{{Observable{TypeDomain, "example.com"}, "value"}}
	v1 := Object{ID: "indicator--AAAAAAAA-0000-4000-8000-000000000000", Type: "indicator", Modified: t0, ValidFrom: t0,
		Confidence: 10, Entries: e, Source: Source{MemberID: "m1", KeyID: "k1", AcceptedAt: t0, Cursor: 1}}
	v2 := Object{ID: "indicator--aaaaaaaa-0000-4000-8000-000000000000", Type: "indicator", Modified: t0.Add(time.Second),
		ValidFrom: t0.Add(-time.Hour), ValidUntil: t0.Add(time.Hour), Confidence: 90, TLP: marking.Green, Entries: e,
		Source: Source{MemberID: "m2", KeyID: "k2", AcceptedAt: t0.Add(time.Second), Cursor: 2, Sharing: &stixhubv1.Sharing{Tlp: "green"}}}
	now := t0.Add(time.Minute)
	if !x.Add(&v1) {
		t.Fatal("v1 not added")
	}
	if ms := lookup(t, x, TypeDomain, "example.com", LookupOptions{Now: now, IncludeRevoked: true}); len(ms) != 1 || ms[0].Status != StatusKeyCompromised {
		t.Fatalf("v1: %+v", ms)
	}
	want := copyObject(&v2)
	want.Entries = e
	if !x.Add(&v2) {
		t.Fatal("v2 not added")
	}
	old := v1
	old.Entries = e
	if x.Add(&old) {
		t.Fatal("older version added")
	}
	ms := lookup(t, x, TypeDomain, "example.com", LookupOptions{Now: now})
	if w := want.match(Observable{TypeDomain, "example.com"}, "value", StatusLive); len(ms) != 1 || !reflect.DeepEqual(ms[0], w) {
		t.Errorf("after replacing:\n%+v\nwant\n%+v", ms, w)
	}
	if _, objs := x.Len(); objs != 1 {
		t.Errorf("%d objects", objs)
	}
}

// TestObservedDataRefsReplaced: an observed-data's refs are kept only
// while it has them; a newer version with other refs stops counting the
// observables of those it no longer references.
func TestObservedDataRefsReplaced(t *testing.T) {
	x := New(Config{})
	w1 := "cryptocurrency-wallet--11111111-1111-4111-8111-111111111111"
	w2 := "cryptocurrency-wallet--22222222-2222-4222-8222-222222222222"
	od := "observed-data--33333333-3333-4333-8333-333333333333"
	wallet := func(id, v string) *Object {
		return &Object{ID: id, Type: "cryptocurrency-wallet", Entries: []Entry{{Observable{TypeWallet, v}, "value"}}}
	}
	x.Add(wallet(w1, "bc1qsco1"))
	x.Add(&Object{ID: od, Type: "observed-data", Modified: t0, Refs: []string{w1, w2}})
	if len(x.refs) != 1 {
		t.Fatalf("%d objects with refs", len(x.refs))
	}
	x.Add(&Object{ID: od, Type: "observed-data", Modified: t0.Add(time.Second), Refs: []string{w2}})
	x.Add(wallet(w2, "bc1qsco2"))
	if got := ids(lookup(t, x, TypeWallet, "bc1qsco1", LookupOptions{})); got != w1+"/live" {
		t.Errorf("no longer referenced: %s", got)
	}
	if got := ids(lookup(t, x, TypeWallet, "bc1qsco2", LookupOptions{})); got != w2+"/live,"+od+"/live" {
		t.Errorf("referenced by the newer version: %s", got)
	}
	x.Add(&Object{ID: od, Type: "observed-data", Modified: t0.Add(2 * time.Second)})
	if len(x.refs) != 0 || len(x.waiting) != 0 {
		t.Errorf("refs %v, waiting %v after a version without refs", x.refs, x.waiting)
	}
	if got := ids(lookup(t, x, TypeWallet, "bc1qsco2", LookupOptions{})); got != w2+"/live" {
		t.Errorf("after a version without refs: %s", got)
	}
}

// TestStampKeepsTimes: a stamp gives back the time it was made of.
func TestStampKeepsTimes(t *testing.T) {
	x := New(Config{})
	for _, tm := range []time.Time{{}, t0, time.Unix(0, math.MinInt64).UTC(), time.Unix(0, math.MaxInt64).UTC(),
		time.Date(-5000, 1, 1, 0, 0, 0, 0, time.UTC), t0.In(time.Local), t0.In(time.FixedZone("X", -3600))} {
		if got := x.time(x.stampOf(tm)); got != tm {
			t.Errorf("%v (%v) came back as %v (%v)", tm, tm.Location(), got, got.Location())
		}
	}
	// A parsed offset is a new fixed zone each time: it comes back equal,
	// and the table does not grow with it.
	var n int
	for i, v := range []string{"2026-01-01T02:00:00+02:00", "2026-01-01T00:00:00-07:00",
		"2026-06-01T02:00:00.5+02:00", "2026-01-01T00:00:00-07:00"} {
		if i == 2 {
			n = len(x.locs)
		}
		tm, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			t.Fatal(err)
		}
		got := x.time(x.stampOf(tm))
		if !got.Equal(tm) || got.Format(time.RFC3339Nano) != v || got.Location().String() != tm.Location().String() {
			t.Errorf("%s came back as %s", v, got.Format(time.RFC3339Nano))
		}
	}
	if len(x.locs) != n {
		t.Errorf("%d locations after parsing the same offsets again, want %d: %v", len(x.locs), n, x.locs)
	}
	if !x.time(x.stampOf(time.Time{})).IsZero() {
		t.Error("zero time not zero")
	}
}
