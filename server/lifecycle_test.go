package server_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	"github.com/stixhub/stixhub/internal/sign"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

func publishOne(t *testing.T, c *client.Client) *client.PublishResult {
	t.Helper()
	rs, err := c.Publish(context.Background(), indicator(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	return rs[0]
}

func TestKeyRotationOverlap(t *testing.T) {
	hub := hubtest.Start(t)
	ctx := context.Background()
	bank := hub.AddMember(t, "Bank A")
	admin := hub.Operator(t).Admin()
	old := hub.Client(t, bank)
	if r := publishOne(t, old); r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
		t.Fatalf("before rotation: %v", r)
	}

	s2, _ := sign.GenerateEd25519()
	k2, retired, err := admin.RotateKey(ctx, bank.ID, s2.PublicKey(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(retired) != 1 || retired[0].GetId() != bank.Signer.KeyID() || retired[0].GetReplacedBy() != k2.GetId() {
		t.Fatalf("retired: %v", retired)
	}
	if r := publishOne(t, old); r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
		t.Fatalf("old key within the overlap: %v", r)
	}
	second := hub.Dial(t, client.WithToken(bank.Token), client.WithSigner(s2))
	if r := publishOne(t, second); r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
		t.Fatalf("new key: %v", r)
	}

	// Rotating again with no overlap ends both older keys now.
	s3, _ := sign.GenerateEd25519()
	if _, _, err := admin.RotateKey(ctx, bank.ID, s3.PublicKey(), 0); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*client.Client{"first key": old, "second key": second} {
		r := publishOne(t, c)
		if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_REJECTED || codes.Code(r.GetError().GetCode()) != codes.PermissionDenied || r.GetError().GetMessage() != "key rotated out" {
			t.Errorf("%s after its overlap: %v %v", name, r.GetOutcome(), r.GetError())
		}
	}
	third := hub.Dial(t, client.WithToken(bank.Token), client.WithSigner(s3))
	if r := publishOne(t, third); r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
		t.Fatalf("third key: %v", r)
	}

	// Everything accepted still verifies offline: each key was valid when
	// its objects were accepted.
	got := collect(ctx, t, hub.Client(t, hub.AddMember(t, "CERT")), client.Beginning(), 4)
	v := client.NewVerifier(hub.KeySet(t))
	for _, d := range got {
		if err := v.Verify(d); err != nil {
			t.Errorf("cursor %d: %v", d.GetCursor(), err)
		}
	}
	ks := hub.KeySet(t)
	statuses := map[string]stixhubv1.KeyStatus{}
	for _, k := range ks.GetKeys() {
		statuses[k.GetId()] = k.GetStatus()
	}
	if statuses[bank.Signer.KeyID()] != stixhubv1.KeyStatus_KEY_STATUS_EXPIRED || statuses[s3.KeyID()] != stixhubv1.KeyStatus_KEY_STATUS_ACTIVE {
		t.Errorf("key statuses: %v", statuses)
	}
}

