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
	// chain, if not nil, are the thresholds of the two-step AVX-512
	// kernel's counts without the table: the count of h is the number of
	// chain[k] < h (h > chain[k] exactly where h·2^-32 >= cdf[k]), for the
	// first K entries of cdf, the largest last, after a 0xffffffff where K
	// is odd (so that the kernel compares in pairs and its last compare
	// tells the lanes that reach K); where the count is K, the search goes
	// on from there. K is the fewest entries that leave a count of K or
	// more with probability at most chainTail.
	chain []uint32
}

// chainMax is the most thresholds the kernel compares with rather than
// gathering the table's entries (at 1.6 counts per step, 11 thresholds,
// both took 1.26–1.29 ns per neuron-step).
const chainMax = 8

// chainTail bounds the probability that a count reaches the thresholds'
// number K (and needs the search): at 2^-11 PD14 at scale 0.2 compares
// with 4 thresholds (0.26–0.46 counts per step) and, by the counts' tail
// probabilities, searches in fewer than 0.5 % of its passes; 2^-16 took 5–6 and ran 2.5 % slower (scale 0.2 Poisson RTF
// 0.144–0.149 against 0.140–0.142, 3 interleaved pairs). Tests raise it.
var chainTail = 0x1p-11

// poissonConsts are the constants of the vector Poisson kernels, each
// replicated for the four lanes of AVX2: the SplitMix64 increment (golden),
// its two multipliers and the weight.
type poissonConsts [4][4]uint64

func newPoissonConsts(weight float64) poissonConsts {
	var c poissonConsts
	vals := []uint64{golden, 0xbf58476d1ce4e5b9, 0x94d049bb133111eb, math.Float64bits(weight)}
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
	// Bucket b holds the uniforms u = h·2^-32 with h >> (32-tableBits) == b.
	for b := range pt.first {
		lo := pt.count(float64(uint64(b)<<(32-tableBits)) * 0x1p-32)
		hi := pt.count(float64(uint64(b+1)<<(32-tableBits)-1) * 0x1p-32)
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
	k := 1
	for k < len(pt.cdf)-1 && 1-pt.cdf[k-1] > chainTail {
		k++
	}
	if k = min(k, len(pt.cdf)-1); k >= 1 && k <= chainMax {
		if k%2 != 0 {
			pt.chain = append(pt.chain, math.MaxUint32)
		}
		for _, c := range pt.cdf[:k] {
			pt.chain = append(pt.chain, uint32(math.Ceil(c*0x1p32)-1))
		}
	}
	return pt
}

// countOf returns the count of the 32-bit uniform h: its table entry, or,
// where the entry is ambiguous, the search from there. The result is that
// of plain inversion of the uniform u = h·2^-32.
func (pt *poisson) countOf(h uint32) int {
	e := pt.first[h>>(32-tableBits)]
	k := int(e &^ ambiguous)
	if e&ambiguous != 0 {
		u := float64(h) * 0x1p-32
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

// golden is the increment of the SplitMix64 streams.
const golden = 0x9e3779b97f4a7c15

// opensPair tells whether step t, of a stream drawn from step first on,
// advances the stream: the steps are drawn in pairs (2i, 2i+1), whose two
// counts are the high and the low half of one output, so the stream
// advances at even steps and at its first step.
func opensPair(t, first int64) bool {
	return t&1 == 0 || t == first
}

// halfOf returns the uniform of step t in the output z: its high half for
// an even step, its low half for an odd one.
func halfOf(z uint64, t int64) uint32 {
	return uint32(z >> (32 - 32*(t&1)))
}

// draw returns the Poisson count of step t of the stream whose state is at
// state and whose first step is first, advancing the stream where t opens
// a pair (opensPair). One SplitMix64 output serves two steps, so a two-step
// pass mixes once.
func (pt *poisson) draw(state *uint64, t, first int64) int {
	if opensPair(t, first) {
		*state += golden
	}
	return pt.countOf(halfOf(mix64(*state), t))
}
