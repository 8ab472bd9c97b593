package registry

import "context"

// SetTaxiiUnsigned allows (or refuses) a member's posts of unsigned
// objects over TAXII. TAXII clients cannot sign; the hub accepts their
// objects only from members the operator marked so, and records them as
// hub-attested.
func (r *Registry) SetTaxiiUnsigned(ctx context.Context, memberID string, allowed bool) (Member, error) {
	return modify(ctx, r, "member."+memberID, func(m *Member) (bool, error) {
		if m.TaxiiUnsigned == allowed {
			return false, nil
		}
		m.TaxiiUnsigned = allowed
		return true, nil
	})
}
