package metalink

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// drawKeys returns n sort keys as a weighted step draws them: an
// exponential variate over a bandwidth from bws, with a distinct rank in
// the low bits.
func drawKeys(r *rand.Rand, n int, bw func(i int) int) []uint64 {
	ks := make([]uint64, n)
	for i := range ks {
		ks[i] = math.Float64bits(r.ExpFloat64()/float64(bw(i)))&^idMask | uint64(i)
	}
	return ks
}

func TestKeySorter(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	shapes := map[string]func(n int) []uint64{
		"bench bandwidths": func(n int) []uint64 { return drawKeys(r, n, func(i int) int { return 100 + i*37%5000 }) },
		"equal bandwidths": func(n int) []uint64 { return drawKeys(r, n, func(int) int { return 1000 }) },
		"one huge mirror": func(n int) []uint64 {
			return drawKeys(r, n, func(i int) int { return map[bool]int{true: 10000, false: 1}[i == 0] })
		},
		// Every key in one bucket but one: the buckets overflow and fall
		// back to a comparison sort.
		"one outlier": func(n int) []uint64 {
			ks := make([]uint64, n)
			for i := range ks {
				ks[i] = uint64(r.IntN(1 << 30))
			}
			if n > 0 {
				ks[0] = math.MaxUint64
			}
			return ks
		},
		"all equal": func(n int) []uint64 { return make([]uint64, n) },
		"descending": func(n int) []uint64 {
			ks := make([]uint64, n)
			for i := range ks {
				ks[i] = uint64(n-i) << 20
			}
			return ks
		},
		"full range": func(n int) []uint64 {
			ks := make([]uint64, n)
			for i := range ks {
				ks[i] = r.Uint64()
			}
			return ks
		},
	}
	var s keySorter
	for name, gen := range shapes {
		for _, n := range []int{0, 1, 2, bucketMin - 1, bucketMin, bucketMin + 1, 200, radixMin - 1, radixMin, 1000, 4099} {
			t.Run(fmt.Sprintf("%s/%d", name, n), func(t *testing.T) {
				ks := gen(n)
				want := slices.Clone(ks)
				slices.Sort(want)
				s.sort(ks)
				if !slices.Equal(ks, want) {
					t.Fatalf("sorted %d keys wrongly", n)
				}
			})
		}
	}
}

// BenchmarkKeySort sorts fresh keys each time (a branch predictor learns a
// repeated input) with slices.Sort, keySorter (which picks by count) and
// each of its ways; gen is the cost of drawing them alone.
func BenchmarkKeySort(b *testing.B) {
	for _, n := range []int{50, 300, 1000} {
		r := rand.New(rand.NewPCG(3, 4))
		bw := func(i int) int { return 100 + i*37%5000 }
		if os.Getenv("KEYS") == "load" {
			bw = func(i int) int { return min(100*(i+1), 10000) }
		}
		buf := make([]uint64, n)
		fill := func() {
			for i := range buf {
				buf[i] = math.Float64bits(r.ExpFloat64()/float64(bw(i)))&^idMask | uint64(i)
			}
		}
		b.Run(fmt.Sprintf("gen/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				fill()
			}
		})
		b.Run(fmt.Sprintf("pdq/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				fill()
				slices.Sort(buf)
			}
		})
		for _, sorter := range []struct {
			name string
			sort func(*keySorter, []uint64)
		}{{"keySorter", (*keySorter).sort}, {"bucket", (*keySorter).bucketSort}, {"radix", (*keySorter).radixSort}} {
			b.Run(fmt.Sprintf("%s/n=%d", sorter.name, n), func(b *testing.B) {
				var s keySorter
				for b.Loop() {
					fill()
					sorter.sort(&s, buf)
				}
			})
		}
	}
}
