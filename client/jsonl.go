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
	MemberID  string          `json:"member_id,omitempty"`
	KeyID     string          `json:"key_id,omitempty"`
	Signature []byte          `json:"signature,omitempty"`
	Receipt   json.RawMessage `json:"receipt,omitempty"`
	Object    json.RawMessage `json:"object,omitempty"`
	// Suspect: the key was revoked as compromised before acceptance.
	Suspect bool `json:"suspect,omitempty"`
	// KeyRevocation replaces the fields above on a revocation event.
	KeyRevocation json.RawMessage `json:"key_revocation,omitempty"`
}

// MarshalDeliveryJSON encodes a delivery as one JSON line (no trailing
// newline): cursor, member_id, key_id, signature (base64), receipt and the
// STIX object itself. UnmarshalDeliveryJSON reads it back; Verifier checks it.
func MarshalDeliveryJSON(d *Delivery) ([]byte, error) {
	line := deliveryLine{Cursor: d.GetCursor()}
	if kr := d.GetKeyRevocation(); kr != nil {
		b, err := protojson.Marshal(kr)
		if err != nil {
			return nil, fmt.Errorf("encode key revocation: %w", err)
		}
		line.KeyRevocation = b
	} else {
		rec, err := protojson.Marshal(d.GetReceipt())
		if err != nil {
			return nil, fmt.Errorf("encode receipt: %w", err)
		}
		line.MemberID = d.GetMemberId()
		line.KeyID = d.GetObject().GetKeyId()
		line.Signature = d.GetObject().GetSignature()
		line.Receipt = rec
		line.Object = d.GetObject().GetObject()
		line.Suspect = d.GetSuspect()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep the object's bytes as the hub stored them
	if err := enc.Encode(line); err != nil {
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
	if len(l.KeyRevocation) > 0 {
		var kr stixhubv1.KeyRevocation
		if err := protojson.Unmarshal(l.KeyRevocation, &kr); err != nil {
			return nil, fmt.Errorf("key_revocation: %w", err)
		}
		if kr.GetKey() == nil {
			return nil, fmt.Errorf("key_revocation without a key")
		}
		return &stixhubv1.Delivery{Cursor: l.Cursor, KeyRevocation: &kr}, nil
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
		Suspect:  l.Suspect,
	}, nil
}
