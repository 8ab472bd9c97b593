package lookupwire

import (
	"bytes"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/stixhub/stixhub/internal/marking"
	"github.com/stixhub/stixhub/internal/screen"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// TestFieldNumbers holds the constants to the generated descriptors, and
// fails when a message gains a field that AppendResult and Decode do not
// know.
func TestFieldNumbers(t *testing.T) {
	for _, tc := range []struct {
		msg    proto.Message
		fields map[protoreflect.Name]protoreflect.FieldNumber
	}{
		{&stixhubv1.LookupRequest{}, map[protoreflect.Name]protoreflect.FieldNumber{"observables": requestObservables, "include_revoked": requestIncludeRevoked}},
		{&stixhubv1.LookupResponse{}, map[protoreflect.Name]protoreflect.FieldNumber{"results": responseResults}},
		{&stixhubv1.LookupResult{}, map[protoreflect.Name]protoreflect.FieldNumber{"index": resultIndex, "types": resultTypes, "matches": resultMatches}},
		{&stixhubv1.LookupMatch{}, map[protoreflect.Name]protoreflect.FieldNumber{
			"observable": matchObservable, "object_id": matchObjectID, "object_type": matchObjectType, "via": matchVia,
			"status": matchStatus, "tlp": matchTLP, "valid_from": matchValidFrom, "valid_until": matchValidUntil,
			"modified": matchModified, "confidence": matchConfidence, "member_id": matchMemberID, "key_id": matchKeyID,
			"cursor": matchCursor, "accepted_at": matchAcceptedAt,
		}},
		{&stixhubv1.Observable{}, map[protoreflect.Name]protoreflect.FieldNumber{"type": observableType, "value": observableValue}},
		{&timestamppb.Timestamp{}, map[protoreflect.Name]protoreflect.FieldNumber{"seconds": timestampSeconds, "nanos": timestampNanos}},
	} {
		fds := tc.msg.ProtoReflect().Descriptor().Fields()
		name := tc.msg.ProtoReflect().Descriptor().FullName()
		if fds.Len() != len(tc.fields) {
			t.Errorf("%s has %d fields, lookupwire knows %d: teach AppendResult and Decode the new ones", name, fds.Len(), len(tc.fields))
		}
		for i := range fds.Len() {
			fd := fds.Get(i)
			if want, ok := tc.fields[fd.Name()]; !ok || fd.Number() != want {
				t.Errorf("%s.%s is field %d, lookupwire has %d (known: %v)", name, fd.Name(), fd.Number(), want, ok)
			}
		}
	}
}

// matches covers every field: set, zero and absent.
func testMatches() []screen.Match {
	t0 := time.Date(2026, 11, 26, 5, 0, 0, 123456789, time.UTC)
	full := screen.Match{
		Observable: screen.Observable{Type: "cryptocurrency-wallet", Value: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"},
		ObjectID:   "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		ObjectType: "indicator",
		Via:        "pattern [cryptocurrency-wallet:value = ...]",
		Status:     screen.StatusLive,
		TLP:        marking.Amber,
		ValidFrom:  t0,
		ValidUntil: t0.Add(time.Hour),
		Modified:   time.Unix(1700000000, 0),
		Confidence: 85,
		Source: screen.Source{
			MemberID: "member-1", KeyID: "ed25519:abc", Cursor: 1 << 40, AcceptedAt: t0.Add(time.Second),
		},
	}
	bare := screen.Match{Confidence: -1}
	zero := full
	zero.Confidence = 0
	zero.Status = screen.StatusKeyCompromised
	zero.TLP = marking.Unknown
	zero.ValidUntil = time.Time{}
	zero.Modified = time.Unix(0, 5) // seconds zero, nanos not
	zero.Cursor = 0
	old := full
	old.ValidFrom = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC) // negative seconds
	old.Status = screen.StatusExpired
	old.Observable = screen.Observable{Type: "domain-name", Value: "ünïcode.example"}
	return []screen.Match{full, bare, zero, old}
}

// reference builds the response the way generated code would, for the
// tests to compare with.
func reference(index uint32, queries []screen.Observable, matches []screen.Match) *stixhubv1.LookupResult {
	ts := func(t time.Time) *timestamppb.Timestamp {
		if t.IsZero() {
			return nil
		}
		return timestamppb.New(t)
	}
	r := &stixhubv1.LookupResult{Index: index}
	for _, q := range queries {
		r.Types = append(r.Types, q.Type)
	}
	for _, m := range matches {
		pm := &stixhubv1.LookupMatch{
			Observable: &stixhubv1.Observable{Type: m.Observable.Type, Value: m.Observable.Value},
			ObjectId:   m.ObjectID, ObjectType: m.ObjectType, Via: m.Via, Status: Status(m.Status),
			ValidFrom: ts(m.ValidFrom), ValidUntil: ts(m.ValidUntil), Modified: ts(m.Modified),
			MemberId: m.MemberID, KeyId: m.KeyID, Cursor: m.Cursor, AcceptedAt: ts(m.AcceptedAt),
		}
		if m.TLP != marking.Unknown {
			pm.Tlp = m.TLP.String()
		}
		if m.Confidence >= 0 {
			pm.Confidence = proto.Int32(int32(m.Confidence))
		}
		r.Matches = append(r.Matches, pm)
	}
	return r
}

// testResponse encodes a response of three results (no match, one type
// and every kind of match, two types and one match) and builds its
// reference.
func testResponse() ([]byte, *stixhubv1.LookupResponse) {
	ms := testMatches()
	results := []struct {
		queries []screen.Observable
		matches []screen.Match
	}{
		{[]screen.Observable{{Type: "ipv4-addr", Value: "192.0.2.1"}}, nil},
		{[]screen.Observable{{Type: "cryptocurrency-wallet", Value: "bc1q"}}, ms},
		{[]screen.Observable{{Type: "file", Value: "aa"}, {Type: "", Value: "aa"}}, ms[:1]},
	}
	var b []byte
	want := &stixhubv1.LookupResponse{}
	for i, r := range results {
		b = AppendResult(b, uint32(i), r.queries, r.matches)
		want.Results = append(want.Results, reference(uint32(i), r.queries, r.matches))
	}
	return b, want
}

func TestAppendResultIsProtoMarshal(t *testing.T) {
	got, want := testResponse()
	wantBytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, wantBytes) {
		t.Fatalf("AppendResult wrote\n%x\nproto.Marshal writes\n%x", got, wantBytes)
	}
}

