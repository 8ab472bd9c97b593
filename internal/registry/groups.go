package registry

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"
)

// Group is a sharing group: the readers of TLP:AMBER objects published to
// it. Operators define groups, such as "jp-exchanges" or "g7-cert"; a member
// may belong to several.
type Group struct {
	Name      string    `json:"name"`
	Members   []string  `json:"members"`
	CreatedAt time.Time `json:"created_at"`
}

var groupName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// ValidGroupName reports whether name can name a group: lowercase letters,
// digits and dashes, 1 to 64 characters, not starting with a dash.
func ValidGroupName(name string) bool { return groupName.MatchString(name) }

// CreateGroup creates an empty group.
func (r *Registry) CreateGroup(ctx context.Context, name string) (Group, error) {
	if !ValidGroupName(name) {
		return Group{}, fmt.Errorf("group name %q: lowercase letters, digits and dashes, at most 64: %w", name, ErrInvalid)
	}
	g := Group{Name: name, Members: []string{}, CreatedAt: r.cfg.Now().UTC()}
	if err := r.create(ctx, "group."+name, g); err != nil {
		if errors.Is(err, ErrExists) {
			return Group{}, fmt.Errorf("group %s: %w", name, ErrExists)
		}
		return Group{}, err
	}
	return g, nil
}

// AddGroupMember adds a member to a group; adding it twice is harmless.
func (r *Registry) AddGroupMember(ctx context.Context, name, memberID string) (Group, error) {
	if _, ok := r.Member(memberID); !ok {
		return Group{}, fmt.Errorf("member %s: %w", memberID, ErrNotFound)
	}
	return modify(ctx, r, "group."+name, func(g *Group) (bool, error) {
		if slices.Contains(g.Members, memberID) {
			return false, nil
		}
		g.Members = append(g.Members, memberID)
		sort.Strings(g.Members)
		return true, nil
	})
}

// RemoveGroupMember removes a member from a group.
func (r *Registry) RemoveGroupMember(ctx context.Context, name, memberID string) (Group, error) {
	return modify(ctx, r, "group."+name, func(g *Group) (bool, error) {
		i := slices.Index(g.Members, memberID)
		if i < 0 {
			return false, nil
		}
		g.Members = slices.Delete(g.Members, i, i+1)
		return true, nil
	})
}

// Group returns a group by name.
func (r *Registry) Group(name string) (Group, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	g, ok := r.groups[name]
	return g, ok
}

// Groups returns every group, by name.
func (r *Registry) Groups() []Group {
	r.mu.RLock()
	out := make([]Group, 0, len(r.groups))
	for _, g := range r.groups {
		out = append(out, g)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// InGroup reports whether a member belongs to a group. It reads the
// in-memory view: fast enough to ask per delivered object.
func (r *Registry) InGroup(memberID, name string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.memberGroups[memberID][name]
}

// GroupsOf returns the names of the groups a member belongs to, sorted.
func (r *Registry) GroupsOf(memberID string) []string {
	r.mu.RLock()
	out := make([]string, 0, len(r.memberGroups[memberID]))
	for g := range r.memberGroups[memberID] {
		out = append(out, g)
	}
	r.mu.RUnlock()
	sort.Strings(out)
	return out
}

// indexGroup updates the member -> groups index after group g changed
// (deleted: removed). Called with r.mu held. It returns the members that
// left the group.
func (r *Registry) indexGroup(name string, g Group, deleted bool) (left []string) {
	now := map[string]bool{}
	if !deleted {
		for _, m := range g.Members {
			now[m] = true
		}
	}
	for m, gs := range r.memberGroups {
		if gs[name] && !now[m] {
			delete(gs, name)
			left = append(left, m)
		}
	}
	for m := range now {
		if r.memberGroups[m] == nil {
			r.memberGroups[m] = map[string]bool{}
		}
		r.memberGroups[m][name] = true
	}
	return left
}
