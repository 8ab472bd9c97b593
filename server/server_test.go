package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	"github.com/stixhub/stixhub/internal/sign"
	"github.com/stixhub/stixhub/internal/stix"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
	"github.com/stixhub/stixhub/server"
)

// poisonIvyIdentity is the identity that created_by_ref names in poisonivy.json.
const poisonIvyIdentity = "identity--81cade27-7df8-4730-836b-62d880e6d9d3"

func readBundle(t *testing.T, name string) []json.RawMessage {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "stix", "oasis", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	objs, err := stix.ReadObjects(f)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// collect subscribes from pos and gathers deliveries until n arrive.
func collect(ctx context.Context, t *testing.T, c *client.Client, pos client.Position, n int, opts ...client.SubscribeOption) []*client.Delivery {
	t.Helper()
	var got []*client.Delivery
	errDone := errors.New("done")
	err := c.Subscribe(ctx, pos, func(_ context.Context, d *client.Delivery) error {
		got = append(got, d)
		if len(got) == n {
			return errDone
		}
		return nil
	}, opts...)
	if !errors.Is(err, errDone) {
		t.Fatalf("subscribe: got %d of %d deliveries: %v", len(got), n, err)
	}
	return got
}

func objectID(t *testing.T, raw []byte) string {
	t.Helper()
	var h struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h.ID
}

func TestOASISReportsReachTwoSubscribersInOrderVerified(t *testing.T) {
	hub := hubtest.Start(t)
	bank := hub.AddMember(t, "Bank A", poisonIvyIdentity)
	gov1 := hub.AddMember(t, "CERT 1")
	gov2 := hub.AddMember(t, "CERT 2")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	objs := append(readBundle(t, "apt1.json"), readBundle(t, "poisonivy.json")...)
	if len(objs) != 76+155 {
		t.Fatalf("test data: %d objects", len(objs))
	}

	// Both subscribers start before anything is published and read live.
	type sub struct {
		got []*client.Delivery
		err error
	}
	subs := make([]sub, 2)
	var started, wg sync.WaitGroup
	for i, m := range []hubtest.Member{gov1, gov2} {
		started.Add(1)
		wg.Add(1)
		c := hub.Client(t, m)
		go func() {
			defer wg.Done()
			once := sync.OnceFunc(started.Done)
			errDone := errors.New("done")
			err := c.Subscribe(ctx, client.Now(), func(_ context.Context, d *client.Delivery) error {
				subs[i].got = append(subs[i].got, d)
				if len(subs[i].got) == len(objs) {
					return errDone
				}
				return nil
			}, client.OnStart(func(uint64) { once() }))
			if !errors.Is(err, errDone) {
				subs[i].err = err
			}
			once()
		}()
	}
	started.Wait()

	results, err := hub.Client(t, bank).Publish(ctx, objs...)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	var cursors []uint64
	for i, r := range results {
		if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
			t.Fatalf("object %d (%s): %v %v", i, r.GetObjectId(), r.GetOutcome(), r.GetError())
		}
		if r.GetObjectId() != objectID(t, objs[i]) {
			t.Errorf("result %d names %s, want %s", i, r.GetObjectId(), objectID(t, objs[i]))
		}
		if i > 0 && r.GetCursor() <= cursors[i-1] {
			t.Errorf("cursors not increasing: %d after %d", r.GetCursor(), cursors[i-1])
		}
		cursors = append(cursors, r.GetCursor())
	}
	wg.Wait()

	v := client.NewVerifier(hub.KeySet(t))
	for s, sb := range subs {
		if sb.err != nil {
			t.Fatalf("subscriber %d: %v", s, sb.err)
		}
		if len(sb.got) != len(objs) {
			t.Fatalf("subscriber %d got %d objects, want %d", s, len(sb.got), len(objs))
		}
		for i, d := range sb.got {
			if d.GetCursor() != cursors[i] {
				t.Fatalf("subscriber %d delivery %d: cursor %d, want %d", s, i, d.GetCursor(), cursors[i])
			}
			if got, want := objectID(t, d.GetObject().GetObject()), objectID(t, objs[i]); got != want {
				t.Fatalf("subscriber %d delivery %d: %s, want %s", s, i, got, want)
			}
			if d.GetMemberId() != bank.ID {
				t.Errorf("delivery %d from %s, want %s", i, d.GetMemberId(), bank.ID)
			}
			if err := v.Verify(d); err != nil {
				t.Errorf("subscriber %d delivery %d: %v", s, i, err)
			}
			// The object delivered is the canonical form of what was published.
			want, _ := sign.Canonicalize(objs[i])
			if !bytes.Equal(d.GetObject().GetObject(), want) {
				t.Errorf("delivery %d is not the canonical published object", i)
			}
		}
	}
}

