package taxii_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	"github.com/stixhub/stixhub/internal/sign"
)

type status struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	TotalCount   int    `json:"total_count"`
	SuccessCount int    `json:"success_count"`
	FailureCount int    `json:"failure_count"`
	PendingCount int    `json:"pending_count"`
	Successes    []struct {
		ID, Version, Message string
	} `json:"successes"`
	Failures []struct {
		ID, Version, Message string
	} `json:"failures"`
}

func envelopeOf(t testing.TB, objs ...json.RawMessage) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"objects": objs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPostObjectsAndStatus(t *testing.T) {
	hub := hubtest.Start(t)
	bank, gov := hub.AddMember(t, "Bank A"), hub.AddMember(t, "CERT")
	c := taxiiClient(t, hub, bank.Token)
	good := indicator(t, nil)
	body := envelopeOf(t, good)

	// Not allowed until the operator says so.
	errorBody(t, c.do(http.MethodPost, coll("indicators")+"objects/", body), http.StatusForbidden)
	setUnsigned(t, hub, bank.ID, true)

	// Media types, sizes and envelopes.
	errorBody(t, c.do(http.MethodPost, coll("indicators")+"objects/", body, "Content-Type", "application/json"), http.StatusUnsupportedMediaType)
	errorBody(t, c.do(http.MethodPost, coll("indicators")+"objects/", body, "Content-Type", "application/taxii+json;version=2.0"), http.StatusUnsupportedMediaType)
	errorBody(t, c.do(http.MethodPost, coll("indicators")+"objects/", body, "Accept", "application/xml"), http.StatusNotAcceptable)
	big := append([]byte(`{"objects":[],"pad":"`), bytes.Repeat([]byte("x"), 11<<20)...)
	big = append(big, `"}`...)
	errorBody(t, c.do(http.MethodPost, coll("indicators")+"objects/", big), http.StatusRequestEntityTooLarge)
	errorBody(t, c.do(http.MethodPost, coll("indicators")+"objects/", []byte(`{"objects":[`)), http.StatusBadRequest)
	errorBody(t, c.do(http.MethodPost, coll("indicators")+"objects/", []byte(`{"objects":[]}`)), http.StatusUnprocessableEntity)
	errorBody(t, c.do(http.MethodPost, coll("indicators")+"objects/", []byte(`{"more":false}`)), http.StatusUnprocessableEntity)
	errorBody(t, c.do(http.MethodPost, coll("indicators")+"objects/", []byte(`{"objects":{"a":1}}`)), http.StatusUnprocessableEntity)
	errorBody(t, c.do(http.MethodPost, coll("nope")+"objects/", body), http.StatusNotFound)

	// A good object, a bad one, one of another family, and the good one
	// again: per-object outcomes in the status.
	bad := indicator(t, func(o map[string]any) { o["pattern"] = "[ipv4-addr:value = ]" })
	mw := malware(t)
	r := c.do(http.MethodPost, coll("indicators")+"objects/", envelopeOf(t, good, bad, mw))
	if r.status != http.StatusAccepted || r.header.Get("Content-Type") != mediaType {
		t.Fatalf("post: %d %s", r.status, r.body)
	}
	var st status
	r.json(t, &st)
	if st.Status != "complete" || st.TotalCount != 3 || st.SuccessCount != 1 || st.FailureCount != 2 || st.PendingCount != 0 ||
		st.Successes[0].ID != heads(t, []json.RawMessage{good})[0].ID || st.Successes[0].Version != "2024-03-01T10:00:00Z" {
		t.Fatalf("status %s", r.body)
	}
	if !strings.Contains(st.Failures[0].Message, "pattern") || !strings.Contains(st.Failures[1].Message, "does not belong to collection indicators") {
		t.Fatalf("failure messages %+v", st.Failures)
	}
	// The status resource is kept, for the member that posted only.
	var again status
	c.mustGet("/stixhub/status/"+st.ID+"/", &again)
	if again.ID != st.ID || again.SuccessCount != 1 || again.FailureCount != 2 {
		t.Fatalf("status read back %+v", again)
	}
	errorBody(t, c.as(gov.Token).get("/stixhub/status/"+st.ID+"/"), http.StatusNotFound)

	// Posting the same version again is a success (duplicate).
	r = c.do(http.MethodPost, coll("all")+"objects/", envelopeOf(t, good))
	r.json(t, &st)
	if st.SuccessCount != 1 || !strings.Contains(st.Successes[0].Message, "duplicate") {
		t.Fatalf("repost: %s", r.body)
	}
	// Another member cannot write a version of an object it does not own,
	// whatever it is allowed.
	setUnsigned(t, hub, gov.ID, true)
	var gid string
	_ = json.Unmarshal(good, &struct {
		ID *string `json:"id"`
	}{&gid})
	stolen := indicator(t, func(o map[string]any) { o["id"] = gid; o["modified"] = "2024-06-01T00:00:00.000Z" })
	r = c.as(gov.Token).do(http.MethodPost, coll("all")+"objects/", envelopeOf(t, stolen))
	r.json(t, &st)
	if st.FailureCount != 1 || !strings.Contains(st.Failures[0].Message, "another member") {
		t.Fatalf("post of another member's object: %s", r.body)
	}

	// The posted object is readable at once, hub-attested: its extension
	// names the member and carries the receipt but no member signature,
	// and it verifies offline with the key set.
	var env envelope
	c.as(gov.Token).mustGet(coll("indicators")+"objects/"+gid+"/", &env)
	if len(env.Objects) != 1 {
		t.Fatalf("posted object not served: %s", env.Objects)
	}
	d, err := client.DeliveryFromTAXII(env.Objects[0])
	if err != nil {
		t.Fatal(err)
	}
	if !client.HubAttested(d) || d.GetMemberId() != bank.ID {
		t.Fatalf("delivery %v", d)
	}
	v := client.NewVerifier(hub.KeySet(t))
	if err := v.Verify(d); err != nil {
		t.Fatalf("verify hub-attested object: %v", err)
	}
	// Changing the object breaks the receipt.
	tampered := bytes.Replace(env.Objects[0], []byte("Lazarus"), []byte("Lazaruz"), 1)
	d, _ = client.DeliveryFromTAXII(tampered)
	if err := v.Verify(d); !errors.Is(err, client.ErrBadReceipt) {
		t.Fatalf("tampered hub-attested object: %v", err)
	}
}

