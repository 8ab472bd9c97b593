package receipt

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"google.golang.org/protobuf/proto"

	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// hubSigner returns a fixed hub key (the RFC 8032 TEST 1 key), so that
// golden values stay stable.
func hubSigner(tb testing.TB) *sign.Ed25519Signer {
	tb.Helper()
	seed, err := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	if err != nil {
		tb.Fatal(err)
	}
	return sign.NewEd25519Signer(ed25519.NewKeyFromSeed(seed))
}

func otherSigner(tb testing.TB) *sign.Ed25519Signer {
	tb.Helper()
	s, err := sign.GenerateEd25519()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// testLeaves returns n distinct leaves.
func testLeaves(n int) []Leaf {
	base := time.Date(2026, 3, 2, 9, 14, 27, 0, time.UTC)
	leaves := make([]Leaf, n)
	for i := range leaves {
		leaves[i] = Leaf{
			ObjectID:     fmt.Sprintf("indicator--%08d-17d4-4cbf-938f-98ee46b3cd3f", i),
			Modified:     "2026-03-02T09:14:27.000Z",
			Cursor:       uint64(1000 + i),
			AcceptedAt:   base.Add(time.Duration(i) * 1234567 * time.Nanosecond),
			MemberID:     "member-bank-a",
			KeyID:        "21fe31dfa154a261626bf854046fd227",
			ObjectSHA256: sha256.Sum256([]byte(fmt.Sprint("object ", i))),
		}
	}
	return leaves
}

func issue(tb testing.TB, s Signer, leaves []Leaf) []*stixhubv1.Receipt {
	tb.Helper()
	rs, err := Issue(context.Background(), s, leaves)
	if err != nil {
		tb.Fatalf("Issue: %v", err)
	}
	if len(rs) != len(leaves) {
		tb.Fatalf("Issue returned %d receipts for %d leaves", len(rs), len(leaves))
	}
	return rs
}

func sameLeaf(a, b Leaf) bool {
	return a.ObjectID == b.ObjectID && a.Modified == b.Modified && a.Cursor == b.Cursor &&
		a.AcceptedAt.Equal(b.AcceptedAt) && a.MemberID == b.MemberID && a.KeyID == b.KeyID &&
		a.ObjectSHA256 == b.ObjectSHA256
}

// libraryRoot computes the root of the leaves with the merkle library's
// compact ranges, independently of this package's tree.
func libraryRoot(tb testing.TB, leaves []Leaf) []byte {
	tb.Helper()
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	rng := rf.NewEmptyRange(0)
	for i := range leaves {
		h := sha256.Sum256(appendLeafHashInput(nil, &leaves[i]))
		if err := rng.Append(h[:], nil); err != nil {
			tb.Fatal(err)
		}
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return root
}

func TestEveryReceiptOfEveryTreeSizeVerifies(t *testing.T) {
	s := hubSigner(t)
	for n := 1; n <= 70; n++ {
		t.Run(fmt.Sprint("size ", n), func(t *testing.T) {
			leaves := testLeaves(n)
			rs := issue(t, s, leaves)
			root := libraryRoot(t, leaves)
			for i, r := range rs {
				if err := Verify(r, s.PublicKey()); err != nil {
					t.Fatalf("receipt %d: %v", i, err)
				}
				if r.LeafIndex != uint64(i) || r.TreeSize != uint64(n) {
					t.Fatalf("receipt %d: leaf %d of %d", i, r.LeafIndex, r.TreeSize)
				}
				// The proof is the library's proof against the library's root.
				leafHash := rfc6962.DefaultHasher.HashLeaf(appendLeafHashInput(nil, &leaves[i])[1:])
				if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), uint64(n), leafHash, r.Proof, root); err != nil {
					t.Fatalf("receipt %d: library rejects the proof: %v", i, err)
				}
				got, err := LeafFromReceipt(r)
				if err != nil {
					t.Fatalf("LeafFromReceipt %d: %v", i, err)
				}
				if !sameLeaf(got, leaves[i]) {
					t.Fatalf("LeafFromReceipt %d = %+v, want %+v", i, got, leaves[i])
				}
			}
		})
	}
}