func TestRevokeCompromisedKey(t *testing.T) {
	hub := hubtest.Start(t)
	ctx := context.Background()
	bank := hub.AddMember(t, "Bank A")
	cert := hub.Client(t, hub.AddMember(t, "CERT"))
	c := hub.Client(t, bank)

	// A live subscriber, started before anything happens.
	live := make(chan *client.Delivery, 16)
	liveCtx, stopLive := context.WithCancel(ctx)
	defer stopLive()
	started := make(chan struct{})
	go cert.Subscribe(liveCtx, client.Now(), func(_ context.Context, d *client.Delivery) error {
		live <- d
		return nil
	}, client.OnStart(func(uint64) { close(started) }))
	<-started

	trusted := publishOne(t, c)
	time.Sleep(20 * time.Millisecond)
	compromisedAt := time.Now()
	time.Sleep(20 * time.Millisecond)
	suspect := publishOne(t, c)
	if trusted.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED || suspect.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
		t.Fatalf("publishes: %v %v", trusted, suspect)
	}
	admin := hub.Operator(t).Admin()
	if _, err := admin.RevokeKey(ctx, bank.Signer.KeyID(), "compromised"); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("compromised without a time: %v", err)
	}
	k, err := admin.RevokeCompromisedKey(ctx, bank.Signer.KeyID(), compromisedAt)
	if err != nil {
		t.Fatal(err)
	}
	if k.GetStatus() != stixhubv1.KeyStatus_KEY_STATUS_REVOKED || !k.GetCompromisedAt().AsTime().Equal(compromisedAt.UTC()) {
		t.Fatalf("revoked key: %v", k)
	}
	if r := publishOne(t, c); codes.Code(r.GetError().GetCode()) != codes.PermissionDenied {
		t.Fatalf("publish after revocation: %v", r)
	}

	// The live subscriber gets both objects, the second flagged, then the
	// revocation event in stream order.
	var seen []*client.Delivery
	for len(seen) < 3 {
		select {
		case d := <-live:
			seen = append(seen, d)
		case <-time.After(5 * time.Second):
			t.Fatalf("live subscriber got %d of 3 deliveries", len(seen))
		}
	}
	if seen[0].GetSuspect() || seen[0].GetCursor() != trusted.GetCursor() {
		t.Errorf("first delivery: cursor %d suspect %v", seen[0].GetCursor(), seen[0].GetSuspect())
	}
	// Delivered before the revocation: not yet known to be suspect.
	if seen[1].GetCursor() != suspect.GetCursor() {
		t.Errorf("second delivery: cursor %d", seen[1].GetCursor())
	}
	ev := seen[2].GetKeyRevocation().GetKey()
	if ev.GetId() != bank.Signer.KeyID() || ev.GetCompromisedAt() == nil || seen[2].GetCursor() <= suspect.GetCursor() {
		t.Fatalf("third delivery is not the revocation: %v", seen[2])
	}

	// A subscriber reading afterwards sees the flag on the hub's side, and
	// a verifier that learnt the event refuses to trust the object.
	got := collect(ctx, t, cert, client.Beginning(), 3)
	if got[0].GetSuspect() || !got[1].GetSuspect() || got[2].GetKeyRevocation() == nil {
		t.Fatalf("replay: suspect flags %v %v, event %v", got[0].GetSuspect(), got[1].GetSuspect(), got[2].GetKeyRevocation())
	}
	v := client.NewVerifier(&client.KeySet{Keys: []*stixhubv1.Key{{
		Id: bank.Signer.KeyID(), MemberId: bank.ID, PublicKey: bank.Signer.PublicKey(),
		Status: stixhubv1.KeyStatus_KEY_STATUS_ACTIVE, AddedAt: seen[2].GetKeyRevocation().GetKey().GetAddedAt(),
	}}, HubKeys: hub.KeySet(t).GetHubKeys()})
	if err := v.Verify(got[1]); err != nil {
		t.Fatalf("before learning the revocation: %v", err)
	}
	if err := v.Verify(got[2]); err != nil {
		t.Fatalf("learning the revocation: %v", err)
	}
	if err := v.Verify(got[0]); err != nil {
		t.Errorf("object accepted before the compromise: %v", err)
	}
	if err := v.Verify(got[1]); !errors.Is(err, client.ErrSuspect) {
		t.Errorf("object accepted after the compromise: %v, want ErrSuspect", err)
	}

	// Revoking again is a no-op that writes no second event.
	if _, err := admin.RevokeCompromisedKey(ctx, bank.Signer.KeyID(), compromisedAt); err != nil {
		t.Fatal(err)
	}
	if r := publishOne(t, hub.Client(t, hub.AddMember(t, "Bank B"))); r.GetCursor() != seen[2].GetCursor()+1 {
		t.Errorf("a second revocation wrote to the stream: next cursor %d, event at %d", r.GetCursor(), seen[2].GetCursor())
	}
}

