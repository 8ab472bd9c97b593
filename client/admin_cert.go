package client

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/stixhub/stixhub/internal/pki"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Member roles.
const (
	RolePublisher  = "publisher"
	RoleSubscriber = "subscriber"
	RoleOperator   = "operator"
)

var roleNames = map[string]stixhubv1.MemberRole{
	RolePublisher:  stixhubv1.MemberRole_MEMBER_ROLE_PUBLISHER,
	RoleSubscriber: stixhubv1.MemberRole_MEMBER_ROLE_SUBSCRIBER,
	RoleOperator:   stixhubv1.MemberRole_MEMBER_ROLE_OPERATOR,
}

func roleProtos(roles []string) ([]stixhubv1.MemberRole, error) {
	var out []stixhubv1.MemberRole
	for _, r := range roles {
		p, ok := roleNames[strings.ToLower(strings.TrimSpace(r))]
		if !ok {
			return nil, fmt.Errorf("unknown role %q: want publisher, subscriber or operator", r)
		}
		out = append(out, p)
	}
	return out, nil
}

// RoleNames returns a member's roles by name.
func RoleNames(m *stixhubv1.Member) []string {
	var out []string
	for _, name := range []string{RolePublisher, RoleSubscriber, RoleOperator} {
		if slices.Contains(m.GetRoles(), roleNames[name]) {
			out = append(out, name)
		}
	}
	return out
}

// SetRoles replaces a member's roles ("publisher", "subscriber",
// "operator"; at least one).
func (a *Admin) SetRoles(ctx context.Context, memberID string, roles ...string) (*stixhubv1.Member, error) {
	rs, err := roleProtos(roles)
	if err != nil {
		return nil, err
	}
	resp, err := a.c.SetMemberRoles(ctx, &stixhubv1.SetMemberRolesRequest{MemberId: memberID, Roles: rs})
	return resp.GetMember(), err
}

// MemberCertificate is a client certificate the hub issued.
type MemberCertificate = stixhubv1.IssueMemberCertificateResponse

// IssueCertificate has the hub sign a client certificate for a member over
// the key of csr (PKCS#10, DER or PEM), valid for validity (0: the hub's
// default, a year). NewClientKey makes a key and its request.
func (a *Admin) IssueCertificate(ctx context.Context, memberID string, csr []byte, validity time.Duration) (*MemberCertificate, error) {
	req := &stixhubv1.IssueMemberCertificateRequest{MemberId: memberID, Csr: csr}
	if validity > 0 {
		req.Validity = durationpb.New(validity)
	}
	return a.c.IssueMemberCertificate(ctx, req)
}

// NewClientKey makes an ECDSA P-256 private key (PKCS#8 PEM, to be kept
// secret) and a certificate signing request (DER) for IssueCertificate.
func NewClientKey() (keyPEM, csr []byte, err error) { return pki.NewClientKey() }
