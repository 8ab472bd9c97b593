package sign

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"testing"
)

// RFC 8032 section 7.1, TEST 1: the empty message.
const (
	rfc8032Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
	rfc8032Pub  = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
	rfc8032Sig  = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func rfc8032Signer(tb testing.TB) *Ed25519Signer {
	tb.Helper()
	return NewEd25519Signer(ed25519.NewKeyFromSeed(mustHex(tb, rfc8032Seed)))
}

func TestKeyIDIsStable(t *testing.T) {
	// The id is part of the wire protocol (SignedObject.key_id): it must never
	// change for a given key.
	pub := ed25519.PublicKey(mustHex(t, rfc8032Pub))
	const want = "21fe31dfa154a261626bf854046fd227"
	if got := KeyID(pub); got != want {
		t.Errorf("KeyID = %s, want %s", got, want)
	}
	if got := rfc8032Signer(t).KeyID(); got != want {
		t.Errorf("signer KeyID = %s, want %s", got, want)
	}
	other, err := GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	if KeyID(other.PublicKey()) == want {
		t.Error("different keys have the same id")
	}
	if other.KeyID() != KeyID(other.PublicKey()) {
		t.Error("signer KeyID differs from KeyID of its public key")
	}
}

func TestSignMatchesRFC8032(t *testing.T) {
	s := rfc8032Signer(t)
	if !bytes.Equal(s.PublicKey(), mustHex(t, rfc8032Pub)) {
		t.Fatalf("public key = %x", s.PublicKey())
	}
	sig, err := s.Sign(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(sig) != rfc8032Sig {
		t.Errorf("signature = %x, want %s", sig, rfc8032Sig)
	}
	if !Verify(mustHex(t, rfc8032Pub), nil, mustHex(t, rfc8032Sig)) {
		t.Error("Verify rejects the RFC 8032 test vector")
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	s, err := GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := Canonicalize([]byte(readIndicator(t)))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.Sign(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	if !Verify(s.PublicKey(), msg, sig) {
		t.Fatal("Verify rejects a fresh signature")
	}
	// The signature survives the hub embedding it in the object.
	served := withSignatureExtension(t, readIndicator(t), `{"extension_type":"property-extension","signature":"`+hex.EncodeToString(sig)+`"}`)
	canon, err := Canonicalize([]byte(served))
	if err != nil {
		t.Fatal(err)
	}
	if !Verify(s.PublicKey(), canon, sig) {
		t.Error("Verify rejects the signature once the extension is embedded")
	}
}

func TestVerifyRejects(t *testing.T) {
	s, err := GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	other, err := GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte(`{"id":"indicator--1","type":"indicator"}`)
	sig, err := s.Sign(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		return c
	}
	tests := []struct {
		name     string
		pub      ed25519.PublicKey
		msg, sig []byte
	}{
		{"rejects a message with one byte changed", s.PublicKey(), flip(msg, 7), sig},
		{"rejects a message with a byte appended", s.PublicKey(), append(bytes.Clone(msg), ' '), sig},
		{"rejects a signature with its first byte changed", s.PublicKey(), msg, flip(sig, 0)},
		{"rejects a signature with its last byte changed", s.PublicKey(), msg, flip(sig, 63)},
		{"rejects another key", other.PublicKey(), msg, sig},
		{"rejects a short signature without panicking", s.PublicKey(), msg, sig[:63]},
		{"rejects a long signature without panicking", s.PublicKey(), msg, append(bytes.Clone(sig), 0)},
		{"rejects a nil signature", s.PublicKey(), msg, nil},
		{"rejects a short key without panicking", s.PublicKey()[:31], msg, sig},
		{"rejects a nil key without panicking", nil, msg, sig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if Verify(tc.pub, tc.msg, tc.sig) {
				t.Error("Verify = true, want false")
			}
		})
	}
	t.Run("rejects each single-byte change of the signature", func(t *testing.T) {
		for i := range sig {
			if Verify(s.PublicKey(), msg, flip(sig, i)) {
				t.Fatalf("byte %d changed: Verify = true", i)
			}
		}
	})
}

func TestSignerRefusesInvalidKeys(t *testing.T) {
	good := rfc8032Signer(t).PrivateKey()
	badHalf := bytes.Clone(good)
	badHalf[63] ^= 1
	tests := []struct {
		name   string
		signer *Ed25519Signer
	}{
		{"refuses a short key", NewEd25519Signer(good[:63])},
		{"refuses a nil key", NewEd25519Signer(nil)},
		{"refuses a key whose public half does not match its seed", NewEd25519Signer(badHalf)},
		{"refuses the zero value", &Ed25519Signer{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.signer.Sign(context.Background(), []byte("m")); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Sign error = %v, want ErrInvalidKey", err)
			}
			if tc.signer.PublicKey() != nil || tc.signer.KeyID() != "" {
				t.Errorf("PublicKey = %x, KeyID = %q; want empty", tc.signer.PublicKey(), tc.signer.KeyID())
			}
		})
	}
}

func TestSignerRespectsCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := rfc8032Signer(t).Sign(ctx, []byte("m")); !errors.Is(err, context.Canceled) {
		t.Errorf("Sign error = %v, want context.Canceled", err)
	}
}

func TestSignerCopiesKeys(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(mustHex(t, rfc8032Seed))
	s := NewEd25519Signer(priv)
	priv[0] ^= 1
	s.PublicKey()[0] ^= 1
	s.PrivateKey()[0] ^= 1
	sig, err := s.Sign(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(sig) != rfc8032Sig {
		t.Error("changing the caller's copy of a key changed the signer")
	}
}

func BenchmarkCanonicalize(b *testing.B) {
	ind := readIndicator(b)
	for _, bc := range []struct{ name, obj string }{
		{"indicator", ind},
		{"indicator-with-signature-extension", withSignatureExtension(b, ind, `{"extension_type":"property-extension","key_id":"21fe31dfa154a261626bf854046fd227","signature":"5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc+bRr0lv18Flbviy8UUFDjnoQCw=="}`)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			obj := []byte(bc.obj)
			b.SetBytes(int64(len(obj)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Canonicalize(obj); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// A real report: 155 objects of all kinds, pretty-printed, per op.
	b.Run("oasis-poisonivy-155-objects", func(b *testing.B) {
		objs := readBundle(b, "testdata/oasis/poisonivy.json")
		var size int64
		for _, obj := range objs {
			size += int64(len(obj))
		}
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			for _, obj := range objs {
				if _, err := Canonicalize(obj); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func BenchmarkSign(b *testing.B) {
	s := rfc8032Signer(b)
	msg, err := Canonicalize([]byte(readIndicator(b)))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sign(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	s := rfc8032Signer(b)
	msg, err := Canonicalize([]byte(readIndicator(b)))
	if err != nil {
		b.Fatal(err)
	}
	sig, err := s.Sign(context.Background(), msg)
	if err != nil {
		b.Fatal(err)
	}
	pub := s.PublicKey()
	b.ReportAllocs()
	for b.Loop() {
		if !Verify(pub, msg, sig) {
			b.Fatal("Verify = false")
		}
	}
}
