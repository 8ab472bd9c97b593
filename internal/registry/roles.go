package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Role is what a member may do at the hub.
type Role string

// Roles.
const (
	// RolePublisher may publish objects (gRPC Publish, TAXII POST).
	RolePublisher Role = "publisher"
	// RoleSubscriber may read objects (gRPC Subscribe and Lookup, TAXII
	// reads).
	RoleSubscriber Role = "subscriber"
	// RoleOperator may administer the hub, like the operator token.
	RoleOperator Role = "operator"
)

// AllRoles lists every role, in a fixed order.
var AllRoles = []Role{RolePublisher, RoleSubscriber, RoleOperator}

// DefaultRoles are the roles of a member admitted without any.
var DefaultRoles = []Role{RolePublisher, RoleSubscriber}

// ParseRoles reads a comma-separated role list ("publisher,subscriber").
// It refuses unknown roles and an empty list; duplicates are dropped.
func ParseRoles(s string) ([]Role, error) {
	var out []Role
	for part := range strings.SplitSeq(s, ",") {
		part = strings.ToLower(strings.TrimSpace(part))
		if part == "" {
			continue
		}
		r := Role(part)
		if !slices.Contains(AllRoles, r) {
			return nil, fmt.Errorf("unknown role %q (want publisher, subscriber or operator): %w", part, ErrInvalid)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("at least one role required: %w", ErrInvalid)
	}
	return out, nil
}

// normalizeRoles checks roles and puts them in AllRoles order.
func normalizeRoles(roles []Role) ([]Role, error) {
	if len(roles) == 0 {
		return nil, fmt.Errorf("at least one role required: %w", ErrInvalid)
	}
	out := make([]Role, 0, len(roles))
	for _, r := range AllRoles {
		if slices.Contains(roles, r) {
			out = append(out, r)
		}
	}
	for _, r := range roles {
		if !slices.Contains(AllRoles, r) {
			return nil, fmt.Errorf("unknown role %q: %w", r, ErrInvalid)
		}
	}
	return out, nil
}

// EffectiveRoles returns the member's roles, DefaultRoles when none are
// stored.
func (m Member) EffectiveRoles() []Role {
	if len(m.Roles) == 0 {
		return slices.Clone(DefaultRoles)
	}
	return slices.Clone(m.Roles)
}

// HasRole reports whether the member holds role.
func (m Member) HasRole(role Role) bool {
	if len(m.Roles) == 0 {
		return slices.Contains(DefaultRoles, role)
	}
	return slices.Contains(m.Roles, role)
}

// MemberOption sets a property of a member CreateMember admits.
type MemberOption func(*Member) error

// WithRoles admits the member with these roles instead of DefaultRoles.
func WithRoles(roles ...Role) MemberOption {
	return func(m *Member) error {
		rs, err := normalizeRoles(roles)
		if err != nil {
			return err
		}
		m.Roles = rs
		return nil
	}
}

// SetRoles replaces a member's roles. The change applies to the member's
// next call; streams it has open are not cut by a role change.
func (r *Registry) SetRoles(ctx context.Context, memberID string, roles []Role) (Member, error) {
	rs, err := normalizeRoles(roles)
	if err != nil {
		return Member{}, err
	}
	return modify(ctx, r, "member."+memberID, func(m *Member) (bool, error) {
		if slices.Equal(m.EffectiveRoles(), rs) && len(m.Roles) > 0 {
			return false, nil
		}
		m.Roles = rs
		return true, nil
	})
}