func TestSignedObjectsKeepTheirSignatureOverTAXII(t *testing.T) {
	hub := hubtest.Start(t)
	bank := hub.AddMember(t, "Bank A")
	gc := hub.Client(t, bank)
	// An indicator with an extension of its own, and one without.
	withExt := indicator(t, func(o map[string]any) {
		o["extensions"] = map[string]any{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": map[string]any{"extension_type": "property-extension", "rank": 5}}
	})
	plain := indicator(t, nil)
	cs := publish(t, gc, withExt, plain)
	waitIndexed(t, hub, cs[1])

	c := taxiiClient(t, hub, bank.Token)
	var env envelope
	c.mustGet(coll("indicators")+"objects/", &env)
	if len(env.Objects) != 2 {
		t.Fatalf("%d objects", len(env.Objects))
	}
	v := client.NewVerifier(hub.KeySet(t))
	for i, o := range env.Objects {
		var ext struct {
			Extensions map[string]map[string]any `json:"extensions"`
		}
		if err := json.Unmarshal(o, &ext); err != nil {
			t.Fatal(err)
		}
		sig := ext.Extensions[sign.SignatureExtensionID]
		if sig["extension_type"] != "property-extension" || sig["key_id"] != bank.Signer.KeyID() || sig["member_id"] != bank.ID || sig["signature"] == "" {
			t.Fatalf("object %d signature extension %v", i, sig)
		}
		d, err := client.DeliveryFromTAXII(o)
		if err != nil {
			t.Fatal(err)
		}
		if client.HubAttested(d) || d.GetCursor() != cs[i] {
			t.Fatalf("object %d: cursor %d, attested %v", i, d.GetCursor(), client.HubAttested(d))
		}
		if err := v.Verify(d); err != nil {
			t.Fatalf("object %d does not verify: %v", i, err)
		}
		bad := bytes.Replace(o, []byte("198.51.100.7"), []byte("198.51.100.8"), 1)
		d, _ = client.DeliveryFromTAXII(bad)
		if err := v.Verify(d); !errors.Is(err, client.ErrBadSignature) {
			t.Fatalf("changed object %d: %v", i, err)
		}
	}
	// The first kept its own extension next to the hub's.
	var first struct {
		Extensions map[string]json.RawMessage `json:"extensions"`
	}
	_ = json.Unmarshal(env.Objects[0], &first)
	if len(first.Extensions) != 2 {
		t.Fatalf("extensions %v", first.Extensions)
	}

	// A served object posted back over TAXII by its owner is verified as
	// signed (with the key in its extension) and is a duplicate.
	setUnsigned(t, hub, bank.ID, true)
	var st status
	c.do(http.MethodPost, coll("indicators")+"objects/", envelopeOf(t, env.Objects[1])).json(t, &st)
	if st.SuccessCount != 1 || !strings.Contains(st.Successes[0].Message, "duplicate") {
		t.Fatalf("repost of a served object: %+v", st)
	}
	// With a broken signature it is refused, not stored unsigned.
	broken := bytes.Replace(env.Objects[1], []byte("Lazarus wallet"), []byte("Lazarus wallets"), 1)
	c.do(http.MethodPost, coll("indicators")+"objects/", envelopeOf(t, broken)).json(t, &st)
	if st.FailureCount != 1 || !strings.Contains(st.Failures[0].Message, "signature") {
		t.Fatalf("post with a broken signature: %+v", st)
	}
}