func TestSubscribeTypeFilterAndCursorResume(t *testing.T) {
	hub := hubtest.Start(t)
	bank := hub.AddMember(t, "Bank A")
	gov := hub.Client(t, hub.AddMember(t, "CERT"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	objs := readBundle(t, "apt1.json")
	if _, err := hub.Client(t, bank).Publish(ctx, objs...); err != nil {
		t.Fatal(err)
	}
	var indicators []string
	for _, o := range objs {
		if id := objectID(t, o); len(id) > 10 && id[:10] == "indicator-" {
			indicators = append(indicators, id)
		}
	}
	got := collect(ctx, t, gov, client.Beginning(), len(indicators), client.WithTypes("indicator"))
	for i, d := range got {
		if id := objectID(t, d.GetObject().GetObject()); id != indicators[i] {
			t.Fatalf("indicator %d: %s, want %s", i, id, indicators[i])
		}
	}
	// Resuming after the 5th indicator's cursor yields exactly the rest.
	rest := collect(ctx, t, gov, client.After(got[4].GetCursor()), len(indicators)-5, client.WithTypes("indicator"))
	for i, d := range rest {
		if d.GetCursor() != got[5+i].GetCursor() {
			t.Fatalf("resume %d: cursor %d, want %d", i, d.GetCursor(), got[5+i].GetCursor())
		}
	}
}

func TestRepublishIsDuplicateEvenAfterRestart(t *testing.T) {
	hub := hubtest.Start(t)
	bank := hub.AddMember(t, "Bank A")
	ctx := context.Background()
	objs := readBundle(t, "indicator-for-c2-ip-address.json")
	first, err := hub.Client(t, bank).Publish(ctx, objs...)
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		again, err := hub.Client(t, bank).Publish(ctx, objs...)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range again {
			if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_DUPLICATE {
				t.Fatalf("%s: object %d: %v, want DUPLICATE", when, i, r.GetOutcome())
			}
			if r.GetCursor() != first[i].GetCursor() {
				t.Errorf("%s: duplicate names cursor %d, want %d", when, r.GetCursor(), first[i].GetCursor())
			}
			if r.GetReceipt().GetCursor() != first[i].GetCursor() || !bytes.Equal(r.GetReceipt().GetSignature(), first[i].GetReceipt().GetSignature()) {
				t.Errorf("%s: duplicate does not carry the stored receipt", when)
			}
		}
	}
	check("same run")
	hub.Restart(t)
	check("after restart")

	// Another member may not publish any version of those ids.
	other := hub.AddMember(t, "Bank B")
	rs, err := hub.Client(t, other).Publish(ctx, objs...)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_REJECTED || codes.Code(r.GetError().GetCode()) != codes.PermissionDenied {
			t.Errorf("object %d from another member: %v %v, want REJECTED PermissionDenied", i, r.GetOutcome(), r.GetError())
		}
	}
}

// indicator is hubtest.Indicator: a valid indicator, adjusted by mod.
var indicator = hubtest.Indicator

