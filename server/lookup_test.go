package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/extdef"
	"github.com/stixhub/stixhub/internal/hubtest"
	"github.com/stixhub/stixhub/internal/marking"
	"github.com/stixhub/stixhub/internal/pki"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// stixTime is a STIX timestamp with millisecond precision.
func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// screenIndicator builds an indicator with pattern p created by identity.
func screenIndicator(identity, id, p string, extra map[string]any) json.RawMessage {
	now := stixTime(time.Now().Add(-time.Minute))
	o := map[string]any{
		"type": "indicator", "spec_version": "2.1", "id": id, "created_by_ref": identity,
		"created": now, "modified": now, "valid_from": now,
		"pattern": p, "pattern_type": "stix", "indicator_types": []string{"malicious-activity"},
	}
	for k, v := range extra {
		o[k] = v
	}
	b, _ := json.Marshal(o)
	return b
}

func publishAll(t *testing.T, c *client.Client, objs ...json.RawMessage) []*client.PublishResult {
	t.Helper()
	rs, err := c.Publish(context.Background(), objs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
			t.Fatalf("object %d %s: %v %v", r.GetIndex(), r.GetObjectId(), r.GetOutcome(), r.GetError())
		}
	}
	return rs
}

// lookupOne returns the matches of one observable as "object-id/status".
func lookupOne(t *testing.T, c *client.Client, typ, value string, opts ...client.LookupOption) ([]*client.LookupMatch, string) {
	t.Helper()
	rs, err := c.Lookup(context.Background(), []client.Observable{{Type: typ, Value: value}}, opts...)
	if err != nil {
		t.Fatalf("lookup %s %q: %v", typ, value, err)
	}
	var s []string
	for _, m := range rs[0].GetMatches() {
		s = append(s, m.GetObjectId()+"/"+strings.ToLower(strings.TrimPrefix(m.GetStatus().String(), "MATCH_STATUS_")))
	}
	return rs[0].GetMatches(), strings.Join(s, ",")
}

