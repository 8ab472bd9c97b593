package server

import (
	"time"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// RefsOf exposes refsOf to the external tests.
var RefsOf = refsOf

// Checks returns the per-object checks of a publish request by a member
// naming no audience, for the benchmarks: content runs checkContent (every
// check but key and signature), object runs checkObject. They return the
// object's error, nil if it passed.
func (h *Hub) Checks(memberID string) (content func(raw []byte) *stixhubv1.ObjectError, object func(o *stixhubv1.SignedObject) *stixhubv1.ObjectError) {
	m, _ := h.registry.Member(memberID)
	aud := h.audienceOf(m, nil, nil)
	content = func(raw []byte) *stixhubv1.ObjectError {
		_, _, _, rej := h.checkContent(m, raw, &stixhubv1.PublishResult{}, aud)
		return rej
	}
	object = func(o *stixhubv1.SignedObject) *stixhubv1.ObjectError {
		return h.checkObject(m, o, time.Now(), aud).result.Error
	}
	return content, object
}
