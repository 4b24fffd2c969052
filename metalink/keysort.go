package metalink

import (
	"math/bits"
	"slices"
)

// bucketMin is the number of keys below which sortKeys leaves the work to
// slices.Sort: a few dozen keys sort faster than they are counted.
const bucketMin = 32

// bucketMax is the most keys one bucket may hold before it is sorted as a
// whole rather than by insertion, which bounds the worst case at
// O(n log n) whatever the keys' spread.
const bucketMax = 32

// keySorter sorts a step's sort keys. A key is a non-negative float64's bit
// pattern (with a mirror's rank in its low bits), so its integer order is
// the numbers' order, and the bits are close to a logarithmic scale: the
// keys of a weighted draw, spread over a few binary orders of magnitude,
// fall evenly into buckets cut from the range of their bit patterns. One
// counting pass places each key in its bucket, and an insertion sort of
// each bucket's few keys finishes the order: about a quarter of the
// comparisons and none of the unpredictable branches of a comparison sort
// at a thousand keys. The buffers are reused from request to request.
type keySorter struct {
	counts  []int32
	scratch []uint64
}

// sort sorts ks in increasing order.
func (k *keySorter) sort(ks []uint64) {
	n := len(ks)
	if n < bucketMin {
		slices.Sort(ks)
		return
	}
	lo, hi := ks[0], ks[0]
	for _, v := range ks[1:] {
		lo, hi = min(lo, v), max(hi, v)
	}
	// About two keys per bucket: the number of buckets is the power of two
	// at or above n/2, and shift maps the range onto at most that many.
	nb := 1 << bits.Len(uint(n/2-1))
	shift := bits.Len64((hi - lo) >> bits.Len(uint(nb-1)))
	if cap(k.counts) < nb+1 {
		k.counts = make([]int32, nb+1)
	}
	counts := k.counts[:nb+1]
	clear(counts)
	for _, v := range ks {
		counts[(v-lo)>>shift+1]++
	}
	for i := 1; i <= nb; i++ {
		counts[i] += counts[i-1]
	}
	k.scratch = slices.Grow(k.scratch[:0], n)[:n]
	out := k.scratch
	for _, v := range ks {
		b := (v - lo) >> shift
		out[counts[b]] = v
		counts[b]++
	}
	// counts[b] is now where bucket b ends and b+1 begins.
	start := 0
	for b := range nb {
		end := int(counts[b])
		if end-start > bucketMax {
			slices.Sort(out[start:end])
		} else {
			insertionSort(out[start:end])
		}
		start = end
	}
	copy(ks, out)
}

// insertionSort sorts a few keys in place.
func insertionSort(ks []uint64) {
	for i := 1; i < len(ks); i++ {
		v := ks[i]
		j := i
		for ; j > 0 && ks[j-1] > v; j-- {
			ks[j] = ks[j-1]
		}
		ks[j] = v
	}
}
