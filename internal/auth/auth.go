// Package auth authenticates gRPC callers by bearer token and says which
// principal a request runs as.
//
// Tokens travel in the `authorization` metadata as "Bearer <token>". The hub
// stores only token hashes (see registry.HashToken). Which methods a principal
// may call is decided here, in one place, from a per-method rule table; a
// method without a rule is refused (deny by default).
package auth

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/internal/registry"
)

// Rule says who may call a method.
type Rule int

// Rules.
const (
	// Deny refuses everyone; it is what methods without a rule get.
	Deny Rule = iota
	// Public needs no token (health checks, reflection).
	Public
	// MemberOnly needs a member token.
	MemberOnly
	// OperatorOnly needs the operator token or a member with the operator
	// role.
	OperatorOnly
	// PublisherOnly needs a member with the publisher role.
	PublisherOnly
	// SubscriberOnly needs a member with the subscriber role.
	SubscriberOnly
)

// Authenticator looks up the principal of a token, and members (whether
// they exist, are suspended, and their roles).
type Authenticator interface {
	Authenticate(token string) (registry.Principal, bool)
	Member(id string) (registry.Member, bool)
}

// ErrSuspendedMessage is what a suspended member is told.
const ErrSuspendedMessage = "member is suspended; contact the hub operator"

// Policy maps full gRPC method names ("/stixhub.v1.HubService/Publish") or
// service prefixes ("/grpc.health.v1.Health/") to rules.
type Policy struct {
	// Methods holds exact method rules.
	Methods map[string]Rule
	// Prefixes holds rules for every method of a service.
	Prefixes map[string]Rule
}

func (p Policy) rule(method string) Rule {
	if r, ok := p.Methods[method]; ok {
		return r
	}
	for prefix, r := range p.Prefixes {
		if strings.HasPrefix(method, prefix) {
			return r
		}
	}
	return Deny
}

type principalKey struct{}

// FromContext returns the principal a request was authenticated as.
func FromContext(ctx context.Context) (registry.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(registry.Principal)
	return p, ok
}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p registry.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// Authorize authenticates the request in ctx for method and returns the
// context carrying its principal. Errors are gRPC statuses with messages safe
// to show the caller.
func Authorize(ctx context.Context, a Authenticator, pol Policy, method string) (context.Context, error) {
	rule := pol.rule(method)
	switch rule {
	case Public:
		return ctx, nil
	case Deny:
		return nil, status.Error(codes.PermissionDenied, "method not allowed")
	}
	p, err := authenticate(ctx, a)
	if err != nil {
		return nil, err
	}
	if err := permit(a, p, rule); err != nil {
		return nil, err
	}
	return WithPrincipal(ctx, p), nil
}

// authenticate finds the caller: by bearer token when the request carries
// one, else by a verified member client certificate (see certPrincipal).
func authenticate(ctx context.Context, a Authenticator) (registry.Principal, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if len(md.Get("authorization")) == 0 {
		if p, ok, err := certPrincipal(ctx, a); ok || err != nil {
			return p, err
		}
	}
	token, err := bearer(ctx)
	if err != nil {
		return registry.Principal{}, err
	}
	p, ok := a.Authenticate(token)
	if !ok {
		return registry.Principal{}, status.Error(codes.Unauthenticated, "invalid token")
	}
	return p, nil
}

// permit applies a rule to an authenticated principal.
func permit(a Authenticator, p registry.Principal, rule Rule) error {
	if p.Operator {
		if rule == OperatorOnly {
			return nil
		}
		return status.Error(codes.PermissionDenied, "member credentials required; the operator token cannot publish or subscribe")
	}
	m, ok := a.Member(p.MemberID)
	if !ok {
		return status.Error(codes.Unauthenticated, "unknown member")
	}
	if m.Suspended {
		return status.Error(codes.PermissionDenied, ErrSuspendedMessage)
	}
	var need registry.Role
	switch rule {
	case MemberOnly:
		return nil
	case OperatorOnly:
		need = registry.RoleOperator
	case PublisherOnly:
		need = registry.RolePublisher
	case SubscriberOnly:
		need = registry.RoleSubscriber
	default:
		return status.Error(codes.PermissionDenied, "method not allowed")
	}
	if !m.HasRole(need) {
		if need == registry.RoleOperator {
			return status.Error(codes.PermissionDenied, "operator token or the operator role required")
		}
		return status.Errorf(codes.PermissionDenied, "the %s role is required; ask the hub operator", need)
	}
	return nil
}

func bearer(ctx context.Context) (string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return "", status.Error(codes.Unauthenticated, "missing token: send \"authorization: Bearer <token>\"")
	}
	scheme, token, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || token == "" {
		return "", status.Error(codes.Unauthenticated, "malformed authorization: want \"Bearer <token>\"")
	}
	return strings.TrimSpace(token), nil
}

// UnaryInterceptor authorizes unary calls.
func UnaryInterceptor(a Authenticator, pol Policy) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := Authorize(ctx, a, pol, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamInterceptor authorizes streaming calls.
func StreamInterceptor(a Authenticator, pol Policy) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := Authorize(ss.Context(), a, pol, info.FullMethod)
		if err != nil {
			return err
		}
		return handler(srv, &wrappedStream{ServerStream: ss, ctx: ctx})
	}
}

type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *wrappedStream) Context() context.Context { return w.ctx }
