package server

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"

	"github.com/stixhub/stixhub/internal/lookupwire"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"

	// Registers the proto codec this one delegates to.
	_ "google.golang.org/grpc/encoding/proto"
)

// wireMessage is a message already in protobuf wire form (the hub encodes a
// delivery once and sends the same bytes to every subscriber), in a buffer
// gRPC frees once written.
type wireMessage struct{ buf mem.Buffer }

// codec is gRPC's proto codec, plus wireMessage sent as is.
type codec struct{ proto encoding.CodecV2 }

func newCodec() codec { return codec{proto: encoding.GetCodecV2("proto")} }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if w, ok := v.(wireMessage); ok {
		return mem.BufferSlice{w.buf}, nil
	}
	return c.proto.Marshal(v)
}

// Unmarshal is the proto codec's, except for a LookupRequest, which
// internal/lookupwire decodes into one slab of observables instead of a
// message each.
func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	req, ok := v.(*stixhubv1.LookupRequest)
	if !ok {
		return c.proto.Unmarshal(data, v)
	}
	return lookupwire.FromBuffers(data, func(b []byte) error { return lookupwire.DecodeRequest(b, req) })
}

func (c codec) Name() string { return c.proto.Name() }