func TestPublishRejectsBadObjectsAndKeepsTheRest(t *testing.T) {
	hub := hubtest.Start(t)
	ctx := context.Background()
	bank := hub.AddMember(t, "Bank A")
	other := hub.AddMember(t, "Bank B")
	revoked := hub.AddMember(t, "Bank C")
	if _, err := hub.Operator(t).Admin().RevokeKey(ctx, revoked.Signer.KeyID(), "test"); err != nil {
		t.Fatal(err)
	}
	unknown, _ := sign.GenerateEd25519()

	signed := func(obj json.RawMessage, s client.Signer) *stixhubv1.SignedObject {
		so, err := client.SignObject(ctx, s, obj)
		if err != nil {
			t.Fatal(err)
		}
		return so
	}
	good := func() *stixhubv1.SignedObject { return signed(indicator(t, nil), bank.Signer) }
	tampered := good()
	tampered.Object = bytes.Replace(tampered.Object, []byte("198.51.100.7"), []byte("198.51.100.8"), 1)
	badJSON := signed(indicator(t, nil), bank.Signer)
	badJSON.Object = []byte(`{"type":"indicator",`)

	tests := []struct {
		name      string
		obj       *stixhubv1.SignedObject
		code      codes.Code
		field     string
		wantInMsg string
	}{
		{"malformed JSON", badJSON, codes.InvalidArgument, "", ""},
		{"invalid STIX reports every violation", signed(indicator(t, func(o map[string]any) {
			o["valid_until"] = "2020-01-01T00:00:00Z"
			delete(o, "pattern")
		}), bank.Signer), codes.InvalidArgument, "valid_until", "pattern"},
		{"STIX pattern does not parse", signed(indicator(t, func(o map[string]any) {
			o["pattern"] = "[ipv4-addr:value = ]"
		}), bank.Signer), codes.InvalidArgument, "pattern", ""},
		{"pattern names an unknown object type", signed(indicator(t, func(o map[string]any) {
			o["pattern"] = "[wallet:value = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT']"
		}), bank.Signer), codes.InvalidArgument, "pattern", ""},
		{"signature does not verify", tampered, codes.InvalidArgument, "signature", ""},
		{"signature too short", func() *stixhubv1.SignedObject { o := good(); o.Signature = o.Signature[:10]; return o }(), codes.InvalidArgument, "signature", ""},
		{"unknown key", signed(indicator(t, nil), unknown), codes.PermissionDenied, "key_id", ""},
		{"another member's key", signed(indicator(t, nil), other.Signer), codes.PermissionDenied, "key_id", ""},
		{"created_by_ref of another identity", signed(indicator(t, func(o map[string]any) {
			o["created_by_ref"] = other.Identity
		}), bank.Signer), codes.PermissionDenied, "created_by_ref", ""},
	}
	batch := []*stixhubv1.SignedObject{good()}
	for _, tc := range tests {
		batch = append(batch, tc.obj, good())
	}
	rs, err := hub.Client(t, bank).PublishSigned(ctx, batch...)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if i%2 == 0 && r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
			t.Errorf("good object %d next to bad ones: %v %v", i, r.GetOutcome(), r.GetError())
		}
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rs[2*i+1]
			if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_REJECTED {
				t.Fatalf("outcome %v, want REJECTED", r.GetOutcome())
			}
			e := r.GetError()
			if codes.Code(e.GetCode()) != tc.code {
				t.Errorf("code %v, want %v (%s)", codes.Code(e.GetCode()), tc.code, e.GetMessage())
			}
			if e.GetMessage() == "" {
				t.Error("empty message")
			}
			fields := map[string]bool{}
			for _, v := range e.GetFieldViolations() {
				fields[v.GetField()] = true
			}
			if tc.field != "" && !fields[tc.field] {
				t.Errorf("no violation for %q in %v", tc.field, e.GetFieldViolations())
			}
			if tc.wantInMsg != "" && !fields[tc.wantInMsg] {
				t.Errorf("no violation for %q in %v", tc.wantInMsg, e.GetFieldViolations())
			}
		})
	}

	t.Run("revoked key", func(t *testing.T) {
		rs, err := hub.Client(t, revoked).Publish(ctx, indicator(t, nil))
		if err != nil {
			t.Fatal(err)
		}
		if e := rs[0].GetError(); codes.Code(e.GetCode()) != codes.PermissionDenied {
			t.Fatalf("revoked key: %v %v", rs[0].GetOutcome(), e)
		}
	})
}

