package sign

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

// addCanonicalizeSeeds adds the seed inputs of the Canonicalize fuzz tests.
func addCanonicalizeSeeds(f *testing.F) {
	for _, tc := range canonicalVectors {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte(readIndicator(f)))
	f.Add([]byte(withSignatureExtension(f, readIndicator(f), `{"s":"x"}`)))
	f.Add([]byte(`{"extensions":{"a":1,"` + SignatureExtensionID + `":{},"z":[]}}`))
	f.Add([]byte(`{"ext\u0065nsions":{"extension-definition\u002d-0baa6a1a-6aff-4cfc-afff-7567a9106cae":{}},"a":[]}`))
	f.Add([]byte(`{"x":{"extensions":{"` + SignatureExtensionID + `":1}},"extensions":[{"` + SignatureExtensionID + `":2}]}`))
	f.Add([]byte(`{"a":"\ud83d\ude00","b":[1e21,-0,0.000001]}`))
	f.Add([]byte(`{"\"":1,"#":2,"\\":3,"]":4,"\u0000":5,"\ue000":6,"\ud800\udc00":7,"abcdefgh\u0000":8,"abcdefgh":9}`))
	f.Add([]byte(`{"n":[1.5e-7,123456789012345678,-0.0,1E+2,5e-324,1.7976931348623157e308,999999999999999,1e400]}`))
	var many strings.Builder
	many.WriteString("{")
	for i := range 40 {
		fmt.Fprintf(&many, `"k%d":{"b":%d,"a":[]},`, (i*7)%40, i)
	}
	f.Add([]byte(many.String() + `"z":0}`))
	f.Add([]byte(many.String() + `"k3":0}`)) // a duplicate among many
	for i, obj := range readBundle(f, "testdata/oasis/poisonivy.json") {
		if i%10 == 0 {
			f.Add([]byte(obj))
		}
	}
}

// FuzzCanonicalizeMatchesJCS checks Canonicalize against the previous
// implementation (reference_test.go): the strict checker, then
// github.com/gowebpki/jcs, then removal of the signature extension from the
// canonical text. Both must accept the same inputs and give the same bytes.
func FuzzCanonicalizeMatchesJCS(f *testing.F) {
	addCanonicalizeSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := Canonicalize(in)
		want, wantErr := referenceCanonicalize(in)
		// The publish path lets stix.ParseValidWithOptions skip its JSON
		// validation on what Canonicalize accepted.
		if err == nil && !jsonscan.Valid(jsonscan.TrimSpace(in)) {
			t.Fatalf("Canonicalize accepted %q, which jsonscan.Valid refuses", in)
		}
		switch {
		case err != nil && wantErr != nil:
			if errors.Is(err, ErrNotObject) != errors.Is(wantErr, ErrNotObject) {
				t.Fatalf("Canonicalize(%q): %v; reference: %v", in, err, wantErr)
			}
			if !errors.Is(err, ErrInvalidJSON) && !errors.Is(err, ErrNotObject) && !errors.Is(err, ErrTooComplex) {
				t.Fatalf("Canonicalize(%q): error %v wraps no sentinel", in, err)
			}
		case err != nil:
			t.Fatalf("Canonicalize(%q): %v; the reference accepts it as %q", in, err, want)
		case refValidate(in) != nil:
			t.Fatalf("Canonicalize(%q) = %q; the strict checker refuses it: %v", in, got, refValidate(in))
		case wantErr != nil:
			t.Fatalf("Canonicalize(%q) = %q; the reference refuses it: %v", in, got, wantErr)
		case !bytes.Equal(got, want):
			t.Fatalf("Canonicalize(%q):\n got %q\nwant %q", in, got, want)
		}
	})
}

func FuzzCanonicalize(f *testing.F) {
	addCanonicalizeSeeds(f)
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