func TestAppendRequestIsProtoMarshal(t *testing.T) {
	obs := []screen.Observable{{Value: "10.0.0.1"}, {Type: "domain-name", Value: "ünïcode.example"}, {Type: "file"}, {}}
	for _, revoked := range []bool{false, true} {
		want := &stixhubv1.LookupRequest{IncludeRevoked: revoked}
		for _, o := range obs {
			want.Observables = append(want.Observables, &stixhubv1.Observable{Type: o.Type, Value: o.Value})
		}
		wantBytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendRequest(nil, obs, revoked); !bytes.Equal(got, wantBytes) {
			t.Errorf("include_revoked %v: AppendRequest wrote\n%x\nproto.Marshal writes\n%x", revoked, got, wantBytes)
		}
	}
}

func TestDecodeIsProtoUnmarshal(t *testing.T) {
	b, want := testResponse()
	got := &stixhubv1.LookupResponse{Results: []*stixhubv1.LookupResult{{Index: 9}}} // Decode replaces what was there
	if err := Decode(b, got); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, want) {
		t.Fatalf("Decode gave\n%v\nwant\n%v", got, want)
	}
	// The strings share one copy of the input, not the caller's buffer.
	id := got.Results[1].Matches[0].ObjectId
	for i := range b {
		b[i] = 0
	}
	if got.Results[1].Matches[0].ObjectId != id || id != want.Results[1].Matches[0].ObjectId {
		t.Fatalf("object id changed with the input buffer: %q", got.Results[1].Matches[0].ObjectId)
	}
}

// TestDecodeHandsOverWhatItDoesNotKnow checks inputs outside the shape
// AppendResult writes: each must decode exactly as proto.Unmarshal does.
func TestDecodeHandsOverWhatItDoesNotKnow(t *testing.T) {
	b, _ := testResponse()
	for name, in := range decodeSeeds(b) {
		t.Run(name, func(t *testing.T) { checkDecode(t, in) })
	}
}