func TestRevokedKeyIsRefusedAtOnceButOldObjectsStillVerify(t *testing.T) {
	hub := hubtest.Start(t)
	ctx := context.Background()
	bank := hub.AddMember(t, "Bank A")
	c := hub.Client(t, bank)
	before, err := c.Publish(ctx, indicator(t, nil))
	if err != nil || before[0].GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
		t.Fatalf("publish before revocation: %v %v", err, before)
	}
	if _, err := hub.Operator(t).Admin().RevokeKey(ctx, bank.Signer.KeyID(), "superseded"); err != nil {
		t.Fatal(err)
	}
	after, err := c.Publish(ctx, indicator(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if after[0].GetOutcome() != stixhubv1.Outcome_OUTCOME_REJECTED || codes.Code(after[0].GetError().GetCode()) != codes.PermissionDenied {
		t.Fatalf("publish right after revocation: %v %v", after[0].GetOutcome(), after[0].GetError())
	}
	got := collect(ctx, t, hub.Client(t, hub.AddMember(t, "CERT")), client.Beginning(), 1)
	if err := client.NewVerifier(hub.KeySet(t)).Verify(got[0]); err != nil {
		t.Errorf("object accepted before the revocation no longer verifies: %v", err)
	}
}

func TestAuthentication(t *testing.T) {
	hub := hubtest.Start(t)
	ctx := context.Background()
	bank := hub.AddMember(t, "Bank A")
	obj := indicator(t, nil)
	tests := []struct {
		name string
		c    *client.Client
		code codes.Code
	}{
		{"no token", hub.Dial(t, client.WithSigner(bank.Signer)), codes.Unauthenticated},
		{"wrong token", hub.Dial(t, client.WithToken("sxh_nope"), client.WithSigner(bank.Signer)), codes.Unauthenticated},
		{"operator token cannot publish", hub.Dial(t, client.WithToken(hub.OperatorToken), client.WithSigner(bank.Signer)), codes.PermissionDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.Publish(ctx, obj)
			if status.Code(err) != tc.code {
				t.Errorf("publish: %v, want %v", err, tc.code)
			}
			err = tc.c.Subscribe(ctx, client.Beginning(), func(context.Context, *client.Delivery) error { return nil })
			if status.Code(err) != tc.code {
				t.Errorf("subscribe: %v, want %v", err, tc.code)
			}
		})
	}
	t.Run("member token cannot administer", func(t *testing.T) {
		_, err := hub.Client(t, bank).Admin().ListMembers(ctx)
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("list members: %v, want PermissionDenied", err)
		}
	})
}

func TestAdminValidation(t *testing.T) {
	hub := hubtest.Start(t)
	ctx := context.Background()
	admin := hub.Operator(t).Admin()
	identity := "identity--" + uuid.NewString()
	if _, _, err := admin.CreateMember(ctx, "Bank A", identity); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		call  func() error
		code  codes.Code
		field string
	}{
		{"bad identity", func() error { _, _, err := admin.CreateMember(ctx, "X", "identity--nope"); return err }, codes.InvalidArgument, "identity"},
		{"empty name", func() error { _, _, err := admin.CreateMember(ctx, " ", "identity--"+uuid.NewString()); return err }, codes.InvalidArgument, "name"},
		{"identity already claimed", func() error { _, _, err := admin.CreateMember(ctx, "Y", identity); return err }, codes.AlreadyExists, ""},
		{"key for unknown member", func() error {
			s, _ := sign.GenerateEd25519()
			_, err := admin.AddKey(ctx, "member--"+uuid.NewString(), s.PublicKey())
			return err
		}, codes.NotFound, ""},
		{"short public key", func() error { _, err := admin.AddKey(ctx, "member--"+uuid.NewString(), []byte("short")); return err }, codes.InvalidArgument, "public_key"},
		{"revoke unknown key", func() error { _, err := admin.RevokeKey(ctx, "00000000000000000000000000000000", ""); return err }, codes.NotFound, ""},
		{"revoke malformed key id", func() error { _, err := admin.RevokeKey(ctx, "zz", ""); return err }, codes.InvalidArgument, "key_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			st := status.Convert(err)
			if st.Code() != tc.code {
				t.Fatalf("got %v, want %v", err, tc.code)
			}
			if tc.field == "" {
				return
			}
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, v := range br.GetFieldViolations() {
						if v.GetField() == tc.field {
							return
						}
					}
				}
			}
			t.Errorf("no field violation for %q in %v", tc.field, st.Details())
		})
	}
}

