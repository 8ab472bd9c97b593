package taxii

import (
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/stixhub/stixhub/internal/auth"
	"github.com/stixhub/stixhub/internal/limit"
	"github.com/stixhub/stixhub/internal/registry"
)

// Limiter holds per-member rate limits (limit.Limiter). A refused charge
// is answered 429 with Retry-After, or 413 when it could never pass.
type Limiter interface {
	Request(memberID string) *limit.Error
	Objects(memberID string, n int) *limit.Error
}

// certificatePrincipal authenticates a request without an Authorization
// header by the connection's verified client certificate. ok is false when
// there is none; err says why a certificate there names no member.
func (h *Handler) certificatePrincipal(r *http.Request) (registry.Principal, bool, error) {
	m, ok, err := auth.TLSMember(r.TLS, h.cfg.Members)
	if !ok || err != nil {
		return registry.Principal{}, ok, err
	}
	return registry.Principal{MemberID: m.ID}, true, nil
}

// requiredRole is the role a member needs for method on rt: reading
// objects (manifest, objects, versions) needs the subscriber role, posting
// the publisher role; discovery, the API root, collections and status are
// open to every member.
func requiredRole(rt *route, method string) (registry.Role, bool) {
	if method == http.MethodPost {
		return registry.RolePublisher, true
	}
	if len(rt.pattern) >= 4 { // collections/{id}/manifest, objects, objects/{id}[/versions]
		return registry.RoleSubscriber, true
	}
	return "", false
}

// permitted checks a member's state and role for a route, writing the 403
// itself.
func permitted(w http.ResponseWriter, m registry.Member, rt *route, method string) bool {
	if m.Suspended {
		writeError(w, http.StatusForbidden, "Member suspended", auth.ErrSuspendedMessage)
		return false
	}
	if role, ok := requiredRole(rt, method); ok && !m.HasRole(role) {
		writeError(w, http.StatusForbidden, "Role required",
			fmt.Sprintf("this needs the %s role, which this member does not hold; ask the hub operator", role))
		return false
	}
	return true
}

// writeLimited answers a refused charge: 413 when it can never pass, else
// 429 with Retry-After (whole seconds, rounded up).
func writeLimited(w http.ResponseWriter, e *limit.Error) {
	if e.TooLarge {
		writeError(w, http.StatusRequestEntityTooLarge, "Too many objects", e.Error()+"; nothing was stored")
		return
	}
	secs := max(1, int(math.Ceil(e.RetryAfter.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	desc := e.Error()
	if e.Kind == limit.Objects {
		desc += "; nothing was stored"
	}
	writeError(w, http.StatusTooManyRequests, "Too many requests", desc)
}

// chargeRequest counts one request of a member; false means it was
// refused and answered.
func (h *Handler) chargeRequest(w http.ResponseWriter, memberID string) bool {
	if h.cfg.Limiter == nil {
		return true
	}
	if e := h.cfg.Limiter.Request(memberID); e != nil {
		writeLimited(w, e)
		return false
	}
	return true
}

// chargeObjects takes n posted objects from a member's budget, all or
// none; false means they were refused and answered.
func (h *Handler) chargeObjects(w http.ResponseWriter, memberID string, n int) bool {
	if h.cfg.Limiter == nil {
		return true
	}
	if e := h.cfg.Limiter.Objects(memberID, n); e != nil {
		writeLimited(w, e)
		return false
	}
	return true
}
