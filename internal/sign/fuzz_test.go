package sign

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"reflect"
	"testing"
)

func FuzzCanonicalize(f *testing.F) {
	for _, tc := range canonicalVectors {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte(readIndicator(f)))
	f.Add([]byte(withSignatureExtension(f, readIndicator(f), `{"s":"x"}`)))
	f.Add([]byte(`{"extensions":{"a":1,"` + SignatureExtensionID + `":{},"z":[]}}`))
	f.Add([]byte(`{"a":"\ud83d\ude00","b":[1e21,-0,0.000001]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Canonicalize(in)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("output is not valid JSON: %q", out)
		}
		again, err := Canonicalize(out)
		if err != nil {
			t.Fatalf("Canonicalize(output): %v\noutput: %q", err, out)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n once %q\ntwice %q", out, again)
		}
		// The output means what the input meant, minus the extension.
		var want, got map[string]any
		if err := json.Unmarshal(in, &want); err != nil {
			t.Fatalf("input accepted by Canonicalize but not by encoding/json: %v", err)
		}
		if ext, ok := want["extensions"].(map[string]any); ok {
			if _, ok := ext[SignatureExtensionID]; ok {
				delete(ext, SignatureExtensionID)
				if len(ext) == 0 {
					delete(want, "extensions")
				}
			}
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("output differs in meaning from input\n in %q\nout %q", in, out)
		}
	})
}

func FuzzParsePublicKey(f *testing.F) {
	s := NewEd25519Signer(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	f.Add([]byte(s.PublicKey()))
	f.Add([]byte("O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik="))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAO2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		pub, err := ParsePublicKey(in)
		if err != nil {
			return
		}
		if len(pub) != ed25519.PublicKeySize {
			t.Fatalf("accepted a %d-byte key", len(pub))
		}
	})
}
