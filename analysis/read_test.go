package analysis

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/pd14/microcircuit/internal/testref"
)

// TestReadNESTFiles reads NEST 3.9's own spike files (2 threads, so two
// files per recorder) and checks the population rates against those NEST's
// run reported (reference/nest-runs.md, scale 0.1 Poisson, seed 55).
func TestReadNESTFiles(t *testing.T) {
	dir := testref.Dir(t, "nest-spikes-s0.1-poisson")
	s, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.N() != 7717 || len(s.Pops) != 8 || s.Pops[0] != "L23E" {
		t.Fatalf("%d neurons in %v", s.N(), s.Pops)
	}
	want := []float64{0.517, 2.120, 3.959, 5.011, 6.478, 7.821, 0.838, 7.007}
	rates := Rates(s, Window{500, 1500})
	for p, r := range rates {
		m := Describe(r).Mean
		if math.Abs(m-want[p]) > 0.0005 {
			t.Errorf("%s: mean rate %.4f, NEST reported %.3f", s.Pops[p], m, want[p])
		}
	}
	// The same through nodes.json alone.
	tmp := t.TempDir()
	for _, f := range []string{"nodes.json", "spike_recorder-7718-0.dat", "spike_recorder-7718-1.dat"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		os.WriteFile(filepath.Join(tmp, f), b, 0o644)
	}
	s2, err := ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if s2.N() != 7717 || s2.FirstID[3] != 4844 {
		t.Fatalf("nodes.json: %d neurons, first ids %v", s2.N(), s2.FirstID)
	}
}

// TestReferenceEnsemble checks the reference reader and that the KS
// distances between NEST's seeds are what the reference README reports.
func TestReferenceEnsemble(t *testing.T) {
	dir := testref.Dir(t, "scale0.2_dc")
	ref, err := LoadReference(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ref.Sets) != 5 {
		t.Fatalf("%d reference sets, want 5", len(ref.Sets))
	}
	// One seed against the other four must pass.
	rest := &Reference{Names: ref.Names[1:], Sets: ref.Sets[1:]}
	rep, err := Validate(ref.Sets[0], rest)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Pass {
		for _, r := range rep.Rows {
			if !r.Pass {
				t.Errorf("%s %s: %.3f > %.3f", r.Pop, r.Metric, r.Distance, r.Bound)
			}
		}
	}
	// README: mean seed-to-seed distances rates 0.04–0.09, CVs 0.03–0.10,
	// correlations 0.06–0.15 (small populations such as L5I spread more):
	full, _ := Validate(ref.Sets[0], ref)
	lim := map[string][2]float64{MetricRates: {0.02, 0.12}, MetricCVs: {0.015, 0.2}, MetricCCs: {0.03, 0.2}}
	for _, r := range full.Rows {
		l := lim[r.Metric]
		if r.RefMean < l[0] || r.RefMean > l[1] {
			t.Errorf("%s %s: mean seed-to-seed distance %.3f outside %v", r.Pop, r.Metric, r.RefMean, l)
		}
	}
	// A sample shifted far away must fail.
	bad := &Metrics{Pops: ref.Sets[0].Pops, Values: map[string][][]float64{}}
	for _, m := range MetricNames {
		for _, v := range ref.Sets[0].Values[m] {
			w := make([]float64, len(v))
			for i := range v {
				w[i] = v[i] * 1.5
			}
			bad.Values[m] = append(bad.Values[m], w)
		}
	}
	rep, _ = Validate(bad, ref)
	if rep.Pass {
		t.Error("rates, CVs and correlations 1.5 times NEST's pass validation")
	}
}
