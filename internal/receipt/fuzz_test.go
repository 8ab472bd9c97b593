package receipt

import (
	"bytes"
	"context"
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// FuzzVerify feeds Verify receipts with arbitrary fields. It must never
// panic, and it must never accept a receipt that differs from the ones the
// hub issued.
func FuzzVerify(f *testing.F) {
	s := hubSigner(f)
	leaves := testLeaves(11)
	rs, err := Issue(context.Background(), s, leaves)
	if err != nil {
		f.Fatal(err)
	}
	for _, i := range []int{0, 5, 10} {
		r := rs[i]
		f.Add(r.HubKeyId, r.ObjectId, r.Modified, r.Cursor, r.AcceptedAt.Seconds, r.AcceptedAt.Nanos, true,
			r.MemberId, r.KeyId, r.ObjectSha256, r.TreeSize, r.LeafIndex, bytes.Join(r.Proof, nil), uint8(32), r.Signature)
	}
	f.Add("", "", "", uint64(0), int64(0), int32(0), false, "", "", []byte(nil), uint64(0), uint64(0), []byte(nil), uint8(0), []byte(nil))
	f.Add(rs[0].HubKeyId, "a\nb", "", uint64(1<<63), int64(-1<<62), int32(-1), true, "", "", make([]byte, 32), ^uint64(0), ^uint64(0)-1, make([]byte, 64*32), uint8(32), make([]byte, 64))

	pub := s.PublicKey()
	f.Fuzz(func(t *testing.T, hubKeyID, objectID, modified string, cursor uint64, seconds int64, nanos int32, hasTime bool,
		memberID, keyID string, digest []byte, treeSize, leafIndex uint64, proofBytes []byte, chunk uint8, sig []byte) {
		r := &stixhubv1.Receipt{
			HubKeyId:     hubKeyID,
			ObjectId:     objectID,
			Modified:     modified,
			Cursor:       cursor,
			MemberId:     memberID,
			KeyId:        keyID,
			ObjectSha256: digest,
			TreeSize:     treeSize,
			LeafIndex:    leafIndex,
			Signature:    sig,
		}
		if hasTime {
			r.AcceptedAt = &timestamppb.Timestamp{Seconds: seconds, Nanos: nanos}
		}
		// Cut the proof bytes into hashes of the fuzzed size (0 means one
		// hash of everything).
		for c := int(chunk); len(proofBytes) > 0; {
			n := len(proofBytes)
			if c > 0 && c < n {
				n = c
			}
			r.Proof = append(r.Proof, proofBytes[:n])
			proofBytes = proofBytes[n:]
		}
		if err := Verify(r, pub); err != nil {
			return
		}
		l, err := LeafFromReceipt(r)
		if err != nil {
			t.Fatalf("Verify accepted a receipt LeafFromReceipt rejects: %v", err)
		}
		if treeSize != uint64(len(leaves)) || leafIndex >= treeSize || !sameLeaf(l, leaves[leafIndex]) {
			t.Fatalf("Verify accepted a receipt the hub never issued: %+v", r)
		}
	})
}
