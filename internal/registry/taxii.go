package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// SetTaxiiUnsigned allows (or refuses) a member's posts of unsigned
// objects over TAXII. TAXII clients cannot sign; the hub accepts their
// objects only from members the operator marked so, and records them as
// hub-attested.
func (r *Registry) SetTaxiiUnsigned(ctx context.Context, memberID string, allowed bool) (Member, error) {
	key := "member." + memberID
	for {
		e, err := r.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return Member{}, fmt.Errorf("member %s: %w", memberID, ErrNotFound)
		}
		if err != nil {
			return Member{}, fmt.Errorf("get member %s: %w", memberID, err)
		}
		var m Member
		if err := json.Unmarshal(e.Value(), &m); err != nil {
			return Member{}, fmt.Errorf("decode member %s: %w", memberID, err)
		}
		if m.TaxiiUnsigned == allowed {
			return m, nil
		}
		m.TaxiiUnsigned = allowed
		b, err := json.Marshal(m)
		if err != nil {
			return Member{}, err
		}
		rev, err := r.kv.Update(ctx, key, b, e.Revision())
		if errors.Is(err, jetstream.ErrKeyExists) {
			continue // changed under us: read again
		}
		if err != nil {
			return Member{}, fmt.Errorf("update member %s: %w", memberID, err)
		}
		return m, r.waitFor(ctx, rev)
	}
}
