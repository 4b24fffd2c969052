package metalink

import (
	"net/netip"
	"slices"
)

// prefixTable is a binary trie of IP prefixes (IPv4 and IPv6 kept apart)
// that finds every stored prefix containing an address, longest first.
type prefixTable[V any] struct {
	v4, v6 *trieNode[V]
	n      int
}

type trieNode[V any] struct {
	child  [2]*trieNode[V]
	values []prefixValue[V]
}

// prefixValue is one stored prefix and its value.
type prefixValue[V any] struct {
	Prefix netip.Prefix
	Value  V
}

// Insert adds a value under prefix p (which must be masked).
func (t *prefixTable[V]) Insert(p netip.Prefix, v V) {
	root, p, b := t.path(p)
	if *root == nil {
		*root = &trieNode[V]{}
	}
	n := *root
	for i := 0; i < p.Bits(); i++ {
		bit := (b[i/8] >> (7 - i%8)) & 1
		if n.child[bit] == nil {
			n.child[bit] = &trieNode[V]{}
		}
		n = n.child[bit]
	}
	n.values = append(n.values, prefixValue[V]{Prefix: p, Value: v})
	t.n++
}

// Inserted returns t with a value added under prefix p (which must be
// masked), copying the nodes on p's path: t itself is left as it was, so
// that a table shared by snapshots can be extended for the next one.
func (t prefixTable[V]) Inserted(p netip.Prefix, v V) prefixTable[V] {
	root, p, b := t.path(p)
	n := copyNode(*root)
	*root = n
	for i := 0; i < p.Bits(); i++ {
		bit := (b[i/8] >> (7 - i%8)) & 1
		n.child[bit] = copyNode(n.child[bit])
		n = n.child[bit]
	}
	n.values = append(slices.Clip(n.values), prefixValue[V]{Prefix: p, Value: v})
	t.n++
	return t
}

func copyNode[V any](n *trieNode[V]) *trieNode[V] {
	if n == nil {
		return &trieNode[V]{}
	}
	c := *n
	return &c
}

// path returns the root of p's family, p (an IPv4-mapped one as IPv4) and
// its address bytes.
func (t *prefixTable[V]) path(p netip.Prefix) (**trieNode[V], netip.Prefix, []byte) {
	addr := p.Addr().Unmap()
	if !addr.Is4() {
		return &t.v6, p, addr.AsSlice()
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(addr, p.Bits()-96)
	}
	return &t.v4, p, addr.AsSlice()
}

// Len returns the number of stored prefixes.
func (t *prefixTable[V]) Len() int { return t.n }

// Lookup appends to dst every stored entry whose prefix contains a, longest
// prefix first, and returns the extended slice.
func (t *prefixTable[V]) Lookup(dst []prefixValue[V], a netip.Addr) []prefixValue[V] {
	a = a.Unmap()
	n := t.v6
	if a.Is4() {
		n = t.v4
	}
	start := len(dst)
	var b [16]byte
	if a.Is4() {
		v := a.As4()
		copy(b[:], v[:])
	} else {
		b = a.As16()
	}
	bits := a.BitLen()
	for i := 0; n != nil; i++ {
		dst = append(dst, n.values...)
		if i == bits {
			break
		}
		n = n.child[(b[i/8]>>(7-i%8))&1]
	}
	// Collected shortest first; callers want the longest first.
	for i, j := start, len(dst)-1; i < j; i, j = i+1, j-1 {
		dst[i], dst[j] = dst[j], dst[i]
	}
	return dst
}
