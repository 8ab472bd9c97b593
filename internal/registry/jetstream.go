package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// JetStreamConfig configures NewJetStreamBackend. Zero fields have defaults.
type JetStreamConfig struct {
	// Bucket is the KV bucket name. Default "STIXHUB_REGISTRY".
	Bucket string
	// Replicas is the bucket's replication factor. Default 1; use 3 on a
	// NATS cluster.
	Replicas int
	// History is the number of versions kept per key. Default 64, the most
	// JetStream allows, so every recent change to a record can be audited.
	History uint8
}

type jetStreamBackend struct {
	kv jetstream.KeyValue
}

// NewJetStreamBackend creates or binds the registry's KV bucket.
func NewJetStreamBackend(ctx context.Context, js jetstream.JetStream, cfg JetStreamConfig) (Backend, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = "STIXHUB_REGISTRY"
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.History == 0 {
		cfg.History = jetstream.KeyValueMaxHistory
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket,
		Description: "stixhub members, tokens, keys and audit records",
		History:     cfg.History,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("open registry bucket %s: %w", cfg.Bucket, err)
	}
	return &jetStreamBackend{kv: kv}, nil
}

func (b *jetStreamBackend) String() string { return "nats-kv " + b.kv.Bucket() }

func jsRecord(e jetstream.KeyValueEntry) Record {
	return Record{
		Key:     e.Key(),
		Value:   e.Value(),
		Version: e.Revision(),
		Deleted: e.Operation() != jetstream.KeyValuePut,
		Time:    e.Created(),
	}
}

func jsErr(op, key string, err error) error {
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return fmt.Errorf("%s: %w", key, ErrNotFound)
	case errors.Is(err, jetstream.ErrKeyExists):
		return fmt.Errorf("%s: %w", key, ErrConflict)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s %s: %w", op, key, err)
	}
	return fmt.Errorf("%s %s: %w: %w", op, key, ErrUnavailable, err)
}

func (b *jetStreamBackend) Get(ctx context.Context, key string) (Record, error) {
	e, err := b.kv.Get(ctx, key)
	if err != nil {
		return Record{}, jsErr("get", key, err)
	}
	return jsRecord(e), nil
}

func (b *jetStreamBackend) Create(ctx context.Context, key string, value []byte) (Record, error) {
	rev, err := b.kv.Create(ctx, key, value)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return Record{}, fmt.Errorf("%s: %w", key, ErrExists)
	}
	if err != nil {
		return Record{}, jsErr("create", key, err)
	}
	return Record{Key: key, Value: value, Version: rev}, nil
}

func (b *jetStreamBackend) Update(ctx context.Context, key string, value []byte, version uint64) (Record, error) {
	rev, err := b.kv.Update(ctx, key, value, version)
	if err != nil {
		return Record{}, jsErr("update", key, err)
	}
	return Record{Key: key, Value: value, Version: rev}, nil
}

func (b *jetStreamBackend) Delete(ctx context.Context, key string) error {
	if err := b.kv.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return jsErr("delete", key, err)
	}
	return nil
}

func (b *jetStreamBackend) History(ctx context.Context, key string) ([]Record, error) {
	es, err := b.kv.History(ctx, key)
	if err != nil {
		return nil, jsErr("history", key, err)
	}
	out := make([]Record, len(es))
	for i, e := range es {
		out[i] = jsRecord(e)
	}
	return out, nil
}

func (b *jetStreamBackend) List(ctx context.Context, kind string) ([]string, error) {
	l, err := b.kv.ListKeysFiltered(ctx, kind+".*")
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, jsErr("list", kind, err)
	}
	var keys []string
	for k := range l.Keys() {
		keys = append(keys, k)
	}
	return keys, nil
}

func (b *jetStreamBackend) Watch(ctx context.Context, kinds []string) (<-chan Record, error) {
	filters := make([]string, len(kinds))
	for i, k := range kinds {
		filters[i] = k + ".*"
	}
	w, err := b.kv.WatchFiltered(ctx, filters)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", b, err)
	}
	out := make(chan Record, 64)
	go func() {
		defer close(out)
		defer func() { _ = w.Stop() }()
		for {
			select {
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				r := Record{} // nil entry: initial values done
				if e != nil {
					r = jsRecord(e)
				}
				select {
				case out <- r:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (b *jetStreamBackend) Check(ctx context.Context) error {
	if _, err := b.kv.Status(ctx); err != nil {
		return fmt.Errorf("%s: %w: %w", b, ErrUnavailable, err)
	}
	return nil
}
