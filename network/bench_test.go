package network

import (
	"testing"

	"github.com/pd14/microcircuit/params"
)

// BenchmarkBuild measures construction at scale 0.1 (about 3 million
// synapses), per synapse.
func BenchmarkBuild(b *testing.B) {
	p := params.Default()
	p.SetScale(0.1)
	var syn int64
	for b.Loop() {
		net, err := Build(&p, 0)
		if err != nil {
			b.Fatal(err)
		}
		syn += net.NumSynapses()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(syn), "ns/synapse")
}
