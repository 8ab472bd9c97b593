package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/stixhub/stixhub/internal/receipt"
	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

const testObject = `{"type":"indicator","spec_version":"2.1","id":"indicator--33fe3b22-0201-47cf-85d0-97c02164528d","created":"2014-05-08T09:00:00.000Z","modified":"2014-05-08T09:00:00.000Z","pattern":"[ipv4-addr:value = '10.0.0.0']","pattern_type":"stix","valid_from":"2014-05-08T09:00:00Z","name":"<C2> & co"}`

// fixture is a delivery as the hub would send it, and the key set that
// verifies it.
func fixture(t *testing.T) (*Delivery, *KeySet) {
	t.Helper()
	ctx := context.Background()
	member, _ := sign.GenerateEd25519()
	hubKey, _ := sign.GenerateEd25519()
	accepted := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	so, err := SignObject(ctx, member, []byte(testObject))
	if err != nil {
		t.Fatal(err)
	}
	canonical, _ := sign.Canonicalize(so.GetObject())
	so.Object = canonical
	rs, err := receipt.Issue(ctx, hubKey, []receipt.Leaf{{
		ObjectID: "indicator--33fe3b22-0201-47cf-85d0-97c02164528d", Modified: "2014-05-08T09:00:00Z", Cursor: 7,
		AcceptedAt: accepted, MemberID: "member--a", KeyID: member.KeyID(), ObjectSHA256: sha256.Sum256(canonical),
	}})
	if err != nil {
		t.Fatal(err)
	}
	d := &Delivery{Cursor: 7, MemberId: "member--a", Object: so, Receipt: rs[0]}
	ks := &KeySet{
		Keys: []*stixhubv1.Key{{
			Id: member.KeyID(), MemberId: "member--a", PublicKey: member.PublicKey(),
			Status: stixhubv1.KeyStatus_KEY_STATUS_ACTIVE, AddedAt: timestamppb.New(accepted.Add(-time.Hour)),
		}},
		HubKeys: []*stixhubv1.HubKey{{Id: hubKey.KeyID(), PublicKey: hubKey.PublicKey()}},
	}
	return d, ks
}

func TestVerifier(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(d *Delivery, ks *KeySet)
		want   error
	}{
		{"untouched delivery verifies", func(*Delivery, *KeySet) {}, nil},
		{"object changed", func(d *Delivery, _ *KeySet) {
			d.Object.Object = bytes.Replace(d.Object.Object, []byte("10.0.0.0"), []byte("10.0.0.1"), 1)
		}, ErrBadSignature},
		{"signature changed", func(d *Delivery, _ *KeySet) { d.Object.Signature[0] ^= 1 }, ErrBadSignature},
		{"key of another member", func(_ *Delivery, ks *KeySet) { ks.Keys[0].MemberId = "member--b" }, ErrBadSignature},
		{"key unknown", func(_ *Delivery, ks *KeySet) { ks.Keys = nil }, ErrUnknownKey},
		{"key added after acceptance", func(d *Delivery, ks *KeySet) {
			ks.Keys[0].AddedAt = timestamppb.New(d.Receipt.AcceptedAt.AsTime().Add(time.Second))
		}, ErrKeyNotValid},
		{"key revoked before acceptance", func(d *Delivery, ks *KeySet) {
			ks.Keys[0].Status = stixhubv1.KeyStatus_KEY_STATUS_REVOKED
			ks.Keys[0].RevokedAt = timestamppb.New(d.Receipt.AcceptedAt.AsTime().Add(-time.Second))
		}, ErrKeyNotValid},
		{"key revoked after acceptance still verifies", func(d *Delivery, ks *KeySet) {
			ks.Keys[0].Status = stixhubv1.KeyStatus_KEY_STATUS_REVOKED
			ks.Keys[0].RevokedAt = timestamppb.New(d.Receipt.AcceptedAt.AsTime().Add(time.Second))
		}, nil},
		{"delivered at another cursor", func(d *Delivery, _ *KeySet) { d.Cursor = 8 }, ErrBadReceipt},
		{"receipt cursor changed", func(d *Delivery, _ *KeySet) { d.Receipt.Cursor = 8 }, ErrBadReceipt},
		{"claimed by another member", func(d *Delivery, ks *KeySet) {
			d.MemberId = "member--b"
			ks.Keys[0].MemberId = "member--b"
		}, ErrBadReceipt},
		{"hub key unknown", func(_ *Delivery, ks *KeySet) { ks.HubKeys = nil }, ErrUnknownKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, ks := fixture(t)
			tc.mutate(d, ks)
			err := NewVerifier(ks).Verify(d)
			if tc.want == nil && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDeliveryJSONLineRoundTrip(t *testing.T) {
	d, ks := fixture(t)
	line, err := MarshalDeliveryJSON(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range line {
		if b == '\n' {
			t.Fatal("line contains a newline")
		}
	}
	back, err := UnmarshalDeliveryJSON(line)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(back, d) {
		t.Fatalf("round trip changed the delivery:\n%v\n%v", back, d)
	}
	if err := NewVerifier(ks).Verify(back); err != nil {
		t.Fatalf("round-tripped delivery: %v", err)
	}
	ksJSON, err := MarshalKeySet(ks)
	if err != nil {
		t.Fatal(err)
	}
	ks2, err := ReadKeySet(ksJSON)
	if err != nil || !proto.Equal(ks, ks2) {
		t.Fatalf("key set round trip: %v", err)
	}
	if _, err := UnmarshalDeliveryJSON([]byte(`{"cursor":1}`)); err == nil {
		t.Error("a line without object and receipt decoded")
	}
}
