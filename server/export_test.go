package server

import (
	"time"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// RefsOf exposes refsOf to the external tests.
var RefsOf = refsOf

// CheckObject runs checkObject for a member with no named audience, for the
// benchmarks. It returns the object's error, nil if it passed.
func (h *Hub) CheckObject(memberID string, o *stixhubv1.SignedObject) *stixhubv1.ObjectError {
	m, _ := h.registry.Member(memberID)
	return h.checkObject(m, o, time.Now(), audience{}).result.Error
}

// CheckContent runs checkContent (every check but key and signature) for a
// member with no named audience, for the benchmarks.
func (h *Hub) CheckContent(memberID string, raw []byte) *stixhubv1.ObjectError {
	m, _ := h.registry.Member(memberID)
	_, _, _, rej := h.checkContent(m, raw, &stixhubv1.PublishResult{}, audience{})
	return rej
}
