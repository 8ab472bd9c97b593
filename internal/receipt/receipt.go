// Package receipt issues and verifies the hub's signed receipts for accepted
// objects.
//
// The hub accepts objects in batches. For each batch it builds one RFC 6962
// Merkle tree over per-object leaves and signs the tree head once; each
// object's receipt (stixhubv1.Receipt) carries its leaf's inclusion proof, so
// it verifies on its own with nothing but the hub's Ed25519 public key. One
// signature per batch instead of per object keeps the hub's throughput.
//
// # Encodings
//
// These are exact, so that receipts can be verified in any language. All
// strings are the UTF-8 bytes of the receipt fields; "\n" is the single byte
// 0x0A; no encoding ends with a newline; hex is lowercase.
//
// Leaf bytes of a receipt:
//
//	"stixhub-receipt-v1\n" +
//	object_id + "\n" +
//	modified + "\n" +                   // "" when the object has none
//	decimal(cursor) + "\n" +            // no sign, no leading zeros
//	accepted_at + "\n" +                // see below
//	member_id + "\n" +
//	key_id + "\n" +
//	hex(object_sha256)                  // 64 hex digits
//
// accepted_at is the receipt timestamp in UTC written as Go's
// time.RFC3339Nano: "2006-01-02T15:04:05.999999999Z", where the fraction has
// its trailing zeros removed and is left out, with its dot, when zero (for
// example "2026-03-02T09:14:27Z", "2026-03-02T09:14:27.5Z",
// "2026-03-02T09:14:27.000000001Z"). No field may contain "\n"; receipts
// with one are malformed.
//
// Tree: RFC 6962 section 2.1 (also RFC 9162 section 2.1) with SHA-256, over
// the batch's leaves in batch order:
//
//	leaf hash = SHA-256(0x00 || leaf bytes)
//	node hash = SHA-256(0x01 || left || right)
//
// proof holds the RFC 6962 audit path of the leaf at leaf_index in a tree of
// tree_size leaves, from the leaf's sibling up to the child of the root, 32
// bytes each; verify it with the algorithm of RFC 9162 section 2.1.3.2 to get
// the root.
//
// Signed tree head message:
//
//	"stixhub-tree-v1\n" + hub_key_id + "\n" + decimal(tree_size) + "\n" + hex(root)
//
// signature is the Ed25519 (RFC 8032, pure) signature of that message by the
// hub key, and hub_key_id is that key's id: hex of the first 16 bytes of
// SHA-256 over the raw 32-byte public key.
//
// A receipt therefore verifies when hub_key_id is the id of the trusted hub
// key, the root recomputed from the receipt's own fields and proof makes a
// tree head message the signature is valid for. The receipt does not carry
// the root: a changed field or proof hash yields another root, and shows as a
// bad signature.
package receipt

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Sentinel errors wrapped by Issue, Verify and LeafFromReceipt.
var (
	// ErrMalformed means a leaf or receipt field is missing, has the wrong
	// size or contains a newline, or the tree size or leaf index is out of
	// range.
	ErrMalformed = errors.New("malformed receipt")
	// ErrBadProof means the inclusion proof does not have the shape the leaf
	// index and tree size call for.
	ErrBadProof = errors.New("bad inclusion proof")
	// ErrBadSignature means the hub signature is not valid for the tree head
	// recomputed from the receipt: a field, a proof hash, the tree size or the
	// signature differs from what the hub signed.
	ErrBadSignature = errors.New("bad receipt signature")
	// ErrKeyMismatch means the receipt names another hub key than the one it
	// is checked with (or that key is not an Ed25519 public key).
	ErrKeyMismatch = errors.New("receipt hub key mismatch")
)

const (
	leafPrefix = "stixhub-receipt-v1\n"
	headPrefix = "stixhub-tree-v1\n"
	hashSize   = sha256.Size
)

// Leaf is what a receipt attests for one object.
type Leaf struct {
	ObjectID     string
	Modified     string // RFC 3339 UTC as in Receipt.modified ("" if none)
	Cursor       uint64
	AcceptedAt   time.Time
	MemberID     string
	KeyID        string   // member key
	ObjectSHA256 [32]byte // SHA-256 of the canonical object bytes
}

// Signer is what the hub signs tree heads with: an Ed25519 key whose id is
// KeyID (see sign.KeyID).
type Signer interface {
	KeyID() string
	Sign(ctx context.Context, msg []byte) ([]byte, error)
}

