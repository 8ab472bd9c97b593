package server

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/stixhub/stixhub/internal/auth"
	"github.com/stixhub/stixhub/internal/registry"
	"github.com/stixhub/stixhub/internal/store"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// adminService implements stixhubv1.AdminServiceServer. Every change is
// logged and recorded in the registry's audit log (who, what, when).
type adminService struct {
	stixhubv1.UnimplementedAdminServiceServer
	hub *Hub
}

// audit records an admin action. The change itself is already made; a
// failure to record it is logged loudly but does not undo it.
func (s *adminService) audit(ctx context.Context, action, target string, detail map[string]string) {
	actor := "operator"
	if pr, ok := auth.FromContext(ctx); ok && pr.MemberID != "" {
		actor = pr.MemberID // a member with the operator role
	}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		actor += "@" + p.Addr.String()
	}
	if _, err := s.hub.registry.Audit(ctx, registry.AuditEntry{Actor: actor, Action: action, Target: target, Detail: detail}); err != nil {
		s.hub.log.ErrorContext(ctx, "admin: could not record audit entry", "action", action, "target", target, "err", err)
	}
}

func (s *adminService) CreateMember(ctx context.Context, req *stixhubv1.CreateMemberRequest) (*stixhubv1.CreateMemberResponse, error) {
	if err := validateCreateMember(req); err != nil {
		return nil, err
	}
	roles, err := rolesFromProto(req.GetRoles(), true)
	if err != nil {
		return nil, err
	}
	var opts []registry.MemberOption
	if roles != nil {
		opts = append(opts, registry.WithRoles(roles...))
	}
	m, token, err := s.hub.registry.CreateMember(ctx, req.GetName(), req.GetIdentity(), opts...)
	if err != nil {
		return nil, rpcError(ctx, s.hub.log, "create member", err)
	}
	s.hub.log.InfoContext(ctx, "admin: member created", "member", m.ID, "name", m.Name, "identity", m.Identity)
	s.audit(ctx, "member.create", m.ID, map[string]string{"name": m.Name, "identity": m.Identity, "roles": rolesString(m.EffectiveRoles())})
	return &stixhubv1.CreateMemberResponse{Member: memberProto(m), Token: token}, nil
}

func (s *adminService) ListMembers(ctx context.Context, _ *stixhubv1.ListMembersRequest) (*stixhubv1.ListMembersResponse, error) {
	resp := &stixhubv1.ListMembersResponse{}
	for _, m := range s.hub.registry.Members() {
		resp.Members = append(resp.Members, memberProto(m))
	}
	return resp, nil
}

func (s *adminService) AddKey(ctx context.Context, req *stixhubv1.AddKeyRequest) (*stixhubv1.AddKeyResponse, error) {
	if err := validateAddKey(req); err != nil {
		return nil, err
	}
	k, err := s.hub.registry.AddKey(ctx, req.GetMemberId(), req.GetPublicKey())
	if err != nil {
		return nil, rpcError(ctx, s.hub.log, "add key", err)
	}
	s.hub.log.InfoContext(ctx, "admin: key added", "member", k.MemberID, "key", k.ID)
	s.audit(ctx, "key.add", k.ID, map[string]string{"member": k.MemberID})
	return &stixhubv1.AddKeyResponse{Key: keyProto(k, time.Now())}, nil
}

