package engine

import "math"

// poisson draws Poisson counts of one mean by inversion, with a lookup
// table on the top bits of the uniform number that settles almost every
// draw without a search.
type poisson struct {
	cdf   []float64 // cdf[k] = P(count <= k); the last entry is +Inf
	first [1 << tableBits]uint8
	// table32 is first for the vector kernel: the count, or -(count+1)
	// where the search must go on from count.
	table32 [1 << tableBits]int32
}

// poissonConsts are the constants of the vector Poisson kernels, each
// replicated for the four lanes of AVX2: the SplitMix64 increment, its two
// multipliers and the weight.
type poissonConsts [4][4]uint64

func newPoissonConsts(weight float64) poissonConsts {
	var c poissonConsts
	vals := []uint64{0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9, 0x94d049bb133111eb, math.Float64bits(weight)}
	for i, v := range vals {
		c[i] = [4]uint64{v, v, v, v}
	}
	return c
}

const tableBits = 12

// ambiguous marks a table entry whose bucket of uniform numbers spans more
// than one count: the search continues from the entry's count.
const ambiguous = 0x80

// newPoisson returns the sampler of Poisson counts with mean lambda.
func newPoisson(lambda float64) *poisson {
	pt := &poisson{}
	p := math.Exp(-lambda)
	sum := 0.0
	limit := int(lambda + 40*math.Sqrt(lambda) + 40)
	for k := 0; k < limit && k < ambiguous-1; k++ {
		sum += p
		if sum >= 1 {
			break
		}
		pt.cdf = append(pt.cdf, sum)
		p *= lambda / float64(k+1)
	}
	pt.cdf = append(pt.cdf, math.Inf(1))
	// Bucket b holds the uniforms u = m·2^-53 with m >> (53-tableBits) == b.
	for b := range pt.first {
		lo := pt.count(float64(uint64(b)<<(53-tableBits)) * 0x1p-53)
		hi := pt.count(float64(uint64(b+1)<<(53-tableBits)-1) * 0x1p-53)
		e := uint8(lo)
		if hi != lo {
			e |= ambiguous
		}
		pt.first[b] = e
		pt.table32[b] = int32(lo)
		if hi != lo {
			pt.table32[b] = -int32(lo) - 1
		}
	}
	return pt
}

// countOf returns the count of the stream output z: its table entry, or,
// where the entry is ambiguous, the search from there. The result is that
// of plain inversion of the uniform u = (z >> 11)·2^-53.
func (pt *poisson) countOf(z uint64) int {
	e := pt.first[z>>(64-tableBits)]
	k := int(e &^ ambiguous)
	if e&ambiguous != 0 {
		u := float64(z>>11) * 0x1p-53
		for u >= pt.cdf[k] {
			k++
		}
	}
	return k
}

// count returns the count for uniform u by plain inversion.
func (pt *poisson) count(u float64) int {
	k := 0
	for u >= pt.cdf[k] {
		k++
	}
	return k
}

// draw advances the stream state and returns the Poisson count of the
// stream's next output (countOf).
func (pt *poisson) draw(state *uint64) int {
	*state += 0x9e3779b97f4a7c15
	z := *state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return pt.countOf(z)
}