// TestEncodingMatchesPackageDoc pins the encodings to golden values computed
// independently from the package documentation (with Python's hashlib), so a
// change to the wire format cannot go unnoticed.
func TestEncodingMatchesPackageDoc(t *testing.T) {
	l := Leaf{
		ObjectID:     "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		Modified:     "2026-03-02T09:14:27Z",
		Cursor:       42,
		AcceptedAt:   time.Date(2026, 3, 2, 10, 14, 27, 500000000, time.FixedZone("CET", 3600)),
		MemberID:     "bank-a",
		KeyID:        "21fe31dfa154a261626bf854046fd227",
		ObjectSHA256: sha256.Sum256([]byte("{}")),
	}
	const wantLeafBytes = "stixhub-receipt-v1\n" +
		"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\n" +
		"2026-03-02T09:14:27Z\n" +
		"42\n" +
		"2026-03-02T09:14:27.5Z\n" +
		"bank-a\n" +
		"21fe31dfa154a261626bf854046fd227\n" +
		"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
	if got := string(appendLeafHashInput(nil, &l)[1:]); got != wantLeafBytes {
		t.Fatalf("leaf bytes:\n%q\nwant\n%q", got, wantLeafBytes)
	}
	l2 := l
	l2.Cursor = 43
	l2.Modified = ""
	l2.AcceptedAt = time.Date(2026, 3, 2, 9, 14, 28, 1, time.UTC)
	l3 := l
	l3.Cursor = 44
	l3.AcceptedAt = time.Date(2026, 3, 2, 9, 14, 29, 0, time.UTC)
	s := hubSigner(t)
	rs := issue(t, s, []Leaf{l, l2, l3})
	root, err := proof.RootFromInclusionProof(rfc6962.DefaultHasher, 0, 3,
		rfc6962.DefaultHasher.HashLeaf([]byte(wantLeafBytes)), rs[0].Proof)
	if err != nil {
		t.Fatal(err)
	}
	// SHA-256(0x01 || SHA-256(0x01 || h0 || h1) || h2) over the three leaves.
	const goldenRoot = "9a8f529e5a3b580da9f2406e9b527905cd6b855dd3e0369d215451cb652783a6"
	gotHead := string(treeHead(rs[0].HubKeyId, 3, root))
	wantHead := "stixhub-tree-v1\n21fe31dfa154a261626bf854046fd227\n3\n" + goldenRoot
	if gotHead != wantHead {
		t.Fatalf("tree head:\n%q\nwant\n%q", gotHead, wantHead)
	}
	if !sign.Verify(s.PublicKey(), []byte(wantHead), rs[0].Signature) {
		t.Error("signature is not over the documented tree head")
	}
}

