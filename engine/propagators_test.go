package engine

import (
	"math"
	"strconv"
	"testing"

	"github.com/pd14/microcircuit/params"
)

func TestPropagatorBits(t *testing.T) {
	p := NewPropagators(params.Default().Network.Neuron, 0.1)
	want := map[string]struct {
		got  float64
		want string
	}{
		"P11": {p.P11ex, "0x1.a330ad6166159p-01"},
		"P22": {p.P22, "0x1.fae7cfd2b9cfep-01"},
		"P20": {p.P20, "0x1.a15718ba4cd71p-12"},
		"P21": {p.P21ex, "0x1.7a3115d9872ddp-12"},
	}
	for name, c := range want {
		if s := strconv.FormatFloat(c.got, 'x', -1, 64); s != c.want {
			t.Errorf("%s = %s, want %s", name, s, c.want)
		}
	}
}

// TestPropagatorTimeConstants compares P21 with the integral it stands
// for, P21 = (1/C)·∫_0^h exp(-(h-s)/tau_m)·exp(-s/tau_syn) ds
// = (h/C)·exp(-h/tau_m)·φ(h·κ), κ = 1/tau_syn - 1/tau_m, φ(x) = -expm1(-x)/x,
// a form without cancellation, at, near and far from tau_syn = tau_m.
func TestPropagatorTimeConstants(t *testing.T) {
	n := params.Default().Network.Neuron
	const h = 0.1
	for _, ts := range []float64{0.5, 2, 9.9, 10 * (1 - 1e-6), 10 * (1 - 1e-12), 10, 10 * (1 + 1e-12), 10 * (1 + 1e-6), 10.1, 20, 200} {
		n.TauSynEx = ts
		p := NewPropagators(n, h)
		x := h * (n.TauM - ts) / (ts * n.TauM)
		phi := 1.0
		if x != 0 {
			phi = -math.Expm1(-x) / x
		}
		want := h / n.Cm * math.Exp(-h/n.TauM) * phi
		if math.Abs(p.P21ex-want) > 1e-13*want {
			t.Errorf("tau_syn %.15g: P21 = %.17g, want %.17g", ts, p.P21ex, want)
		}
		if p.P11ex != math.Exp(-h/ts) {
			t.Errorf("tau_syn %v: P11 = %v", ts, p.P11ex)
		}
	}
}
