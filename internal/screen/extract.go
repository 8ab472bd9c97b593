package screen

import (
	"encoding/json"
	"errors"
	"fmt"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stixhub/stixhub/internal/marking"
	"github.com/stixhub/stixhub/internal/pattern"
)

// Object is what the index learns from one accepted STIX object: its
// version, validity and markings, and the concrete observables it names.
// Read fills the STIX part; the caller fills Source from the stream.
type Object struct {
	// ID and Type are the STIX id and type.
	ID, Type string
	// Modified is the version (zero for objects without versions, such as
	// most cyber-observables).
	Modified time.Time
	// Revoked is the STIX revoked property.
	Revoked bool
	// ValidFrom and ValidUntil are an indicator's validity; zero when
	// absent.
	ValidFrom, ValidUntil time.Time
	// Confidence is the STIX confidence (0-100), -1 when absent.
	Confidence int
	// TLP is the object-level TLP marking (marking.Unknown when none).
	TLP marking.TLP
	// Entries are the concrete observables the object names.
	Entries []Entry
	// Refs are the ids of the cyber-observables an observed-data references
	// (object_refs); their observables count as the observed-data's too.
	Refs []string

	Source
}

// Source says where an object came from: the stream and its publisher.
type Source struct {
	// MemberID is the publishing member.
	MemberID string
	// KeyID is the member key that signed the object.
	KeyID string
	// Cursor is the object's stream sequence.
	Cursor uint64
	// AcceptedAt is when the hub accepted the object (from its receipt).
	AcceptedAt time.Time
	// Sharing is who may read the object (decided at publish).
	Sharing *stixhubv1.Sharing
}

// Entry is one observable an object names, normalized (see Normalize), and
// where the object names it: the pattern comparison, as
// "cryptocurrency-wallet:value =", "ipv4-addr:value ISSUBSET" or
// "file:hashes.'SHA-256' IN", or the property, as "value" or
// "objects.0.hashes.MD5".
type Entry struct {
	Observable
	Via string
}

// ErrNotScreened means the object names no observables and is not one the
// index keeps (indicators, observed-data and cyber-observables are).
var ErrNotScreened = errors.New("object not screened")

// head is the part of an object Read decodes for every type.
type head struct {
	Type        string                    `json:"type"`
	ID          string                    `json:"id"`
	Modified    string                    `json:"modified"`
	Revoked     bool                      `json:"revoked"`
	ValidFrom   string                    `json:"valid_from"`
	ValidUntil  string                    `json:"valid_until"`
	Confidence  *int                      `json:"confidence"`
	Pattern     string                    `json:"pattern"`
	PatternType string                    `json:"pattern_type"`
	Objects     map[string]map[string]any `json:"objects"`
	ObjectRefs  []string                  `json:"object_refs"`
}

// anyType accepts every object type in patterns: the hub validated them
// when it accepted the object, knowing the extension-defined types.
var anyType = pattern.Options{ExtraTypes: func(string) bool { return true }}

// Read extracts what the index needs from one STIX object (JSON):
//   - an indicator with pattern_type "stix": every comparison of its pattern
//     that names a concrete observable: = and IN on an identifying property
//     (ipv4-addr:value, domain-name:value, url:value, email-addr:value,
//     cryptocurrency-wallet:value, cryptocurrency-transaction:hash,
//     mac-addr:value, mutex:name, autonomous-system:number,
//     windows-registry-key:key, the value of any custom or
//     extension-defined type, the value behind a reference such as
//     network-traffic:dst_ref.value), = and IN on any hashes.<algorithm>,
//     and ISSUBSET with a CIDR block on ipv4-addr:value and
//     ipv6-addr:value. NOT forms, !=, LIKE, MATCHES and ordering are not
//     concrete and are skipped;
//   - an observed-data: the observables of the cyber-observables in its
//     objects dictionary, and the ids in object_refs (Refs);
//   - a cyber-observable (any other object with an identifying property or
//     hashes): its own observables.
//
// It returns ErrNotScreened for objects of other types.
func Read(obj []byte) (*Object, error) {
	var h head
	if err := json.Unmarshal(obj, &h); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	o := &Object{ID: h.ID, Type: h.Type, Revoked: h.Revoked, Confidence: -1}
	if h.Confidence != nil {
		o.Confidence = *h.Confidence
	}
	o.Modified = parseTime(h.Modified)
	if r, err := marking.Effective(obj, nil); err == nil {
		o.TLP = r.TLP
	}
	switch h.Type {
	case "indicator":
		o.ValidFrom, o.ValidUntil = parseTime(h.ValidFrom), parseTime(h.ValidUntil)
		if h.PatternType != "stix" {
			return o, nil
		}
		p, err := pattern.ParseWithOptions(h.Pattern, anyType)
		if err != nil {
			return nil, fmt.Errorf("pattern: %w", err)
		}
		o.Entries = PatternEntries(p)
		return o, nil
	case "observed-data":
		keys := make([]string, 0, len(h.Objects))
		for k := range h.Objects {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sco := h.Objects[k]
			typ, _ := sco["type"].(string)
			o.Entries = appendSCO(o.Entries, typ, sco, "objects."+k+".")
		}
		for _, ref := range h.ObjectRefs {
			if !isSDOorSROorMeta(ref) {
				o.Refs = append(o.Refs, ref)
			}
		}
		return o, nil
	}
	if isSDOorSROorMeta(h.ID) {
		return nil, ErrNotScreened
	}
	var props map[string]any
	if err := json.Unmarshal(obj, &props); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	o.Entries = appendSCO(nil, h.Type, props, "")
	if len(o.Entries) == 0 {
		return nil, ErrNotScreened
	}
	return o, nil
}

