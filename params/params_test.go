package params

import (
	"fmt"
	"math"
	"reflect"
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

// TestEveryFloatMustBeFinite sets every floating-point parameter in turn
// to NaN, +Inf and -Inf: Validate must refuse each, naming it.
func TestEveryFloatMustBeFinite(t *testing.T) {
	base := Default()
	var paths []string
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
				walk(v.Field(i), strings.TrimPrefix(path+"."+name, "."))
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		case reflect.Float64:
			paths = append(paths, path)
		}
	}
	walk(reflect.ValueOf(&base).Elem(), "")
	if len(paths) < 80 {
		t.Fatalf("found only %d float parameters", len(paths))
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		for _, path := range paths {
			p := Default()
			p.Simulation.Record = append([]string(nil), p.Simulation.Record...)
			p.Network.KExt = append([]float64(nil), p.Network.KExt...)
			set(reflect.ValueOf(&p).Elem(), path, bad)
			err := p.Validate()
			short := path[strings.Index(path, ".")+1:]
			if err == nil || !strings.Contains(err.Error(), short) {
				t.Errorf("%s = %v: %v", path, bad, err)
			}
		}
	}
}

// set sets the float at a dotted YAML path (with [i] indices) in v, copying
// slices so that the defaults stay untouched.
func set(v reflect.Value, path string, x float64) {
	for _, part := range strings.Split(path, ".") {
		name, idx, _ := strings.Cut(part, "[")
		for i := 0; i < v.NumField(); i++ {
			if tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ","); tag == name {
				v = v.Field(i)
				break
			}
		}
		for idx != "" {
			var k int
			fmt.Sscanf(idx, "%d]", &k)
			if v.Kind() == reflect.Slice {
				c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
				reflect.Copy(c, v)
				v.Set(c)
			}
			v = v.Index(k)
			_, idx, _ = strings.Cut(idx, "[")
		}
	}
	v.SetFloat(x)
}

// TestRanges checks values just outside the documented ranges.
func TestRanges(t *testing.T) {
	cases := []struct {
		set  func(*Params)
		want string
	}{
		{func(p *Params) { p.Network.G = 0.5 }, "g = 0.5: must be in [-100, 0]"},
		{func(p *Params) { p.Network.NScaling = 11 }, "n_scaling = 11"},
		{func(p *Params) { p.Network.Neuron.TauM = -1 }, "neuron.tau_m = -1"},
		{func(p *Params) { p.Network.Neuron.Cm = 0 }, "neuron.C_m = 0"},
		{func(p *Params) { p.Network.Neuron.VReset = -40 }, "neuron.V_th = -50: must be above neuron.V_reset = -40"},
		{func(p *Params) { p.Network.BgRate = 1e5 }, "at most 40 are allowed"},
		{func(p *Params) { p.Stimulus.ThRate = 1e6 }, "th_rate_hz = 1e+06"},
		{func(p *Params) { p.Stimulus.ThN = -1 }, "th_neurons = -1"},
		{func(p *Params) { p.Network.FullNumNeurons = []int{1, 2, 3, 4, 5, 6, 7, 2e8} }, "full_num_neurons[7]"},
		{func(p *Params) { p.Simulation.Threads = -2 }, "threads = -2"},
		{func(p *Params) { p.Stimulus.Thalamic, p.Stimulus.ThStart = true, 700.05 }, "th_start_ms = 700.05: must be a multiple"},
		{func(p *Params) { p.Stimulus.DCAmpPerKExt = 5000 }, "dc_amp_per_k_ext_pA = 5000"},
		{func(p *Params) { p.Network.L4EToL23EFactor = -1 }, "psp_L4E_to_L23E_factor = -1"},
	}
	for _, c := range cases {
		p := Default()
		p.Network.FullNumNeurons = append([]int(nil), p.Network.FullNumNeurons...)
		c.set(&p)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error with %q, got %v", c.want, err)
		}
	}
	// Off the grid but unused: a stimulus that is off is not checked.
	p := Default()
	p.Stimulus.ThStart = 700.05
	if err := p.Validate(); err != nil {
		t.Errorf("an unused th_start_ms off the grid was refused: %v", err)
	}
}

func TestMatrixOverridesValidateAndRoundTrip(t *testing.T) {
	p := Default()
	psp, del := Matrix(p.Network.PSPMatrix()), Matrix(p.Network.DelayMatrix())
	psp[3][4] = 0.3
	p.Network.PSPMatrixMean, p.Network.DelayMatrixMean = &psp, &del
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	y, err := p.YAML()
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(y)
	if err != nil {
		t.Fatal(err)
	}
	if q.Network.PSPMatrix() != p.Network.PSPMatrix() || q.Network.DelayMatrix() != p.Network.DelayMatrix() {
		t.Error("matrices changed in a YAML round trip")
	}
	if w := p.Network.FullMeanWeights(); w[3][4] <= 0 || w[3][5] >= 0 {
		t.Errorf("weights %v, %v: want the signs of the PSP matrix", w[3][4], w[3][5])
	}
	del[1][6] = 0
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "delay_matrix_mean_ms[1][6] = 0") {
		t.Errorf("zero delay: got %v", err)
	}
	del[1][6] = 1
	psp[0][0] = math.NaN()
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "psp_matrix_mean_mV[0][0]") {
		t.Errorf("NaN PSP: got %v", err)
	}
	d := Default()
	if y, _ := d.YAML(); strings.Contains(string(y), "matrix") {
		t.Error("the defaults' YAML lists matrices that are not set")
	}
}
