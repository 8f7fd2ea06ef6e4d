package analysis

import (
	"math"
	"testing"
)

// handMade returns spikes of 4 neurons in one population.
func handMade(trains ...[]float64) *Spikes {
	s := &Spikes{Pops: []string{"A"}, FirstID: []int{1}, Sizes: []int{len(trains)}, Start: []int{0}}
	for _, tr := range trains {
		s.Times = append(s.Times, tr...)
		s.Start = append(s.Start, len(s.Times))
	}
	return s
}

func TestRatesCountSilentNeurons(t *testing.T) {
	s := handMade([]float64{100, 200, 300, 400}, nil, []float64{50, 1500}, []float64{999, 1000})
	r := Rates(s, Window{0, 1000})[0]
	want := []float64{4, 0, 1, 2}
	for i := range want {
		if r[i] != want[i] {
			t.Fatalf("rates %v, want %v (window inclusive at both ends)", r, want)
		}
	}
}

func TestCV(t *testing.T) {
	regular := []float64{10, 20, 30, 40, 50}
	twoSpikes := []float64{1, 2}
	irregular := []float64{0, 1, 3, 6} // intervals 1, 2, 3
	s := handMade(regular, twoSpikes, irregular)
	cv := CVs(s, Window{0, 100})[0]
	if len(cv) != 2 {
		t.Fatalf("%d CVs, want 2 (neurons with more than 2 spikes)", len(cv))
	}
	if cv[0] != 0 {
		t.Errorf("regular train CV %v, want 0", cv[0])
	}
	want := math.Sqrt(2.0/3) / 2
	if math.Abs(cv[1]-want) > 1e-15 {
		t.Errorf("CV %v, want %v", cv[1], want)
	}
}

func TestCC(t *testing.T) {
	a := []float64{1, 5, 9, 13, 17.5}
	opposite := []float64{3, 7, 11, 15, 19}
	s := handMade(a, a, opposite, nil)
	sample := [][]int{{1, 2, 3, 4}}
	cc := CCs(s, Window{0, 20}, sample, 2)[0]
	if len(cc) != 6 {
		t.Fatalf("%d pairs, want 6", len(cc))
	}
	if math.Abs(cc[0]-1) > 1e-12 {
		t.Errorf("identical trains correlate %v, want 1", cc[0])
	}
	// Bins of 2 ms: a fills bins 0,2,4,6,8; opposite fills 1,3,5,7,9:
	// perfectly anti-correlated.
	if math.Abs(cc[1]+1) > 1e-12 {
		t.Errorf("alternating trains correlate %v, want -1", cc[1])
	}
	if !math.IsNaN(cc[2]) {
		t.Errorf("pair with a silent neuron gives %v, want NaN", cc[2])
	}
}

func TestSubsampleMatchesPython(t *testing.T) {
	// Python 3: random.seed(12345); random.sample(range(1, 4138), 50);
	// random.sample(range(4138, 5305), 50); random.sample(range(100, 313), 50)
	s := &Spikes{Pops: []string{"a", "b", "c"}, FirstID: []int{1, 4138, 100}, Sizes: []int{4137, 1167, 213}}
	got := Subsample(s, 50, CCSeed)
	check := func(name string, g []int, idx []int, want []int) {
		for k, i := range idx {
			if g[i] != want[k] {
				t.Errorf("%s[%d] = %d, want %d", name, i, g[i], want[k])
			}
		}
	}
	check("L23E", got[0], []int{0, 1, 2, 3, 4, 5, 48, 49}, []int{3413, 84, 2447, 3019, 1587, 2214, 2112, 3553})
	check("L23I", got[1], []int{0, 1, 2, 3, 4, 5}, []int{5199, 4403, 4223, 4474, 4755, 4157})
	check("small", got[2], []int{0, 1, 2, 3, 4, 5, 49}, []int{278, 100, 137, 311, 268, 226, 289})
}

func TestKS(t *testing.T) {
	cases := []struct {
		a, b []float64
		want float64
	}{
		{[]float64{1, 2, 3}, []float64{1, 2, 3}, 0},
		{[]float64{1, 2, 3}, []float64{4, 5, 6}, 1},
		{[]float64{1, 2, 3, 4}, []float64{3, 4, 5, 6}, 0.5},
		{[]float64{0, 0, 0, 1}, []float64{0, 1, 1, 1}, 0.5},
		// Ties across samples after rounding to 10 digits.
		{[]float64{0.1 + 0.2, 1}, []float64{0.3, 1}, 0},
		{[]float64{1, math.NaN(), 2}, []float64{1, 2}, 0},
	}
	for _, c := range cases {
		if got := KS(c.a, c.b); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("KS(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	if !math.IsNaN(KS(nil, []float64{1})) {
		t.Error("KS with an empty sample is not NaN")
	}
}

func TestDescribe(t *testing.T) {
	s := Describe([]float64{3, 1, math.NaN(), 2, 4})
	if s.N != 4 || s.NNaN != 1 || s.Mean != 2.5 || s.Median != 2.5 || s.Min != 1 || s.Max != 4 ||
		math.Abs(s.SD-math.Sqrt(1.25)) > 1e-15 {
		t.Fatalf("Describe = %+v", s)
	}
}
