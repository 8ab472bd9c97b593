package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	"github.com/stixhub/stixhub/internal/sign"
)

// addMemberWithRoles admits a member with roles and a key.
func addMemberWithRoles(t *testing.T, hub *hubtest.Hub, roles ...string) hubtest.Member {
	t.Helper()
	ctx := context.Background()
	admin := hub.Operator(t).Admin()
	id := "identity--" + uuid.NewString()
	m, token, err := admin.CreateMember(ctx, "Member "+strings.Join(roles, "+"), id, roles...)
	if err != nil {
		t.Fatalf("create member with roles %v: %v", roles, err)
	}
	if got := client.RoleNames(m); strings.Join(got, ",") != strings.Join(roles, ",") {
		t.Fatalf("member has roles %v, want %v", got, roles)
	}
	s, err := sign.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AddKey(ctx, m.GetId(), s.PublicKey()); err != nil {
		t.Fatal(err)
	}
	return hubtest.Member{ID: m.GetId(), Identity: id, Token: token, Signer: s}
}

func TestRolesDecideWhatAMemberMayDo(t *testing.T) {
	hub := hubtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	publisher := addMemberWithRoles(t, hub, client.RolePublisher)
	subscriber := addMemberWithRoles(t, hub, client.RoleSubscriber)
	operator := addMemberWithRoles(t, hub, client.RoleOperator)
	both := hub.AddMember(t, "Default roles")

	publish := func(m hubtest.Member) error {
		_, err := hub.Client(t, m).Publish(ctx, indicator(t, nil))
		return err
	}
	subscribe := func(m hubtest.Member) error {
		sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
		defer scancel()
		started := false
		err := hub.Client(t, m).Subscribe(sctx, client.Beginning(), func(context.Context, *client.Delivery) error { return nil },
			client.OnStart(func(uint64) { started = true; scancel() }))
		if started {
			return nil
		}
		return err
	}
	lookup := func(m hubtest.Member) error {
		_, err := hub.Client(t, m).Lookup(ctx, []client.Observable{{Type: "ipv4-addr", Value: "198.51.100.7"}})
		return err
	}
	admin := func(m hubtest.Member) error {
		_, err := hub.Client(t, m).Admin().ListMembers(ctx)
		return err
	}
	keys := func(m hubtest.Member) error {
		_, err := hub.Client(t, m).KeySet(ctx, "")
		return err
	}
	taxiiRead := func(m hubtest.Member) int {
		code, _, _, err := taxiiDo(t, hub, http.MethodGet, "/stixhub/collections/indicators/objects/", m.Token, nil)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}

	tests := []struct {
		name   string
		m      hubtest.Member
		call   func(hubtest.Member) error
		denied bool
	}{
		{"publisher publishes", publisher, publish, false},
		{"publisher cannot subscribe", publisher, subscribe, true},
		{"publisher cannot look up", publisher, lookup, true},
		{"publisher is no operator", publisher, admin, true},
		{"publisher reads the key set", publisher, keys, false},
		{"subscriber cannot publish", subscriber, publish, true},
		{"subscriber subscribes", subscriber, subscribe, false},
		{"subscriber looks up", subscriber, lookup, false},
		{"subscriber is no operator", subscriber, admin, true},
		{"operator member administers", operator, admin, false},
		{"operator member cannot publish", operator, publish, true},
		{"operator member cannot subscribe", operator, subscribe, true},
		{"default member publishes", both, publish, false},
		{"default member subscribes", both, subscribe, false},
		{"default member is no operator", both, admin, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(tc.m)
			switch {
			case tc.denied && status.Code(err) != codes.PermissionDenied:
				t.Fatalf("got %v, want PermissionDenied", err)
			case !tc.denied && err != nil:
				t.Fatalf("refused: %v", err)
			}
		})
	}
	for _, tc := range []struct {
		name string
		m    hubtest.Member
		want int
	}{
		{"TAXII read by a publisher-only member", publisher, http.StatusForbidden},
		{"TAXII read by a subscriber", subscriber, http.StatusOK},
		{"TAXII read by an operator-only member", operator, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := taxiiRead(tc.m); got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
		})
	}
}

func TestWithdrawingTheSubscriberRoleCutsStreams(t *testing.T) {
	hub := hubtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m := hub.AddMember(t, "Reader")
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- hub.Client(t, m).Subscribe(ctx, client.Beginning(), func(context.Context, *client.Delivery) error { return nil },
			client.OnStart(func(uint64) { close(started) }))
	}()
	<-started
	// An operator-role member withdraws it (the admin API accepts it like
	// the operator token).
	op := addMemberWithRoles(t, hub, client.RoleOperator)
	if _, err := hub.Client(t, op).Admin().SetRoles(ctx, m.ID, client.RolePublisher); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if status.Code(err) != codes.PermissionDenied {
			t.Fatalf("stream ended with %v, want PermissionDenied", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stream still open 5s after the subscriber role was withdrawn")
	}
	// The audit log names the member who acted.
	entries, err := hub.Operator(t).Admin().Audit(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	if last.GetAction() != "member.roles" || !strings.HasPrefix(last.GetActor(), op.ID) {
		t.Errorf("last audit entry %v, want member.roles by %s", last, op.ID)
	}
	// Bad role lists are refused.
	if _, err := hub.Operator(t).Admin().SetRoles(ctx, m.ID); status.Code(err) != codes.InvalidArgument {
		t.Errorf("empty roles: %v, want InvalidArgument", err)
	}
}
