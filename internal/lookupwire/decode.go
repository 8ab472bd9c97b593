package lookupwire

import (
	"unicode/utf8"
	"unsafe"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Decode parses a LookupResponse in wire form into resp, as proto.Unmarshal
// does. Its messages come from a few slabs and its strings share one copy
// of b, so a caller that keeps one match keeps the whole response's memory.
func Decode(b []byte, resp *stixhubv1.LookupResponse) error {
	var c counts
	if !c.response(b) {
		return proto.Unmarshal(b, resp)
	}
	resp.Reset()
	// One copy of the input, read through a byte view: every string of the
	// result points into it.
	s := string(b)
	d := decoder{
		results:     make([]stixhubv1.LookupResult, c.results),
		resultPtrs:  make([]*stixhubv1.LookupResult, c.results),
		types:       make([]string, c.types),
		matches:     make([]stixhubv1.LookupMatch, c.matches),
		matchPtrs:   make([]*stixhubv1.LookupMatch, c.matches),
		observables: make([]stixhubv1.Observable, c.observables),
		times:       make([]timestamppb.Timestamp, c.times),
		confidences: make([]int32, c.confidences),
	}
	if !d.response(unsafe.Slice(unsafe.StringData(s), len(s))) {
		return proto.Unmarshal(b, resp)
	}
	if len(d.resultPtrs) > 0 {
		resp.Results = d.resultPtrs
	}
	return nil
}

// field is one field of a message.
type field struct {
	num  protowire.Number
	typ  protowire.Type
	v    uint64 // a varint field's value
	body []byte // a length-delimited field's bytes
}

// nextField reads the first field of b, a message's remaining bytes. It
// reports false if b does not parse or the field has a wire type other than
// varint and bytes (lookup messages have no other).
func nextField(b []byte) (f field, rest []byte, ok bool) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return f, nil, false
	}
	f.num, f.typ = num, typ
	b = b[n:]
	switch typ {
	case protowire.VarintType:
		f.v, n = protowire.ConsumeVarint(b)
	case protowire.BytesType:
		f.body, n = protowire.ConsumeBytes(b)
	default:
		n = -1
	}
	if n < 0 {
		return f, nil, false
	}
	return f, b[n:], true
}

// counts is the first pass: it checks the structure AppendResult writes
// (known fields of the right wire types, each sub-message at most once)
// down to the matches, and counts the messages of each kind for the slabs.
// The second pass checks the rest (UTF-8, the fields of observables and
// timestamps). Anything else is left to proto.Unmarshal.
type counts struct {
	results, types, matches, observables, times, confidences int
}

func (c *counts) response(b []byte) bool {
	for len(b) > 0 {
		r, rest, ok := nextField(b)
		if !ok || r.num != responseResults || r.typ != protowire.BytesType || !c.result(r.body) {
			return false
		}
		b = rest
		c.results++
	}
	return true
}

