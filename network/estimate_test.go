package network

import (
	"testing"

	"github.com/pd14/microcircuit/params"
)

func TestEstimate(t *testing.T) {
	p := params.Default()
	p.SetScale(1)
	full := EstimateBytes(&p, 2)
	// Six bytes per synapse are the floor; the estimate must not be far above.
	syn := float64(p.Network.TotalSynapses())
	if f := float64(full); f < 6*syn || f > 9*syn {
		t.Fatalf("full-scale estimate %.2f GB for %.3g synapses", f/1e9, syn)
	}
	s := LargestScale(p, 2, 1, full)
	if s < 0.99 || s > 1.01 {
		t.Fatalf("largest scale for the full-scale estimate: %v, want 1", s)
	}
	if LargestScale(p, 2, 1, 1<<20) != 0 {
		t.Fatal("a scale fits in 1 MiB")
	}
}
