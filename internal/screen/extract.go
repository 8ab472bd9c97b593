package screen

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stixhub/stixhub/internal/jsonscan"
	"github.com/stixhub/stixhub/internal/marking"
	"github.com/stixhub/stixhub/internal/pattern"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
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

// head is what Read takes from an object's top level: strings unescaped
// (aliasing the object's bytes when they have no escapes) and the raw
// values of the properties read later.
type head struct {
	typ, id, modified, validFrom, validUntil []byte
	pattern, patternType                     []byte
	revoked                                  bool
	confidence                               int      // -1 when absent
	objects                                  [][]byte // raw "objects" values since the last null
	objectRefs                               []byte   // raw "object_refs", the last one
	markingRefs, granular                    []byte
	markingsTwice                            bool
}

// readHead reads the top-level properties Read needs in one walk with the
// shared scanner, allocating nothing. It decides what is an error as
// encoding/json did when Read decoded with it (refRead in the tests): a
// property of the wrong kind, a confidence that is not an integer, objects
// that is not a dictionary of objects, object_refs that is not a list of
// strings, a number that does not fit a float64 where encoding/json would
// have decoded it. Of a property given twice, the last counts (the members
// of two objects dictionaries are merged, as encoding/json merged them).
func readHead(obj []byte) (head, error) {
	h := head{confidence: -1}
	var err error
	// One walk: the validator hands over the members as it checks them.
	valid := jsonscan.ValidObject(obj, func(rawName, v []byte) {
		if err != nil {
			return
		}
		name, _ := jsonscan.String(rawName)
		var dst *[]byte
		switch string(name) {
		case "type":
			dst = &h.typ
		case "id":
			dst = &h.id
		case "modified":
			dst = &h.modified
		case "valid_from":
			dst = &h.validFrom
		case "valid_until":
			dst = &h.validUntil
		case "pattern":
			dst = &h.pattern
		case "pattern_type":
			dst = &h.patternType
		case "revoked":
			h.revoked = string(v) == "true"
		case "confidence":
			c, ok := readInt(v)
			if !ok {
				err = fmt.Errorf("confidence: want an integer, got %s", jsonscan.Kind(v))
			}
			h.confidence = c
		case "objects":
			if string(v) == "null" {
				h.objects = h.objects[:0]
				return
			}
			if !dictOfObjects(v) {
				err = errors.New("objects: want a dictionary of objects")
			}
			h.objects = append(h.objects, v)
		case "object_refs":
			if !listOfStrings(v) {
				err = errors.New("object_refs: want a list of strings")
			}
			h.objectRefs = v
		case "object_marking_refs":
			h.markingsTwice = h.markingsTwice || h.markingRefs != nil
			h.markingRefs = v
		case "granular_markings":
			h.markingsTwice = h.markingsTwice || h.granular != nil
			h.granular = v
		}
		if dst != nil {
			s, ok := jsonscan.String(v)
			if !ok {
				err = fmt.Errorf("%s: want a string, got %s", name, jsonscan.Kind(v))
			}
			*dst = s
		}
	})
	if !valid {
		return h, errors.New("not a valid JSON object")
	}
	return h, err
}

// readInt reads a JSON integer, or null as 0, as encoding/json reads one
// into an int.
func readInt(v []byte) (int, bool) {
	if string(v) == "null" {
		return 0, true
	}
	if len(v) == 0 || v[0] != '-' && (v[0] < '0' || v[0] > '9') {
		return 0, false
	}
	n, err := strconv.ParseInt(unsafeString(v), 10, 64)
	return int(n), err == nil
}

// dictOfObjects reports whether raw is an object whose members are objects
// or null, with numbers that fit a float64.
func dictOfObjects(raw []byte) bool {
	it := jsonscan.NewObjectIter(raw)
	for it.Next() {
		v := it.Value()
		if string(v) != "null" && (v[0] != '{' || !numbersFit(v)) {
			return false
		}
	}
	return it.Err() == nil
}

