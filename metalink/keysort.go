package metalink

import (
	"math/bits"
	"slices"
)

// bucketMin is the number of keys below which keySorter leaves the work to
// slices.Sort: a few dozen keys sort faster than they are counted.
const bucketMin = 32

// bucketMax is the most keys one bucket may hold before it is sorted as a
// whole rather than by insertion, which bounds the worst case at
// O(n log n) whatever the keys' spread.
const bucketMax = 32

// keySorter sorts a step's sort keys. A key is a non-negative float64's bit
// pattern (with a mirror's rank in its low bits), so its integer order is
// the numbers' order, and the keys of a weighted draw are random: a
// comparison sort mispredicts about every other branch. From 256 keys, two
// counting passes order them by the top 22 bits of their distance from the
// smallest (a least-significant-digit radix sort), which leaves only keys
// alike in those bits, nearly never more than one, to sort among
// themselves; from 32, one counting pass puts them into about n/2 buckets
// cut from their range, each then sorted by insertion. Either way a run of
// more than 32 keys alike is sorted by comparison, so no spread of keys
// costs more than O(n log n). The buffers are reused from request to
// request.
type keySorter struct {
	counts  []int32
	scratch []uint64
	radix   [2][radixBuckets]int32
}

// radixBits is the width of a radix digit: two digits order the keys by
// the top 22 bits of their distance from the smallest.
const (
	radixBits    = 11
	radixBuckets = 1 << radixBits
)

// radixSort sorts ks by two counting passes over the top 22 bits of each
// key's distance from the smallest, then sorts each run of keys those bits
// do not tell apart.
func (k *keySorter) radixSort(ks []uint64) {
	n := len(ks)
	lo, hi := keyRange(ks)
	shift := max(bits.Len64(hi-lo)-2*radixBits, 0)
	clear(k.radix[0][:])
	clear(k.radix[1][:])
	c0, c1 := &k.radix[0], &k.radix[1]
	for _, v := range ks {
		d := (v - lo) >> shift
		c0[d&(radixBuckets-1)]++
		c1[d>>radixBits]++
	}
	s0, s1 := int32(0), int32(0)
	for i := range radixBuckets {
		s0, c0[i] = s0+c0[i], s0
		s1, c1[i] = s1+c1[i], s1
	}
	k.scratch = slices.Grow(k.scratch[:0], n)[:n]
	tmp := k.scratch
	for _, v := range ks {
		d := ((v - lo) >> shift) & (radixBuckets - 1)
		tmp[c0[d]] = v
		c0[d]++
	}
	for _, v := range tmp {
		d := (v - lo) >> shift >> radixBits
		ks[c1[d]] = v
		c1[d]++
	}
	// Keys alike in those bits lie side by side: sort each such run.
	for i := 0; i < n; {
		d := (ks[i] - lo) >> shift
		j := i + 1
		for j < n && (ks[j]-lo)>>shift == d {
			j++
		}
		sortRun(ks[i:j])
		i = j
	}
}

// sortRun sorts a bucket's or a radix group's keys: by insertion when
// they are few, as nearly always.
func sortRun(ks []uint64) {
	if len(ks) > bucketMax {
		slices.Sort(ks)
	} else {
		insertionSort(ks)
	}
}

// radixMin is the number of keys from which keySorter sorts by radix:
// below it, clearing the radix counts costs more than the buckets' work.
const radixMin = 256

// sort sorts ks in increasing order.
func (k *keySorter) sort(ks []uint64) {
	n := len(ks)
	switch {
	case n < bucketMin:
		slices.Sort(ks)
	case n >= radixMin:
		k.radixSort(ks)
	default:
		k.bucketSort(ks)
	}
}

// bucketSort sorts ks by one counting pass into about n/2 buckets cut from
// the keys' range, then sorts each bucket.
func (k *keySorter) bucketSort(ks []uint64) {
	n := len(ks)
	lo, hi := keyRange(ks)
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
		sortRun(out[start:end])
		start = end
	}
	copy(ks, out)
}

// keyRange returns the smallest and the largest of ks, which is not empty.
func keyRange(ks []uint64) (lo, hi uint64) {
	lo, hi = ks[0], ks[0]
	for _, v := range ks[1:] {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
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
