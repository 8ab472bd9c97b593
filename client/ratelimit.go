package client

import (
	"context"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// maxRateRetries bounds how often one batch is sent again after a rate
// limit refusal.
const maxRateRetries = 20

// RetryDelay returns the wait a hub asks for in a ResourceExhausted status
// with RetryInfo (a per-member rate limit): the call may be made again
// after it. ok is false for other errors, including a batch too large to
// ever pass.
func RetryDelay(err error) (time.Duration, bool) {
	st, isStatus := status.FromError(err)
	if !isStatus || st.Code() != codes.ResourceExhausted {
		return 0, false
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			return ri.GetRetryDelay().AsDuration(), true
		}
	}
	return 0, false
}

// publishPaced sends one batch, waiting and sending it again while the hub
// refuses it for the member's rate limit. A refused batch was not stored,
// so sending it again is safe.
func publishPaced(ctx context.Context, hub stixhubv1.HubServiceClient, req *stixhubv1.PublishRequest) (*stixhubv1.PublishResponse, error) {
	for attempt := 0; ; attempt++ {
		resp, err := hub.Publish(ctx, req)
		wait, limited := RetryDelay(err)
		if !limited || attempt == maxRateRetries {
			return resp, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}
