package extdef

import (
	"testing"

	"github.com/stixhub/stixhub/internal/stix"
)

func TestBuiltinDefinitionsAreValidSTIX(t *testing.T) {
	objs := Builtin()
	if len(objs) != 3 {
		t.Fatalf("Builtin() has %d objects, want identity + 2 definitions", len(objs))
	}
	for _, o := range objs {
		if _, err := stix.Parse(o); err != nil {
			t.Errorf("shipped object does not validate: %v\n%s", err, o)
		}
	}
	types := NewTypes()
	if got := types.List(); len(got) != 2 || got[0] != "cryptocurrency-transaction" || got[1] != "cryptocurrency-wallet" {
		t.Errorf("shipped types = %v", got)
	}
}

func TestTypesMakeExtensionObjectsAndPatternsValid(t *testing.T) {
	types := NewTypes()
	wallet := []byte(`{"type":"cryptocurrency-wallet","spec_version":"2.1","id":"cryptocurrency-wallet--4bd9ad6d-8e5b-4a45-9f6e-8f0f6a3a7c11",
		"value":"1BoatSLRHtKNngkdXEeobR76b53LETtpyT","currency":"BTC",
		"extensions":{"` + WalletID + `":{"extension_type":"new-sco"}}}`)
	ind := []byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--0f2b1a86-1c51-4d0e-9c8e-2f4a3e3e5d11",
		"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z",
		"pattern":"[cryptocurrency-transaction:hash = 'abc'] OR [cryptocurrency-wallet:value = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT']"}`)
	for name, obj := range map[string][]byte{"wallet": wallet, "indicator": ind} {
		if _, err := stix.Parse(obj); err == nil {
			t.Errorf("%s accepted without the extension types", name)
		}
		if _, err := stix.ParseWithOptions(obj, types.ParseOptions()); err != nil {
			t.Errorf("%s refused with the extension types: %v", name, err)
		}
	}
	// A definition a member publishes makes its type known.
	custom := []byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--0f2b1a86-1c51-4d0e-9c8e-2f4a3e3e5d12",
		"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z",
		"pattern":"[bank-account:iban = 'DE89370400440532013000']"}`)
	if _, err := stix.ParseWithOptions(custom, types.ParseOptions()); err == nil {
		t.Fatal("bank-account known before its definition")
	}
	def := []byte(`{"type":"extension-definition","spec_version":"2.1","id":"extension-definition--6e1d6c9b-1111-4c0e-8a57-3c7c1b6e2f00",
		"created_by_ref":"identity--57b9df96-2506-4d9a-9b2e-6ca6a7705bc6","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z",
		"name":"bank-account","schema":"https://example.com/bank-account","version":"1","extension_types":["new-sco"]}`)
	if typ, ok := types.Observe(def); !ok || typ != "bank-account" {
		t.Fatalf("Observe = %q %v", typ, ok)
	}
	if _, err := stix.ParseWithOptions(custom, types.ParseOptions()); err != nil {
		t.Errorf("bank-account unknown after its definition: %v", err)
	}
}

func TestDefinedType(t *testing.T) {
	for _, c := range []struct {
		name, obj string
		want      string
	}{
		{"new-sco", `{"type":"extension-definition","name":"crypto-x","extension_types":["new-sco"]}`, "crypto-x"},
		{"property extension only", `{"type":"extension-definition","name":"crypto-x","extension_types":["property-extension"]}`, ""},
		{"name is not a type name", `{"type":"extension-definition","name":"My New SDO","extension_types":["new-sdo"]}`, ""},
		{"not a definition", `{"type":"indicator","name":"crypto-x","extension_types":["new-sco"]}`, ""},
		{"not JSON", `{`, ""},
	} {
		got, ok := DefinedType([]byte(c.obj))
		if got != c.want || ok != (c.want != "") {
			t.Errorf("%s: DefinedType = %q %v, want %q", c.name, got, ok, c.want)
		}
	}
}
