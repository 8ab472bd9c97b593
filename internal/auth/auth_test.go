package auth

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/internal/registry"
)

// tokens is a fixed token table with fixed members; the registry's own
// lookup is tested in its package and end to end in the server tests.
type tokens map[string]registry.Principal

// Member knows every member a token names; member--suspended is suspended,
// member--reader only subscribes, member--admin is also an operator.
func (t tokens) Member(id string) (registry.Member, bool) {
	for _, p := range t {
		if p.MemberID == id {
			m := registry.Member{ID: id, Suspended: id == "member--suspended"}
			switch id {
			case "member--reader":
				m.Roles = []registry.Role{registry.RoleSubscriber}
			case "member--admin":
				m.Roles = []registry.Role{registry.RoleOperator, registry.RolePublisher}
			}
			return m, true
		}
	}
	return registry.Member{}, false
}

func (t tokens) Authenticate(tok string) (registry.Principal, bool) {
	p, ok := t[tok]
	return p, ok
}

func TestAuthorize(t *testing.T) {
	a := tokens{"member-tok": {MemberID: "member--1"}, "op-tok": {Operator: true}, "suspended-tok": {MemberID: "member--suspended"},
		"reader-tok": {MemberID: "member--reader"}, "admin-tok": {MemberID: "member--admin"}}
	pol := Policy{
		Methods: map[string]Rule{"/svc/Publish": PublisherOnly, "/svc/Subscribe": SubscriberOnly, "/svc/Keys": MemberOnly,
			"/svc/Closed": Deny},
		Prefixes: map[string]Rule{"/admin/": OperatorOnly, "/health/": Public},
	}
	tests := []struct {
		name, method, auth string
		want               codes.Code
		wantMember         string
	}{
		{"member calls a member method", "/svc/Publish", "Bearer member-tok", codes.OK, "member--1"},
		{"scheme is case-insensitive", "/svc/Publish", "bearer member-tok", codes.OK, "member--1"},
		{"no token", "/svc/Publish", "", codes.Unauthenticated, ""},
		{"unknown token", "/svc/Publish", "Bearer nope", codes.Unauthenticated, ""},
		{"basic auth is not bearer", "/svc/Publish", "Basic bWVtYmVyLXRvaw==", codes.Unauthenticated, ""},
		{"empty bearer", "/svc/Publish", "Bearer ", codes.Unauthenticated, ""},
		{"operator on a member method", "/svc/Publish", "Bearer op-tok", codes.PermissionDenied, ""},
		{"member on an operator method", "/admin/ListMembers", "Bearer member-tok", codes.PermissionDenied, ""},
		{"operator on an operator method", "/admin/ListMembers", "Bearer op-tok", codes.OK, ""},
		{"public method needs nothing", "/health/Check", "", codes.OK, ""},
		{"denied method", "/svc/Closed", "Bearer op-tok", codes.PermissionDenied, ""},
		{"suspended member", "/svc/Publish", "Bearer suspended-tok", codes.PermissionDenied, ""},
		{"method without a rule is denied", "/svc/Unknown", "Bearer op-tok", codes.PermissionDenied, ""},
		{"default roles may subscribe", "/svc/Subscribe", "Bearer member-tok", codes.OK, "member--1"},
		{"subscriber-only member cannot publish", "/svc/Publish", "Bearer reader-tok", codes.PermissionDenied, ""},
		{"subscriber-only member subscribes", "/svc/Subscribe", "Bearer reader-tok", codes.OK, "member--reader"},
		{"subscriber-only member reads the key set", "/svc/Keys", "Bearer reader-tok", codes.OK, "member--reader"},
		{"subscriber-only member is no operator", "/admin/ListMembers", "Bearer reader-tok", codes.PermissionDenied, ""},
		{"member with the operator role administers", "/admin/ListMembers", "Bearer admin-tok", codes.OK, "member--admin"},
		{"operator-role member without subscriber role", "/svc/Subscribe", "Bearer admin-tok", codes.PermissionDenied, ""},
		{"operator token cannot subscribe", "/svc/Subscribe", "Bearer op-tok", codes.PermissionDenied, ""},
		{"suspended member has no role", "/svc/Keys", "Bearer suspended-tok", codes.PermissionDenied, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.auth != "" {
				ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", tc.auth))
			}
			got, err := Authorize(ctx, a, pol, tc.method)
			if status.Code(err) != tc.want {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			p, _ := FromContext(got)
			if p.MemberID != tc.wantMember {
				t.Errorf("principal %+v, want member %q", p, tc.wantMember)
			}
		})
	}
}
