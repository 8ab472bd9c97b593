package server

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"

	"github.com/stixhub/stixhub/internal/access"
	"github.com/stixhub/stixhub/internal/jsonscan"
	"github.com/stixhub/stixhub/internal/marking"
	"github.com/stixhub/stixhub/internal/registry"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// audience is what a publish request says about who may read its objects.
type audience struct {
	groups     []string
	recipients []string
}

// validateAudience checks the groups and recipients a publisher names.
func (h *Hub) validateAudience(groups, recipients []string) error {
	var vs []*stixhubv1.FieldViolation
	for i, g := range groups {
		if _, ok := h.registry.Group(g); !ok {
			vs = append(vs, violation(fmt.Sprintf("groups[%d]", i), fmt.Sprintf("no sharing group %q (the operator creates groups with `stixhub admin group add`)", g)))
		}
	}
	for i, r := range recipients {
		if _, ok := h.registry.Member(r); !ok {
			vs = append(vs, violation(fmt.Sprintf("recipients[%d]", i), fmt.Sprintf("no member %q", r)))
		}
	}
	if len(groups) > 64 || len(recipients) > 1000 {
		vs = append(vs, violation("groups", "at most 64 groups and 1000 recipients"))
	}
	if len(vs) > 0 {
		return invalidArgument("invalid sharing", vs...)
	}
	return nil
}

// tlpName is the Sharing.tlp of a marking level.
func tlpName(t marking.TLP) string {
	switch t {
	case marking.Clear:
		return access.TLPClear
	case marking.Green:
		return access.TLPGreen
	case marking.Amber:
		return access.TLPAmber
	case marking.AmberStrict:
		return access.TLPAmberStrict
	case marking.Red:
		return access.TLPRed
	}
	return ""
}

// sharingFor decides who may read an object as it is published: the most
// restrictive TLP on any part of it (a signed object cannot be redacted, so
// the hub withholds instead), the hub default for an unmarked object, the
// groups (named on publish, else the publisher's own) and the recipients,
// and the ids it references.
func (h *Hub) sharingFor(member registry.Member, canonical []byte, aud audience) (*stixhubv1.Sharing, *stixhubv1.ObjectError) {
	eff, err := marking.Effective(canonical, nil)
	if err != nil {
		return nil, objectError(codes.InvalidArgument, "markings cannot be resolved", violation("object_marking_refs", err.Error()))
	}
	sh := &stixhubv1.Sharing{Tlp: tlpName(eff.Max()), Recipients: slices.Clone(aud.recipients), Refs: refsOf(canonical)}
	if sh.Tlp == "" {
		sh.Tlp, sh.DefaultTlp = h.cfg.DefaultTLP, true
	}
	sh.Groups = slices.Clone(aud.groups)
	if len(sh.Groups) == 0 {
		sh.Groups = h.registry.GroupsOf(member.ID)
	}
	return sh, nil
}

// refsOf lists the identifiers an object references in properties named
// *_ref and *_refs, at any depth, marking definitions aside (markings are
// not content). The canonical form has no duplicate names to worry about.
func refsOf(obj []byte) []string {
	var out []string
	var walk func(v []byte, depth int)
	add := func(raw []byte) {
		if s, ok := jsonscan.String(raw); ok && !bytes.HasPrefix(s, []byte("marking-definition--")) && bytes.Contains(s, []byte("--")) {
			id := strings.ToLower(string(s))
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	walk = func(v []byte, depth int) {
		if depth > 16 {
			return
		}
		if len(v) == 0 {
			return
		}
		switch v[0] {
		case '{':
			it := jsonscan.NewObjectIter(v)
			for it.Next() {
				name, _ := jsonscan.String(it.Name()) // the raw name is quoted
				switch {
				case bytes.HasSuffix(name, []byte("_ref")):
					add(it.Value())
				case bytes.HasSuffix(name, []byte("_refs")):
					arr := jsonscan.NewArrayIter(it.Value())
					for arr.Next() {
						add(arr.Value())
					}
				default:
					walk(it.Value(), depth+1)
				}
			}
		case '[':
			it := jsonscan.NewArrayIter(v)
			for it.Next() {
				walk(it.Value(), depth+1)
			}
		}
	}
	walk(obj, 0)
	return out
}

// mayRead is the one place that decides whether a member may read a stored
// object (internal/access has the rules). Every read path asks it.
func (h *Hub) mayRead(reader, publisher string, sh *stixhubv1.Sharing) bool {
	return h.access.MayRead(reader, publisher, sh)
}