func TestAcceptedAtRoundTripsExactly(t *testing.T) {
	s := hubSigner(t)
	times := []time.Time{
		time.Date(2026, 3, 2, 9, 14, 27, 123456789, time.UTC),
		time.Date(2026, 3, 2, 9, 14, 27, 1, time.FixedZone("X", -7*3600)),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Now(), // with a monotonic clock reading
	}
	leaves := testLeaves(len(times))
	for i := range leaves {
		leaves[i].AcceptedAt = times[i]
	}
	for i, r := range issue(t, s, leaves) {
		// Through the wire format and back.
		data, err := proto.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back stixhubv1.Receipt
		if err := proto.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if err := Verify(&back, s.PublicKey()); err != nil {
			t.Fatalf("receipt %d after proto round trip: %v", i, err)
		}
		l, err := LeafFromReceipt(&back)
		if err != nil {
			t.Fatal(err)
		}
		if !l.AcceptedAt.Equal(times[i]) || l.AcceptedAt.Location() != time.UTC {
			t.Errorf("AcceptedAt = %v, want %v in UTC", l.AcceptedAt, times[i])
		}
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	s := hubSigner(t)
	const n, idx = 7, 2 // leaf 2 of 7: its proof has 3 hashes
	flip := func(b []byte) []byte {
		c := bytes.Clone(b)
		c[len(c)/2] ^= 0x01
		return c
	}
	tests := []struct {
		name   string
		tamper func(r *stixhubv1.Receipt)
		want   error
	}{
		{"detects a changed object id", func(r *stixhubv1.Receipt) { r.ObjectId += "x" }, ErrBadSignature},
		{"detects a changed modified time", func(r *stixhubv1.Receipt) { r.Modified = "2026-03-02T09:14:28.000Z" }, ErrBadSignature},
		{"detects a removed modified time", func(r *stixhubv1.Receipt) { r.Modified = "" }, ErrBadSignature},
		{"detects a changed cursor", func(r *stixhubv1.Receipt) { r.Cursor++ }, ErrBadSignature},
		{"detects an accepted_at one nanosecond later", func(r *stixhubv1.Receipt) { r.AcceptedAt.Nanos++ }, ErrBadSignature},
		{"detects an accepted_at one second earlier", func(r *stixhubv1.Receipt) { r.AcceptedAt.Seconds-- }, ErrBadSignature},
		{"detects a changed member", func(r *stixhubv1.Receipt) { r.MemberId = "member-bank-b" }, ErrBadSignature},
		{"detects a changed member key", func(r *stixhubv1.Receipt) { r.KeyId = "00000000000000000000000000000000" }, ErrBadSignature},
		{"detects a changed object digest", func(r *stixhubv1.Receipt) { r.ObjectSha256 = flip(r.ObjectSha256) }, ErrBadSignature},
		{"detects a changed first proof hash", func(r *stixhubv1.Receipt) { r.Proof[0] = flip(r.Proof[0]) }, ErrBadSignature},
		{"detects a changed last proof hash", func(r *stixhubv1.Receipt) { r.Proof[2] = flip(r.Proof[2]) }, ErrBadSignature},
		{"detects swapped proof hashes", func(r *stixhubv1.Receipt) { r.Proof[0], r.Proof[1] = r.Proof[1], r.Proof[0] }, ErrBadSignature},
		{"detects a proof hash removed", func(r *stixhubv1.Receipt) { r.Proof = r.Proof[:2] }, ErrBadProof},
		{"detects a proof hash added", func(r *stixhubv1.Receipt) { r.Proof = append(r.Proof, r.Proof[0]) }, ErrBadProof},
		{"detects a short proof hash", func(r *stixhubv1.Receipt) { r.Proof[1] = r.Proof[1][:31] }, ErrBadProof},
		{"detects a tree size with the same proof shape", func(r *stixhubv1.Receipt) { r.TreeSize = 8 }, ErrBadSignature},
		{"detects a tree size with another proof shape", func(r *stixhubv1.Receipt) { r.TreeSize = 3 }, ErrBadProof},
		{"detects a zero tree size", func(r *stixhubv1.Receipt) { r.TreeSize = 0 }, ErrMalformed},
		{"detects another leaf index", func(r *stixhubv1.Receipt) { r.LeafIndex = 3 }, ErrBadSignature},
		{"detects a leaf index beyond the tree", func(r *stixhubv1.Receipt) { r.LeafIndex = n }, ErrMalformed},
		{"detects a changed signature", func(r *stixhubv1.Receipt) { r.Signature = flip(r.Signature) }, ErrBadSignature},
		{"detects a truncated signature", func(r *stixhubv1.Receipt) { r.Signature = r.Signature[:63] }, ErrMalformed},
		{"detects a missing signature", func(r *stixhubv1.Receipt) { r.Signature = nil }, ErrMalformed},
		{"detects a changed hub key id", func(r *stixhubv1.Receipt) { r.HubKeyId = "00" + r.HubKeyId[2:] }, ErrKeyMismatch},
		{"detects a missing hub key id", func(r *stixhubv1.Receipt) { r.HubKeyId = "" }, ErrKeyMismatch},
		{"detects a short object digest", func(r *stixhubv1.Receipt) { r.ObjectSha256 = r.ObjectSha256[:31] }, ErrMalformed},
		{"detects a missing accepted_at", func(r *stixhubv1.Receipt) { r.AcceptedAt = nil }, ErrMalformed},
		{"detects an invalid accepted_at", func(r *stixhubv1.Receipt) { r.AcceptedAt.Nanos = -1 }, ErrMalformed},
		{"detects a newline in a field", func(r *stixhubv1.Receipt) { r.MemberId = "a\nb" }, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := issue(t, s, testLeaves(n))[idx]
			if err := Verify(r, s.PublicKey()); err != nil {
				t.Fatalf("untampered receipt: %v", err)
			}
			tc.tamper(r)
			err := Verify(r, s.PublicKey())
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("reports a nil receipt as malformed", func(t *testing.T) {
		if err := Verify(nil, s.PublicKey()); !errors.Is(err, ErrMalformed) {
			t.Fatalf("Verify(nil) = %v", err)
		}
	})
}

func TestReceiptsDoNotVerifyWithAnotherKey(t *testing.T) {
	s, other := hubSigner(t), otherSigner(t)
	rs := issue(t, s, testLeaves(5))
	for i, r := range rs {
		if err := Verify(r, other.PublicKey()); !errors.Is(err, ErrKeyMismatch) {
			t.Errorf("receipt %d with another key: %v, want ErrKeyMismatch", i, err)
		}
		// Relabelled for the other key, the signature no longer fits.
		r2 := proto.Clone(r).(*stixhubv1.Receipt)
		r2.HubKeyId = other.KeyID()
		if err := Verify(r2, other.PublicKey()); !errors.Is(err, ErrBadSignature) {
			t.Errorf("relabelled receipt %d: %v, want ErrBadSignature", i, err)
		}
	}
	if err := Verify(rs[0], s.PublicKey()[:31]); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("short hub key: %v, want ErrKeyMismatch", err)
	}
}

func TestReceiptsOfOneBatchDoNotMixWithAnother(t *testing.T) {
	s := hubSigner(t)
	a := issue(t, s, testLeaves(4))
	leaves := testLeaves(4)
	leaves[3].Cursor = 99
	b := issue(t, s, leaves)
	r := proto.Clone(a[0]).(*stixhubv1.Receipt)
	r.Signature = b[0].Signature
	if err := Verify(r, s.PublicKey()); !errors.Is(err, ErrBadSignature) {
		t.Errorf("signature of another batch: %v, want ErrBadSignature", err)
	}
}

type failingSigner struct{ id string }

func (f failingSigner) KeyID() string { return f.id }
func (f failingSigner) Sign(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("vault unavailable")
}

type shortSigner struct{}

func (shortSigner) KeyID() string                                { return "ab" }
func (shortSigner) Sign(context.Context, []byte) ([]byte, error) { return []byte{1}, nil }

func TestIssueRejects(t *testing.T) {
	s := hubSigner(t)
	withLeaf := func(f func(*Leaf)) []Leaf {
		ls := testLeaves(3)
		f(&ls[1])
		return ls
	}
	tests := []struct {
		name   string
		signer Signer
		leaves []Leaf
		want   error
	}{
		{"rejects no leaves", s, nil, ErrMalformed},
		{"rejects an empty leaf slice", s, []Leaf{}, ErrMalformed},
		{"rejects a newline in the object id", s, withLeaf(func(l *Leaf) { l.ObjectID = "a\nb" }), ErrMalformed},
		{"rejects a newline in modified", s, withLeaf(func(l *Leaf) { l.Modified = "\n" }), ErrMalformed},
		{"rejects a newline in the member id", s, withLeaf(func(l *Leaf) { l.MemberID = "m\n" }), ErrMalformed},
		{"rejects a newline in the key id", s, withLeaf(func(l *Leaf) { l.KeyID = "\nk" }), ErrMalformed},
		{"rejects a zero accepted_at", s, withLeaf(func(l *Leaf) { l.AcceptedAt = time.Time{} }), ErrMalformed},
		{"rejects an accepted_at beyond year 9999", s, withLeaf(func(l *Leaf) { l.AcceptedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }), ErrMalformed},
		{"rejects a signer without key id", failingSigner{""}, testLeaves(1), ErrMalformed},
		{"rejects a key id with a newline", failingSigner{"a\nb"}, testLeaves(1), ErrMalformed},
		{"rejects a signature that is not Ed25519-sized", shortSigner{}, testLeaves(1), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Issue(context.Background(), tc.signer, tc.leaves)
			if err == nil {
				t.Fatalf("Issue = %d receipts, want an error", len(rs))
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Issue error = %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("passes on the signer's error", func(t *testing.T) {
		_, err := Issue(context.Background(), failingSigner{"ab"}, testLeaves(2))
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("vault unavailable")) {
			t.Fatalf("Issue error = %v", err)
		}
	})
	t.Run("stops on a canceled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := Issue(ctx, s, testLeaves(2)); !errors.Is(err, context.Canceled) {
			t.Fatalf("Issue error = %v, want context.Canceled", err)
		}
	})
}

func TestReceiptsShareNoMemory(t *testing.T) {
	s := hubSigner(t)
	rs := issue(t, s, testLeaves(8))
	rs[0].Signature[0] ^= 1
	rs[0].Proof[0][0] ^= 1
	rs[0].ObjectSha256[0] ^= 1
	rs[0].Proof = append(rs[0].Proof, make([]byte, 32))
	rs[0].ObjectSha256 = append(rs[0].ObjectSha256, 1)
	for i, r := range rs[1:] {
		if err := Verify(r, s.PublicKey()); err != nil {
			t.Fatalf("receipt %d after changing receipt 0: %v", i+1, err)
		}
	}
}

func BenchmarkIssue(b *testing.B) {
	s := hubSigner(b)
	ctx := context.Background()
	for _, n := range []int{1, 64, 512} {
		b.Run(fmt.Sprint("leaves=", n), func(b *testing.B) {
			leaves := testLeaves(n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Issue(ctx, s, leaves); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/leaf")
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	s := hubSigner(b)
	rs, err := Issue(context.Background(), s, testLeaves(512))
	if err != nil {
		b.Fatal(err)
	}
	r, pub := rs[300], s.PublicKey()
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(r, pub); err != nil {
			b.Fatal(err)
		}
	}
}