// isSDOorSROorMeta reports whether id names an object that is not a
// cyber-observable (by its STIX 2.1 type).
func isSDOorSROorMeta(id string) bool {
	typ, _, _ := strings.Cut(id, "--")
	switch typ {
	case "attack-pattern", "campaign", "course-of-action", "grouping", "identity",
		"incident", "indicator", "infrastructure", "intrusion-set", "location", "malware",
		"malware-analysis", "note", "observed-data", "opinion", "report", "threat-actor", "tool",
		"vulnerability", "relationship", "sighting", "marking-definition", "language-content",
		"extension-definition", "bundle":
		return true
	}
	return false
}

// appendSCO appends the observables of one cyber-observable's properties.
func appendSCO(dst []Entry, typ string, props map[string]any, at string) []Entry {
	if typ == "" {
		return dst
	}
	prop, ok := identifying[typ]
	if !ok {
		prop = "value"
	}
	if v, ok := scalarString(props[prop]); ok {
		dst = appendEntry(dst, typ, v, at+prop)
	}
	if hashes, ok := props["hashes"].(map[string]any); ok {
		algos := make([]string, 0, len(hashes))
		for a := range hashes {
			algos = append(algos, a)
		}
		sort.Strings(algos)
		for _, a := range algos {
			if v, ok := hashes[a].(string); ok {
				dst = appendEntry(dst, TypeFile, v, at+"hashes."+a)
			}
		}
	}
	return dst
}

// scalarString returns a JSON string or integer as text.
func scalarString(x any) (string, bool) {
	switch v := x.(type) {
	case string:
		return v, true
	case float64:
		if v == float64(int64(v)) {
			return strconv.FormatInt(int64(v), 10), true
		}
	}
	return "", false
}

// appendEntry normalizes and appends one observable; values that are not of
// their type (an ipv4-addr value that is no address) are skipped.
func appendEntry(dst []Entry, typ, v, via string) []Entry {
	n, err := Normalize(typ, v)
	if err != nil {
		return dst
	}
	return append(dst, Entry{Observable: Observable{Type: typ, Value: n}, Via: via})
}

// PatternEntries returns the concrete observables a pattern names (see
// Read), in the order of its comparisons.
func PatternEntries(p *pattern.Pattern) []Entry {
	var out []Entry
	for _, c := range p.Comparisons() {
		if c.Negated {
			continue
		}
		typ, infer := observableType(c.Path)
		if typ == "" && !infer {
			continue
		}
		var vals []pattern.Value
		switch c.Op {
		case pattern.OpEqual:
			vals = []pattern.Value{c.Value}
		case pattern.OpIn:
			vals = c.Set
		case pattern.OpIsSubset:
			if typ != TypeIPv4 && typ != TypeIPv6 {
				continue
			}
			vals = []pattern.Value{c.Value}
		default:
			continue
		}
		via := c.Path.String() + " " + c.Op.String()
		for _, v := range vals {
			var s string
			switch v.Kind {
			case pattern.KindString:
				s = v.Str
			case pattern.KindInt:
				s = strconv.FormatInt(v.Int, 10)
			default:
				continue
			}
			t := typ
			if infer {
				t = referencedType(s)
			}
			out = appendEntry(out, t, s, via)
		}
	}
	return out
}

// observableType returns the observable type a comparison path names a
// concrete value of, or infer when the path reaches through a reference
// (network-traffic:dst_ref.value) and the type follows from the value.
func observableType(p pattern.Path) (typ string, infer bool) {
	s := p.Steps
	n := len(s)
	if n >= 2 && s[n-1].Kind == pattern.StepKey && s[n-2].Kind == pattern.StepKey && s[n-2].Key == "hashes" {
		return TypeFile, false
	}
	if n == 1 {
		prop, ok := identifying[p.Type]
		if !ok {
			prop = "value"
		}
		if s[0].Key == prop {
			return p.Type, false
		}
		return "", false
	}
	if s[n-1].Kind != pattern.StepKey || s[n-1].Key != "value" {
		return "", false
	}
	prev := s[n-2]
	if prev.Kind == pattern.StepKey && strings.HasSuffix(prev.Key, "_ref") {
		return "", true
	}
	if n >= 3 && prev.Kind != pattern.StepKey && s[n-3].Kind == pattern.StepKey && strings.HasSuffix(s[n-3].Key, "_refs") {
		return "", true
	}
	return "", false
}

// referencedType is the type of a value reached through a reference: an IP
// address, e-mail address, MAC address, domain name or wallet address.
func referencedType(v string) string {
	return InferTypes(v)[0]
}

// parseTime reads a STIX timestamp; zero if absent or malformed (the hub
// validated it).
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
