package client

import (
	"bytes"
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// deliveryLine is the JSON line `stixhub subscribe` prints per delivery.
type deliveryLine struct {
	Cursor    uint64          `json:"cursor"`
	MemberID  string          `json:"member_id"`
	KeyID     string          `json:"key_id"`
	Signature []byte          `json:"signature"`
	Receipt   json.RawMessage `json:"receipt"`
	Object    json.RawMessage `json:"object"`
}

// MarshalDeliveryJSON encodes a delivery as one JSON line (no trailing
// newline): cursor, member_id, key_id, signature (base64), receipt and the
// STIX object itself. UnmarshalDeliveryJSON reads it back; Verifier checks it.
func MarshalDeliveryJSON(d *Delivery) ([]byte, error) {
	rec, err := protojson.Marshal(d.GetReceipt())
	if err != nil {
		return nil, fmt.Errorf("encode receipt: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep the object's bytes as the hub stored them
	err = enc.Encode(deliveryLine{
		Cursor:    d.GetCursor(),
		MemberID:  d.GetMemberId(),
		KeyID:     d.GetObject().GetKeyId(),
		Signature: d.GetObject().GetSignature(),
		Receipt:   rec,
		Object:    d.GetObject().GetObject(),
	})
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// UnmarshalDeliveryJSON decodes a line written by MarshalDeliveryJSON.
func UnmarshalDeliveryJSON(line []byte) (*Delivery, error) {
	var l deliveryLine
	if err := json.Unmarshal(line, &l); err != nil {
		return nil, err
	}
	if len(l.Object) == 0 || len(l.Receipt) == 0 {
		return nil, fmt.Errorf("missing object or receipt")
	}
	var rec stixhubv1.Receipt
	if err := protojson.Unmarshal(l.Receipt, &rec); err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	return &stixhubv1.Delivery{
		Cursor:   l.Cursor,
		MemberId: l.MemberID,
		Object:   &stixhubv1.SignedObject{Object: l.Object, KeyId: l.KeyID, Signature: l.Signature},
		Receipt:  &rec,
	}, nil
}