func TestSubscribeRejectsBadRequests(t *testing.T) {
	hub := hubtest.Start(t)
	c := hub.Client(t, hub.AddMember(t, "CERT"))
	ctx := context.Background()
	noop := func(context.Context, *client.Delivery) error { return nil }
	if err := c.Subscribe(ctx, client.After(1000), noop); status.Code(err) != codes.InvalidArgument {
		t.Errorf("cursor beyond the end: %v, want InvalidArgument", err)
	}
	if err := c.Subscribe(ctx, client.Beginning(), noop, client.WithTypes("Not A Type")); status.Code(err) != codes.InvalidArgument {
		t.Errorf("bad type: %v, want InvalidArgument", err)
	}
}

func TestFirstStartCreatesDataDirAndRestartReusesIt(t *testing.T) {
	hub := hubtest.Start(t, func(c *stixhubConfig) { c.TLSSANs = []string{"hub.example.org"} })
	dir := hub.Config.DataDir
	for _, f := range []string{"tls/ca.pem", "operator.token", "hub.key", "nats/jetstream"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("first start did not create %s: %v", f, err)
		}
	}
	for _, f := range []string{"operator.token", "hub.key"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err == nil && st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	read := func(f string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ca, tok, key := read("tls/ca.pem"), read("operator.token"), read("hub.key")
	bank := hub.AddMember(t, "Bank A")
	hub.Restart(t)
	if !bytes.Equal(ca, read("tls/ca.pem")) || !bytes.Equal(tok, read("operator.token")) || !bytes.Equal(key, read("hub.key")) {
		t.Error("restart replaced the CA, operator token or hub key")
	}
	ms, err := hub.Operator(t).Admin().ListMembers(context.Background())
	if err != nil || len(ms) != 1 || ms[0].GetId() != bank.ID {
		t.Fatalf("members after restart: %v %v", ms, err)
	}
	if rs, err := hub.Client(t, bank).Publish(context.Background(), indicator(t, nil)); err != nil || rs[0].GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
		t.Fatalf("publish after restart with the same token and key: %v %v", rs, err)
	}
	// A second hub on the same directory is refused.
	cfg := hub.Config
	cfg.GRPCAddr = "127.0.0.1:0"
	if _, err := startHub(cfg); err == nil {
		t.Fatal("a second hub started on a data directory in use")
	}
}

func TestSubscriberResumesAcrossRestartWithoutLossOrRepeat(t *testing.T) {
	hub := hubtest.Start(t)
	bank := hub.AddMember(t, "Bank A")
	gov := hub.Client(t, hub.AddMember(t, "CERT"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const total = 600
	var mu sync.Mutex
	seen := map[uint64]int{}
	var order []uint64
	subDone := make(chan error, 1)
	subCtx, stopSub := context.WithCancel(ctx)
	defer stopSub()
	go func() {
		subDone <- gov.Subscribe(subCtx, client.Beginning(), func(_ context.Context, d *client.Delivery) error {
			mu.Lock()
			defer mu.Unlock()
			seen[d.GetCursor()]++
			order = append(order, d.GetCursor())
			return nil
		}, client.WithBackoff(20*time.Millisecond, 200*time.Millisecond))
	}()

	pub := hub.Client(t, bank)
	acked := map[uint64]bool{}
	publish := func(n int) {
		for i := 0; i < n; i += 50 {
			var batch []json.RawMessage
			for range 50 {
				batch = append(batch, indicator(t, nil))
			}
			rs, err := pub.Publish(ctx, batch...)
			if err != nil {
				t.Fatalf("publish: %v", err)
			}
			for _, r := range rs {
				if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
					t.Fatalf("publish: %v %v", r.GetOutcome(), r.GetError())
				}
				acked[r.GetCursor()] = true
			}
		}
	}
	publish(total / 2)
	hub.Restart(t) // the subscription is cut mid-stream
	publish(total / 2)

	hubtest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) < len(acked) {
			return fmt.Errorf("subscriber has %d of %d objects", len(seen), len(acked))
		}
		return nil
	})
	stopSub()
	<-subDone
	mu.Lock()
	defer mu.Unlock()
	for c := range acked {
		if seen[c] != 1 {
			t.Errorf("cursor %d delivered %d times", c, seen[c])
		}
	}
	if len(seen) != len(acked) {
		t.Errorf("received %d distinct cursors, acknowledged %d", len(seen), len(acked))
	}
	for i := 1; i < len(order); i++ {
		if order[i] <= order[i-1] {
			t.Fatalf("out of order: %d after %d", order[i], order[i-1])
		}
	}
}

