package server

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/stixhub/stixhub/internal/registry"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// adminService implements stixhubv1.AdminServiceServer.
type adminService struct {
	stixhubv1.UnimplementedAdminServiceServer
	hub *Hub
}

func (s *adminService) CreateMember(ctx context.Context, req *stixhubv1.CreateMemberRequest) (*stixhubv1.CreateMemberResponse, error) {
	if err := validateCreateMember(req); err != nil {
		return nil, err
	}
	m, token, err := s.hub.registry.CreateMember(ctx, req.GetName(), req.GetIdentity())
	if err != nil {
		return nil, rpcError(ctx, s.hub.log, "create member", err)
	}
	s.hub.log.InfoContext(ctx, "admin: member created", "member", m.ID, "name", m.Name, "identity", m.Identity)
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
	return &stixhubv1.AddKeyResponse{Key: keyProto(k)}, nil
}

func (s *adminService) RevokeKey(ctx context.Context, req *stixhubv1.RevokeKeyRequest) (*stixhubv1.RevokeKeyResponse, error) {
	if err := validateRevokeKey(req); err != nil {
		return nil, err
	}
	k, err := s.hub.registry.RevokeKey(ctx, req.GetKeyId(), req.GetReason())
	if err != nil {
		return nil, rpcError(ctx, s.hub.log, "revoke key", err)
	}
	s.hub.log.InfoContext(ctx, "admin: key revoked", "member", k.MemberID, "key", k.ID, "reason", k.RevokeReason)
	return &stixhubv1.RevokeKeyResponse{Key: keyProto(k)}, nil
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
	var keys []*stixhubv1.Key
	for _, k := range h.registry.Keys(memberID) {
		keys = append(keys, keyProto(k))
	}
	var hubKeys []*stixhubv1.HubKey
	for _, k := range h.registry.HubKeys() {
		hubKeys = append(hubKeys, &stixhubv1.HubKey{Id: k.ID, PublicKey: k.PublicKey, AddedAt: timestamppb.New(k.AddedAt)})
	}
	return keys, hubKeys
}

func memberProto(m registry.Member) *stixhubv1.Member {
	return &stixhubv1.Member{Id: m.ID, Name: m.Name, Identity: m.Identity, CreatedAt: timestamppb.New(m.CreatedAt)}
}

func keyProto(k registry.Key) *stixhubv1.Key {
	p := &stixhubv1.Key{
		Id:           k.ID,
		MemberId:     k.MemberID,
		PublicKey:    k.PublicKey,
		Status:       stixhubv1.KeyStatus_KEY_STATUS_ACTIVE,
		AddedAt:      timestamppb.New(k.AddedAt),
		RevokeReason: k.RevokeReason,
	}
	if k.Status == registry.KeyRevoked {
		p.Status = stixhubv1.KeyStatus_KEY_STATUS_REVOKED
		p.RevokedAt = timestamppb.New(k.RevokedAt)
	}
	return p
}
