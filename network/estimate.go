package network

import (
	"math"

	"github.com/pd14/microcircuit/params"
)

// EstimateBytes estimates the peak memory (bytes) of building and
// simulating the network of p with the given number of worker threads:
// packed synapses (4 bytes) with half-precision weights (2 bytes), the
// build's per-chunk source counts, the engine's delay groups, neuron state,
// event queues and the Go runtime.
func EstimateBytes(p *params.Params, threads int) int64 {
	nw := &p.Network
	sizes := nw.NumNeurons()
	var n int64
	for _, s := range sizes {
		n += int64(s)
	}
	counts := nw.NumSynapses()
	var syn, chunkCounts float64
	for y := range counts {
		for x, c := range counts[y] {
			syn += float64(c)
			chunkCounts += math.Ceil(float64(c)/ChunkSize) * float64(sizes[x])
		}
	}
	if p.Stimulus.Thalamic {
		for y, c := range p.ThSynapses() {
			if sizes[y] > 0 {
				syn += float64(c)
				chunkCounts += math.Ceil(float64(c)/ChunkSize) * float64(p.Stimulus.ThN)
			}
		}
	}
	perSyn := 6.0
	if nw.G == 0 || nw.PSPExcMean == 0 {
		perSyn = 8 // float32 weights
	}
	// Delay groups: up to ~60 delays per source and worker, 10 bytes each.
	groups := float64(n) * float64(max(threads, 1)) * 60 * 10
	neurons := float64(n) * 160
	// Events in flight: a few per cent of the synapses at PD14 rates.
	queues := syn * 8 * 0.02
	const runtime = 100 << 20
	total := syn*perSyn + chunkCounts*8 + groups + neurons + queues + runtime
	return int64(total * 1.05)
}

// LargestScale returns the largest scale s (N and K scaling together, in
// steps of 0.01) whose estimate fits in avail bytes, or 0 if none does.
func LargestScale(p params.Params, threads int, avail int64) float64 {
	best := 0.0
	for s := 0.01; s <= 4.0001; s += 0.01 {
		p.SetScale(s)
		if EstimateBytes(&p, threads) > avail {
			break
		}
		best = s
	}
	return math.Round(best*100) / 100
}
