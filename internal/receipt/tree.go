package receipt

import (
	"crypto/sha256"
	"math/bits"
	"slices"

	"github.com/transparency-dev/merkle/rfc6962"
)

// tree is an RFC 6962 Merkle tree over a batch, kept whole so that every
// inclusion proof is a walk of lookups: building costs n-1 node hashes and
// each proof O(log n) lookups.
type tree struct {
	size uint64
	// levels[h][i] is the hash of the perfect subtree over leaves
	// [i<<h, (i+1)<<h); levels[0] holds the leaf hashes.
	levels [][][hashSize]byte
	// The tree's right border: n splits into perfect subtrees of decreasing
	// powers of two, the j-th starting at leaf starts[j]; border[j] is the
	// RFC 6962 hash of leaves [starts[j], n), the only ranges a proof needs
	// that are not perfect subtrees.
	starts []uint64
	border [][hashSize]byte
	root   [hashSize]byte
}

// newTree builds the tree over leaf hashes (at least one).
func newTree(leafHashes [][hashSize]byte) *tree {
	t := &tree{size: uint64(len(leafHashes)), levels: [][][hashSize]byte{leafHashes}}
	var buf [1 + 2*hashSize]byte
	for lv := leafHashes; len(lv) >= 2; {
		next := make([][hashSize]byte, len(lv)/2)
		for i := range next {
			next[i] = hashChildren(&buf, &lv[2*i], &lv[2*i+1])
		}
		t.levels = append(t.levels, next)
		lv = next
	}
	var start uint64
	for h := bits.Len64(t.size) - 1; h >= 0; h-- {
		if t.size&(1<<h) != 0 {
			t.starts = append(t.starts, start)
			t.border = append(t.border, t.levels[h][start>>h])
			start += 1 << h
		}
	}
	for j := len(t.border) - 2; j >= 0; j-- {
		t.border[j] = hashChildren(&buf, &t.border[j], &t.border[j+1])
	}
	t.root = t.border[0]
	return t
}

// hashChildren returns the RFC 6962 interior node hash SHA-256(0x01||l||r),
// using buf to avoid allocating.
func hashChildren(buf *[1 + 2*hashSize]byte, l, r *[hashSize]byte) [hashSize]byte {
	buf[0] = rfc6962.RFC6962NodeHashPrefix
	copy(buf[1:], l[:])
	copy(buf[1+hashSize:], r[:])
	return sha256.Sum256(buf[:])
}

// subtree returns the hash of leaves [lo, hi), a range the RFC 6962 split
// produces: either a perfect subtree or a suffix of the tree.
func (t *tree) subtree(lo, hi uint64) *[hashSize]byte {
	if n := hi - lo; n&(n-1) == 0 { // a power of two, aligned by construction
		h := bits.TrailingZeros64(n)
		return &t.levels[h][lo>>h]
	}
	for j, s := range t.starts {
		if s == lo {
			return &t.border[j]
		}
	}
	panic("receipt: range is neither a perfect subtree nor a suffix") // unreachable: see newTree
}

// proof stores in path the RFC 6962 audit path of leaf m, from the leaf's
// sibling up to the root's child, and returns its length.
func (t *tree) proof(m uint64, path *[64]*[hashSize]byte) int {
	// RFC 6962 section 2.1.1 recurses from the root down while the path lists
	// siblings bottom up: collect top down, then reverse.
	depth := 0
	for lo, hi := uint64(0), t.size; hi-lo > 1; depth++ {
		k := uint64(1) << (bits.Len64(hi-lo-1) - 1) // largest power of two < hi-lo
		if m < lo+k {
			path[depth] = t.subtree(lo+k, hi)
			hi = lo + k
		} else {
			path[depth] = t.subtree(lo, lo+k)
			lo += k
		}
	}
	slices.Reverse(path[:depth])
	return depth
}
