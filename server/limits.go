package server

import (
	"context"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/stixhub/stixhub/internal/auth"
	"github.com/stixhub/stixhub/internal/limit"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Per-member limits. Each node keeps its own buckets: on a cluster of N
// nodes a member that spreads its calls gets up to N times the rate.

// DefaultLimits are the per-member rate limits of DefaultConfig: 100
// requests/s (burst 200) and 2000 objects/s (burst 20000, so a bulk load
// of 20000 objects passes at full speed before the sustained rate applies).
func DefaultLimits() limit.Config {
	return limit.Config{
		Requests: limit.Rate{PerSecond: 100, Burst: 200},
		Objects:  limit.Rate{PerSecond: 2000, Burst: 20000},
	}
}

// setupLimits checks the limits against each other and makes the limiter.
func (h *Hub) setupLimits() error {
	l := h.cfg.Limits
	if l.Requests.PerSecond < 0 || l.Objects.PerSecond < 0 || l.Requests.Burst < 0 || l.Objects.Burst < 0 {
		return fmt.Errorf("rate limits cannot be negative")
	}
	if !l.Objects.Unlimited() {
		burst := l.Objects.Burst
		if burst == 0 {
			burst = max(1, int(l.Objects.PerSecond+0.999999))
		}
		if burst < h.cfg.MaxBatch {
			return fmt.Errorf("the objects burst (%d) is smaller than --max-batch (%d): a full batch could never pass", burst, h.cfg.MaxBatch)
		}
	}
	h.limits = limit.New(l)
	return nil
}

// limitError is the gRPC status of a refused charge: ResourceExhausted with
// the limit in the message, a QuotaFailure naming it and, when waiting
// helps, a RetryInfo saying how long.
func limitError(memberID string, e *limit.Error) error {
	st := status.New(codes.ResourceExhausted, e.Error()+"; nothing was stored")
	if e.Kind == limit.Requests {
		st = status.New(codes.ResourceExhausted, e.Error())
	}
	details := []protoadapt.MessageV1{&errdetails.QuotaFailure{Violations: []*errdetails.QuotaFailure_Violation{{
		Subject:     "member:" + memberID,
		Description: fmt.Sprintf("%s per second per member", e.Kind),
	}}}}
	if !e.TooLarge {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(e.RetryAfter)})
	}
	if withDetails, err := st.WithDetails(details...); err == nil {
		st = withDetails
	}
	return st.Err()
}

// chargeObjects takes n objects from the member's budget, or returns the
// error to send instead of doing any work.
func (h *Hub) chargeObjects(memberID string, n int) error {
	if e := h.limits.Objects(memberID, n); e != nil {
		return limitError(memberID, e)
	}
	return nil
}

// chargeRequest counts one call of the principal in ctx. The operator
// token is not limited.
func (h *Hub) chargeRequest(ctx context.Context) error {
	p, ok := auth.FromContext(ctx)
	if !ok || p.MemberID == "" {
		return nil
	}
	if e := h.limits.Request(p.MemberID); e != nil {
		return limitError(p.MemberID, e)
	}
	return nil
}

func (h *Hub) limitUnary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := h.chargeRequest(ctx); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

func (h *Hub) limitStream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := h.chargeRequest(ss.Context()); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}

// sizeLimit is the status of a request over a size limit:
// ResourceExhausted (as gRPC's own message size limit), with the limit as
// a BadRequest field violation.
func sizeLimit(msg string, vs ...*stixhubv1.FieldViolation) error {
	st := status.New(codes.ResourceExhausted, msg)
	br := &errdetails.BadRequest{}
	for _, v := range vs {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
	}
	if withDetails, err := st.WithDetails(br); err == nil {
		st = withDetails
	}
	return st.Err()
}
