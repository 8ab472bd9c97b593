package taxii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits on query parameters.
const (
	// DefaultLimit is the page size when the client gives no limit.
	DefaultLimit = 1000
	// MaxLimit is the largest page; a larger limit is lowered to it, as
	// TAXII allows.
	MaxLimit = 10000
	// maxMatchValues bounds the values of one match[...] parameter.
	maxMatchValues = 100
)

// badRequest is a query problem reported to the client as 400.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func badf(format string, args ...any) error { return &badRequest{fmt.Sprintf(format, args...)} }

// endpoint kinds, for parameter rules and next tokens.
const (
	epObjects  = "objects"
	epManifest = "manifest"
	epObject   = "object"
	epVersions = "versions"
	epDelete   = "delete"
)

// allowedParams lists the filters each endpoint takes (TAXII 2.1 sections
// 5.3 to 5.8).
var allowedParams = map[string][]string{
	epObjects:  {"added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]"},
	epManifest: {"added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]"},
	epObject:   {"added_after", "limit", "next", "match[version]", "match[spec_version]"},
	epVersions: {"added_after", "limit", "next", "match[spec_version]"},
	epDelete:   {"match[version]", "match[spec_version]"},
}

// parsedQuery is a request's filters, validated.
type parsedQuery struct {
	q           Query
	next        string // the token as sent
	fingerprint string // the filters that a next token is bound to
}

// parseQuery validates the URL query of a request to endpoint ep of
// collection c (and object id, for per-object endpoints).
func parseQuery(vals url.Values, ep string, c *Collection, objectID string) (*parsedQuery, error) {
	allowed := allowedParams[ep]
	p := &parsedQuery{q: Query{Coll: c, Limit: DefaultLimit}}
	var fp []string
	for name := range vals {
		if strings.HasPrefix(name, "match[") || slices.Contains(allowedParams[epObjects], name) {
			if !slices.Contains(allowed, name) {
				return nil, badf("parameter %s is not supported on this endpoint", name)
			}
		}
	}
	one := func(name string) (string, bool, error) {
		v, ok := vals[name]
		if !ok {
			return "", false, nil
		}
		if len(v) != 1 {
			return "", false, badf("parameter %s given %d times", name, len(v))
		}
		return v[0], true, nil
	}
	list := func(name string) ([]string, error) {
		var out []string
		for _, v := range vals[name] {
			for s := range strings.SplitSeq(v, ",") {
				s = strings.TrimSpace(s)
				if s == "" {
					return nil, badf("parameter %s has an empty value", name)
				}
				out = append(out, s)
			}
		}
		if len(out) > maxMatchValues {
			return nil, badf("parameter %s has more than %d values", name, maxMatchValues)
		}
		return out, nil
	}
	if v, ok, err := one("added_after"); err != nil {
		return nil, err
	} else if ok {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, badf("added_after: %q is not an RFC 3339 timestamp", v)
		}
		p.q.AddedAfter = t.UTC()
		fp = append(fp, "added_after="+t.UTC().Format(time.RFC3339Nano))
	}
	if v, ok, err := one("limit"); err != nil {
		return nil, err
	} else if ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, badf("limit: %q is not a positive integer", v)
		}
		p.q.Limit = min(n, MaxLimit)
	}
	if v, ok, err := one("next"); err != nil {
		return nil, err
	} else if ok {
		if v == "" {
			return nil, badf("next is empty")
		}
		p.next = v
	}
	ids, err := list("match[id]")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		typ, rest, ok := strings.Cut(id, "--")
		if !ok || !validType(typ) || len(rest) != 36 {
			return nil, badf("match[id]: %q is not a STIX identifier", id)
		}
		p.q.IDs = append(p.q.IDs, strings.ToLower(id))
	}
	if objectID != "" {
		p.q.IDs = []string{strings.ToLower(objectID)}
	}
	types, err := list("match[type]")
	if err != nil {
		return nil, err
	}
	for _, t := range types {
		if !validType(t) {
			return nil, badf("match[type]: %q is not a STIX type", t)
		}
	}
	p.q.Types = types
	versions, err := list("match[version]")
	if err != nil {
		return nil, err
	}
	for _, v := range versions {
		switch v {
		case "all":
			p.q.Versions.All = true
		case "first":
			p.q.Versions.First = true
		case "last":
			p.q.Versions.Last = true
		default:
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, badf("match[version]: %q is not first, last, all or an RFC 3339 timestamp", v)
			}
			p.q.Versions.Times = append(p.q.Versions.Times, t.UTC())
		}
	}
	if ep == epVersions {
		p.q.Versions = VersionFilter{All: true}
	}
	specs, err := list("match[spec_version]")
	if err != nil {
		return nil, err
	}
	for _, s := range specs {
		if s != "2.0" && s != "2.1" {
			return nil, badf("match[spec_version]: %q is not a STIX version (2.0 or 2.1)", s)
		}
	}
	p.q.SpecVersions = specs
	for _, name := range []string{"match[id]", "match[type]", "match[version]", "match[spec_version]"} {
		if v, err := list(name); err == nil && len(v) > 0 {
			slices.Sort(v)
			fp = append(fp, name+"="+strings.Join(v, ","))
		}
	}
	p.fingerprint = ep + "\x00" + c.ID + "\x00" + strings.ToLower(objectID) + "\x00" + strings.Join(fp, "\x00")
	return p, nil
}

// validType reports whether s may be a STIX type: 3-250 characters of
// a-z, 0-9 and '-'.
func validType(s string) bool {
	if len(s) < 3 || len(s) > 250 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Next tokens are opaque to clients: the key to continue after and a MAC
// over it, the requesting member and the request's filters, with a secret
// every hub node shares. A token works only for the member it was issued
// to, with the same filters, on any node.
type tokens struct{ secret []byte }

var errBadToken = errors.New("next token is not valid for this member and query")

func (t tokens) mac(member, fingerprint string, key uint64) []byte {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte("stixhub taxii next v1\x00"))
	m.Write([]byte(member))
	m.Write([]byte{0})
	m.Write([]byte(fingerprint))
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], key)
	m.Write(k[:])
	return m.Sum(nil)[:16]
}

func (t tokens) issue(member, fingerprint string, key uint64) string {
	b := binary.BigEndian.AppendUint64(nil, key)
	b = append(b, t.mac(member, fingerprint, key)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (t tokens) open(member, fingerprint, token string) (uint64, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 24 {
		return 0, errBadToken
	}
	key := binary.BigEndian.Uint64(b)
	if !hmac.Equal(b[8:], t.mac(member, fingerprint, key)) {
		return 0, errBadToken
	}
	return key, nil
}
