package rng

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestNormal checks the ziggurat's deviates: mean, variance, skewness and
// kurtosis, the Kolmogorov–Smirnov distance to the normal distribution, and
// the share of the tail beyond zigR, on 4·10^6 draws.
func TestNormal(t *testing.T) {
	const n = 4_000_000
	var src SplitMix
	SeedSplitMix(&src, 1, 2)
	x := make([]float64, n)
	var s1, s2, s3, s4 float64
	tail := 0
	for i := range x {
		v := Normal(&src)
		x[i] = v
		s1 += v
		s2 += v * v
		s3 += v * v * v
		s4 += v * v * v * v
		if math.Abs(v) > zigR {
			tail++
		}
	}
	mean, vr := s1/n, s2/n-(s1/n)*(s1/n)
	if math.Abs(mean) > 5/math.Sqrt(n) || math.Abs(vr-1) > 5*math.Sqrt(2.0/n) ||
		math.Abs(s3/n) > 5*math.Sqrt(15.0/n) || math.Abs(s4/n-3) > 5*math.Sqrt(96.0/n) {
		t.Errorf("moments: mean %g, variance %g, third %g, fourth %g", mean, vr, s3/n, s4/n)
	}
	slices.Sort(x)
	d := 0.0
	for i, v := range x {
		c := 0.5 * math.Erfc(-v/math.Sqrt2)
		d = max(d, math.Abs(c-float64(i)/n), math.Abs(c-float64(i+1)/n))
	}
	if crit := 1.63 / math.Sqrt(n); d > crit { // 1 % level
		t.Errorf("KS distance %g to the normal distribution, above %g", d, crit)
	}
	want := n * math.Erfc(zigR/math.Sqrt2)
	if math.Abs(float64(tail)-want) > 5*math.Sqrt(want) {
		t.Errorf("%d draws beyond ±%g, want %.0f", tail, zigR, want)
	}
}

// TestIntN checks that IntN is uniform and in range, for small and large n.
func TestIntN(t *testing.T) {
	var src SplitMix
	SeedSplitMix(&src, 3, 4)
	for _, n := range []uint32{1, 2, 7, 1000, 20683, 3_000_000_000} {
		const draws = 700_000
		bins := make([]int, 7)
		for range draws {
			v := IntN(&src, n)
			if v >= n {
				t.Fatalf("IntN(%d) = %d", n, v)
			}
			bins[uint64(v)*7/uint64(n)]++
		}
		if n < 7 {
			continue
		}
		for b, c := range bins {
			// Bin b holds the values with v·7/n = b: about n/7 of them.
			lo := (uint64(b)*uint64(n) + 6) / 7
			hi := (uint64(b+1)*uint64(n) + 6) / 7
			want := draws * float64(hi-lo) / float64(n)
			if math.Abs(float64(c)-want) > 5*math.Sqrt(want) {
				t.Errorf("IntN(%d): bin %d holds %d, want %.0f", n, b, c, want)
			}
		}
	}
}

func BenchmarkNormal(b *testing.B) {
	var src SplitMix
	var s float64
	for range b.N {
		s += Normal(&src)
	}
	_ = s
}

func BenchmarkStdNormal(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var s float64
	for range b.N {
		s += r.NormFloat64()
	}
	_ = s
}

func BenchmarkIntN(b *testing.B) {
	var src SplitMix
	var s uint32
	for range b.N {
		s += IntN(&src, 20683)
	}
	_ = s
}

func BenchmarkStdIntN(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var s int
	for range b.N {
		s += r.IntN(20683)
	}
	_ = s
}
