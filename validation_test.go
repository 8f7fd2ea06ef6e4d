package microcircuit_test

import (
	"testing"

	"github.com/pd14/microcircuit/analysis"
	"github.com/pd14/microcircuit/internal/testref"
	"github.com/pd14/microcircuit/params"
)

// metricsOf simulates p (warm-up, then t_sim recorded) and returns the three
// spike statistics over [t_presim, t_presim + t_sim], as the reference was
// analysed.
func metricsOf(t *testing.T, p params.Params) *analysis.Metrics {
	t.Helper()
	m := simulate(t, p)
	sender, times := m.Spikes()
	s, err := analysis.NewSpikes(p.Network.Populations, m.FirstID, m.Sizes, sender, times)
	if err != nil {
		t.Fatal(err)
	}
	w := analysis.Window{TMin: p.Simulation.TPresim, TMax: p.Simulation.TPresim + p.Simulation.TSim}
	return analysis.Compute(s, analysis.Options{Window: w})
}

func loadRef(t *testing.T, name string) *analysis.Reference {
	t.Helper()
	ref, err := analysis.LoadReference(testref.Dir(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func logReport(t *testing.T, rep *analysis.Report) {
	t.Helper()
	for _, r := range rep.Rows {
		verdict := "ok"
		if !r.Pass {
			verdict = "FAIL"
		}
		t.Logf("%-5s %-9s KS %.3f  ref %.3f ± %.3f (max %.3f)  bound %.3f  %s",
			r.Pop, r.Metric, r.Distance, r.RefMean, r.RefSD, r.RefMax, r.Bound, verdict)
	}
}

// TestValidateAgainstNEST compares 10 s of our simulation with NEST's
// five-seed (scale 0.2, DC) and three-seed (scale 0.1, Poisson) ensembles:
// every population and metric must lie within NEST's seed-to-seed spread.
func TestValidateAgainstNEST(t *testing.T) {
	if testing.Short() {
		t.Skip("10 s network runs")
	}
	cases := []struct {
		ref   string
		scale float64
		bg    string
	}{
		{"scale0.2_dc", 0.2, "dc"},
		{"scale0.1_poisson", 0.1, "poisson"},
	}
	for _, c := range cases {
		t.Run(c.ref, func(t *testing.T) {
			ref := loadRef(t, c.ref)
			p := params.Default()
			p.SetScale(c.scale)
			p.Network.BgInput = c.bg
			p.Simulation.TSim = 10000 // the reference's length; the default seed 55
			rep, err := analysis.Validate(metricsOf(t, p), ref)
			if err != nil {
				t.Fatal(err)
			}
			logReport(t, rep)
			if !rep.Pass {
				t.Fatal("statistics differ from NEST's beyond its seed-to-seed spread")
			}
		})
	}
}

// TestValidateCatchesModelError injects a gross model error (g = -5
// instead of -4); validation must fail, as NEST itself fails with it.
func TestValidateCatchesModelError(t *testing.T) {
	if testing.Short() {
		t.Skip("10 s network run")
	}
	ref := loadRef(t, "scale0.2_dc")
	p := params.Default()
	p.Network.G = -5
	p.Simulation.TSim = 10000
	rep, err := analysis.Validate(metricsOf(t, p), ref)
	if err != nil {
		t.Fatal(err)
	}
	logReport(t, rep)
	if rep.Pass {
		t.Fatal("g = -5 passes validation")
	}
	failedRates := 0
	for _, r := range rep.Rows {
		if r.Metric == analysis.MetricRates && !r.Pass {
			failedRates++
		}
	}
	if failedRates < 4 {
		t.Fatalf("g = -5: only %d populations fail on rates", failedRates)
	}
}