type stixhubConfig = server.Config

func startHub(cfg server.Config) (*server.Hub, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, err := server.Start(ctx, cfg)
	if err == nil {
		h.Shutdown(ctx)
	}
	return h, err
}

// TestATTACKBundleKeepsCustomContent publishes MITRE ATT&CK for ICS (1826
// objects, custom x-mitre-* types and x_mitre_* properties): every object is
// accepted and delivered as the canonical form of what was published, custom
// content included, and custom types can be subscribed to by type.
func TestATTACKBundleKeepsCustomContent(t *testing.T) {
	hub := hubtest.Start(t)
	mitre := hub.AddMember(t, "MITRE", "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	f, err := os.Open(filepath.Join("..", "testdata", "stix", "attack", "ics-attack-18.1.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	objs, err := stix.ReadObjects(f)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := hub.Client(t, mitre).Publish(ctx, objs...)
	if err != nil {
		t.Fatal(err)
	}
	tactics := 0
	for i, r := range rs {
		if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
			t.Fatalf("object %d (%s): %v", i, r.GetObjectId(), r.GetError())
		}
		if bytes.HasPrefix([]byte(r.GetObjectId()), []byte("x-mitre-tactic--")) {
			tactics++
		}
	}
	got := collect(ctx, t, hub.Client(t, hub.AddMember(t, "CERT")), client.Beginning(), len(objs))
	for i, d := range got {
		want, err := sign.Canonicalize(objs[i])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d.GetObject().GetObject(), want) {
			t.Fatalf("object %d changed in transit", i)
		}
	}
	if tactics == 0 {
		t.Fatal("test data has no x-mitre-tactic objects")
	}
	byType := collect(ctx, t, hub.Client(t, hub.AddMember(t, "CERT 2")), client.Beginning(), tactics, client.WithTypes("x-mitre-tactic"))
	for _, d := range byType {
		if !bytes.Contains(d.GetObject().GetObject(), []byte(`"x_mitre_shortname"`)) {
			t.Fatalf("tactic lost its x_mitre_shortname: %s", d.GetObject().GetObject())
		}
	}
}

