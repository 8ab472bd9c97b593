package taxii

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/stixhub/stixhub/internal/jsonscan"
	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// The hub's signature extension. Objects served over TAXII carry, under
// extensions[sign.SignatureExtensionID], what a subscriber of the gRPC API
// gets beside the object: the publishing member, the member key and
// signature (absent for hub-attested objects posted unsigned over TAXII),
// and the hub's receipt. sign.Canonicalize removes the extension, so the
// object still verifies against the bytes the member signed, offline, with
// `stixhub verify`.
const (
	// ExtensionCreated is the created/modified time of the extension
	// definition, and the date_added the hub gives it.
	ExtensionCreated = "2026-01-01T00:00:00.000Z"
	// HubIdentity is the STIX identity the extension definition names as
	// its creator.
	HubIdentity = "identity--d2c0ab0e-6d4f-4d53-9a0f-5f0c4a1d5b7e"
)

// extensionCreated is ExtensionCreated parsed.
var extensionCreated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// ExtensionDefinition is the STIX extension-definition object of the hub's
// signature extension. Every collection that holds extension definitions
// serves it first.
var ExtensionDefinition = []byte(`{"type":"extension-definition","spec_version":"2.1","id":"` + sign.SignatureExtensionID +
	`","created_by_ref":"` + HubIdentity + `","created":"` + ExtensionCreated + `","modified":"` + ExtensionCreated +
	`","name":"stixhub member signature","description":"Carries the publishing hub member, the member's Ed25519 key id and signature over the RFC 8785 canonical form of the object without this extension, and the hub's signed receipt (RFC 6962 Merkle inclusion proof). Verify offline with stixhub verify and the hub's public key set. Objects without key_id and signature were posted unsigned over TAXII and are attested by the hub receipt alone.",` +
	`"schema":"https://github.com/stixhub/stixhub/blob/main/internal/taxii/render.go","version":"1.0.0","extension_types":["property-extension"]}`)

// Extension is the decoded signature extension of an object served over
// TAXII.
type Extension struct {
	ExtensionType string           `json:"extension_type"`
	MemberID      string           `json:"member_id"`
	KeyID         string           `json:"key_id,omitempty"`
	Signature     []byte           `json:"signature,omitempty"`
	Receipt       ExtensionReceipt `json:"receipt"`
}

// ExtensionReceipt is the hub receipt inside the extension; fields mirror
// stixhubv1.Receipt.
type ExtensionReceipt struct {
	HubKeyID     string    `json:"hub_key_id"`
	ObjectID     string    `json:"object_id"`
	Modified     string    `json:"modified,omitempty"`
	Cursor       uint64    `json:"cursor"`
	AcceptedAt   time.Time `json:"accepted_at"`
	MemberID     string    `json:"member_id"`
	KeyID        string    `json:"key_id,omitempty"`
	ObjectSHA256 []byte    `json:"object_sha256"`
	TreeSize     uint64    `json:"tree_size"`
	LeafIndex    uint64    `json:"leaf_index"`
	Proof        [][]byte  `json:"proof,omitempty"`
	Signature    []byte    `json:"signature"`
}

// ErrNoExtension means an object carries no signature extension.
var ErrNoExtension = errors.New("no stixhub signature extension")

// ReadExtension returns the signature extension of a served object.
func ReadExtension(object []byte) (*Extension, error) {
	var o struct {
		Extensions map[string]json.RawMessage `json:"extensions"`
	}
	if err := json.Unmarshal(object, &o); err != nil {
		return nil, err
	}
	raw, ok := o.Extensions[sign.SignatureExtensionID]
	if !ok {
		return nil, ErrNoExtension
	}
	var e Extension
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("signature extension: %w", err)
	}
	return &e, nil
}

