package server

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/internal/registry"
	"github.com/stixhub/stixhub/internal/store"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// violation is shorthand for a field violation.
func violation(field, desc string) *stixhubv1.FieldViolation {
	return &stixhubv1.FieldViolation{Field: field, Description: desc}
}

// invalidArgument returns an InvalidArgument status whose details list every
// violation as google.rpc.BadRequest field violations.
func invalidArgument(msg string, vs ...*stixhubv1.FieldViolation) error {
	st := status.New(codes.InvalidArgument, msg)
	br := &errdetails.BadRequest{}
	for _, v := range vs {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
	}
	if withDetails, err := st.WithDetails(br); err == nil {
		st = withDetails
	}
	return st.Err()
}

// rpcError maps a domain error to a gRPC status for the caller. Known errors
// keep their message, which the hub writes for callers; anything else is
// logged in full and reported as a bare "internal error", so no internal
// detail reaches a client.
func rpcError(ctx context.Context, log *slog.Logger, op string, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	case errors.Is(err, registry.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, registry.ErrExists):
		return status.Error(codes.AlreadyExists, err.Error())
	case errors.Is(err, registry.ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, registry.ErrUnavailable):
		log.WarnContext(ctx, op+": registry unavailable", "err", err)
		return status.Error(codes.Unavailable, "member registry temporarily unavailable; retry")
	case errors.Is(err, store.ErrCursorAhead):
		return invalidArgument(err.Error(), violation("after_cursor", err.Error()))
	case errors.Is(err, store.ErrClosed):
		return status.Error(codes.Unavailable, "hub is shutting down; retry")
	case errors.Is(err, store.ErrUnavailable):
		log.WarnContext(ctx, op+": store unavailable", "err", err)
		return status.Error(codes.Unavailable, "hub storage temporarily unavailable; retry")
	}
	log.ErrorContext(ctx, op+": internal error", "err", err)
	return status.Error(codes.Internal, "internal error")
}

// objectError builds the per-object error of a rejected publish.
func objectError(code codes.Code, msg string, vs ...*stixhubv1.FieldViolation) *stixhubv1.ObjectError {
	return &stixhubv1.ObjectError{Code: uint32(code), Message: msg, FieldViolations: vs}
}