func TestSuspendMember(t *testing.T) {
	hub := hubtest.Start(t)
	ctx := context.Background()
	bank := hub.AddMember(t, "Bank A")
	cert := hub.AddMember(t, "CERT")
	admin := hub.Operator(t).Admin()

	// Two open streams of the member: both end within a second.
	errs := make(chan error, 2)
	for range 2 {
		started := make(chan struct{})
		go func() {
			errs <- hub.Client(t, cert).Subscribe(ctx, client.Beginning(), func(context.Context, *client.Delivery) error { return nil },
				client.OnStart(func(uint64) { close(started) }))
		}()
		<-started
	}
	m, err := admin.SuspendMember(ctx, cert.ID)
	if err != nil || !m.GetSuspended() {
		t.Fatalf("suspend: %v %v", m, err)
	}
	cut := time.Now()
	for range 2 {
		select {
		case err := <-errs:
			if status.Code(err) != codes.PermissionDenied {
				t.Errorf("stream ended with %v, want PermissionDenied", err)
			}
		case <-time.After(time.Second):
			t.Fatal("a suspended member's stream is still open after a second")
		}
	}
	t.Logf("streams closed %v after the suspension", time.Since(cut).Round(time.Millisecond))

	certClient := hub.Client(t, cert)
	if _, err := certClient.Publish(ctx, indicator(t, nil)); status.Code(err) != codes.PermissionDenied {
		t.Errorf("suspended member publishes: %v", err)
	}
	if _, err := certClient.KeySet(ctx, ""); status.Code(err) != codes.PermissionDenied {
		t.Errorf("suspended member reads: %v", err)
	}
	if r := publishOne(t, hub.Client(t, bank)); r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
		t.Errorf("another member is affected: %v", r)
	}
	if ms, _ := admin.ListMembers(ctx); !slices.ContainsFunc(ms, func(m *stixhubv1.Member) bool { return m.GetId() == cert.ID && m.GetSuspended() }) {
		t.Error("member list does not show the suspension")
	}

	if m, err := admin.ResumeMember(ctx, cert.ID); err != nil || m.GetSuspended() {
		t.Fatalf("resume: %v %v", m, err)
	}
	if got := collect(ctx, t, certClient, client.Beginning(), 1); got[0].GetObject() == nil {
		t.Fatal("resumed member reads nothing")
	}
	if _, err := admin.SuspendMember(ctx, "member--00000000-0000-4000-8000-000000000000"); status.Code(err) != codes.NotFound {
		t.Errorf("suspend unknown member: %v", err)
	}
	if _, err := admin.SuspendMember(ctx, "bank-a"); status.Code(err) != codes.InvalidArgument {
		t.Errorf("suspend malformed id: %v", err)
	}
}

func TestAuditLog(t *testing.T) {
	hub := hubtest.Start(t)
	ctx := context.Background()
	start := time.Now()
	bank := hub.AddMember(t, "Bank A")
	admin := hub.Operator(t).Admin()
	if _, err := admin.RevokeKey(ctx, bank.Signer.KeyID(), "superseded"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.SuspendMember(ctx, bank.ID); err != nil {
		t.Fatal(err)
	}
	entries, err := admin.Audit(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if strings.HasPrefix(e.GetAction(), "group.") {
			continue // hubtest puts members in a sharing group
		}
		actions = append(actions, e.GetAction())
		if e.GetTime().AsTime().Before(start.Add(-time.Second)) || e.GetActor() == "" {
			t.Errorf("entry %v", e)
		}
	}
	want := []string{"member.create", "key.add", "key.revoke", "member.suspend"}
	if !slices.Equal(actions, want) {
		t.Fatalf("audit actions %v, want %v", actions, want)
	}
	rev := entries[len(entries)-2]
	if rev.GetTarget() != bank.Signer.KeyID() || rev.GetDetail()["reason"] != "superseded" {
		t.Errorf("revocation entry: %v", rev)
	}
	if last, _ := admin.Audit(ctx, entries[len(entries)-1].GetTime().AsTime(), 0); len(last) != 1 || last[0].GetAction() != "member.suspend" {
		t.Errorf("since the last entry: %v", last)
	}
	if _, err := hub.Client(t, hub.AddMember(t, "Other")).Admin().Audit(ctx, time.Time{}, 0); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a member reads the audit log: %v", err)
	}
}