func TestLookupScreensWhatMembersPublished(t *testing.T) {
	hub := hubtest.Start(t)
	bank := hub.AddMember(t, "Bank A")
	cert := hub.AddMember(t, "CERT")
	pub := hub.Client(t, bank)
	look := hub.Client(t, cert)

	ind := func(n int) string { return fmt.Sprintf("indicator--%08d-0000-4000-8000-000000000000", n) }
	sha := strings.Repeat("5e", 32)
	wallet := "cryptocurrency-wallet--" + uuid.NewString()
	od := "observed-data--" + uuid.NewString()
	now := time.Now()
	publishAll(t, pub,
		screenIndicator(bank.Identity, ind(1), "[cryptocurrency-wallet:value = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT']", map[string]any{
			"confidence": 90, "object_marking_refs": []string{marking.Amber.ID()}, "valid_until": stixTime(now.Add(24 * time.Hour)),
		}),
		screenIndicator(bank.Identity, ind(2), "[ipv4-addr:value ISSUBSET '10.0.0.0/8'] OR [ipv6-addr:value = '2001:db8::/32']", nil),
		screenIndicator(bank.Identity, ind(3), "[file:hashes.'SHA-256' = '"+sha+"' OR domain-name:value = 'Drain.Example']", nil),
		screenIndicator(bank.Identity, ind(4), "[url:value = 'https://drain.example/x'] OR [email-addr:value = 'ops@drain.example']", map[string]any{
			"valid_from": stixTime(now.Add(-48 * time.Hour)), "valid_until": stixTime(now.Add(-24 * time.Hour)),
		}),
		screenIndicator(bank.Identity, ind(5), "[cryptocurrency-transaction:hash = '0x"+strings.Repeat("ab", 32)+"']", nil),
		json.RawMessage(`{"type":"cryptocurrency-wallet","spec_version":"2.1","id":"`+wallet+`","value":"bc1qscoonly","currency":"BTC",
			"extensions":{"`+extdef.WalletID+`":{"extension_type":"new-sco"}}}`),
		json.RawMessage(`{"type":"observed-data","spec_version":"2.1","id":"`+od+`","created_by_ref":"`+bank.Identity+`",
			"created":"`+stixTime(now)+`","modified":"`+stixTime(now)+`","first_observed":"`+stixTime(now)+`","last_observed":"`+stixTime(now)+`",
			"number_observed":1,"object_refs":["`+wallet+`"]}`),
	)

	var ms []*client.LookupMatch
	hubtest.CheckFor(t, 2*time.Second, 5*time.Millisecond, func() error {
		// The index follows the stream in order: once the last object
		// published counts, all do.
		if _, got := lookupOne(t, look, "", "bc1qscoonly"); got != wallet+"/live,"+od+"/live" {
			return fmt.Errorf("last object published not indexed yet: %q", got)
		}
		var got string
		if ms, got = lookupOne(t, look, "", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"); got != ind(1)+"/live" {
			return fmt.Errorf("wallet: %q", got)
		}
		return nil
	})
	m := ms[0]
	if m.GetMemberId() != bank.ID || m.GetTlp() != "TLP:AMBER" || m.GetConfidence() != 90 || m.GetValidUntil() == nil ||
		m.GetVia() != "cryptocurrency-wallet:value =" || m.GetKeyId() != bank.Signer.KeyID() || m.GetCursor() == 0 {
		t.Errorf("match lacks provenance: %v", m)
	}
	for _, c := range []struct{ typ, value, want string }{
		{"", "10.20.30.40", ind(2) + "/live"},
		{"ip", "2001:db8:1::1", ind(2) + "/live"},
		{"ipv4-addr", "11.0.0.1", ""},
		{"sha256", strings.ToUpper(sha), ind(3) + "/live"},
		{"", "DRAIN.EXAMPLE", ind(3) + "/live"},
		{"", "https://drain.example/x", ind(4) + "/expired"},
		{"email", "OPS@drain.example", ind(4) + "/expired"},
		{"", "0x" + strings.Repeat("AB", 32), ind(5) + "/live"},
		{"", "bc1qscoonly", wallet + "/live," + od + "/live"},
		{"", "1boatslrhtknngkdxeeobr76b53lettpyt", ""}, // wallet addresses are case-sensitive
	} {
		if _, got := lookupOne(t, look, c.typ, c.value); got != c.want {
			t.Errorf("lookup %s %q = %q, want %q", c.typ, c.value, got, c.want)
		}
	}

	// The hub writes Lookup responses in wire form itself and the client
	// library decodes them into slabs (internal/lookupwire): a client with
	// gRPC's own proto codec must read exactly what the library reads.
	var batch []client.Observable
	raw := &stixhubv1.LookupRequest{IncludeRevoked: true}
	for _, v := range []string{"10.20.30.40", "2001:db8:1::1", "11.0.0.1", "DRAIN.EXAMPLE", "https://drain.example/x", "bc1qscoonly", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"} {
		batch = append(batch, client.Observable{Value: v})
		raw.Observables = append(raw.Observables, &stixhubv1.Observable{Value: v})
	}
	fromLib, err := look.Lookup(context.Background(), batch, client.WithRevoked())
	if err != nil {
		t.Fatal(err)
	}
	fromProto, err := stixhubv1.NewHubServiceClient(dialRaw(t, hub, cert.Token)).Lookup(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&stixhubv1.LookupResponse{Results: fromLib}, fromProto) {
		t.Errorf("the client library read\n%v\ngRPC's proto codec reads\n%v", fromLib, fromProto)
	}
	if n := len(fromProto.GetResults()[6].GetMatches()); n != 1 {
		t.Errorf("the batch's wallet has %d matches, want 1", n)
	}

	// Revoking the indicator (a new version with revoked: true) ends its matches.
	revoked := screenIndicator(bank.Identity, ind(1), "[cryptocurrency-wallet:value = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT']", map[string]any{
		"modified": stixTime(now), "revoked": true,
	})
	publishAll(t, pub, revoked)
	hubtest.CheckFor(t, 2*time.Second, 5*time.Millisecond, func() error {
		if _, got := lookupOne(t, look, "", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"); got != "" {
			return fmt.Errorf("revoked indicator still matches: %q", got)
		}
		return nil
	})
	if _, got := lookupOne(t, look, "", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", client.WithRevoked()); got != ind(1)+"/revoked" {
		t.Errorf("with revoked: %q", got)
	}

	// The index is derived from the stream: a restart rebuilds it.
	hub.Restart(t)
	look = hub.Client(t, cert)
	if _, got := lookupOne(t, look, "", "10.9.9.9"); got != ind(2)+"/live" {
		t.Errorf("after restart: %q", got)
	}
	if _, got := lookupOne(t, look, "", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"); got != "" {
		t.Errorf("after restart the revoked indicator matches: %q", got)
	}
}