// listOfStrings reports whether raw is null or a list of strings and nulls.
func listOfStrings(raw []byte) bool {
	if string(raw) == "null" {
		return true
	}
	it := jsonscan.NewArrayIter(raw)
	for it.Next() {
		if v := it.Value(); v[0] != '"' && string(v) != "null" {
			return false
		}
	}
	return it.Err() == nil
}

// numbersFit reports whether every number in the valid JSON raw fits a
// float64, as decoding it into an any requires. Only numbers with an
// exponent or of many digits can overflow; the others are not parsed.
func numbersFit(raw []byte) bool {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '"':
			if i = jsonscan.SkipString(raw, i); i < 0 {
				return false
			}
		case c == '-' || '0' <= c && c <= '9':
			start, exp := i, false
			for i < len(raw) && (raw[i] == '-' || raw[i] == '+' || raw[i] == '.' || raw[i] == 'e' || raw[i] == 'E' || '0' <= raw[i] && raw[i] <= '9') {
				exp = exp || raw[i] == 'e' || raw[i] == 'E'
				i++
			}
			if exp || i-start > 300 {
				if _, err := strconv.ParseFloat(unsafeString(raw[start:i]), 64); err != nil {
					return false
				}
			}
		default:
			i++
		}
	}
	return true
}

// objectTLP is the object-level TLP of the object: that of
// marking.Effective, which is only asked when there are granular markings.
// Whatever Effective refuses has no TLP (marking.Unknown).
func objectTLP(obj []byte, h *head) marking.TLP {
	if h.markingsTwice {
		return marking.Unknown
	}
	if h.granular != nil {
		if r, err := marking.Effective(obj, nil); err == nil {
			return r.TLP
		}
		return marking.Unknown
	}
	if h.markingRefs == nil {
		return marking.Unknown
	}
	tlp := marking.Unknown
	it := jsonscan.NewArrayIter(h.markingRefs)
	for it.Next() {
		id, ok := jsonscan.String(it.Value())
		if !ok || !bytes.HasPrefix(id, []byte("marking-definition--")) {
			return marking.Unknown
		}
		if level, ok := marking.LookupTLP(unsafeString(id)); ok {
			tlp = max(tlp, level)
		}
	}
	if it.Err() != nil {
		return marking.Unknown
	}
	return tlp
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
// It returns ErrNotScreened for objects of other types. The hub calls it for
// every object it stores, so it reads the JSON in place with the shared
// scanner (internal/jsonscan) and allocates little besides what it returns.
func Read(obj []byte) (*Object, error) {
	h, err := readHead(obj)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	o := &Object{ID: string(h.id), Revoked: h.revoked, Confidence: h.confidence}
	switch string(h.typ) {
	case "indicator":
		o.Type = "indicator"
	case "observed-data":
		o.Type = "observed-data"
	default:
		o.Type = string(h.typ)
	}
	o.Modified = parseTime(unsafeString(h.modified))
	o.TLP = objectTLP(jsonscan.TrimSpace(obj), &h)
	switch o.Type {
	case "indicator":
		o.ValidFrom, o.ValidUntil = parseTime(unsafeString(h.validFrom)), parseTime(unsafeString(h.validUntil))
		if string(h.patternType) != "stix" {
			return o, nil
		}
		p, err := pattern.ParseWithOptions(string(h.pattern), anyType)
		if err != nil {
			return nil, fmt.Errorf("pattern: %w", err)
		}
		o.Entries = PatternEntries(p)
		return o, nil
	case "observed-data":
		for _, m := range dictMembers(h.objects) {
			o.Entries = appendSCO(o.Entries, m.value, "objects."+m.name+".")
		}
		if string(h.objectRefs) != "null" {
			it := jsonscan.NewArrayIter(h.objectRefs)
			for it.Next() {
				ref, _ := jsonscan.String(it.Value()) // null is ""
				if !isSDOorSROorMeta(unsafeString(ref)) {
					o.Refs = append(o.Refs, string(ref))
				}
			}
		}
		return o, nil
	}
	if isSDOorSROorMeta(o.ID) {
		return nil, ErrNotScreened
	}
	// encoding/json decoded the whole object into an any: a number out of
	// range anywhere was an error.
	if !numbersFit(obj) {
		return nil, errors.New("decode: number out of range")
	}
	o.Entries = appendSCOOfType(nil, o.Type, jsonscan.TrimSpace(obj), "")
	if len(o.Entries) == 0 {
		return nil, ErrNotScreened
	}
	return o, nil
}

// member is one member of a JSON object: its name, unescaped, and raw value.
type member struct {
	name  string
	value []byte
}

// dictMembers returns the members of the objects raws (valid JSON objects)
// sorted by name, of a name given more than once the last.
func dictMembers(raws [][]byte) []member {
	var ms []member
	for _, raw := range raws {
		it := jsonscan.NewObjectIter(raw)
		for it.Next() {
			name, _ := jsonscan.String(it.Name())
			ms = append(ms, member{string(name), it.Value()})
		}
	}
	slices.SortStableFunc(ms, func(a, b member) int { return strings.Compare(a.name, b.name) })
	// Of equal names, keep the last (stable sort: in order of appearance).
	out := ms[:0]
	for i, m := range ms {
		if i+1 < len(ms) && ms[i+1].name == m.name {
			continue
		}
		out = append(out, m)
	}
	return out
}

// lastMember returns the raw value of the last member called name of the
// object raw, or nil.
func lastMember(raw []byte, name string) []byte {
	var v []byte
	it := jsonscan.NewObjectIter(raw)
	for it.Next() {
		if n, _ := jsonscan.String(it.Name()); string(n) == name {
			v = it.Value()
		}
	}
	return v
}

// appendSCO appends the observables of one cyber-observable (raw, a JSON
// object or null) of the type its type property says.
func appendSCO(dst []Entry, raw []byte, at string) []Entry {
	if raw[0] != '{' {
		return dst // null
	}
	t, _ := jsonscan.String(lastMember(raw, "type")) // not a string: no type
	return appendSCOOfType(dst, string(t), raw, at)
}

// appendSCOOfType appends the observables of the cyber-observable raw of
// type typ: its identifying property, and its hashes.
func appendSCOOfType(dst []Entry, typ string, raw []byte, at string) []Entry {
	if typ == "" {
		return dst
	}
	prop, ok := identifying[typ]
	if !ok {
		prop = "value"
	}
	var pv, hashes []byte
	it := jsonscan.NewObjectIter(raw)
	for it.Next() {
		switch n, _ := jsonscan.String(it.Name()); string(n) {
		case prop:
			pv = it.Value()
		case "hashes":
			hashes = it.Value()
		}
	}
	if v, ok := scalarString(pv); ok {
		dst = appendEntry(dst, typ, v, at+prop)
	}
	if len(hashes) > 0 && hashes[0] == '{' {
		for _, m := range dictMembers([][]byte{hashes}) {
			if v, ok := jsonscan.String(m.value); ok {
				dst = appendEntry(dst, TypeFile, string(v), at+"hashes."+m.name)
			}
		}
	}
	return dst
}

// scalarString returns a JSON string or integer (raw) as text, as it was
// read from a float64.
func scalarString(raw []byte) (string, bool) {
	if len(raw) == 0 {
		return "", false
	}
	if s, ok := jsonscan.String(raw); ok {
		return string(s), true
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return "", false
	}
	v, err := strconv.ParseFloat(unsafeString(raw), 64)
	if err == nil && v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10), true
	}
	return "", false
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
	comps := p.Comparisons()
	n := 0
	for _, c := range comps {
		n += max(1, len(c.Set))
	}
	out := make([]Entry, 0, n)
	for _, c := range comps {
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
