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

func TestPropagatorEqualTimeConstants(t *testing.T) {
	n := params.Default().Network.Neuron
	n.TauSynEx = n.TauM
	p := NewPropagators(n, 0.1)
	want := 0.1 / n.Cm * math.Exp(-0.1/n.TauM)
	if math.Abs(p.P21ex-want) > 1e-12*want {
		t.Fatalf("P21 at tau_syn = tau_m: %g, want %g", p.P21ex, want)
	}
}
