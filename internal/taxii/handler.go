// Package taxii is the hub's TAXII 2.1 server: HTTP handlers for every
// endpoint of the OASIS standard, over a derived bbolt index of the object
// stream (Index) that pages by stream sequence.
package taxii

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/internal/registry"
)

// Media types.
const (
	// MediaType is the TAXII 2.1 media type of every response body.
	MediaType = "application/taxii+json;version=2.1"
	// STIXMediaType is the media type of the objects the hub serves.
	STIXMediaType = "application/stix+json;version=2.1"
	// APIRoot is the path of the hub's one API root.
	APIRoot = "/stixhub/"
	// DefaultMaxContentLength is the largest request body accepted.
	DefaultMaxContentLength = 10 << 20
)

// Authenticator finds the principal of a member token.
type Authenticator interface {
	Authenticate(token string) (registry.Principal, bool)
}

// Members looks up members.
type Members interface {
	Member(id string) (registry.Member, bool)
}

// PostResult is what the hub did with one posted object.
type PostResult struct {
	ID, Version string
	// Stored is true when the object is now (or already was) in the
	// stream at Cursor.
	Stored bool
	Cursor uint64
	// Message explains a failure, or says "duplicate".
	Message string
}

// Publisher stores objects posted over TAXII, through the same checks as
// gRPC Publish. It returns one result per object, in order.
type Publisher interface {
	PostObjects(ctx context.Context, member registry.Member, objects []json.RawMessage) ([]PostResult, error)
}

// Config configures a Handler.
type Config struct {
	Index     *Index
	State     *State
	Auth      Authenticator
	Members   Members
	Publisher Publisher
	// May decides what a member may read.
	May ReadPolicy
	// CanWrite says whether a member may post objects.
	CanWrite func(registry.Member) bool
	// MaxContentLength is the largest request body. Default
	// DefaultMaxContentLength.
	MaxContentLength int
	// Limiter applies per-member rate limits; nil means none.
	Limiter Limiter
	Logger  *slog.Logger
}

// Handler serves TAXII 2.1.
type Handler struct {
	cfg Config
	tok tokens
	log *slog.Logger
}

// NewHandler returns the TAXII handler.
func NewHandler(cfg Config) *Handler {
	if cfg.MaxContentLength == 0 {
		cfg.MaxContentLength = DefaultMaxContentLength
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.May == nil {
		cfg.May = func(string, []byte, []byte) bool { return false } // deny by default
	}
	if cfg.CanWrite == nil {
		cfg.CanWrite = func(registry.Member) bool { return false }
	}
	return &Handler{cfg: cfg, tok: tokens{secret: cfg.State.secret}, log: cfg.Logger}
}

// request is one authenticated request.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	member registry.Member
	p      registry.Principal
}

// ServeHTTP authenticates the caller, routes the request and checks its
// method and media types.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("TAXII handler panic", "path", r.URL.Path, "panic", v)
			if sw.status == 0 {
				writeError(sw, http.StatusInternalServerError, "Internal error", "the hub could not serve this request")
			}
		}
		h.log.Debug("taxii", "method", r.Method, "path", r.URL.Path, "status", sw.status, "took", time.Since(start))
	}()
	w = sw
	p, ok, certErr := h.authenticate(r)
	if certErr != nil {
		writeError(w, http.StatusUnauthorized, "Authentication failed", certErr.Error())
		return
	}
	if !ok {
		w.Header().Add("WWW-Authenticate", `Basic realm="stixhub TAXII", charset="UTF-8"`)
		w.Header().Add("WWW-Authenticate", `Bearer realm="stixhub TAXII"`)
		writeError(w, http.StatusUnauthorized, "Authentication required",
			"send a hub member token as HTTP Basic password or as \"Authorization: Bearer <token>\"")
		return
	}
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	route, args := match(seg)
	if route == nil {
		writeError(w, http.StatusNotFound, "Not found", "no TAXII resource at this path; discovery is at /taxii2/")
		return
	}
	handle, ok := route.methods[r.Method]
	if !ok {
		allow := make([]string, 0, len(route.methods))
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
			if _, ok := route.methods[m]; ok {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "Method not allowed", r.Method+" is not supported here")
		return
	}
	if !acceptable(r.Header.Get("Accept")) {
		writeError(w, http.StatusNotAcceptable, "Not acceptable", "this server answers with "+MediaType)
		return
	}
	if p.MemberID == "" {
		writeError(w, http.StatusForbidden, "Member token required", "the operator token cannot read or write TAXII collections")
		return
	}
	m, ok := h.cfg.Members.Member(p.MemberID)
	if !ok {
		writeError(w, http.StatusForbidden, "Unknown member", "the token's member is not admitted")
		return
	}
	if !permitted(w, m, route, r.Method) || !h.chargeRequest(w, m.ID) {
		return
	}
	handle(h, &request{w: w, r: r, member: m, p: p}, args)
}