func (s *adminService) RevokeKey(ctx context.Context, req *stixhubv1.RevokeKeyRequest) (*stixhubv1.RevokeKeyResponse, error) {
	if err := validateRevokeKey(req); err != nil {
		return nil, err
	}
	rv := registry.Revocation{Reason: req.GetReason()}
	if req.GetCompromisedAt() != nil {
		rv.CompromisedAt = req.GetCompromisedAt().AsTime()
	}
	before, known := s.hub.registry.Key(req.GetKeyId())
	k, err := s.hub.registry.RevokeKey(ctx, req.GetKeyId(), rv)
	if err != nil {
		return nil, rpcError(ctx, s.hub.log, "revoke key", err)
	}
	if known && before.Status == registry.KeyRevoked {
		return &stixhubv1.RevokeKeyResponse{Key: keyProto(k, time.Now())}, nil // already revoked: nothing new to announce
	}
	// Tell every subscriber, in stream order. The revocation itself is
	// already in force; if the event cannot be written now the operator
	// sees the error and revoking again writes it (revocation is
	// idempotent, the event is not lost silently).
	res, err := s.hub.store.Append(ctx, []store.Entry{{Revocation: &stixhubv1.KeyRevocation{Key: keyProto(k, time.Now())}}})
	if err == nil && res[0].Err != nil {
		err = res[0].Err
	}
	if err != nil {
		return nil, rpcError(ctx, s.hub.log, "announce key revocation", err)
	}
	s.hub.log.InfoContext(ctx, "admin: key revoked", "member", k.MemberID, "key", k.ID, "reason", k.RevokeReason,
		"compromised_at", k.CompromisedAt, "event_cursor", res[0].Cursor)
	detail := map[string]string{"member": k.MemberID, "reason": k.RevokeReason}
	if !k.CompromisedAt.IsZero() {
		detail["compromised_at"] = k.CompromisedAt.Format(time.RFC3339Nano)
	}
	s.audit(ctx, "key.revoke", k.ID, detail)
	return &stixhubv1.RevokeKeyResponse{Key: keyProto(k, time.Now())}, nil
}

func (s *adminService) RotateKey(ctx context.Context, req *stixhubv1.RotateKeyRequest) (*stixhubv1.RotateKeyResponse, error) {
	if err := validateRotateKey(req); err != nil {
		return nil, err
	}
	overlap := req.GetOverlap().AsDuration()
	k, retired, err := s.hub.registry.RotateKey(ctx, req.GetMemberId(), req.GetPublicKey(), overlap)
	if err != nil {
		return nil, rpcError(ctx, s.hub.log, "rotate key", err)
	}
	now := time.Now()
	resp := &stixhubv1.RotateKeyResponse{Key: keyProto(k, now)}
	for _, r := range retired {
		resp.Retired = append(resp.Retired, keyProto(r, now))
	}
	s.hub.log.InfoContext(ctx, "admin: key rotated", "member", k.MemberID, "key", k.ID, "retired", len(retired), "overlap", overlap)
	s.audit(ctx, "key.rotate", k.ID, map[string]string{"member": k.MemberID, "overlap": overlap.String(), "retired": retiredIDs(retired)})
	return resp, nil
}

func retiredIDs(ks []registry.Key) string {
	var s string
	for i, k := range ks {
		if i > 0 {
			s += ","
		}
		s += k.ID
	}
	return s
}

func (s *adminService) SuspendMember(ctx context.Context, req *stixhubv1.SuspendMemberRequest) (*stixhubv1.SuspendMemberResponse, error) {
	m, err := s.setSuspended(ctx, req.GetMemberId(), true)
	if err != nil {
		return nil, err
	}
	return &stixhubv1.SuspendMemberResponse{Member: memberProto(m)}, nil
}

func (s *adminService) ResumeMember(ctx context.Context, req *stixhubv1.ResumeMemberRequest) (*stixhubv1.ResumeMemberResponse, error) {
	m, err := s.setSuspended(ctx, req.GetMemberId(), false)
	if err != nil {
		return nil, err
	}
	return &stixhubv1.ResumeMemberResponse{Member: memberProto(m)}, nil
}

func (s *adminService) setSuspended(ctx context.Context, memberID string, suspended bool) (registry.Member, error) {
	if err := validateMemberID(memberID); err != nil {
		return registry.Member{}, err
	}
	action := map[bool]string{true: "member.suspend", false: "member.resume"}[suspended]
	m, err := s.hub.registry.SetSuspended(ctx, memberID, suspended)
	if err != nil {
		return registry.Member{}, rpcError(ctx, s.hub.log, action, err)
	}
	s.hub.log.InfoContext(ctx, "admin: "+action, "member", m.ID)
	s.audit(ctx, action, m.ID, nil)
	return m, nil
}