func TestLookupReportsOnlyWhatTheMemberMayRead(t *testing.T) {
	hub := hubtest.Start(t)
	// A is in no sharing group: its unmarked object (TLP:AMBER to the
	// publisher's groups by default) is for A alone. B marks its object
	// TLP:GREEN: every member reads it.
	a := hub.AddLoneMember(t, "Exchange A")
	b := hub.AddMember(t, "Exchange B")
	c := hub.AddMember(t, "Bank C")
	publishAll(t, hub.Client(t, a), screenIndicator(a.Identity, "indicator--"+uuid.NewString(), "[domain-name:value = 'acl.example']", nil))
	publishAll(t, hub.Client(t, b), screenIndicator(b.Identity, "indicator--"+uuid.NewString(), "[domain-name:value = 'acl.example']",
		map[string]any{"object_marking_refs": []string{marking.Green.ID()}}))

	members := func(cl *client.Client) string {
		ms, _ := lookupOne(t, cl, "", "acl.example")
		var s []string
		for _, m := range ms {
			s = append(s, m.GetMemberId())
		}
		return strings.Join(s, ",")
	}
	hubtest.CheckFor(t, 2*time.Second, 5*time.Millisecond, func() error {
		if got := members(hub.Client(t, a)); got != a.ID+","+b.ID {
			return fmt.Errorf("publisher A sees %q", got)
		}
		return nil
	})
	if got := members(hub.Client(t, c)); got != b.ID {
		t.Errorf("member C sees %q, want only B's object", got)
	}
}

func TestLookupRejectsBadRequests(t *testing.T) {
	hub := hubtest.Start(t)
	m := hub.AddMember(t, "Bank")
	cl := hub.Client(t, m)
	ctx := context.Background()
	many := make([]client.Observable, 1001)
	for i := range many {
		many[i] = client.Observable{Value: fmt.Sprintf("10.0.%d.%d", i/256, i%256)}
	}
	// The client splits large inputs; the hub refuses them.
	if rs, err := cl.Lookup(ctx, many); err != nil || len(rs) != 1001 || rs[1000].GetIndex() != 1000 {
		t.Errorf("client Lookup of 1001: %d results, %v", len(rs), err)
	}
	if _, err := cl.Lookup(ctx, []client.Observable{{Value: "10.0.0.1"}, {Value: "bc1q\xff"}}); err == nil || !strings.Contains(err.Error(), "observable 1: not valid UTF-8") {
		t.Errorf("client Lookup of invalid UTF-8: %v", err)
	}
	conn := stixhubv1.NewHubServiceClient(dialRaw(t, hub, m.Token))
	big := &stixhubv1.LookupRequest{}
	for range 1001 {
		big.Observables = append(big.Observables, &stixhubv1.Observable{Value: "10.0.0.1"})
	}
	for _, c := range []struct {
		name  string
		req   *stixhubv1.LookupRequest
		field string
		desc  string
	}{
		{"empty", &stixhubv1.LookupRequest{}, "observables", "at least one"},
		{"too many", big, "observables", "at most 1000"},
		{"bad type", &stixhubv1.LookupRequest{Observables: []*stixhubv1.Observable{{Type: "Not A Type", Value: "x"}}}, "observables[0].type", "not an observable type"},
		{"value of another type", &stixhubv1.LookupRequest{Observables: []*stixhubv1.Observable{{Value: "1.2.3.4"}, {Type: "ipv4-addr", Value: "2001:db8::1"}}}, "observables[1].value", "not an IPv4 address"},
		{"empty value", &stixhubv1.LookupRequest{Observables: []*stixhubv1.Observable{{Type: "domain-name"}}}, "observables[0].value", "empty value"},
	} {
		_, err := conn.Lookup(ctx, c.req)
		st, _ := status.FromError(err)
		if st.Code() != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", c.name, err)
			continue
		}
		var found bool
		for _, d := range st.Details() {
			if br, ok := d.(*errdetails.BadRequest); ok {
				for _, v := range br.GetFieldViolations() {
					found = found || v.GetField() == c.field && strings.Contains(v.GetDescription(), c.desc)
				}
			}
		}
		if !found {
			t.Errorf("%s: %v lacks violation %s: %s", c.name, st.Details(), c.field, c.desc)
		}
	}
	// Lookup is for members: no token, or the operator's, is refused.
	if _, err := stixhubv1.NewHubServiceClient(dialRaw(t, hub, "")).Lookup(ctx, &stixhubv1.LookupRequest{Observables: big.Observables[:1]}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("without a token: %v", err)
	}
	if _, err := stixhubv1.NewHubServiceClient(dialRaw(t, hub, hub.OperatorToken)).Lookup(ctx, &stixhubv1.LookupRequest{Observables: big.Observables[:1]}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("with the operator token: %v", err)
	}
}

