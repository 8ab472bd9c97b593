package client

import (
	"context"
	"crypto/ed25519"

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
// shown only once.
func (a *Admin) CreateMember(ctx context.Context, name, identity string) (*stixhubv1.Member, string, error) {
	resp, err := a.c.CreateMember(ctx, &stixhubv1.CreateMemberRequest{Name: name, Identity: identity})
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

// RevokeKey revokes a key from now on.
func (a *Admin) RevokeKey(ctx context.Context, keyID, reason string) (*stixhubv1.Key, error) {
	resp, err := a.c.RevokeKey(ctx, &stixhubv1.RevokeKeyRequest{KeyId: keyID, Reason: reason})
	return resp.GetKey(), err
}

// KeySet returns the hub's public key set (all members when memberID is
// empty), as needed by NewVerifier.
func (a *Admin) KeySet(ctx context.Context, memberID string) (*KeySet, error) {
	return a.c.ListKeys(ctx, &stixhubv1.ListKeysRequest{MemberId: memberID})
}
