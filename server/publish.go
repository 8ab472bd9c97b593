package server

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/internal/auth"
	"github.com/stixhub/stixhub/internal/registry"
	"github.com/stixhub/stixhub/internal/sign"
	"github.com/stixhub/stixhub/internal/stix"
	"github.com/stixhub/stixhub/internal/store"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// hubService implements stixhubv1.HubServiceServer.
type hubService struct {
	stixhubv1.UnimplementedHubServiceServer
	hub *Hub
}

// GetKeySet gives any member the public key set, to verify deliveries
// offline.
func (s *hubService) GetKeySet(ctx context.Context, req *stixhubv1.GetKeySetRequest) (*stixhubv1.GetKeySetResponse, error) {
	if err := validateMemberFilter(req.GetMemberId()); err != nil {
		return nil, err
	}
	keys, hubKeys := s.hub.keySet(req.GetMemberId())
	return &stixhubv1.GetKeySetResponse{Keys: keys, HubKeys: hubKeys}, nil
}

// checked is one request object after the checks that need no store.
type checked struct {
	result *stixhubv1.PublishResult // ObjectId, Modified and, if rejected, Error
	entry  store.Entry              // valid when result.Error == nil
}

// Publish checks every object of the batch (in parallel: the signature check
// dominates), then hands the good ones to the store in one call. Each object
// gets its own result; a bad object never holds back the others.
func (s *hubService) Publish(ctx context.Context, req *stixhubv1.PublishRequest) (*stixhubv1.PublishResponse, error) {
	h := s.hub
	p, _ := auth.FromContext(ctx)
	if err := validatePublishRequest(req, h.cfg.MaxBatch); err != nil {
		return nil, err
	}
	if err := h.chargeObjects(p.MemberID, len(req.GetObjects())); err != nil {
		return nil, err // the whole batch, before any work: nothing stored
	}
	member, ok := h.registry.Member(p.MemberID)
	if !ok {
		return nil, status.Error(codes.PermissionDenied, "member not found")
	}
	if !h.keyHealth.up.Load() {
		// Receipts cannot be signed (or the registry cannot be trusted to be
		// current): refuse the whole batch rather than store half of it.
		return nil, status.Error(codes.Unavailable, "hub key service (Vault) unavailable; nothing was stored, retry")
	}
	if err := h.validateAudience(req.GetGroups(), req.GetRecipients()); err != nil {
		return nil, err
	}
	aud := h.audienceOf(member, req.GetGroups(), req.GetRecipients())
	objs := req.GetObjects()
	checks := make([]checked, len(objs))
	now := time.Now()
	parallelFor(len(objs), func(i int) {
		checks[i] = h.checkObject(member, objs[i], now, aud)
		checks[i].result.Index = uint32(i)
	})

	entries := make([]store.Entry, 0, len(objs))
	positions := make([]int, 0, len(objs))
	for i := range checks {
		if checks[i].result.Error == nil {
			entries = append(entries, checks[i].entry)
			positions = append(positions, i)
		}
	}
	stored, err := h.store.Append(ctx, entries)
	if err != nil {
		return nil, rpcError(ctx, h.log, "publish", err)
	}
	resp := &stixhubv1.PublishResponse{Results: make([]*stixhubv1.PublishResult, len(objs))}
	var accepted, duplicate, rejected int
	for i := range checks {
		resp.Results[i] = checks[i].result
	}
	for j, r := range stored {
		res := resp.Results[positions[j]]
		switch r.Outcome {
		case store.Accepted:
			res.Outcome, res.Cursor, res.Receipt = stixhubv1.Outcome_OUTCOME_ACCEPTED, r.Cursor, r.Receipt
		case store.Duplicate:
			res.Outcome, res.Cursor, res.Receipt = stixhubv1.Outcome_OUTCOME_DUPLICATE, r.Cursor, r.Receipt
		default:
			res.Error = storeRejection(r.Err)
		}
	}
	for _, res := range resp.Results {
		h.metrics.countResult(res)
		switch {
		case res.Error != nil:
			res.Outcome = stixhubv1.Outcome_OUTCOME_REJECTED
			rejected++
		case res.Outcome == stixhubv1.Outcome_OUTCOME_ACCEPTED:
			accepted++
		default:
			duplicate++
		}
	}
	h.log.InfoContext(ctx, "publish", "member", member.ID, "objects", len(objs),
		"accepted", accepted, "duplicate", duplicate, "rejected", rejected)
	return resp, nil
}

// storeRejection explains why the store refused a checked object.
func storeRejection(err error) *stixhubv1.ObjectError {
	if errors.Is(err, store.ErrOwnedByOther) {
		return objectError(codes.PermissionDenied, "object id was first published by another member; only that member may publish new versions",
			violation("id", "belongs to another member"))
	}
	return objectError(codes.Unavailable, "hub storage temporarily unavailable; nothing was stored, retry")
}

