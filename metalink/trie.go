package metalink

import "net/netip"

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
	addr := p.Addr().Unmap()
	root := &t.v6
	if addr.Is4() {
		root = &t.v4
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(addr, p.Bits()-96)
		}
	}
	if *root == nil {
		*root = &trieNode[V]{}
	}
	n := *root
	b := addr.AsSlice()
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
