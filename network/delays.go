package network

import (
	"fmt"
	"math"
	"sync"

	"github.com/pd14/microcircuit/internal/half"
	"github.com/pd14/microcircuit/internal/rng"
)

// The reference draws a weight as a normal number, redrawn until it has its
// sign, and a delay as a normal number, redrawn until it is at least half a
// step; we store the weight in half precision and the delay in whole steps.
// What is stored is therefore a draw from a discrete distribution, which is
// drawn directly from an alias table: one random number instead of a normal
// deviate, its redraws and the rounding.

// alias is an alias table (Vose's method) over outcomes 0..n-1.
type alias struct {
	cut   []uint64 // outcome i is taken when the low 32 bits are below cut[i]
	other []int32  // otherwise this outcome
}

// tailMass is the probability beyond a table's outcomes that is dropped:
// far below anything 10^9 draws could show.
const tailMass = 0x1p-64

// newAlias builds the alias table of the weights p.
func newAlias(p []float64) alias {
	n := len(p)
	var sum float64
	for _, v := range p {
		sum += v
	}
	q := make([]float64, n) // scaled so that the mean is 1
	var small, large []int
	for i, v := range p {
		q[i] = v / sum * float64(n)
		if q[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	t := alias{cut: make([]uint64, n), other: make([]int32, n)}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		t.cut[s] = uint64(q[s] * (1 << 32))
		t.other[s] = int32(l)
		q[l] -= 1 - q[s]
		if q[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	// What is left has weight 1 up to rounding: always itself.
	for _, i := range append(small, large...) {
		t.cut[i], t.other[i] = 1<<32, int32(i)
	}
	return t
}

// draw returns an outcome.
func (t *alias) draw(r *rng.SplitMix) int {
	u := r.Uint64()
	i := (u >> 32) * uint64(len(t.cut)) >> 32
	if u&(1<<32-1) < t.cut[i] {
		return int(i)
	}
	return int(t.other[i])
}

// upperTail returns P(x >= a) for x normal(mean, sd), sd >= 0, without
// cancellation in either tail.
func upperTail(mean, sd, a float64) float64 {
	if sd == 0 {
		if mean >= a {
			return 1
		}
		return 0
	}
	return 0.5 * math.Erfc((a-mean)/(sd*math.Sqrt2))
}

// delayTable draws a delay in steps: d normal(mean, sd) ms redrawn until
// d >= h/2, rounded as NEST rounds, floor(d/h + 0.5).
type delayTable struct{ alias }

// minMass is the smallest probability of a delay >= h/2 that is accepted
// (the reference's redrawing would take thousands of tries a synapse).
const minMass = 1e-3

// newDelayTable returns the table for delays normal(mean, sd) ms at
// resolution h ms, or an error if the distribution lies almost wholly
// below h/2 or reaches beyond maxSteps steps.
func newDelayTable(mean, sd, h float64, maxSteps int) (*delayTable, error) {
	total := upperTail(mean, sd, h/2)
	if total < minMass {
		return nil, fmt.Errorf("delay mean %v ms, sd %v ms: a delay of at least half a step (%v ms) has probability %.3g", mean, sd, h/2, total)
	}
	// Step k takes d in [(k-0.5)h, (k+0.5)h).
	var p []float64
	for k := 1; ; k++ {
		hi := upperTail(mean, sd, (float64(k)+0.5)*h)
		p = append(p, upperTail(mean, sd, (float64(k)-0.5)*h)-hi)
		if hi <= tailMass*total {
			break
		}
		if k >= maxSteps {
			return nil, fmt.Errorf("delay mean %v ms, sd %v ms: delays of more than %d steps of %v ms have probability %.3g",
				mean, sd, maxSteps, h, hi/total)
		}
	}
	return &delayTable{newAlias(p)}, nil
}

// draw returns a delay in steps (>= 1).
func (t *delayTable) draw(r *rng.SplitMix) int { return t.alias.draw(r) + 1 }

// weightTable draws a weight in half precision: w normal(mean, sd) pA
// redrawn until it has the sign of mean (w >= 0 for mean >= 0, w <= 0
// otherwise), then stored as toHalf(w).
type weightTable struct {
	alias
	vals []uint16 // the half-precision weight of each outcome
}

// newWeightTable returns the table of a block's weights, which must fit
// half precision (halfFits).
func newWeightTable(mean, sd float64) *weightTable {
	// The magnitude |w| is normal(mu, sd) restricted to >= 0, and
	// toHalf(-w) is toHalf(w) with the sign bit: tabulate magnitudes.
	mu := math.Abs(mean)
	var sign uint16
	if mean < 0 {
		sign = 0x8000
	}
	total := upperTail(mu, sd, 0)
	// The magnitudes with more than tailMass of probability beyond them
	// (9.5 sd is 1e-21; the total is at least 1/2).
	lo := toHalf(max(mu-9.5*sd, 0))
	hi := toHalf(mu + 9.5*sd)
	t := &weightTable{}
	var p []float64
	for v := lo; v <= hi; v++ {
		a, b := halfFloor(v), halfFloor(v+1)
		mass := upperTail(mu, sd, a) - upperTail(mu, sd, b)
		if a == 0 {
			mass = total - upperTail(mu, sd, b) // all of [0, b)
		}
		t.vals = append(t.vals, v|sign)
		p = append(p, mass)
	}
	t.alias = newAlias(p)
	return t
}

// draw returns a weight in half precision.
func (t *weightTable) draw(r *rng.SplitMix) uint16 { return t.vals[t.alias.draw(r)] }

// halfFloor returns the smallest w >= 0 that toHalf rounds to the
// magnitude v (a normal half, 0x0400..0x7bff) or more: 0 for the smallest
// normal magnitude, to which toHalf raises everything below it. The bounds
// are found once, by bisection over the float64s.
func halfFloor(v uint16) float64 {
	floorsOnce.Do(func() {
		for v := uint16(0x0401); v <= 0x7c00; v++ {
			lo, hi := uint64(0), math.Float64bits(2*half.Max)
			for lo < hi { // the first x in [lo, hi] with toHalf(x) >= v
				mid := lo + (hi-lo)/2
				if toHalf(math.Float64frombits(mid)) >= v {
					hi = mid
				} else {
					lo = mid + 1
				}
			}
			floors[v-0x0400] = math.Float64frombits(lo)
		}
	})
	if v <= 0x0400 {
		return 0
	}
	return floors[v-0x0400]
}

var (
	floorsOnce sync.Once
	floors     [0x7c00 - 0x0400 + 1]float64
)
