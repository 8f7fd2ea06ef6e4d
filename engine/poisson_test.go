package engine

import (
	"math"
	"testing"

	"github.com/pd14/microcircuit/internal/half"
)

// TestPoissonTable checks that the table lookup gives the counts of plain
// inversion of each step's half of its SplitMix64 output, that the stream
// advances once per pair of steps (and at its first step), and that the
// counts have the Poisson mean and variance and consecutive counts (the two
// halves of one output, or of two) are uncorrelated.
func TestPoissonTable(t *testing.T) {
	for _, lambda := range []float64{0.0012, 0.168, 1.68, 2.32, 30} {
		for _, first := range []int64{1, 6} {
			pt := newPoisson(lambda)
			const start = 12345
			var state uint64 = start
			var sum, sq, lag float64
			const n = 400000
			prev, advances := 0, uint64(0)
			for step := first; step < first+n; step++ {
				k := pt.draw(&state, step, first)
				if step%2 == 0 || step == first {
					advances++
				}
				if state != start+advances*0x9e3779b97f4a7c15 {
					t.Fatalf("lambda %v, first %d: step %d leaves the stream %d steps on", lambda, first, step, (state-start)/0x9e3779b97f4a7c15)
				}
				// Recompute by plain inversion from the same output.
				z := state
				z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
				z = (z ^ (z >> 27)) * 0x94d049bb133111eb
				z ^= z >> 31
				h := uint32(z >> 32)
				if step%2 == 1 {
					h = uint32(z)
				}
				if want := pt.count(float64(h) * 0x1p-32); k != want {
					t.Fatalf("lambda %v: table gives %d, inversion %d", lambda, k, want)
				}
				sum += float64(k)
				sq += float64(k * k)
				lag += float64(k * prev)
				prev = k
			}
			mean := sum / n
			v := sq/n - mean*mean
			se := math.Sqrt(lambda / n)
			if math.Abs(mean-lambda) > 5*se || math.Abs(v-lambda) > 0.05*lambda+5*se {
				t.Errorf("lambda %v: mean %v, variance %v", lambda, mean, v)
			}
			if r := (lag/n - mean*mean) / v; math.Abs(r) > 5/math.Sqrt(n) {
				t.Errorf("lambda %v: consecutive counts correlate, r = %v", lambda, r)
			}
		}
	}
}

// TestUnpackWeight checks the direct half → float64 conversion of packed
// events against the exact conversion, for every normal half.
func TestUnpackWeight(t *testing.T) {
	for h := uint32(1 << 10); h < 0x7c00; h++ {
		e := h<<packBits | 12345
		if got, want := unpackWeight(e), float64(half.ToFloat32Exact(uint16(h))); got != want {
			t.Fatalf("half %#04x: %v, want %v", h, got, want)
		}
	}
}
