package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// ErrNoSignatureExtension means a STIX object carries no stixhub signature
// extension (extensions[sign.SignatureExtensionID]).
var ErrNoSignatureExtension = errors.New("object has no stixhub signature extension")

// taxiiExtension is the hub's signature extension on objects served over
// TAXII (see internal/taxii).
type taxiiExtension struct {
	MemberID  string `json:"member_id"`
	KeyID     string `json:"key_id"`
	Signature []byte `json:"signature"`
	Receipt   *struct {
		HubKeyID     string    `json:"hub_key_id"`
		ObjectID     string    `json:"object_id"`
		Modified     string    `json:"modified"`
		Cursor       uint64    `json:"cursor"`
		AcceptedAt   time.Time `json:"accepted_at"`
		MemberID     string    `json:"member_id"`
		KeyID        string    `json:"key_id"`
		ObjectSHA256 []byte    `json:"object_sha256"`
		TreeSize     uint64    `json:"tree_size"`
		LeafIndex    uint64    `json:"leaf_index"`
		Proof        [][]byte  `json:"proof"`
		Signature    []byte    `json:"signature"`
	} `json:"receipt"`
}

// DeliveryFromTAXII rebuilds a delivery from a STIX object served over
// TAXII, which carries the member signature and the hub receipt in the
// hub's signature extension, so Verifier.Verify checks it offline.
func DeliveryFromTAXII(object []byte) (*Delivery, error) {
	var o struct {
		Extensions map[string]json.RawMessage `json:"extensions"`
	}
	if err := json.Unmarshal(object, &o); err != nil {
		return nil, err
	}
	raw, ok := o.Extensions[sign.SignatureExtensionID]
	if !ok {
		return nil, ErrNoSignatureExtension
	}
	var e taxiiExtension
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("signature extension: %w", err)
	}
	if e.Receipt == nil {
		return nil, errors.New("signature extension without a receipt")
	}
	r := e.Receipt
	return &Delivery{
		Cursor:   r.Cursor,
		MemberId: e.MemberID,
		Object:   &stixhubv1.SignedObject{Object: object, KeyId: e.KeyID, Signature: e.Signature},
		Receipt: &stixhubv1.Receipt{
			HubKeyId: r.HubKeyID, ObjectId: r.ObjectID, Modified: r.Modified, Cursor: r.Cursor,
			AcceptedAt: timestamppb.New(r.AcceptedAt), MemberId: r.MemberID, KeyId: r.KeyID,
			ObjectSha256: r.ObjectSHA256, TreeSize: r.TreeSize, LeafIndex: r.LeafIndex, Proof: r.Proof, Signature: r.Signature,
		},
	}, nil
}

// HubAttested reports whether a delivery was posted unsigned over TAXII by
// a member the operator allowed to: it has no member key or signature, and
// only the hub's receipt vouches for it.
func HubAttested(d *Delivery) bool {
	return d.GetObject().GetKeyId() == "" && len(d.GetObject().GetSignature()) == 0
}
