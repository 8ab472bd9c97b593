package auth

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/internal/registry"
)

// tokens is a fixed token table; the registry's own lookup is tested in its
// package and end to end in the server tests.
type tokens map[string]registry.Principal

// Suspended says member--suspended is.
func (t tokens) Suspended(id string) bool { return id == "member--suspended" }

func (t tokens) Authenticate(tok string) (registry.Principal, bool) {
	p, ok := t[tok]
	return p, ok
}

func TestAuthorize(t *testing.T) {
	a := tokens{"member-tok": {MemberID: "member--1"}, "op-tok": {Operator: true}, "suspended-tok": {MemberID: "member--suspended"}}
	pol := Policy{
		Methods:  map[string]Rule{"/svc/Publish": MemberOnly, "/svc/Closed": Deny},
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
