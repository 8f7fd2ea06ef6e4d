package params

import (
	"math"
	"strings"
	"testing"
)

func TestPSCOverPSP(t *testing.T) {
	p := Default()
	got := PSCOverPSP(p.Network.Neuron, 0.5)
	if math.Abs(got-585.38996) > 1e-5 {
		t.Fatalf("PSC_over_PSP = %.6f, want 585.38996", got)
	}
	if w := p.Network.ExtWeightFull(); math.Abs(w-87.8085) > 1e-4 {
		t.Fatalf("w_ext = %.5f, want 87.8085", w)
	}
}

// TestPSCOverPSPEqualTimeConstants checks the factor at tau_syn = tau_m
// (the limit C_m·e/tau_m: the PSP of a jump I is I·t·exp(-t/tau)/C_m, with
// its peak I·tau/(C_m·e) at t = tau), near it, and that both of its forms
// agree where one hands over to the other.
func TestPSCOverPSPEqualTimeConstants(t *testing.T) {
	n := Default().Network.Neuron
	limit := n.Cm * math.E / n.TauM
	if got := PSCOverPSP(n, n.TauM); math.Abs(got-limit) > 1e-13*limit {
		t.Fatalf("PSC_over_PSP at tau_syn = tau_m: %.15g, want %.15g", got, limit)
	}
	for _, rel := range []float64{1e-15, -1e-12, 1e-9, -1e-6} {
		got := PSCOverPSP(n, n.TauM*(1+rel))
		// d(factor)/d(tau_syn) is finite at equality: the change is of
		// the order of rel.
		if math.IsNaN(got) || math.Abs(got-limit) > 2*math.Abs(rel)*limit+1e-13*limit {
			t.Errorf("tau_syn = tau_m·(1%+g): %.15g, limit %.15g", rel, got, limit)
		}
	}
	// Both forms agree where the reference formula is still accurate,
	// around the hand-over at |tau_syn - tau_m| = 1e-3·tau_m and beyond.
	for _, rel := range []float64{-0.4, -0.05, -2e-3, 2e-3, 0.05, 0.5} {
		ts := n.TauM * (1 + rel)
		a, b := pscOverPSPStable(n, ts), pscOverPSPReference(n, ts)
		if math.Abs(a-b) > 1e-11*a {
			t.Errorf("tau_syn = tau_m·(1%+g): stable form %.15g, reference formula %.15g", rel, a, b)
		}
	}
}

func TestNeuronAndSynapseCounts(t *testing.T) {
	cases := []struct {
		scale    float64
		neurons  int
		synapses int64
	}{
		{1, 77169, 298880968},
		{0.1, 7717, 2988807},
		{0.2, 15435, 11955239},
		{0.5, 38586, 74720239},
	}
	for _, c := range cases {
		p := Default()
		p.SetScale(c.scale)
		sum := 0
		for _, v := range p.Network.NumNeurons() {
			sum += v
		}
		if sum != c.neurons {
			t.Errorf("scale %v: %d neurons, want %d", c.scale, sum, c.neurons)
		}
		if s := p.Network.TotalSynapses(); s != c.synapses {
			t.Errorf("scale %v: %d synapses, want %d", c.scale, s, c.synapses)
		}
	}
}

func TestDCAmplitudes(t *testing.T) {
	cases := []struct {
		scale float64
		bg    string
		want  []float64
	}{
		{1, "dc", []float64{561.974, 526.851, 737.591, 667.345, 702.468, 667.345, 1018.579, 737.591}},
		{0.2, "dc", []float64{274.796, 326.460, 421.190, 391.408, 415.546, 421.073, 490.970, 454.125}},
		{0.1, "dc", []float64{206.747, 278.976, 346.217, 326.023, 347.558, 362.717, 365.950, 386.957}},
		{0.1, "poisson", []float64{29.035, 112.371, 112.970, 114.990, 125.418, 151.684, 43.847, 153.710}},
	}
	for _, c := range cases {
		p := Default()
		p.SetScale(c.scale)
		p.Network.BgInput = c.bg
		got := p.Network.DCAmplitudes()
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 0.0015 {
				t.Errorf("scale %v %s: DC[%d] = %.4f, want %.3f", c.scale, c.bg, i, got[i], c.want[i])
			}
		}
	}
	p := Default()
	p.SetScale(0.1)
	if w := p.Network.ExtWeight(); math.Abs(w-277.675) > 0.001 {
		t.Errorf("w_ext at 0.1 = %.4f, want 277.675", w)
	}
}

func TestRheobaseWarnings(t *testing.T) {
	p := Default()
	p.SetScale(0.2)
	w := p.Warnings()
	if len(w) != 2 || !strings.Contains(w[0], "L23E") || !strings.Contains(w[1], "L23I") {
		t.Errorf("scale 0.2 warnings = %q, want L23E and L23I", w)
	}
	p.SetScale(0.1)
	if w := p.Warnings(); len(w) != 7 {
		t.Errorf("scale 0.1: %d warnings, want 7", len(w))
	}
	p.SetScale(1)
	if w := p.Warnings(); len(w) != 0 {
		t.Errorf("scale 1: warnings %q, want none", w)
	}
}

func TestValidateNamesParameter(t *testing.T) {
	cases := []struct {
		mut  func(*Params)
		want string
	}{
		{func(p *Params) { p.Network.NScaling = 0 }, "n_scaling = 0"},
		{func(p *Params) { p.Network.KScaling = -1 }, "k_scaling = -1"},
		{func(p *Params) { p.Simulation.TSim = 0 }, "t_sim_ms = 0"},
		{func(p *Params) { p.Simulation.Resolution = -0.1 }, "resolution_ms = -0.1"},
		{func(p *Params) { p.Network.BgInput = "noise" }, `bg_input = "noise"`},
		{func(p *Params) { p.Network.V0Type = "x" }, `v0_type = "x"`},
		{func(p *Params) { p.Simulation.TSim = 10.05 }, "multiple of resolution"},
		{func(p *Params) { p.Network.ConnProbs[1][2] = 1.5 }, "conn_probs[1][2]"},
	}
	for _, c := range cases {
		p := Default()
		c.mut(&p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate() = %v, want an error containing %q", err, c.want)
		}
	}
	p := Default()
	if err := p.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	p := Default()
	p.SetScale(0.3)
	p.Network.BgInput = "poisson"
	p.Stimulus.Thalamic = true
	p.Simulation.Seed = 7
	p.Network.ConnProbs[3][4] = 0.25
	data, err := p.YAML()
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := q.YAML()
	if string(d1) != string(data) {
		t.Fatalf("round trip differs:\n%s\n---\n%s", data, d1)
	}
	if q.Network.ConnProbs[3][4] != 0.25 || q.Simulation.Seed != 7 || !q.Stimulus.Thalamic {
		t.Fatal("round trip lost values")
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ doc, want string }{
		{"network:\n  n_scalin: 0.2\n", "n_scalin"},
		{"network:\n  n_scaling: abc\n", "network.n_scaling"},
		{"simulation:\n  seed: [1]\n", "simulation.seed"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want error naming %q", c.doc, err, c.want)
		}
	}
	p, err := Parse([]byte("network:\n  n_scaling: 0.5\n"))
	if err != nil || p.Network.NScaling != 0.5 || p.Network.KScaling != 0.2 {
		t.Errorf("partial file: %v %v", p.Network.NScaling, err)
	}
	if _, err := Parse(nil); err != nil {
		t.Errorf("empty document: %v", err)
	}
}