func TestMembersFetchTheSameKeySetAsTheOperator(t *testing.T) {
	hub := hubtest.Start(t)
	ctx := context.Background()
	bank := hub.AddMember(t, "Bank A")
	cert := hub.AddMember(t, "CERT")
	if _, err := hub.Operator(t).Admin().RevokeKey(ctx, bank.Signer.KeyID(), "rotated"); err != nil {
		t.Fatal(err)
	}
	got, err := hub.Client(t, cert).KeySet(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := hub.KeySet(t); !proto.Equal(got, want) {
		t.Fatalf("member key set differs from the operator's:\n%v\n%v", got, want)
	}
	if len(got.GetKeys()) != 2 || len(got.GetHubKeys()) != 1 {
		t.Fatalf("key set: %v", got)
	}
	if _, err := hub.Dial(t).KeySet(ctx, ""); status.Code(err) != codes.Unauthenticated {
		t.Errorf("key set without a token: %v", err)
	}
}

// TestEveryOASISExampleIsAccepted publishes every object of every OASIS
// example file through the hub, each file by a member whose identity is the
// file's created_by_ref (a member may only publish objects it created).
func TestEveryOASISExampleIsAccepted(t *testing.T) {
	hub := hubtest.Start(t)
	members := map[string]hubtest.Member{"": hub.AddMember(t, "OASIS examples")}
	files, err := filepath.Glob(filepath.Join("..", "testdata", "stix", "oasis", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	seen, all := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		objs := readBundle(t, filepath.Base(f))
		for _, o := range objs {
			all[objectID(t, o)] = true
		}
		creator := ""
		for _, o := range objs {
			var h struct {
				CreatedByRef string `json:"created_by_ref"`
			}
			json.Unmarshal(o, &h)
			if h.CreatedByRef != "" {
				creator = h.CreatedByRef
			}
		}
		m, ok := members[creator]
		if !ok {
			m = hub.AddMember(t, creator, creator)
			members[creator] = m
		}
		rs, err := hub.Client(t, m).Publish(context.Background(), objs...)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rs {
			id := objectID(t, objs[i])
			switch r.GetOutcome() {
			case stixhubv1.Outcome_OUTCOME_ACCEPTED:
				seen[id] = true
			case stixhubv1.Outcome_OUTCOME_DUPLICATE:
				if !seen[id] { // the examples share a few objects
					t.Errorf("%s: %s reported duplicate before it was accepted", filepath.Base(f), id)
				}
			default:
				t.Errorf("%s: %s refused: %v", filepath.Base(f), id, r.GetError())
			}
		}
	}
	if len(seen) != len(all) {
		t.Errorf("%d distinct objects accepted, the examples hold %d", len(seen), len(all))
	}
}

// TestPublishRejectsEachClassOfInvalidObject sends one invalid object per
// class of rule through the hub; each comes back REJECTED, InvalidArgument,
// with a violation naming the field, and the valid object beside them is
// stored.
func TestPublishRejectsEachClassOfInvalidObject(t *testing.T) {
	hub := hubtest.Start(t)
	m := hub.AddMember(t, "Bank A")
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	tests := []struct {
		name  string
		obj   json.RawMessage
		field string
	}{
		{"required property missing", indicator(t, func(o map[string]any) { delete(o, "valid_from") }), "valid_from"},
		{"timestamps out of order", indicator(t, func(o map[string]any) { o["modified"] = "2020-01-01T00:00:00.000Z" }), "modified"},
		{"value out of range", indicator(t, func(o map[string]any) { o["confidence"] = 101 }), "confidence"},
		{"closed enumeration", raw(`{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","is_family":"yes"}`), "is_family"},
		{"reference to the wrong type", indicator(t, func(o map[string]any) { o["created_by_ref"] = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b" }), "created_by_ref"},
		{"granular marking selector that resolves to nothing", indicator(t, func(o map[string]any) {
			o["granular_markings"] = []any{map[string]any{"marking_ref": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "selectors": []string{"labels.[3]"}}}
		}), "granular_markings[0].selectors[0]"},
		{"custom property name", indicator(t, func(o map[string]any) { o["x_Acme-Score"] = 1 }), "x_Acme-Score"},
		{"SCO property", raw(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":42}`), "value"},
		{"STIX pattern", indicator(t, func(o map[string]any) { o["pattern"] = "[ipv4-addr:value = '1.2.3.4'" }), "pattern"},
		{"marking definition under a TLP id it does not define", raw(`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--1e2c4237-d469-4144-9c0b-9e5c0c513c49","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","definition":{"tlp":"red"}}`), "id"},
	}
	objs := []json.RawMessage{indicator(t, nil)}
	for _, tc := range tests {
		objs = append(objs, tc.obj)
	}
	rs, err := hub.Client(t, m).Publish(context.Background(), objs...)
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
		t.Fatalf("valid object: %v", rs[0].GetError())
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rs[i+1]
			e := r.GetError()
			if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_REJECTED || codes.Code(e.GetCode()) != codes.InvalidArgument {
				t.Fatalf("%v %v, want REJECTED InvalidArgument", r.GetOutcome(), e)
			}
			for _, v := range e.GetFieldViolations() {
				if v.GetField() == tc.field {
					return
				}
			}
			t.Errorf("no violation at %q: %v", tc.field, e.GetFieldViolations())
		})
	}
}
