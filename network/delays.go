package network

import (
	"fmt"
	"math"

	"github.com/pd14/microcircuit/internal/rng"
)

// delayTable draws a synapse's delay in steps from the distribution of the
// reference's: a normal delay d (mean, sd) redrawn until d >= h/2, rounded
// to steps as NEST rounds, floor(d/h + 0.5). That distribution is discrete
// (steps 1, 2, ...), so it is drawn directly, by the alias method: one
// random number a delay instead of a normal deviate, a division and the
// redraws.
type delayTable struct {
	cut   []uint64 // step i+1 is taken when the low 32 bits are below cut[i]
	alias []int32  // otherwise this step
}

// tailMass is the probability beyond the table's last step that is
// dropped: far below anything 10^9 draws could show.
const tailMass = 0x1p-64

// minMass is the smallest probability of a delay >= h/2 that is accepted
// (the reference's redrawing would take thousands of tries a synapse).
const minMass = 1e-3

// newDelayTable returns the table for delays normal(mean, sd) ms at
// resolution h ms, or an error if the distribution lies almost wholly
// below h/2 or reaches beyond maxSteps steps.
func newDelayTable(mean, sd, h float64, maxSteps int) (*delayTable, error) {
	// upper(x) is P(d >= x), computed without cancellation in either tail.
	upper := func(x float64) float64 {
		if sd == 0 {
			if mean >= x {
				return 1
			}
			return 0
		}
		return 0.5 * math.Erfc((x-mean)/(sd*math.Sqrt2))
	}
	total := upper(h / 2)
	if total < minMass {
		return nil, fmt.Errorf("delay mean %v ms, sd %v ms: a delay of at least half a step (%v ms) has probability %.3g", mean, sd, h/2, total)
	}
	// Step k takes d in [(k-0.5)h, (k+0.5)h).
	var p []float64
	for k := 1; ; k++ {
		hi := upper((float64(k) + 0.5) * h)
		p = append(p, upper((float64(k)-0.5)*h)-hi)
		if hi <= tailMass*total {
			break
		}
		if k >= maxSteps {
			return nil, fmt.Errorf("delay mean %v ms, sd %v ms: delays of more than %d steps of %v ms have probability %.3g",
				mean, sd, maxSteps, h, hi/total)
		}
	}
	return newAlias(p), nil
}

// newAlias builds the alias table of the weights p (Vose's method).
func newAlias(p []float64) *delayTable {
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
	t := &delayTable{cut: make([]uint64, n), alias: make([]int32, n)}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		t.cut[s] = uint64(q[s] * (1 << 32))
		t.alias[s] = int32(l)
		q[l] -= 1 - q[s]
		if q[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	// What is left has weight 1 up to rounding: always itself.
	for _, i := range append(small, large...) {
		t.cut[i], t.alias[i] = 1<<32, int32(i)
	}
	return t
}

// draw returns a delay in steps (>= 1).
func (t *delayTable) draw(r *rng.SplitMix) int {
	u := r.Uint64()
	i := (u >> 32) * uint64(len(t.cut)) >> 32
	if u&(1<<32-1) < t.cut[i] {
		return int(i) + 1
	}
	return int(t.alias[i]) + 1
}