func (s *adminService) UpdateMember(ctx context.Context, req *stixhubv1.UpdateMemberRequest) (*stixhubv1.UpdateMemberResponse, error) {
	if err := validateMemberID(req.GetMemberId()); err != nil {
		return nil, err
	}
	m, ok := s.hub.registry.Member(req.GetMemberId())
	if !ok {
		return nil, rpcError(ctx, s.hub.log, "update member", fmt.Errorf("member %s: %w", req.GetMemberId(), registry.ErrNotFound))
	}
	if req.TaxiiUnsigned != nil {
		var err error
		if m, err = s.hub.registry.SetTaxiiUnsigned(ctx, req.GetMemberId(), req.GetTaxiiUnsigned()); err != nil {
			return nil, rpcError(ctx, s.hub.log, "update member", err)
		}
		s.hub.log.InfoContext(ctx, "admin: member updated", "member", m.ID, "taxii_unsigned", m.TaxiiUnsigned)
		s.audit(ctx, "member.update", m.ID, map[string]string{"taxii_unsigned": strconv.FormatBool(m.TaxiiUnsigned)})
	}
	return &stixhubv1.UpdateMemberResponse{Member: memberProto(m)}, nil
}

func (s *adminService) ListAudit(ctx context.Context, req *stixhubv1.ListAuditRequest) (*stixhubv1.ListAuditResponse, error) {
	var since time.Time
	if req.GetSince() != nil {
		if !req.GetSince().IsValid() {
			return nil, invalidArgument("invalid filter", violation("since", "not a valid timestamp"))
		}
		since = req.GetSince().AsTime()
	}
	entries, err := s.hub.registry.AuditLog(ctx, since, int(req.GetLimit()))
	if err != nil {
		return nil, rpcError(ctx, s.hub.log, "list audit", err)
	}
	resp := &stixhubv1.ListAuditResponse{}
	for _, e := range entries {
		resp.Entries = append(resp.Entries, &stixhubv1.AuditEntry{
			Id: e.ID, Time: timestamppb.New(e.Time), Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail,
		})
	}
	return resp, nil
}

func (s *adminService) ListKeys(ctx context.Context, req *stixhubv1.ListKeysRequest) (*stixhubv1.ListKeysResponse, error) {
	if err := validateMemberFilter(req.GetMemberId()); err != nil {
		return nil, err
	}
	keys, hubKeys := s.hub.keySet(req.GetMemberId())
	return &stixhubv1.ListKeysResponse{Keys: keys, HubKeys: hubKeys}, nil
}

// keySet returns the public key set: member keys (of one member, or all) and
// the hub's receipt keys.
func (h *Hub) keySet(memberID string) ([]*stixhubv1.Key, []*stixhubv1.HubKey) {
	now := time.Now()
	var keys []*stixhubv1.Key
	for _, k := range h.registry.Keys(memberID) {
		keys = append(keys, keyProto(k, now))
	}
	var hubKeys []*stixhubv1.HubKey
	for _, k := range h.registry.HubKeys() {
		hubKeys = append(hubKeys, &stixhubv1.HubKey{Id: k.ID, PublicKey: k.PublicKey, AddedAt: timestamppb.New(k.AddedAt)})
	}
	return keys, hubKeys
}

func memberProto(m registry.Member) *stixhubv1.Member {
	p := &stixhubv1.Member{Id: m.ID, Name: m.Name, Identity: m.Identity, CreatedAt: timestamppb.New(m.CreatedAt),
		Suspended: m.Suspended, TaxiiUnsigned: m.TaxiiUnsigned, Roles: rolesProto(m)}
	if m.Suspended {
		p.SuspendedAt = timestamppb.New(m.SuspendedAt)
	}
	return p
}

