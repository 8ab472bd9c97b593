package registry

import (
	"context"
	"errors"
	"time"
)

// Backend is the versioned key-value storage the registry keeps its records
// in. Two implementations exist: JetStream KV (NewJetStreamBackend, the
// embedded default) and Vault KV v2 (NewVaultBackend). Both keep a history of
// every record, so no change to a member or key is ever lost, and both are
// shared by every hub node. The same conformance suite runs against both.
//
// Keys are "<kind>.<id>", where kind has no dot; values are opaque bytes.
// Versions are per key and grow with every change to that key.
type Backend interface {
	// Get returns the current value of key, or ErrNotFound.
	Get(ctx context.Context, key string) (Record, error)
	// Create stores key only if it does not exist (or was deleted); a live
	// key is ErrExists.
	Create(ctx context.Context, key string, value []byte) (Record, error)
	// Update replaces key only if its current version is version; otherwise
	// it returns ErrConflict and the caller reads again.
	Update(ctx context.Context, key string, value []byte, version uint64) (Record, error)
	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// History returns the kept versions of key, oldest first.
	History(ctx context.Context, key string) ([]Record, error)
	// List returns the keys of one kind that exist now.
	List(ctx context.Context, kind string) ([]string, error)
	// Watch sends every current record of the given kinds, then a Record with
	// an empty Key to mark the end of the initial load, then every later
	// change made by any node, until ctx is done; then it closes the channel.
	// The same version of a record may be sent more than once.
	Watch(ctx context.Context, kinds []string) (<-chan Record, error)
	// Check reports whether the storage can be reached now.
	Check(ctx context.Context) error
	// String names the storage for logs, such as "nats-kv STIXHUB_REGISTRY".
	String() string
}

// Record is one version of a key.
type Record struct {
	Key     string
	Value   []byte
	Version uint64
	Deleted bool
	Time    time.Time
}

// ErrConflict means a conditional update lost to a concurrent change.
var ErrConflict = errors.New("changed concurrently")

// ErrUnavailable means the backend could not be reached; the caller may retry.
var ErrUnavailable = errors.New("registry storage unavailable")
