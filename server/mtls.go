package server

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/stixhub/stixhub/internal/pki"
	"github.com/stixhub/stixhub/internal/registry"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Members authenticate with client certificates as well as tokens. The hub
// signs them with the CA in DataDir/tls (the one that signs its server
// certificate, or, when the operator brings the server certificate, a CA
// made there for members only), and trusts them, plus those of any CA in
// ClientCAFile, on gRPC and TAXII alike. A client certificate is optional
// (tls.VerifyClientCertIfGiven): token clients work as before, and a bad
// certificate (untrusted CA, expired, not for client authentication) fails
// the handshake.

// setupMemberTLS loads the member CA and makes tlsConf ask for client
// certificates.
func (h *Hub) setupMemberTLS(tlsConf *tls.Config) error {
	dir := filepath.Join(h.cfg.DataDir, tlsDir)
	var err error
	if h.caFile != "" {
		if h.memberCA, err = pki.LoadCA(dir); err != nil {
			return fmt.Errorf("member certificates: %w", err)
		}
		h.serverCAPEM = h.memberCA.PEM
	} else {
		var created bool
		if h.memberCA, created, err = pki.EnsureCA(dir); err != nil {
			return fmt.Errorf("member certificates: %w", err)
		}
		if created {
			h.log.Info("created CA for member certificates", "ca_file", filepath.Join(dir, "ca.pem"))
		}
	}
	var extra []string
	if h.cfg.ClientCAFile != "" {
		extra = append(extra, h.cfg.ClientCAFile)
	}
	pool, err := pki.CertPool(extra...)
	if err != nil {
		return fmt.Errorf("client CA: %w", err)
	}
	pool.AddCert(h.memberCA.Cert)
	tlsConf.ClientAuth = tls.VerifyClientCertIfGiven
	tlsConf.ClientCAs = pool
	return nil
}

// IssueMemberCertificate signs a client certificate for a member.
func (s *adminService) IssueMemberCertificate(ctx context.Context, req *stixhubv1.IssueMemberCertificateRequest) (*stixhubv1.IssueMemberCertificateResponse, error) {
	var vs []*stixhubv1.FieldViolation
	if err := validateMemberID(req.GetMemberId()); err != nil {
		return nil, err
	}
	csr, err := pki.ParseCSR(req.GetCsr())
	if err != nil {
		vs = append(vs, violation("csr", err.Error()))
	}
	validity := pki.DefaultMemberValidity
	if v := req.GetValidity(); v != nil {
		validity = v.AsDuration()
		if !v.IsValid() || validity <= 0 || validity > pki.MaxMemberValidity {
			vs = append(vs, violation("validity", fmt.Sprintf("must be positive and at most %v", pki.MaxMemberValidity)))
		}
	}
	if len(vs) > 0 {
		return nil, invalidArgument("invalid certificate request", vs...)
	}
	m, ok := s.hub.registry.Member(req.GetMemberId())
	if !ok {
		return nil, status.Errorf(codes.NotFound, "member %s: %v", req.GetMemberId(), registry.ErrNotFound)
	}
	if m.Suspended {
		return nil, status.Error(codes.FailedPrecondition, "member is suspended; resume it first")
	}
	now := time.Now()
	certPEM, cert, err := s.hub.memberCA.IssueMember(csr, m.ID, now.Add(-5*time.Minute), now.Add(validity))
	if err != nil {
		return nil, rpcError(ctx, s.hub.log, "issue member certificate", err)
	}
	serial := hex.EncodeToString(cert.SerialNumber.Bytes())
	s.hub.log.InfoContext(ctx, "admin: member certificate issued", "member", m.ID, "serial", serial, "not_after", cert.NotAfter)
	s.audit(ctx, "member.certificate", m.ID, map[string]string{"serial": serial, "not_after": cert.NotAfter.UTC().Format(time.RFC3339)})
	return &stixhubv1.IssueMemberCertificateResponse{
		CertificatePem: certPEM,
		IssuerCaPem:    s.hub.memberCA.PEM,
		ServerCaPem:    s.hub.serverCAPEM,
		Serial:         serial,
		NotAfter:       timestamppb.New(cert.NotAfter),
	}, nil
}

// SetMemberRoles replaces a member's roles.
func (s *adminService) SetMemberRoles(ctx context.Context, req *stixhubv1.SetMemberRolesRequest) (*stixhubv1.SetMemberRolesResponse, error) {
	if err := validateMemberID(req.GetMemberId()); err != nil {
		return nil, err
	}
	roles, err := rolesFromProto(req.GetRoles(), false)
	if err != nil {
		return nil, err
	}
	m, err := s.hub.registry.SetRoles(ctx, req.GetMemberId(), roles)
	if err != nil {
		return nil, rpcError(ctx, s.hub.log, "set member roles", err)
	}
	s.hub.log.InfoContext(ctx, "admin: member roles set", "member", m.ID, "roles", m.Roles)
	s.audit(ctx, "member.roles", m.ID, map[string]string{"roles": rolesString(m.Roles)})
	return &stixhubv1.SetMemberRolesResponse{Member: memberProto(m)}, nil
}

var roleProtos = map[registry.Role]stixhubv1.MemberRole{
	registry.RolePublisher:  stixhubv1.MemberRole_MEMBER_ROLE_PUBLISHER,
	registry.RoleSubscriber: stixhubv1.MemberRole_MEMBER_ROLE_SUBSCRIBER,
	registry.RoleOperator:   stixhubv1.MemberRole_MEMBER_ROLE_OPERATOR,
}

// rolesFromProto checks a role list from a request. emptyOK allows an
// empty list (default roles).
func rolesFromProto(rs []stixhubv1.MemberRole, emptyOK bool) ([]registry.Role, error) {
	if len(rs) == 0 {
		if emptyOK {
			return nil, nil
		}
		return nil, invalidArgument("invalid roles", violation("roles", "at least one role required"))
	}
	out := make([]registry.Role, 0, len(rs))
	for i, r := range rs {
		found := false
		for role, p := range roleProtos {
			if p == r {
				out, found = append(out, role), true
			}
		}
		if !found {
			return nil, invalidArgument("invalid roles", violation(fmt.Sprintf("roles[%d]", i), "not a role: want publisher, subscriber or operator"))
		}
	}
	return out, nil
}

func rolesProto(m registry.Member) []stixhubv1.MemberRole {
	var out []stixhubv1.MemberRole
	for _, r := range m.EffectiveRoles() {
		out = append(out, roleProtos[r])
	}
	return out
}

func rolesString(rs []registry.Role) string {
	var s string
	for i, r := range rs {
		if i > 0 {
			s += ","
		}
		s += string(r)
	}
	return s
}

// errNotSubscriber ends the streams of a member that lost the subscriber
// role.
var errNotSubscriber = errors.New("member lost the subscriber role")