// keyProto is the API form of a key, with its status as of now.
func keyProto(k registry.Key, now time.Time) *stixhubv1.Key {
	p := &stixhubv1.Key{
		Id:           k.ID,
		MemberId:     k.MemberID,
		PublicKey:    k.PublicKey,
		Status:       stixhubv1.KeyStatus_KEY_STATUS_ACTIVE,
		AddedAt:      timestamppb.New(k.AddedAt),
		RevokeReason: k.RevokeReason,
		ReplacedBy:   k.ReplacedBy,
	}
	switch k.StatusAt(now) {
	case registry.KeyRevoked:
		p.Status = stixhubv1.KeyStatus_KEY_STATUS_REVOKED
	case registry.KeyExpired:
		p.Status = stixhubv1.KeyStatus_KEY_STATUS_EXPIRED
	}
	if !k.RevokedAt.IsZero() {
		p.RevokedAt = timestamppb.New(k.RevokedAt)
	}
	if !k.ExpiresAt.IsZero() {
		p.ExpiresAt = timestamppb.New(k.ExpiresAt)
	}
	if !k.CompromisedAt.IsZero() {
		p.CompromisedAt = timestamppb.New(k.CompromisedAt)
	}
	return p
}

func groupProto(g registry.Group) *stixhubv1.Group {
	return &stixhubv1.Group{Name: g.Name, Members: g.Members, CreatedAt: timestamppb.New(g.CreatedAt)}
}

func validateGroupName(name string) error {
	if !registry.ValidGroupName(name) {
		return invalidArgument("invalid group", violation("name", "lowercase letters, digits and dashes, 1 to 64 characters"))
	}
	return nil
}

func (s *adminService) CreateGroup(ctx context.Context, req *stixhubv1.CreateGroupRequest) (*stixhubv1.CreateGroupResponse, error) {
	if err := validateGroupName(req.GetName()); err != nil {
		return nil, err
	}
	g, err := s.hub.registry.CreateGroup(ctx, req.GetName())
	if err != nil {
		return nil, rpcError(ctx, s.hub.log, "create group", err)
	}
	s.hub.log.InfoContext(ctx, "admin: group created", "group", g.Name)
	s.audit(ctx, "group.create", g.Name, nil)
	return &stixhubv1.CreateGroupResponse{Group: groupProto(g)}, nil
}

func (s *adminService) AddGroupMember(ctx context.Context, req *stixhubv1.AddGroupMemberRequest) (*stixhubv1.AddGroupMemberResponse, error) {
	g, err := s.changeGroup(ctx, req.GetGroup(), req.GetMemberId(), true)
	if err != nil {
		return nil, err
	}
	return &stixhubv1.AddGroupMemberResponse{Group: groupProto(g)}, nil
}

func (s *adminService) RemoveGroupMember(ctx context.Context, req *stixhubv1.RemoveGroupMemberRequest) (*stixhubv1.RemoveGroupMemberResponse, error) {
	g, err := s.changeGroup(ctx, req.GetGroup(), req.GetMemberId(), false)
	if err != nil {
		return nil, err
	}
	return &stixhubv1.RemoveGroupMemberResponse{Group: groupProto(g)}, nil
}

func (s *adminService) changeGroup(ctx context.Context, group, memberID string, add bool) (registry.Group, error) {
	if err := validateGroupName(group); err != nil {
		return registry.Group{}, err
	}
	if err := validateMemberID(memberID); err != nil {
		return registry.Group{}, err
	}
	action, change := "group.remove-member", s.hub.registry.RemoveGroupMember
	if add {
		action, change = "group.add-member", s.hub.registry.AddGroupMember
	}
	g, err := change(ctx, group, memberID)
	if err != nil {
		return registry.Group{}, rpcError(ctx, s.hub.log, action, err)
	}
	s.hub.log.InfoContext(ctx, "admin: "+action, "group", g.Name, "member", memberID)
	s.audit(ctx, action, g.Name, map[string]string{"member": memberID})
	return g, nil
}

func (s *adminService) ListGroups(ctx context.Context, _ *stixhubv1.ListGroupsRequest) (*stixhubv1.ListGroupsResponse, error) {
	resp := &stixhubv1.ListGroupsResponse{}
	for _, g := range s.hub.registry.Groups() {
		resp.Groups = append(resp.Groups, groupProto(g))
	}
	return resp, nil
}