// authenticate reads HTTP Basic (the password, or the user name when the
// password is empty, is the token) or Bearer credentials; without an
// Authorization header, the connection's client certificate. err says why
// a client certificate names no member.
func (h *Handler) authenticate(r *http.Request) (registry.Principal, bool, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return h.certificatePrincipal(r)
	}
	p, ok := h.tokenPrincipal(auth)
	return p, ok, nil
}

func (h *Handler) tokenPrincipal(auth string) (registry.Principal, bool) {
	scheme, cred, ok := strings.Cut(auth, " ")
	if !ok {
		return registry.Principal{}, false
	}
	var token string
	switch strings.ToLower(scheme) {
	case "bearer":
		token = strings.TrimSpace(cred)
	case "basic":
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			return registry.Principal{}, false
		}
		user, pass, _ := strings.Cut(string(b), ":")
		token = pass
		if token == "" {
			token = user
		}
	default:
		return registry.Principal{}, false
	}
	if token == "" {
		return registry.Principal{}, false
	}
	return h.cfg.Auth.Authenticate(token)
}

type handlerFunc func(h *Handler, rq *request, args []string)

type route struct {
	pattern []string // "*" matches one segment
	methods map[string]handlerFunc
}

var apiRootName = strings.Trim(APIRoot, "/")

var routes = []route{
	{[]string{"taxii2"}, map[string]handlerFunc{http.MethodGet: (*Handler).discovery}},
	{[]string{apiRootName}, map[string]handlerFunc{http.MethodGet: (*Handler).apiRoot}},
	{[]string{apiRootName, "status", "*"}, map[string]handlerFunc{http.MethodGet: (*Handler).status}},
	{[]string{apiRootName, "collections"}, map[string]handlerFunc{http.MethodGet: (*Handler).collections}},
	{[]string{apiRootName, "collections", "*"}, map[string]handlerFunc{http.MethodGet: (*Handler).collection}},
	{[]string{apiRootName, "collections", "*", "manifest"}, map[string]handlerFunc{http.MethodGet: (*Handler).manifest}},
	{[]string{apiRootName, "collections", "*", "objects"}, map[string]handlerFunc{
		http.MethodGet: (*Handler).getObjects, http.MethodPost: (*Handler).postObjects}},
	{[]string{apiRootName, "collections", "*", "objects", "*"}, map[string]handlerFunc{
		http.MethodGet: (*Handler).getObject, http.MethodDelete: (*Handler).deleteObject}},
	{[]string{apiRootName, "collections", "*", "objects", "*", "versions"}, map[string]handlerFunc{http.MethodGet: (*Handler).versions}},
}

func match(seg []string) (*route, []string) {
	for i := range routes {
		rt := &routes[i]
		if len(rt.pattern) != len(seg) {
			continue
		}
		var args []string
		ok := true
		for j, p := range rt.pattern {
			if p == "*" {
				if seg[j] == "" {
					ok = false
					break
				}
				args = append(args, seg[j])
			} else if p != seg[j] {
				ok = false
				break
			}
		}
		if ok {
			return rt, args
		}
	}
	return nil, nil
}