// check reports why l cannot be encoded, if it cannot.
func (l *Leaf) check() error {
	for _, f := range []struct{ name, value string }{
		{"object_id", l.ObjectID},
		{"modified", l.Modified},
		{"member_id", l.MemberID},
		{"key_id", l.KeyID},
	} {
		if strings.Contains(f.value, "\n") {
			return fmt.Errorf("%w: %s contains a newline", ErrMalformed, f.name)
		}
	}
	if l.AcceptedAt.IsZero() {
		return fmt.Errorf("%w: accepted_at is not set", ErrMalformed)
	}
	if y := l.AcceptedAt.UTC().Year(); y < 1 || y > 9999 {
		// The range of google.protobuf.Timestamp, and of RFC 3339.
		return fmt.Errorf("%w: accepted_at year %d outside 1 to 9999", ErrMalformed, y)
	}
	return nil
}

// appendLeafHashInput appends 0x00 and the leaf bytes of l to dst: the input
// of the RFC 6962 leaf hash.
func appendLeafHashInput(dst []byte, l *Leaf) []byte {
	dst = append(dst, rfc6962.RFC6962LeafHashPrefix)
	dst = append(dst, leafPrefix...)
	dst = append(dst, l.ObjectID...)
	dst = append(dst, '\n')
	dst = append(dst, l.Modified...)
	dst = append(dst, '\n')
	dst = strconv.AppendUint(dst, l.Cursor, 10)
	dst = append(dst, '\n')
	dst = l.AcceptedAt.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '\n')
	dst = append(dst, l.MemberID...)
	dst = append(dst, '\n')
	dst = append(dst, l.KeyID...)
	dst = append(dst, '\n')
	return hex.AppendEncode(dst, l.ObjectSHA256[:])
}

// treeHead returns the signed tree head message.
func treeHead(hubKeyID string, size uint64, root []byte) []byte {
	msg := make([]byte, 0, len(headPrefix)+len(hubKeyID)+1+20+1+2*hashSize)
	msg = append(msg, headPrefix...)
	msg = append(msg, hubKeyID...)
	msg = append(msg, '\n')
	msg = strconv.AppendUint(msg, size, 10)
	msg = append(msg, '\n')
	return hex.AppendEncode(msg, root)
}

// Issue builds the tree over leaves (in order), signs its head once with s,
// and returns one receipt per leaf, in the same order. It needs at least one
// leaf. Receipts share no memory with leaves or with each other.
func Issue(ctx context.Context, s Signer, leaves []Leaf) ([]*stixhubv1.Receipt, error) {
	if len(leaves) == 0 {
		return nil, fmt.Errorf("issue receipts: %w: no leaves", ErrMalformed)
	}
	hubKeyID := s.KeyID()
	if hubKeyID == "" || strings.Contains(hubKeyID, "\n") {
		return nil, fmt.Errorf("issue receipts: %w: signer key id %q", ErrMalformed, hubKeyID)
	}
	hashes := make([][hashSize]byte, len(leaves))
	buf := make([]byte, 0, 256)
	for i := range leaves {
		if err := leaves[i].check(); err != nil {
			return nil, fmt.Errorf("issue receipts: leaf %d (%q): %w", i, leaves[i].ObjectID, err)
		}
		buf = appendLeafHashInput(buf[:0], &leaves[i])
		hashes[i] = sha256.Sum256(buf)
	}
	t := newTree(hashes)
	size := uint64(len(leaves))
	sig, err := s.Sign(ctx, treeHead(hubKeyID, size, t.root[:]))
	if err != nil {
		return nil, fmt.Errorf("issue receipts: sign tree head: %w", err)
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("issue receipts: signer returned %d bytes, want an Ed25519 signature", len(sig))
	}

	// Allocate per batch, not per receipt: at a few thousand leaves the
	// allocator would otherwise cost more than the hashing.
	n := len(leaves)
	maxProof := bits.Len64(size - 1)
	var (
		receipts = make([]stixhubv1.Receipt, n)
		stamps   = make([]timestamppb.Timestamp, n)
		out      = make([]*stixhubv1.Receipt, n)
		proofs   = make([][]byte, n*maxProof)
		bytesBuf = make([]byte, 0, n*(maxProof*hashSize+hashSize+len(sig)))
		path     [64]*[hashSize]byte
	)
	for i := range leaves {
		l := &leaves[i]
		r := &receipts[i]
		r.HubKeyId = hubKeyID
		r.ObjectId = l.ObjectID
		r.Modified = l.Modified
		r.Cursor = l.Cursor
		at := l.AcceptedAt
		stamps[i].Seconds, stamps[i].Nanos = at.Unix(), int32(at.Nanosecond())
		r.AcceptedAt = &stamps[i]
		r.MemberId = l.MemberID
		r.KeyId = l.KeyID
		r.ObjectSha256, bytesBuf = carve(bytesBuf, l.ObjectSHA256[:])
		r.TreeSize = size
		r.LeafIndex = uint64(i)
		p := proofs[:0:maxProof]
		proofs = proofs[maxProof:]
		for _, h := range path[:t.proof(uint64(i), &path)] {
			var e []byte
			e, bytesBuf = carve(bytesBuf, h[:])
			p = append(p, e)
		}
		r.Proof = p
		r.Signature, bytesBuf = carve(bytesBuf, sig)
		out[i] = r
	}
	return out, nil
}

