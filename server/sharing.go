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

// audienceOf resolves, once for a whole publish request, the audience its
// objects share: the groups and recipients it names (copied out of the
// request), and the publisher's own groups when it names none. The objects'
// Sharing records share these slices, which nothing modifies.
func (h *Hub) audienceOf(member registry.Member, groups, recipients []string) audience {
	aud := audience{groups: slices.Clone(groups), recipients: slices.Clone(recipients)}
	if len(aud.groups) == 0 {
		aud.groups = h.registry.GroupsOf(member.ID)
	}
	return aud
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
	eff, err := marking.EffectiveValid(canonical, nil) // Canonicalize validated it
	if err != nil {
		return nil, objectError(codes.InvalidArgument, "markings cannot be resolved", violation("object_marking_refs", err.Error()))
	}
	sh := &stixhubv1.Sharing{Tlp: tlpName(eff.Max()), Groups: aud.groups, Recipients: aud.recipients, Refs: refsOf(canonical)}
	if sh.Tlp == "" {
		sh.Tlp, sh.DefaultTlp = h.cfg.DefaultTLP, true
	}
	if len(sh.Groups) == 0 { // an audience not from audienceOf
		sh.Groups = h.registry.GroupsOf(member.ID)
	}
	return sh, nil
}

// refsOf lists the identifiers an object references in properties named
// *_ref and *_refs, at any depth (up to 16 levels of nesting), marking
// definitions aside (markings are not content), each once, lowercased, in
// order of appearance. obj must be valid JSON; the publish path passes the
// canonical form, which has no duplicate names to worry about.
//
// It is one forward scan over the text: names are the strings followed by
// a colon, the values of *_ref and *_refs properties are read and stepped
// over, every other value is scanned into. (A recursive walk with iterators
// read nested values once per enclosing level.)
func refsOf(obj []byte) []string {
	var out []string
	add := func(raw []byte) {
		if s, ok := jsonscan.String(raw); ok && !bytes.HasPrefix(s, []byte("marking-definition--")) && bytes.Contains(s, []byte("--")) {
			id := strings.ToLower(string(s))
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	const maxDepth = 17 // the top-level object is 1
	depth := 0          // of the innermost array or object around obj[i]
	for i := 0; i < len(obj); {
		switch obj[i] {
		case '{', '[':
			depth++
			i++
			continue
		case '}', ']':
			depth--
			i++
			continue
		case '"':
		default: // numbers, literals, separators, whitespace
			i++
			continue
		}
		end := jsonscan.SkipString(obj, i)
		if end < 0 {
			return out
		}
		colon := jsonscan.SkipSpace(obj, end)
		if colon >= len(obj) || obj[colon] != ':' || depth > maxDepth {
			i = end // a string value, or a name too deep to look at
			continue
		}
		name := obj[i+1 : end-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			name, _ = jsonscan.String(obj[i:end])
		}
		ref, refs := bytes.HasSuffix(name, []byte("_ref")), bytes.HasSuffix(name, []byte("_refs"))
		i = jsonscan.SkipSpace(obj, colon+1)
		if !ref && !refs {
			continue // scan into the value
		}
		vend := jsonscan.SkipValue(obj, i)
		if vend < 0 {
			return out
		}
		if ref {
			add(obj[i:vend])
		} else {
			arr := jsonscan.NewArrayIter(obj[i:vend])
			for arr.Next() {
				add(arr.Value())
			}
		}
		i = vend
	}
	return out
}

// mayRead is the one place that decides whether a member may read a stored
// object (internal/access has the rules). Every read path asks it.
func (h *Hub) mayRead(reader, publisher string, sh *stixhubv1.Sharing) bool {
	return h.access.MayRead(reader, publisher, sh)
}
