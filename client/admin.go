package client

import (
	"context"
	"crypto/ed25519"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Admin is the operator API. Its calls need a client made with the operator
// token.
type Admin struct {
	c stixhubv1.AdminServiceClient
}

// Admin returns the operator API on this connection.
func (c *Client) Admin() *Admin { return &Admin{c: c.admin} }

// CreateMember admits a member and returns it with its token. The token is
// shown only once. roles ("publisher", "subscriber", "operator") default to
// publisher and subscriber.
func (a *Admin) CreateMember(ctx context.Context, name, identity string, roles ...string) (*stixhubv1.Member, string, error) {
	rs, err := roleProtos(roles)
	if err != nil {
		return nil, "", err
	}
	resp, err := a.c.CreateMember(ctx, &stixhubv1.CreateMemberRequest{Name: name, Identity: identity, Roles: rs})
	if err != nil {
		return nil, "", err
	}
	return resp.GetMember(), resp.GetToken(), nil
}

// ListMembers lists every member, oldest first.
func (a *Admin) ListMembers(ctx context.Context) ([]*stixhubv1.Member, error) {
	resp, err := a.c.ListMembers(ctx, &stixhubv1.ListMembersRequest{})
	return resp.GetMembers(), err
}

// AddKey registers a public key for a member.
func (a *Admin) AddKey(ctx context.Context, memberID string, pub ed25519.PublicKey) (*stixhubv1.Key, error) {
	resp, err := a.c.AddKey(ctx, &stixhubv1.AddKeyRequest{MemberId: memberID, PublicKey: pub})
	return resp.GetKey(), err
}

// RevokeKey revokes a key from now on. Objects accepted before stay valid.
func (a *Admin) RevokeKey(ctx context.Context, keyID, reason string) (*stixhubv1.Key, error) {
	resp, err := a.c.RevokeKey(ctx, &stixhubv1.RevokeKeyRequest{KeyId: keyID, Reason: reason})
	return resp.GetKey(), err
}

// RevokeCompromisedKey revokes a key as compromised since compromisedAt:
// new objects are refused, and objects accepted from compromisedAt on are
// flagged as suspect to every subscriber and by Verifier.
func (a *Admin) RevokeCompromisedKey(ctx context.Context, keyID string, compromisedAt time.Time) (*stixhubv1.Key, error) {
	resp, err := a.c.RevokeKey(ctx, &stixhubv1.RevokeKeyRequest{
		KeyId: keyID, Reason: "compromised", CompromisedAt: timestamppb.New(compromisedAt),
	})
	return resp.GetKey(), err
}

// RotateKey registers pub as the member's new key; its other keys stay valid
// for objects accepted within overlap from now, and are refused after. It
// returns the new key and the retired ones.
func (a *Admin) RotateKey(ctx context.Context, memberID string, pub ed25519.PublicKey, overlap time.Duration) (*stixhubv1.Key, []*stixhubv1.Key, error) {
	resp, err := a.c.RotateKey(ctx, &stixhubv1.RotateKeyRequest{MemberId: memberID, PublicKey: pub, Overlap: durationpb.New(overlap)})
	return resp.GetKey(), resp.GetRetired(), err
}

// SuspendMember stops a member from publishing and reading; its open
// streams end with PermissionDenied.
func (a *Admin) SuspendMember(ctx context.Context, memberID string) (*stixhubv1.Member, error) {
	resp, err := a.c.SuspendMember(ctx, &stixhubv1.SuspendMemberRequest{MemberId: memberID})
	return resp.GetMember(), err
}

// ResumeMember lifts a suspension.
func (a *Admin) ResumeMember(ctx context.Context, memberID string) (*stixhubv1.Member, error) {
	resp, err := a.c.ResumeMember(ctx, &stixhubv1.ResumeMemberRequest{MemberId: memberID})
	return resp.GetMember(), err
}

// SetTaxiiUnsigned allows or refuses a member's unsigned posts over TAXII,
// which the hub stores hub-attested.
func (a *Admin) SetTaxiiUnsigned(ctx context.Context, memberID string, allowed bool) (*stixhubv1.Member, error) {
	resp, err := a.c.UpdateMember(ctx, &stixhubv1.UpdateMemberRequest{MemberId: memberID, TaxiiUnsigned: &allowed})
	return resp.GetMember(), err
}

// Audit lists recorded operator actions at or after since (zero: all),
// oldest first, at most limit (0: all).
func (a *Admin) Audit(ctx context.Context, since time.Time, limit int) ([]*stixhubv1.AuditEntry, error) {
	req := &stixhubv1.ListAuditRequest{Limit: uint32(max(limit, 0))}
	if !since.IsZero() {
		req.Since = timestamppb.New(since)
	}
	resp, err := a.c.ListAudit(ctx, req)
	return resp.GetEntries(), err
}

// KeySet returns the hub's public key set (all members when memberID is
// empty), as needed by NewVerifier.
func (a *Admin) KeySet(ctx context.Context, memberID string) (*KeySet, error) {
	return a.c.ListKeys(ctx, &stixhubv1.ListKeysRequest{MemberId: memberID})
}

// CreateGroup creates a sharing group.
func (a *Admin) CreateGroup(ctx context.Context, name string) (*stixhubv1.Group, error) {
	resp, err := a.c.CreateGroup(ctx, &stixhubv1.CreateGroupRequest{Name: name})
	return resp.GetGroup(), err
}

// AddGroupMember adds a member to a sharing group.
func (a *Admin) AddGroupMember(ctx context.Context, group, memberID string) (*stixhubv1.Group, error) {
	resp, err := a.c.AddGroupMember(ctx, &stixhubv1.AddGroupMemberRequest{Group: group, MemberId: memberID})
	return resp.GetGroup(), err
}

// RemoveGroupMember removes a member from a sharing group.
func (a *Admin) RemoveGroupMember(ctx context.Context, group, memberID string) (*stixhubv1.Group, error) {
	resp, err := a.c.RemoveGroupMember(ctx, &stixhubv1.RemoveGroupMemberRequest{Group: group, MemberId: memberID})
	return resp.GetGroup(), err
}

// ListGroups lists sharing groups with their members.
func (a *Admin) ListGroups(ctx context.Context) ([]*stixhubv1.Group, error) {
	resp, err := a.c.ListGroups(ctx, &stixhubv1.ListGroupsRequest{})
	return resp.GetGroups(), err
}