// appendExtension appends the JSON of the signature extension's value.
func appendExtension(dst []byte, d *stixhubv1.Delivery) []byte {
	b64 := base64.StdEncoding
	str := func(dst []byte, name, v string) []byte {
		dst = append(dst, `"`+name+`":`...)
		return strconv.AppendQuote(dst, v)
	}
	bin := func(dst []byte, v []byte) []byte {
		dst = append(dst, '"')
		dst = b64.AppendEncode(dst, v)
		return append(dst, '"')
	}
	dst = append(dst, `{"extension_type":"property-extension",`...)
	dst = str(dst, "member_id", d.GetMemberId())
	if o := d.GetObject(); o.GetKeyId() != "" || len(o.GetSignature()) > 0 {
		dst = append(dst, ',')
		dst = str(dst, "key_id", o.GetKeyId())
		dst = append(dst, `,"signature":`...)
		dst = bin(dst, o.GetSignature())
	}
	r := d.GetReceipt()
	dst = append(dst, `,"receipt":{`...)
	dst = str(dst, "hub_key_id", r.GetHubKeyId())
	dst = append(dst, ',')
	dst = str(dst, "object_id", r.GetObjectId())
	if r.GetModified() != "" {
		dst = append(dst, ',')
		dst = str(dst, "modified", r.GetModified())
	}
	dst = append(dst, `,"cursor":`...)
	dst = strconv.AppendUint(dst, r.GetCursor(), 10)
	dst = append(dst, `,"accepted_at":"`...)
	dst = r.GetAcceptedAt().AsTime().UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `",`...)
	dst = str(dst, "member_id", r.GetMemberId())
	if r.GetKeyId() != "" {
		dst = append(dst, ',')
		dst = str(dst, "key_id", r.GetKeyId())
	}
	dst = append(dst, `,"object_sha256":`...)
	dst = bin(dst, r.GetObjectSha256())
	dst = append(dst, `,"tree_size":`...)
	dst = strconv.AppendUint(dst, r.GetTreeSize(), 10)
	dst = append(dst, `,"leaf_index":`...)
	dst = strconv.AppendUint(dst, r.GetLeafIndex(), 10)
	if len(r.GetProof()) > 0 {
		dst = append(dst, `,"proof":[`...)
		for i, p := range r.GetProof() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = bin(dst, p)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"signature":`...)
	dst = bin(dst, r.GetSignature())
	return append(dst, "}}"...)
}

var extensionsName = []byte(`"extensions"`)

// render returns the object of a delivery as served over TAXII: its
// canonical JSON with the signature extension added to its extensions.
func render(dst []byte, d *stixhubv1.Delivery) ([]byte, error) {
	obj := d.GetObject().GetObject()
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return nil, errors.New("stored object is not a JSON object")
	}
	ext := `"` + sign.SignatureExtensionID + `":`
	it := jsonscan.NewObjectIter(obj)
	for it.Next() {
		if string(it.Name()) != string(extensionsName) {
			continue
		}
		// Canonical JSON: the value starts with '{' at Offset, no spaces.
		at := it.Offset() + 1
		if at > len(obj) || obj[at-1] != '{' {
			return nil, errors.New("stored object has extensions that are not an object")
		}
		dst = append(dst, obj[:at]...)
		dst = append(dst, ext...)
		dst = appendExtension(dst, d)
		if obj[at] != '}' {
			dst = append(dst, ',')
		}
		return append(dst, obj[at:]...), nil
	}
	if it.Err() != nil {
		return nil, it.Err()
	}
	dst = append(dst, obj[:len(obj)-1]...)
	if len(obj) > 2 {
		dst = append(dst, ',')
	}
	dst = append(dst, `"extensions":{`...)
	dst = append(dst, ext...)
	dst = appendExtension(dst, d)
	return append(dst, "}}"...), nil
}

// objectHead is what the index needs from a stored object's top level.
type objectHead struct {
	id, typ, specVersion string
	created, modified    string
}

func readHead(obj []byte) (objectHead, error) {
	var h objectHead
	it := jsonscan.NewObjectIter(obj)
	for it.Next() {
		var dst *string
		switch string(it.Name()) {
		case `"id"`:
			dst = &h.id
		case `"type"`:
			dst = &h.typ
		case `"spec_version"`:
			dst = &h.specVersion
		case `"created"`:
			dst = &h.created
		case `"modified"`:
			dst = &h.modified
		default:
			continue
		}
		s, ok := jsonscan.String(it.Value())
		if !ok {
			return h, fmt.Errorf("property %s is not a string", it.Name())
		}
		*dst = string(s)
	}
	if it.Err() != nil {
		return h, it.Err()
	}
	if h.id == "" || h.typ == "" {
		return h, errors.New("object without id or type")
	}
	return h, nil
}