// checkObject runs every check that needs no store, in the order of the
// publish path: decode and validate, key, signature.
func (h *Hub) checkObject(member registry.Member, o *stixhubv1.SignedObject, now time.Time, aud audience) checked {
	res := &stixhubv1.PublishResult{}
	reject := func(e *stixhubv1.ObjectError) checked {
		res.Error = e
		return checked{result: res}
	}
	if vs := signedObjectViolations(o, h.cfg.MaxObjectBytes); len(vs) > 0 {
		return reject(objectError(codes.InvalidArgument, "invalid signed object", vs...))
	}
	obj, canonical, sharing, rej := h.checkContent(member, o.GetObject(), res, aud)
	if rej != nil {
		return reject(rej)
	}
	key, ok := h.registry.Key(o.GetKeyId())
	if !ok || key.MemberID != member.ID {
		return reject(objectError(codes.PermissionDenied, "unknown key",
			violation("key_id", fmt.Sprintf("%s is not a registered key of this member", o.GetKeyId()))))
	}
	if !key.ActiveAt(now) {
		switch key.StatusAt(now) {
		case registry.KeyRevoked:
			return reject(objectError(codes.PermissionDenied, "key revoked",
				violation("key_id", fmt.Sprintf("key %s was revoked at %s", key.ID, key.RevokedAt.Format(time.RFC3339)))))
		case registry.KeyExpired:
			return reject(objectError(codes.PermissionDenied, "key rotated out",
				violation("key_id", fmt.Sprintf("key %s was replaced by %s; its overlap ended at %s", key.ID, key.ReplacedBy, key.ExpiresAt.Format(time.RFC3339)))))
		}
		return reject(objectError(codes.PermissionDenied, "key not yet valid",
			violation("key_id", fmt.Sprintf("key %s is valid from %s", key.ID, key.AddedAt.Format(time.RFC3339)))))
	}
	verifyStart := time.Now()
	verified := sign.Verify(key.PublicKey, canonical, o.GetSignature())
	h.metrics.verifySeconds.Observe(time.Since(verifyStart).Seconds())
	if !verified {
		return reject(objectError(codes.InvalidArgument, "signature does not verify",
			violation("signature", fmt.Sprintf("not a valid Ed25519 signature by key %s over the RFC 8785 canonical form of the object", key.ID))))
	}
	return checked{result: res, entry: store.Entry{
		ID:         obj.ID,
		VersionKey: obj.VersionKey(),
		Modified:   res.Modified, // obj.ModifiedString(), set by checkContent
		Canonical:  canonical,
		MemberID:   member.ID,
		KeyID:      key.ID,
		Signature:  o.GetSignature(),
		Sharing:    sharing,
	}}
}

// checkContent runs the checks every object passes, signed or
// hub-attested: decode and validate, canonical form, created_by_ref. It
// fills res.ObjectId and res.Modified once the object could be read.
func (h *Hub) checkContent(member registry.Member, raw []byte, res *stixhubv1.PublishResult, aud audience) (*stix.Object, []byte, *stixhubv1.Sharing, *stixhubv1.ObjectError) {
	// Canonicalize first: what it accepts is valid JSON (it checks RFC 8259
	// syntax, UTF-8 and I-JSON while writing the canonical form), so Parse
	// can skip its own JSON pass. The STIX verdict still comes first, as
	// before: on text Canonicalize refuses, Parse validates it all and
	// reports the problem its own way.
	canonical, cerr := sign.Canonicalize(raw)
	parse := stix.ParseWithOptions
	if cerr == nil {
		parse = stix.ParseValidWithOptions
	}
	obj, err := parse(raw, h.types.ParseOptions())
	if err != nil {
		return nil, nil, nil, stixRejection(err)
	}
	res.ObjectId, res.Modified = obj.ID, obj.ModifiedString()
	if cerr != nil {
		return nil, nil, nil, objectError(codes.InvalidArgument, "object cannot be canonicalized (RFC 8785)", violation("object", cerr.Error()))
	}
	if obj.CreatedByRef != "" && !strings.EqualFold(obj.CreatedByRef, member.Identity) {
		return nil, nil, nil, objectError(codes.PermissionDenied, "created_by_ref names another identity",
			violation("created_by_ref", fmt.Sprintf("must be the publishing member's identity %s", member.Identity)))
	}
	sh, rej := h.sharingFor(member, canonical, aud)
	if rej != nil {
		return nil, nil, nil, rej
	}
	return obj, canonical, sh, nil
}

// stixRejection turns a stix.Parse error into an object error listing every
// violation.
func stixRejection(err error) *stixhubv1.ObjectError {
	var ve *stix.ValidationError
	if errors.As(err, &ve) {
		vs := make([]*stixhubv1.FieldViolation, 0, len(ve.Violations))
		for _, v := range ve.Violations {
			vs = append(vs, violation(v.Field, v.Description))
		}
		return objectError(codes.InvalidArgument, ve.Error(), vs...)
	}
	return objectError(codes.InvalidArgument, "invalid STIX object", violation("object", err.Error()))
}

// parallelFor calls fn(0..n-1) on up to GOMAXPROCS goroutines.
func parallelFor(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}
