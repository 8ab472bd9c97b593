package taxii

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Shared TAXII state, in JetStream KV so that every hub node serves it.
const (
	// StatusBucket holds status resources, one per POST, for StatusTTL.
	StatusBucket = "STIXHUB_TAXII_STATUS"
	// StatusTTL is how long a status resource is kept (TAXII: at least 24
	// hours).
	StatusTTL = 48 * time.Hour
	// StateBucket holds the secret that next tokens are bound with.
	StateBucket = "STIXHUB_TAXII"
	secretKey   = "next-secret"
)

// State is the TAXII state shared by the hub nodes.
type State struct {
	status jetstream.KeyValue
	secret []byte
}

// OpenState creates or binds the TAXII buckets and loads (or, on the first
// node, creates) the next-token secret.
func OpenState(ctx context.Context, js jetstream.JetStream, replicas int) (*State, error) {
	if replicas == 0 {
		replicas = 1
	}
	st, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      StatusBucket,
		Description: "stixhub TAXII status resources",
		TTL:         StatusTTL,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", StatusBucket, err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      StateBucket,
		Description: "stixhub TAXII shared state (next-token secret)",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", StateBucket, err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	if _, err := kv.Create(ctx, secretKey, secret); err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("store next-token secret: %w", err)
		}
		e, err := kv.Get(ctx, secretKey)
		if err != nil {
			return nil, fmt.Errorf("load next-token secret: %w", err)
		}
		secret = e.Value()
	}
	return &State{status: st, secret: secret}, nil
}

// StatusResource is a TAXII status resource (section 4.3).
type StatusResource struct {
	ID               string          `json:"id"`
	Status           string          `json:"status"`
	RequestTimestamp string          `json:"request_timestamp,omitempty"`
	TotalCount       int             `json:"total_count"`
	SuccessCount     int             `json:"success_count"`
	Successes        []StatusDetails `json:"successes,omitempty"`
	FailureCount     int             `json:"failure_count"`
	Failures         []StatusDetails `json:"failures,omitempty"`
	PendingCount     int             `json:"pending_count"`
	Pendings         []StatusDetails `json:"pendings,omitempty"`
}

// StatusDetails is one object of a status resource.
type StatusDetails struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// storedStatus is a status resource and the member it belongs to.
type storedStatus struct {
	Member string         `json:"member"`
	Status StatusResource `json:"status"`
}

func (s *State) putStatus(ctx context.Context, member string, r *StatusResource) error {
	b, err := json.Marshal(storedStatus{Member: member, Status: *r})
	if err != nil {
		return err
	}
	_, err = s.status.Put(ctx, "status."+r.ID, b)
	return err
}

// errNoStatus means no status resource of that id exists for the member.
var errNoStatus = errors.New("no such status")

func (s *State) getStatus(ctx context.Context, member, id string) (*StatusResource, error) {
	e, err := s.status.Get(ctx, "status."+id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, errNoStatus
	}
	if err != nil {
		return nil, err
	}
	var st storedStatus
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return nil, fmt.Errorf("decode status %s: %w", id, err)
	}
	if st.Member != member {
		return nil, errNoStatus
	}
	return &st.Status, nil
}
