package engine

import (
	"math"
	"testing"

	"github.com/pd14/microcircuit/internal/half"
)

// TestPoissonTable checks that the table lookup gives the counts of plain
// inversion, and that the counts have the Poisson mean and variance.
func TestPoissonTable(t *testing.T) {
	for _, lambda := range []float64{0.0012, 0.168, 1.68, 2.32, 30} {
		pt := newPoisson(lambda)
		var state uint64 = 12345
		var sum, sq float64
		const n = 400000
		for i := 0; i < n; i++ {
			before := state
			k := pt.draw(&state)
			// Recompute by plain inversion from the same output.
			z := before + 0x9e3779b97f4a7c15
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
			z = (z ^ (z >> 27)) * 0x94d049bb133111eb
			z ^= z >> 31
			if want := pt.count(float64(z>>11) * 0x1p-53); k != want {
				t.Fatalf("lambda %v: table gives %d, inversion %d", lambda, k, want)
			}
			sum += float64(k)
			sq += float64(k * k)
		}
		mean := sum / n
		v := sq/n - mean*mean
		se := math.Sqrt(lambda / n)
		if math.Abs(mean-lambda) > 5*se || math.Abs(v-lambda) > 0.05*lambda+5*se {
			t.Errorf("lambda %v: mean %v, variance %v", lambda, mean, v)
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
