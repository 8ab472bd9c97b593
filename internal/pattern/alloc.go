package pattern

// The parser allocates nodes from slabs instead of one by one: a typical
// pattern (one or two comparisons) lives entirely in the Pattern's inline
// arena, and a larger one costs a handful of allocations whatever its size.
// Nodes never move once allocated (a full slab is replaced, not grown), so
// pointers to them stay valid.

// arena is the inline storage of a small pattern.
type arena struct {
	comps    [1]Comparison
	steps    [2]Step
	obs      [1]obsNode
	comp     [2]compNode
	compKids [2]*compNode
}

// maxSlab caps the capacity the parser reserves from its estimate, so that
// hostile input cannot make it reserve much more than it uses.
const maxSlab = 256

// initAlloc points the parser's slabs at the pattern's arena and estimates
// the number of comparisons from the colons of the source (every object
// path has one; timestamps and strings may add more).
func (p *parser) initAlloc(colons int) {
	a := &p.pat.arena
	p.pat.comps = a.comps[:0:len(a.comps)]
	p.steps = a.steps[:0:len(a.steps)]
	p.obsSlab = a.obs[:0:len(a.obs)]
	p.compSlab = a.comp[:0:len(a.comp)]
	p.compKidSlab = a.compKids[:0:len(a.compKids)]
	p.slab = min(max(colons, 4), maxSlab)
}

func (p *parser) newObs(n obsNode) *obsNode {
	if len(p.obsSlab) == cap(p.obsSlab) {
		p.obsSlab = make([]obsNode, 0, p.slab)
	}
	p.obsSlab = append(p.obsSlab, n)
	return &p.obsSlab[len(p.obsSlab)-1]
}

func (p *parser) newComp(n compNode) *compNode {
	if len(p.compSlab) == cap(p.compSlab) {
		p.compSlab = make([]compNode, 0, 2*p.slab)
	}
	p.compSlab = append(p.compSlab, n)
	return &p.compSlab[len(p.compSlab)-1]
}

// addComparison appends c to the pattern's comparisons and returns its
// index. The slice is contiguous (the tree refers to comparisons by index).
func (p *parser) addComparison(c *Comparison) int {
	comps := p.pat.comps
	if len(comps) == cap(comps) {
		grown := make([]Comparison, len(comps), max(p.slab, 2*len(comps)))
		copy(grown, comps)
		comps = grown
	}
	p.pat.comps = append(comps, *c)
	return len(p.pat.comps) - 1
}

// addStep appends a step to the path being parsed. Earlier paths keep
// their (old) backing array when this one is reallocated.
func (p *parser) addStep(s Step) {
	if len(p.steps) == cap(p.steps) {
		grown := make([]Step, len(p.steps), max(2*p.slab, 2*len(p.steps)))
		copy(grown, p.steps)
		p.steps = grown
	}
	p.steps = append(p.steps, s)
}

// kids copies the operands of a chain from the parser's stack into a slab.
func kids[T any](slab *[]T, stack []T, hint int) []T {
	if cap(*slab)-len(*slab) < len(stack) {
		*slab = make([]T, 0, max(len(stack), hint))
	}
	start := len(*slab)
	*slab = append(*slab, stack...)
	return (*slab)[start:len(*slab):len(*slab)]
}
