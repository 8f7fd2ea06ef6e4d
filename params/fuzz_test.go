package params

import (
	"math"
	"testing"
	"time"
)

// FuzzConfig feeds the YAML configuration reader arbitrary documents: each
// ends, quickly, in an error or in parameters that pass Validate and whose
// derived quantities are all finite and of sensible size.
func FuzzConfig(f *testing.F) {
	def := Default()
	good, _ := def.YAML()
	f.Add(good)
	f.Add([]byte("network:\n  g: .nan\n"))
	f.Add([]byte("network:\n  neuron:\n    tau_syn_ex: 10\n    tau_syn_in: 10\n"))
	f.Add([]byte("simulation:\n  t_sim_ms: 1e300\n  resolution_ms: 1e-300\n"))
	f.Add([]byte("network:\n  full_num_neurons: [100000000, 100000000, 100000000, 100000000, 100000000, 100000000, 100000000, 100000000]\n  n_scaling: 10\n"))
	f.Add([]byte("stimulus:\n  th_neurons: 1000000\n  thalamic: true\n  th_rate_hz: 1e9\n"))
	f.Add([]byte("network: [1, 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		p, err := Parse(data)
		if err == nil {
			err = p.Validate()
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("took %v", d)
		}
		if err != nil {
			return
		}
		nw := &p.Network
		finite := func(what string, xs ...float64) {
			for _, x := range xs {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					t.Fatalf("%s is %v for valid parameters", what, x)
				}
			}
		}
		for _, row := range nw.MeanWeights() {
			finite("a mean weight", row[:]...)
		}
		finite("a DC amplitude", nw.DCAmplitudes()...)
		finite("a Poisson rate", nw.PoissonRates()...)
		finite("the external weight", nw.ExtWeight(), p.ThWeight())
		finite("a DC transient amplitude", p.DCTransientAmplitudes()...)
		if n := p.Network.TotalSynapses(); n < 0 {
			t.Fatalf("%d synapses", n)
		}
		for _, c := range p.ThSynapses() {
			if c < 0 {
				t.Fatalf("%d thalamic synapses", c)
			}
		}
	})
}
