package main

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"

	// Registers the proto codec cursorCodec delegates to.
	_ "google.golang.org/grpc/encoding/proto"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// cursorCodec is the proto codec, except that a SubscribeResponse is read
// for its cursors only: the deliveries a benchmark subscriber gets carry
// their cursor and nothing else. 100 subscribers emulated on the hub's own
// cores would otherwise spend more CPU decoding objects and receipts (as
// 100 members would, each on its own machine) than the hub spends sending
// them. `stixhub bench fanout --decode full` decodes everything.
type cursorCodec struct{ proto encoding.CodecV2 }

func newCursorCodec() cursorCodec { return cursorCodec{proto: encoding.GetCodecV2("proto")} }

func (c cursorCodec) Name() string { return c.proto.Name() }

func (c cursorCodec) Marshal(v any) (mem.BufferSlice, error) { return c.proto.Marshal(v) }

func (c cursorCodec) Unmarshal(data mem.BufferSlice, v any) error {
	resp, ok := v.(*stixhubv1.SubscribeResponse)
	if !ok {
		return c.proto.Unmarshal(data, v)
	}
	if len(data) == 1 {
		return readCursors(data[0].ReadOnlyData(), resp)
	}
	return readCursors(data.Materialize(), resp)
}

// readCursors fills resp from a SubscribeResponse's wire form, keeping only
// the started cursor and the delivery cursors.
func readCursors(b []byte, resp *stixhubv1.SubscribeResponse) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		switch num {
		case 1: // started
			after, err := firstVarint(v)
			if err != nil {
				return err
			}
			resp.Event = &stixhubv1.SubscribeResponse_Started{Started: &stixhubv1.Started{AfterCursor: after}}
		case 2: // delivery
			cur, err := firstVarint(v)
			if err != nil {
				return err
			}
			resp.Event = &stixhubv1.SubscribeResponse_Delivery{Delivery: &stixhubv1.Delivery{Cursor: cur}}
		case 3: // batch
			batch := &stixhubv1.DeliveryBatch{}
			for len(v) > 0 {
				num, typ, n := protowire.ConsumeTag(v)
				if n < 0 || num != 1 || typ != protowire.BytesType {
					return errors.New("batch: unexpected field")
				}
				d, m := protowire.ConsumeBytes(v[n:])
				if m < 0 {
					return protowire.ParseError(m)
				}
				v = v[n+m:]
				cur, err := firstVarint(d)
				if err != nil {
					return err
				}
				batch.Deliveries = append(batch.Deliveries, &stixhubv1.Delivery{Cursor: cur})
			}
			resp.Event = &stixhubv1.SubscribeResponse_Batch{Batch: batch}
		}
	}
	return nil
}

// firstVarint returns field 1 of a message, a varint (Started.after_cursor,
// Delivery.cursor), 0 when absent.
func firstVarint(b []byte) (uint64, error) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, protowire.ParseError(n)
		}
		b = b[n:]
		if num == 1 && typ == protowire.VarintType {
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return 0, protowire.ParseError(m)
			}
			return v, nil
		}
		if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
			return 0, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
	}
	return 0, nil
}