// carve appends b to buf, which has room for it, and returns the appended
// copy as a slice of its own capacity, and buf.
func carve(buf, b []byte) ([]byte, []byte) {
	start := len(buf)
	buf = append(buf, b...)
	return buf[start:len(buf):len(buf)], buf
}

// LeafFromReceipt returns the Leaf a receipt attests, for callers that
// compare it with the object. AcceptedAt is in UTC. It does not verify the
// receipt.
func LeafFromReceipt(r *stixhubv1.Receipt) (Leaf, error) {
	if r == nil {
		return Leaf{}, fmt.Errorf("%w: nil receipt", ErrMalformed)
	}
	if r.AcceptedAt == nil {
		return Leaf{}, fmt.Errorf("%w: no accepted_at", ErrMalformed)
	}
	if err := r.AcceptedAt.CheckValid(); err != nil {
		return Leaf{}, fmt.Errorf("%w: accepted_at: %v", ErrMalformed, err)
	}
	if len(r.ObjectSha256) != hashSize {
		return Leaf{}, fmt.Errorf("%w: object_sha256 is %d bytes, want %d", ErrMalformed, len(r.ObjectSha256), hashSize)
	}
	l := Leaf{
		ObjectID:   r.ObjectId,
		Modified:   r.Modified,
		Cursor:     r.Cursor,
		AcceptedAt: r.AcceptedAt.AsTime(),
		MemberID:   r.MemberId,
		KeyID:      r.KeyId,
	}
	copy(l.ObjectSHA256[:], r.ObjectSha256)
	if err := l.check(); err != nil {
		return Leaf{}, err
	}
	return l, nil
}

// Verify checks a receipt against the hub public key: the leaf recomputed
// from the receipt's own fields, its inclusion proof to the root, the
// signature on the tree head, and hub_key_id == sign.KeyID(hubPub). The error
// wraps ErrMalformed, ErrBadProof, ErrBadSignature or ErrKeyMismatch.
func Verify(r *stixhubv1.Receipt, hubPub ed25519.PublicKey) error {
	if r == nil {
		return fmt.Errorf("verify receipt: %w: nil receipt", ErrMalformed)
	}
	if len(hubPub) != ed25519.PublicKeySize {
		return fmt.Errorf("verify receipt for %q: %w: hub public key is %d bytes, want %d", r.ObjectId, ErrKeyMismatch, len(hubPub), ed25519.PublicKeySize)
	}
	if want := sign.KeyID(hubPub); r.HubKeyId != want {
		return fmt.Errorf("verify receipt for %q: %w: receipt names hub key %q, checking with key %s", r.ObjectId, ErrKeyMismatch, r.HubKeyId, want)
	}
	l, err := LeafFromReceipt(r)
	if err != nil {
		return fmt.Errorf("verify receipt for %q: %w", r.ObjectId, err)
	}
	if r.TreeSize == 0 || r.LeafIndex >= r.TreeSize {
		return fmt.Errorf("verify receipt for %q: %w: leaf_index %d, tree_size %d", r.ObjectId, ErrMalformed, r.LeafIndex, r.TreeSize)
	}
	if len(r.Signature) != ed25519.SignatureSize {
		return fmt.Errorf("verify receipt for %q: %w: signature is %d bytes, want %d", r.ObjectId, ErrMalformed, len(r.Signature), ed25519.SignatureSize)
	}
	for i, h := range r.Proof {
		if len(h) != hashSize {
			return fmt.Errorf("verify receipt for %q: %w: proof[%d] is %d bytes, want %d", r.ObjectId, ErrBadProof, i, len(h), hashSize)
		}
	}
	leafHash := sha256.Sum256(appendLeafHashInput(make([]byte, 0, 256), &l))
	root, err := proof.RootFromInclusionProof(rfc6962.DefaultHasher, r.LeafIndex, r.TreeSize, leafHash[:], r.Proof)
	if err != nil {
		return fmt.Errorf("verify receipt for %q: %w: %v", r.ObjectId, ErrBadProof, err)
	}
	if !sign.Verify(hubPub, treeHead(r.HubKeyId, r.TreeSize, root), r.Signature) {
		return fmt.Errorf("verify receipt for %q: %w: not valid for the tree head recomputed from the receipt (leaf %d of %d)", r.ObjectId, ErrBadSignature, r.LeafIndex, r.TreeSize)
	}
	return nil
}