func TestPublishedExtensionDefinitionMakesItsTypeKnown(t *testing.T) {
	hub := hubtest.Start(t)
	m := hub.AddMember(t, "Bank")
	cl := hub.Client(t, m)
	now := stixTime(time.Now())
	ind := screenIndicator(m.Identity, "indicator--"+uuid.NewString(), "[bank-account:value = 'DE89370400440532013000']", nil)
	rs, err := cl.Publish(context.Background(), ind)
	if err != nil || rs[0].GetOutcome() != stixhubv1.Outcome_OUTCOME_REJECTED || !strings.Contains(fmt.Sprint(rs[0].GetError()), "unknown object type 'bank-account'") {
		t.Fatalf("pattern on an undefined type: %v %v", rs, err)
	}
	publishAll(t, cl, json.RawMessage(`{"type":"extension-definition","spec_version":"2.1","id":"extension-definition--`+uuid.NewString()+`",
		"created_by_ref":"`+m.Identity+`","created":"`+now+`","modified":"`+now+`","name":"bank-account",
		"schema":"https://example.com/bank-account","version":"1.0","extension_types":["new-sco"]}`))
	hubtest.CheckFor(t, 2*time.Second, 10*time.Millisecond, func() error {
		rs, err := cl.Publish(context.Background(), ind)
		if err != nil {
			return err
		}
		if rs[0].GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
			return fmt.Errorf("%v", rs[0].GetError())
		}
		return nil
	})
	hubtest.CheckFor(t, 2*time.Second, 5*time.Millisecond, func() error {
		if _, got := lookupOne(t, cl, "bank-account", "DE89370400440532013000"); !strings.HasSuffix(got, "/live") {
			return fmt.Errorf("bank-account lookup: %q", got)
		}
		return nil
	})
}

// tokenCreds sends a bearer token on every call.
type tokenCreds string

func (c tokenCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	if c == "" {
		return nil, nil
	}
	return map[string]string{"authorization": "Bearer " + string(c)}, nil
}

func (tokenCreds) RequireTransportSecurity() bool { return true }

// dialRaw opens a gRPC connection to hub that sends requests as given,
// without the client library's batching.
func dialRaw(t *testing.T, hub *hubtest.Hub, token string) *grpc.ClientConn {
	t.Helper()
	tlsConf, err := pki.ClientTLS(hub.CAFile(), "")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(hub.Addr, grpc.WithTransportCredentials(credentials.NewTLS(tlsConf)), grpc.WithPerRPCCredentials(tokenCreds(token)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
