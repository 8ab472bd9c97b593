package store

import (
	"testing"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// TestGroupEncodingMatches checks that the per-group caches of message give
// what typeSubject and encodeSharing give, whatever the order of types and
// audiences in a group.
func TestGroupEncodingMatches(t *testing.T) {
	shs := []*stixhubv1.Sharing{
		{Tlp: "amber", Groups: []string{"g1"}, Refs: []string{"identity--a"}},
		{Tlp: "amber", Groups: []string{"g1"}, Refs: []string{"identity--b"}},
		{Tlp: "amber", Groups: []string{"g1", "g2"}},
		{Tlp: "amber", DefaultTlp: true, Groups: []string{"g1", "g2"}},
		{Tlp: "green", DefaultTlp: true, Groups: []string{"g1", "g2"}},
		{Tlp: "green", DefaultTlp: true, Groups: []string{"g1", "g2"}, Recipients: []string{"member--x"}},
		{Tlp: "green", DefaultTlp: true, Groups: []string{"g1", "g2"}, Recipients: []string{"member--y"}},
		{},
		{Tlp: "amber", Groups: []string{"g1"}},
	}
	ids := []string{"indicator--1", "indicator--2", "malware--1", "indicator--3", "x-custom--1", "x-custom--2", "indicator--4"}
	var enc groupEncoding
	for i := range 3 * len(shs) {
		sh, id := shs[i%len(shs)], ids[i%len(ids)]
		if got, want := enc.sharing(sh), encodeSharing(sh); got != want {
			t.Errorf("step %d: sharing header %q, want %q", i, got, want)
		}
		if got, want := enc.subject("p", id), typeSubject("p", id); got != want {
			t.Errorf("step %d: subject %q, want %q", i, got, want)
		}
	}
}

// BenchmarkMessage measures the encoding of one stored object (protobuf
// record, subject, headers) as the appender does it within a group.
func BenchmarkMessage(b *testing.B) {
	s := &Store{cfg: Config{SubjectPrefix: DefaultSubjectPrefix, Exclusive: true}}
	e := entry(newID(), "member--a", 0)
	e.Canonical = make([]byte, 1000)
	e.Sharing = &stixhubv1.Sharing{Tlp: "amber", Groups: []string{"group--members"}, Refs: []string{"identity--a"}}
	rcpt := &stixhubv1.Receipt{ObjectId: e.ID, Cursor: 7, Signature: make([]byte, 64), ObjectSha256: make([]byte, 32), Proof: [][]byte{make([]byte, 32), make([]byte, 32)}}
	var enc groupEncoding
	b.ReportAllocs()
	seq := uint64(1)
	for b.Loop() {
		if _, _, err := s.message(plannedWrite{item: &item{e: &e}, seq: seq}, rcpt, &enc); err != nil {
			b.Fatal(err)
		}
		seq++
	}
}