// decodeSeeds are b and variants of it that take Decode's other paths.
func decodeSeeds(b []byte) map[string][]byte {
	withMatch := func(extra []byte) []byte {
		// One result holding one match of extra fields.
		m := append([]byte{0x0a, 0x00}, extra...) // an empty observable, then extra
		r := append([]byte{0x1a, byte(len(m))}, m...)
		return append([]byte{0x0a, byte(len(r))}, r...)
	}
	return map[string][]byte{
		"ours":                 b,
		"empty":                {},
		"unknown field":        append(append([]byte{}, b...), 0x10, 0x01),
		"unknown match field":  withMatch([]byte{0x78, 0x01}),                  // field 15 varint
		"observable twice":     withMatch([]byte{0x0a, 0x03, 0x12, 0x01, 'x'}), // merged by proto
		"timestamp twice":      withMatch([]byte{0x3a, 0x02, 0x08, 0x01, 0x3a, 0x02, 0x10, 0x02}),
		"string twice":         withMatch([]byte{0x12, 0x01, 'a', 0x12, 0x01, 'b'}), // last wins
		"confidence twice":     withMatch([]byte{0x50, 0x05, 0x50, 0x07}),           // last wins
		"bad utf8":             withMatch([]byte{0x12, 0x01, 0xff}),
		"wrong wire type":      withMatch([]byte{0x15, 0x01, 0x02, 0x03, 0x04}), // object_id as fixed32
		"truncated":            b[:len(b)-3],
		"negative confidence":  withMatch([]byte{0x50, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}),
		"unknown status value": withMatch([]byte{0x28, 0x63}),
	}
}

func checkDecode(t *testing.T, in []byte) {
	t.Helper()
	want := &stixhubv1.LookupResponse{}
	wantErr := proto.Unmarshal(in, want)
	got := &stixhubv1.LookupResponse{}
	gotErr := Decode(in, got)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("Decode error %v, proto.Unmarshal error %v", gotErr, wantErr)
	}
	if wantErr == nil && !proto.Equal(got, want) {
		t.Fatalf("Decode gave\n%v\nproto.Unmarshal gives\n%v", got, want)
	}
}

// requestSeeds are requests AppendRequest writes and variants of them.
func requestSeeds() map[string][]byte {
	obs := []screen.Observable{{Value: "10.0.0.1"}, {Type: "domain-name", Value: "ünïcode.example"}, {Type: "file"}, {}}
	ours := AppendRequest(nil, obs, true)
	return map[string][]byte{
		"ours":                ours,
		"empty":               {},
		"revoked only":        {0x10, 0x01},
		"revoked twice":       {0x10, 0x01, 0x10, 0x00},
		"revoked large":       {0x10, 0x80, 0x02},
		"unknown field":       append(append([]byte{}, ours...), 0x18, 0x01),
		"unknown obs field":   {0x0a, 0x02, 0x18, 0x01},
		"bad utf8":            {0x0a, 0x03, 0x12, 0x01, 0xff},
		"type twice":          {0x0a, 0x06, 0x0a, 0x01, 'a', 0x0a, 0x01, 'b'},
		"truncated":           ours[:len(ours)-2],
		"obs wrong wire type": {0x0d, 0x01, 0x02, 0x03, 0x04},
	}
}

func checkDecodeRequest(t *testing.T, in []byte) {
	t.Helper()
	want := &stixhubv1.LookupRequest{}
	wantErr := proto.Unmarshal(in, want)
	got := &stixhubv1.LookupRequest{Observables: []*stixhubv1.Observable{{Value: "left over"}}}
	gotErr := DecodeRequest(in, got)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("DecodeRequest error %v, proto.Unmarshal error %v", gotErr, wantErr)
	}
	if wantErr == nil && !proto.Equal(got, want) {
		t.Fatalf("DecodeRequest gave\n%v\nproto.Unmarshal gives\n%v", got, want)
	}
}

func TestDecodeRequestIsProtoUnmarshal(t *testing.T) {
	for name, in := range requestSeeds() {
		t.Run(name, func(t *testing.T) { checkDecodeRequest(t, in) })
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, in := range requestSeeds() {
		f.Add(in)
	}
	f.Fuzz(checkDecodeRequest)
}

func FuzzDecode(f *testing.F) {
	b, _ := testResponse()
	for _, in := range decodeSeeds(b) {
		f.Add(in)
	}
	f.Fuzz(checkDecode)
}

func BenchmarkLookupResponse(b *testing.B) {
	// About what a batch of 100 observables, half of them known, returns.
	ms := testMatches()[:1]
	qs := []screen.Observable{{Type: "cryptocurrency-wallet"}}
	b.Run("append", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			buf = buf[:0]
			for i := range 100 {
				buf = AppendResult(buf, uint32(i), qs, ms[:i%2])
			}
		}
	})
	var buf []byte
	for i := range 100 {
		buf = AppendResult(buf, uint32(i), qs, ms[:i%2])
	}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := Decode(buf, &stixhubv1.LookupResponse{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("proto.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := proto.Unmarshal(buf, &stixhubv1.LookupResponse{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