// acceptable reports whether an Accept header admits the TAXII 2.1 media
// type. No header, */* and application/* do.
func acceptable(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
				continue
			}
		}
		switch mt {
		case "*/*", "application/*":
			return true
		case "application/taxii+json":
			if v, ok := params["version"]; !ok || v == "2.1" {
				return true
			}
		}
	}
	return false
}

// taxiiContentType reports whether a Content-Type is the TAXII 2.1 type.
func taxiiContentType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/taxii+json" {
		return false
	}
	v, ok := params["version"]
	return !ok || v == "2.1"
}

// TAXII error message (section 3.6.1).
type taxiiError struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	HTTPStatus  string `json:"http_status"`
}

func writeError(w http.ResponseWriter, status int, title, description string) {
	b, _ := json.Marshal(taxiiError{Title: title, Description: description, HTTPStatus: strconv.Itoa(status)})
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// internalError logs err and tells the client only that the hub failed.
func (h *Handler) internalError(rq *request, what string, err error) {
	h.log.Error("TAXII "+what, "path", rq.r.URL.Path, "member", rq.member.ID, "err", err)
	writeError(rq.w, http.StatusServiceUnavailable, "Service unavailable", "the hub could not "+what+" now; retry later")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal error", "the hub could not encode the response")
		return
	}
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Discovery (section 4.1).
func (h *Handler) discovery(rq *request, _ []string) {
	writeJSON(rq.w, http.StatusOK, map[string]any{
		"title":       "stixhub",
		"description": "Signed STIX 2.1 threat intelligence shared between governments and financial institutions.",
		"default":     APIRoot,
		"api_roots":   []string{APIRoot},
	})
}

// API root (section 4.2).
func (h *Handler) apiRoot(rq *request, _ []string) {
	writeJSON(rq.w, http.StatusOK, map[string]any{
		"title":              "stixhub",
		"description":        "Every object the hub accepted, in collections by type family. Objects keep their member signature in the extension " + "extension-definition in the context collection.",
		"versions":           []string{MediaType},
		"max_content_length": h.cfg.MaxContentLength,
	})
}

// Status (section 4.3).
func (h *Handler) status(rq *request, args []string) {
	id := args[0]
	if _, err := uuid.Parse(id); err != nil {
		writeError(rq.w, http.StatusNotFound, "Status not found", "no status resource with this id")
		return
	}
	st, err := h.cfg.State.getStatus(rq.r.Context(), rq.member.ID, strings.ToLower(id))
	if errors.Is(err, errNoStatus) {
		writeError(rq.w, http.StatusNotFound, "Status not found", "no status resource with this id for this member (they are kept 48 hours)")
		return
	}
	if err != nil {
		h.internalError(rq, "read the status", err)
		return
	}
	writeJSON(rq.w, http.StatusOK, st)
}

type collectionResource struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

func (h *Handler) resource(c *Collection, m registry.Member) collectionResource {
	return collectionResource{ID: c.ID, Title: c.Title, Description: c.Description, Alias: c.Alias,
		CanRead: m.HasRole(registry.RoleSubscriber), CanWrite: h.cfg.CanWrite(m) && m.HasRole(registry.RolePublisher),
		MediaTypes: []string{STIXMediaType}}
}

// Collections (section 5.1).
func (h *Handler) collections(rq *request, _ []string) {
	out := make([]collectionResource, len(Collections))
	for i := range Collections {
		out[i] = h.resource(&Collections[i], rq.member)
	}
	writeJSON(rq.w, http.StatusOK, map[string]any{"collections": out})
}

func (h *Handler) findCollection(rq *request, name string) (*Collection, bool) {
	c, ok := collection(name)
	if !ok {
		writeError(rq.w, http.StatusNotFound, "Collection not found", "no collection "+strconv.Quote(name)+"; list them at "+APIRoot+"collections/")
	}
	return c, ok
}

// Collection (section 5.2).
func (h *Handler) collection(rq *request, args []string) {
	if c, ok := h.findCollection(rq, args[0]); ok {
		writeJSON(rq.w, http.StatusOK, h.resource(c, rq.member))
	}
}

// query parses and binds a request's filters, writing the 400 itself.
func (h *Handler) query(rq *request, ep string, c *Collection, objectID string) (*parsedQuery, bool) {
	pq, err := parseQuery(rq.r.URL.Query(), ep, c, objectID)
	if err != nil {
		writeError(rq.w, http.StatusBadRequest, "Bad request", err.Error())
		return nil, false
	}
	if pq.next != "" {
		key, err := h.tok.open(rq.member.ID, pq.fingerprint, pq.next)
		if err != nil {
			writeError(rq.w, http.StatusBadRequest, "Bad request", "next: "+err.Error()+" (pass the same filters as the request that returned it)")
			return nil, false
		}
		pq.q.After = key
	}
	pq.q.Member = rq.member.ID
	pq.q.May = h.cfg.May
	return pq, true
}

// pageBuffers recycles response buffers: a page of 1000 objects is about
// 2 MB.
var pageBuffers = sync.Pool{New: func() any { return new([]byte) }}

// run pages q, formats each item with format, and writes the envelope. The
// items come first in the body ({"objects":[...],"more":...}), so the
// page is built in one buffer without a copy; the X-TAXII-Date-Added
// headers need the whole page before the body is sent anyway.
func (h *Handler) run(rq *request, pq *parsedQuery, field string, format func(dst []byte, it *Item) []byte) (int, bool) {
	bp := pageBuffers.Get().(*[]byte)
	defer pageBuffers.Put(bp)
	body := append((*bp)[:0], `{"`+field+`":[`...)
	var n int
	var first, last int64
	more, next, err := h.cfg.Index.Page(&pq.q, func(it *Item) {
		if n > 0 {
			body = append(body, ',')
		} else {
			first = it.Added
		}
		last = it.Added
		n++
		body = format(body, it)
	})
	*bp = body
	if err != nil {
		h.internalError(rq, "read the index", err)
		return 0, false
	}
	hdr := rq.w.Header()
	hdr.Set("Content-Type", MediaType)
	if n > 0 {
		hdr.Set("X-TAXII-Date-Added-First", formatMicros(first))
		hdr.Set("X-TAXII-Date-Added-Last", formatMicros(last))
		body = append(body, "],"...)
	} else {
		body = append(body[:0], '{') // no items: omit the list
	}
	body = append(body, `"more":`...)
	body = strconv.AppendBool(body, more)
	if more {
		body = append(body, `,"next":"`...)
		body = append(body, h.tok.issue(rq.member.ID, pq.fingerprint, next)...)
		body = append(body, '"')
	}
	body = append(body, '}')
	*bp = body
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	rq.w.WriteHeader(http.StatusOK)
	_, _ = rq.w.Write(body)
	return n, true
}

func formatMicros(us int64) string { return time.UnixMicro(us).UTC().Format(timeFormat) }

// Manifest (section 5.3).
func (h *Handler) manifest(rq *request, args []string) {
	c, ok := h.findCollection(rq, args[0])
	if !ok {
		return
	}
	pq, ok := h.query(rq, epManifest, c, "")
	if !ok {
		return
	}
	h.run(rq, pq, "objects", appendManifestRecord)
}

func appendManifestRecord(dst []byte, it *Item) []byte {
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendQuote(dst, string(it.ID))
	dst = append(dst, `,"date_added":"`...)
	dst = time.UnixMicro(it.Added).UTC().AppendFormat(dst, timeFormat)
	dst = append(dst, `","version":`...)
	dst = strconv.AppendQuote(dst, string(it.Version))
	return append(dst, `,"media_type":"`+STIXMediaType+`"}`...)
}

func appendObject(dst []byte, it *Item) []byte { return append(dst, it.JSON...) }

// Get objects (section 5.4).
func (h *Handler) getObjects(rq *request, args []string) {
	c, ok := h.findCollection(rq, args[0])
	if !ok {
		return
	}
	pq, ok := h.query(rq, epObjects, c, "")
	if !ok {
		return
	}
	h.run(rq, pq, "objects", appendObject)
}

// objectExists reports whether the member may read any version of id in
// the collection.
func (h *Handler) objectExists(rq *request, c *Collection, id string) (bool, error) {
	q := Query{Coll: c, Limit: 1, IDs: []string{strings.ToLower(id)}, Versions: VersionFilter{All: true},
		Member: rq.member.ID, May: h.cfg.May}
	found := false
	_, _, err := h.cfg.Index.Page(&q, func(*Item) { found = true })
	return found, err
}

// perObject resolves the collection and checks that the object exists,
// writing 404 otherwise.
func (h *Handler) perObject(rq *request, args []string) (*Collection, string, bool) {
	c, ok := h.findCollection(rq, args[0])
	if !ok {
		return nil, "", false
	}
	id := args[1]
	typ, rest, ok := strings.Cut(id, "--")
	if !ok || !validType(typ) || len(rest) != 36 {
		writeError(rq.w, http.StatusNotFound, "Object not found", "not a STIX identifier")
		return nil, "", false
	}
	found, err := h.objectExists(rq, c, id)
	if err != nil {
		h.internalError(rq, "read the index", err)
		return nil, "", false
	}
	if !found {
		writeError(rq.w, http.StatusNotFound, "Object not found", "no object "+id+" in this collection")
		return nil, "", false
	}
	return c, id, true
}

// Get an object (section 5.6).
func (h *Handler) getObject(rq *request, args []string) {
	c, id, ok := h.perObject(rq, args)
	if !ok {
		return
	}
	pq, ok := h.query(rq, epObject, c, id)
	if !ok {
		return
	}
	h.run(rq, pq, "objects", appendObject)
}

// Object versions (section 5.8).
func (h *Handler) versions(rq *request, args []string) {
	c, id, ok := h.perObject(rq, args)
	if !ok {
		return
	}
	pq, ok := h.query(rq, epVersions, c, id)
	if !ok {
		return
	}
	h.run(rq, pq, "versions", func(dst []byte, it *Item) []byte {
		return strconv.AppendQuote(dst, string(it.Version))
	})
}

// Delete an object (section 5.7). The hub's record is an append-only,
// signed stream that every node and every subscriber holds the same: an
// accepted object is never removed, so deletion is refused (403) for
// objects that exist, after the same checks as a read.
func (h *Handler) deleteObject(rq *request, args []string) {
	c, id, ok := h.perObject(rq, args)
	if !ok {
		return
	}
	if _, ok := h.query(rq, epDelete, c, id); !ok {
		return
	}
	writeError(rq.w, http.StatusForbidden, "Objects cannot be deleted",
		"the hub keeps an append-only signed record of every accepted object; publish a new version with \"revoked\": true instead")
}

// Add objects (section 5.5).
func (h *Handler) postObjects(rq *request, args []string) {
	c, ok := h.findCollection(rq, args[0])
	if !ok {
		return
	}
	if !h.cfg.CanWrite(rq.member) {
		writeError(rq.w, http.StatusForbidden, "Not allowed to write",
			"this member may not post over TAXII; the operator allows it with `stixhub admin member taxii-unsigned --allow`, or publish signed objects over gRPC")
		return
	}
	if !taxiiContentType(rq.r.Header.Get("Content-Type")) {
		writeError(rq.w, http.StatusUnsupportedMediaType, "Unsupported media type", "send the envelope as "+MediaType)
		return
	}
	if rq.r.ContentLength > int64(h.cfg.MaxContentLength) {
		writeError(rq.w, http.StatusRequestEntityTooLarge, "Request too large",
			fmt.Sprintf("the body may be at most %d bytes (max_content_length)", h.cfg.MaxContentLength))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rq.w, rq.r.Body, int64(h.cfg.MaxContentLength)))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(rq.w, http.StatusRequestEntityTooLarge, "Request too large",
				fmt.Sprintf("the body may be at most %d bytes (max_content_length)", h.cfg.MaxContentLength))
			return
		}
		writeError(rq.w, http.StatusBadRequest, "Bad request", "could not read the request body")
		return
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		writeError(rq.w, http.StatusBadRequest, "Bad request", "the body is not a JSON object (a TAXII envelope)")
		return
	}
	var objects []json.RawMessage
	if raw, ok := env["objects"]; !ok || json.Unmarshal(raw, &objects) != nil || len(objects) == 0 {
		writeError(rq.w, http.StatusUnprocessableEntity, "Unprocessable envelope", "the envelope must have an \"objects\" list with at least one object")
		return
	}
	if !h.chargeObjects(rq.w, rq.member.ID, len(objects)) {
		return // the whole envelope, before any work: nothing stored
	}
	requested := time.Now().UTC()
	st := &StatusResource{ID: uuid.NewString(), Status: "complete", RequestTimestamp: requested.Format(timeFormat), TotalCount: len(objects)}

	// Objects of types outside the collection fail here; the rest go
	// through the hub's publish checks.
	toPost := make([]json.RawMessage, 0, len(objects))
	positions := make([]int, 0, len(objects))
	details := make([]StatusDetails, len(objects))
	failed := make([]bool, len(objects))
	for i, o := range objects {
		var head struct {
			ID       string `json:"id"`
			Type     string `json:"type"`
			Modified string `json:"modified"`
			Created  string `json:"created"`
		}
		_ = json.Unmarshal(o, &head)
		details[i] = StatusDetails{ID: head.ID, Version: head.Modified}
		if details[i].Version == "" {
			details[i].Version = head.Created
		}
		if head.Type != "" && !c.has(head.Type) {
			failed[i] = true
			details[i].Message = fmt.Sprintf("type %s does not belong to collection %s", head.Type, c.Alias)
			continue
		}
		toPost = append(toPost, o)
		positions = append(positions, i)
	}
	var maxCursor uint64
	if len(toPost) > 0 {
		results, err := h.cfg.Publisher.PostObjects(rq.r.Context(), rq.member, toPost)
		if err != nil {
			h.internalError(rq, "store the objects", err)
			return
		}
		for j, res := range results {
			i := positions[j]
			if res.ID != "" {
				details[i].ID = res.ID
			}
			if res.Version != "" {
				details[i].Version = res.Version
			}
			details[i].Message = res.Message
			if !res.Stored {
				failed[i] = true
				continue
			}
			maxCursor = max(maxCursor, res.Cursor)
		}
	}
	for i := range details {
		if failed[i] {
			st.Failures = append(st.Failures, details[i])
		} else {
			st.Successes = append(st.Successes, details[i])
		}
	}
	st.SuccessCount, st.FailureCount = len(st.Successes), len(st.Failures)
	ctx := context.WithoutCancel(rq.r.Context())
	// Make what was stored readable here before answering, so a client's
	// next GET sees it.
	if maxCursor > 0 {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := h.cfg.Index.WaitFor(wctx, maxCursor); err != nil {
			h.log.Warn("TAXII index slow to catch up after a post", "cursor", maxCursor, "err", err)
		}
		cancel()
	}
	if err := h.cfg.State.putStatus(ctx, rq.member.ID, st); err != nil {
		h.log.Error("TAXII save status", "status", st.ID, "err", err)
	}
	h.log.Info("taxii post", "member", rq.member.ID, "collection", c.Alias, "objects", st.TotalCount,
		"succeeded", st.SuccessCount, "failed", st.FailureCount, "status", st.ID)
	writeJSON(rq.w, http.StatusAccepted, st)
}
