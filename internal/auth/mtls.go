package auth

import (
	"context"
	"crypto/tls"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/internal/pki"
	"github.com/stixhub/stixhub/internal/registry"
)

// Members are identified by TLS client certificates as well as by tokens.
// The server asks for a client certificate without requiring one
// (tls.VerifyClientCertIfGiven), so the handshake itself refuses a
// certificate from an untrusted CA, an expired one, or one not made for
// client authentication; a request that gets here with a certificate has a
// verified chain. A request that carries a bearer token is authenticated by
// the token alone.

// MembersByID looks up members.
type MembersByID interface {
	Member(id string) (registry.Member, bool)
}

// Errors of certificate authentication; their text is safe to show the
// caller.
var (
	// ErrCertNoMember means a verified client certificate names no member.
	ErrCertNoMember = errors.New("the client certificate names no member (want a URI SAN stixhub:member:<member id>)")
	// ErrCertUnknownMember means the member a certificate names is not
	// admitted to this hub.
	ErrCertUnknownMember = errors.New("the client certificate names no member of this hub")
)

// TLSMember returns the member a connection's verified client certificate
// names. ok is false when the connection has no verified client
// certificate; err says why a certificate that is there authenticates no
// member.
func TLSMember(state *tls.ConnectionState, members MembersByID) (m registry.Member, ok bool, err error) {
	if state == nil || len(state.VerifiedChains) == 0 || len(state.VerifiedChains[0]) == 0 {
		return registry.Member{}, false, nil
	}
	id, named := pki.MemberID(state.VerifiedChains[0][0])
	if !named {
		return registry.Member{}, true, ErrCertNoMember
	}
	m, known := members.Member(id)
	if !known {
		return registry.Member{}, true, ErrCertUnknownMember
	}
	return m, true, nil
}

// certPrincipal authenticates a gRPC call by its connection's client
// certificate.
func certPrincipal(ctx context.Context, a Authenticator) (registry.Principal, bool, error) {
	pr, ok := peer.FromContext(ctx)
	if !ok {
		return registry.Principal{}, false, nil
	}
	info, ok := pr.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return registry.Principal{}, false, nil
	}
	m, ok, err := TLSMember(&info.State, a)
	if err != nil {
		return registry.Principal{}, true, status.Error(codes.Unauthenticated, err.Error())
	}
	if !ok {
		return registry.Principal{}, false, nil
	}
	return registry.Principal{MemberID: m.ID}, true, nil
}