func (c *counts) result(b []byte) bool {
	for len(b) > 0 {
		r, rest, ok := nextField(b)
		if !ok {
			return false
		}
		b = rest
		switch {
		case r.num == resultIndex && r.typ == protowire.VarintType:
		case r.num == resultTypes && r.typ == protowire.BytesType:
			c.types++
		case r.num == resultMatches && r.typ == protowire.BytesType:
			c.matches++
			if !c.match(r.body) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func (c *counts) match(b []byte) bool {
	var seen uint32 // fields met, by number
	for len(b) > 0 {
		r, rest, ok := nextField(b)
		if !ok || r.num >= 32 {
			return false
		}
		b = rest
		once := seen&(1<<r.num) == 0
		seen |= 1 << r.num
		switch r.num {
		case matchObjectID, matchObjectType, matchVia, matchTLP, matchMemberID, matchKeyID:
			ok = r.typ == protowire.BytesType
		case matchStatus, matchCursor:
			ok = r.typ == protowire.VarintType
		case matchConfidence:
			ok = r.typ == protowire.VarintType
			if once {
				c.confidences++
			}
		case matchObservable:
			// A repeated sub-message is merged: proto.Unmarshal's job.
			ok = r.typ == protowire.BytesType && once
			c.observables++
		case matchValidFrom, matchValidUntil, matchModified, matchAcceptedAt:
			ok = r.typ == protowire.BytesType && once
			c.times++
		default:
			ok = false
		}
		if !ok {
			return false
		}
	}
	return true
}

// decoder is the second pass, over input whose structure the first one
// checked, filling the slabs in order. The input it reads is a view of an
// immutable string, so that the strings it hands out can point into it.
// It reports false on input proto.Unmarshal has to judge.
type decoder struct {
	results     []stixhubv1.LookupResult
	resultPtrs  []*stixhubv1.LookupResult
	types       []string
	matches     []stixhubv1.LookupMatch
	matchPtrs   []*stixhubv1.LookupMatch
	observables []stixhubv1.Observable
	times       []timestamppb.Timestamp
	confidences []int32
	nr, nt, nm  int // results, types and matches used
	no, nts, nc int // observables, times and confidences used
}

// str returns body, a part of the input's string view, as a string sharing
// its memory, and whether it is valid UTF-8 (as proto3 requires).
func str(body []byte) (string, bool) {
	return unsafe.String(unsafe.SliceData(body), len(body)), utf8.Valid(body)
}

func (d *decoder) response(b []byte) bool {
	for len(b) > 0 {
		r, rest, _ := nextField(b) // the first pass checked the structure
		b = rest
		res := &d.results[d.nr]
		d.resultPtrs[d.nr] = res
		d.nr++
		if !d.result(res, r.body) {
			return false
		}
	}
	return true
}

func (d *decoder) result(res *stixhubv1.LookupResult, b []byte) bool {
	firstType, firstMatch := d.nt, d.nm
	for len(b) > 0 {
		r, rest, _ := nextField(b)
		b = rest
		switch r.num {
		case resultIndex:
			res.Index = uint32(r.v)
		case resultTypes:
			var ok bool
			if d.types[d.nt], ok = str(r.body); !ok {
				return false
			}
			d.nt++
		case resultMatches:
			m := &d.matches[d.nm]
			d.matchPtrs[d.nm] = m
			d.nm++
			if !d.match(m, r.body) {
				return false
			}
		}
	}
	if d.nt > firstType {
		res.Types = d.types[firstType:d.nt:d.nt]
	}
	if d.nm > firstMatch {
		res.Matches = d.matchPtrs[firstMatch:d.nm:d.nm]
	}
	return true
}

func (d *decoder) match(m *stixhubv1.LookupMatch, b []byte) bool {
	for len(b) > 0 {
		r, rest, _ := nextField(b)
		b = rest
		ok := true
		switch r.num {
		case matchObservable:
			o := &d.observables[d.no]
			d.no++
			m.Observable = o
			ok = observable(o, r.body)
		case matchObjectID:
			m.ObjectId, ok = str(r.body)
		case matchObjectType:
			m.ObjectType, ok = str(r.body)
		case matchVia:
			m.Via, ok = str(r.body)
		case matchStatus:
			m.Status = stixhubv1.MatchStatus(int32(r.v))
		case matchTLP:
			m.Tlp, ok = str(r.body)
		case matchValidFrom:
			m.ValidFrom, ok = d.timestamp(r.body)
		case matchValidUntil:
			m.ValidUntil, ok = d.timestamp(r.body)
		case matchModified:
			m.Modified, ok = d.timestamp(r.body)
		case matchConfidence:
			if m.Confidence == nil {
				m.Confidence = &d.confidences[d.nc]
				d.nc++
			}
			*m.Confidence = int32(r.v)
		case matchMemberID:
			m.MemberId, ok = str(r.body)
		case matchKeyID:
			m.KeyId, ok = str(r.body)
		case matchCursor:
			m.Cursor = r.v
		case matchAcceptedAt:
			m.AcceptedAt, ok = d.timestamp(r.body)
		}
		if !ok {
			return false
		}
	}
	return true
}

func observable(o *stixhubv1.Observable, b []byte) bool {
	for len(b) > 0 {
		r, rest, ok := nextField(b)
		if !ok || r.typ != protowire.BytesType {
			return false
		}
		b = rest
		switch r.num {
		case observableType:
			o.Type, ok = str(r.body)
		case observableValue:
			o.Value, ok = str(r.body)
		default:
			ok = false
		}
		if !ok {
			return false
		}
	}
	return true
}

func (d *decoder) timestamp(b []byte) (*timestamppb.Timestamp, bool) {
	t := &d.times[d.nts]
	d.nts++
	for len(b) > 0 {
		r, rest, ok := nextField(b)
		if !ok || r.typ != protowire.VarintType {
			return nil, false
		}
		b = rest
		switch r.num {
		case timestampSeconds:
			t.Seconds = int64(r.v)
		case timestampNanos:
			t.Nanos = int32(r.v)
		default:
			return nil, false
		}
	}
	return t, true
}

// DecodeRequest parses a LookupRequest in wire form into req, as
// proto.Unmarshal does, with one slab of observables whose strings share
// one copy of b.
func DecodeRequest(b []byte, req *stixhubv1.LookupRequest) error {
	n, ok := countRequest(b)
	if !ok {
		return proto.Unmarshal(b, req)
	}
	req.Reset()
	s := string(b)
	in := unsafe.Slice(unsafe.StringData(s), len(s))
	slab := make([]stixhubv1.Observable, n)
	ptrs := make([]*stixhubv1.Observable, n)
	i := 0
	for len(in) > 0 {
		r, rest, _ := nextField(in) // countRequest checked the structure
		in = rest
		if r.num == requestIncludeRevoked {
			req.IncludeRevoked = r.v != 0
			continue
		}
		if !observable(&slab[i], r.body) {
			return proto.Unmarshal(b, req)
		}
		ptrs[i] = &slab[i]
		i++
	}
	if n > 0 {
		req.Observables = ptrs
	}
	return nil
}

// countRequest checks a LookupRequest's top-level fields and counts its
// observables.
func countRequest(b []byte) (int, bool) {
	n := 0
	for len(b) > 0 {
		r, rest, ok := nextField(b)
		if !ok {
			return 0, false
		}
		b = rest
		switch {
		case r.num == requestObservables && r.typ == protowire.BytesType:
			n++
		case r.num == requestIncludeRevoked && r.typ == protowire.VarintType:
		default:
			return 0, false
		}
	}
	return n, true
}

// FromBuffers calls decode with the bytes of a message as gRPC received
// it, without a copy when they are in one buffer. decode must copy what it
// keeps (Decode and DecodeRequest do): the buffers go back to gRPC's pool.
func FromBuffers(data mem.BufferSlice, decode func([]byte) error) error {
	if len(data) == 1 {
		return decode(data[0].ReadOnlyData())
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	return decode(buf.ReadOnlyData())
}
