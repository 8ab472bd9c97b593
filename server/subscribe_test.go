package server_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/stixhub/stixhub/internal/hubtest"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// rawDeliveries subscribes with the generated stub and returns the first n
// deliveries and how many messages carried them.
func rawDeliveries(t *testing.T, hc stixhubv1.HubServiceClient, req *stixhubv1.SubscribeRequest, n int) ([]*stixhubv1.Delivery, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stream, err := hc.Subscribe(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var got []*stixhubv1.Delivery
	msgs := 0
	for len(got) < n {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatalf("after %d deliveries: %v", len(got), err)
		}
		switch ev := resp.GetEvent().(type) {
		case *stixhubv1.SubscribeResponse_Delivery:
			got = append(got, ev.Delivery)
			msgs++
		case *stixhubv1.SubscribeResponse_Batch:
			if len(ev.Batch.GetDeliveries()) > int(max(req.GetMaxBatch(), 1)) {
				t.Fatalf("batch of %d, max_batch %d", len(ev.Batch.GetDeliveries()), req.GetMaxBatch())
			}
			got = append(got, ev.Batch.GetDeliveries()...)
			msgs++
		}
	}
	return got, msgs
}

// Batches carry exactly what single deliveries carry: the shared encoding
// strips sharing references, and a suspect object is flagged per reader.
func TestBatchedDeliveriesEqualSingleOnes(t *testing.T) {
	hub := hubtest.Start(t, hubtest.NoLimits)
	ctx := context.Background()
	bank := hub.AddMember(t, "Bank A")
	c := hub.Client(t, bank)
	var objs []json.RawMessage
	malware := "malware--" + uuid.NewString()
	for i := range 40 {
		objs = append(objs, indicator(t, nil))
		if i == 10 {
			objs = append(objs, json.RawMessage(`{"type":"malware","spec_version":"2.1","id":"`+malware+`","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"x","is_family":false}`))
		}
	}
	objs = append(objs, json.RawMessage(`{"type":"relationship","spec_version":"2.1","id":"relationship--`+uuid.NewString()+`","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"`+malware+`","target_ref":"`+malware+`"}`))
	rs, err := c.Publish(ctx, objs...)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
			t.Fatalf("object %d: %v", i, r)
		}
	}
	compromisedAt := time.Now()
	time.Sleep(10 * time.Millisecond)
	suspect := publishOne(t, c)
	if _, err := hub.Operator(t).Admin().RevokeCompromisedKey(ctx, bank.Signer.KeyID(), compromisedAt); err != nil {
		t.Fatal(err)
	}
	n := len(objs) + 2 // the suspect object and the revocation event

	hc := stixhubv1.NewHubServiceClient(dialRaw(t, hub, hub.AddMember(t, "CERT").Token))
	single, singleMsgs := rawDeliveries(t, hc, &stixhubv1.SubscribeRequest{}, n)
	batched, batchMsgs := rawDeliveries(t, hc, &stixhubv1.SubscribeRequest{MaxBatch: 7}, n)
	if singleMsgs != n || batchMsgs >= n {
		t.Errorf("messages: %d single, %d batched for %d deliveries", singleMsgs, batchMsgs, n)
	}
	for i := range single {
		if !proto.Equal(single[i], batched[i]) {
			t.Fatalf("delivery %d differs:\nsingle  %v\nbatched %v", i, single[i], batched[i])
		}
		if len(batched[i].GetSharing().GetRefs()) > 0 {
			t.Errorf("cursor %d: sharing refs delivered", batched[i].GetCursor())
		}
	}
	last := batched[n-2]
	if last.GetCursor() != suspect.GetCursor() || !last.GetSuspect() || batched[0].GetSuspect() {
		t.Errorf("suspect flags: cursor %d %v, first %v", last.GetCursor(), last.GetSuspect(), batched[0].GetSuspect())
	}
	if batched[n-1].GetKeyRevocation() == nil {
		t.Errorf("last delivery is not the revocation: %v", batched[n-1])
	}

	// Live: a batched subscription from now gets what is published next.
	hcLive, live := stixhubv1.NewHubServiceClient(dialRaw(t, hub, hub.AddMember(t, "CERT 2").Token)), make(chan []*stixhubv1.Delivery, 1)
	go func() {
		got, _ := rawDeliveries(t, hcLive, &stixhubv1.SubscribeRequest{FromNow: true, MaxBatch: 100}, 5)
		live <- got
	}()
	time.Sleep(200 * time.Millisecond) // let it start
	other := hub.Client(t, hub.AddMember(t, "Bank B"))
	var fresh []json.RawMessage
	for range 5 {
		fresh = append(fresh, indicator(t, nil))
	}
	if _, err := other.Publish(ctx, fresh...); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-live:
		for i, d := range got {
			if d.GetCursor() != last.GetCursor()+2+uint64(i) {
				t.Errorf("live delivery %d: cursor %d", i, d.GetCursor())
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("live batched subscription got nothing")
	}
}
