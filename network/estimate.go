package network

import (
	"math"

	"github.com/pd14/microcircuit/params"
)

// EstimateBytes estimates the peak memory (bytes) of building and
// simulating the network of p in one process with the given number of
// worker threads: packed synapses (4 bytes) with half-precision weights (2
// bytes), the build's per-tile source counts, the engine's delay groups,
// neuron state, event queues and the Go runtime.
func EstimateBytes(p *params.Params, threads int) int64 {
	return EstimatePartBytes(p, threads, 1)
}

// EstimatePartBytes estimates the peak memory (bytes) of one rank's part
// of the network of p distributed over ranks ranks (see BuildPart), each
// with the given number of worker threads.
func EstimatePartBytes(p *params.Params, threads, ranks int) int64 {
	nw := &p.Network
	sizes := nw.NumNeurons()
	var n int64
	for _, s := range sizes {
		n += int64(s)
	}
	R := float64(max(ranks, 1))
	counts := nw.NumSynapses()
	var syn, chunkCounts float64
	for y := range counts {
		for x, c := range counts[y] {
			if c > 0 {
				syn += float64(c) / R
				chunkCounts += (math.Ceil(float64(c)/R/chunkSynapses) + 1) * float64(sizes[x])
			}
		}
	}
	if p.Stimulus.Thalamic {
		for y, c := range p.ThSynapses() {
			if sizes[y] > 0 && c > 0 {
				syn += float64(c) / R
				chunkCounts += (math.Ceil(float64(c)/R/chunkSynapses) + 1) * float64(p.Stimulus.ThN)
			}
		}
	}
	perSyn := 6.0
	if nw.G == 0 || nw.PSPExcMean == 0 {
		perSyn = 8 // float32 weights
	}
	// Delay groups: up to ~60 delays per source and worker, 10 bytes each,
	// at most one per synapse; the group index, 8 bytes per source and
	// worker.
	t := float64(max(threads, 1))
	groups := math.Min(float64(n)*t*60, syn)*10 + float64(n)*t*8
	neurons := float64(n) / R * 160
	// Events in flight: a few per cent of the synapses at PD14 rates.
	queues := syn * 8 * 0.02
	const runtime = 100 << 20
	total := syn*perSyn + chunkCounts*8 + groups + neurons + queues + runtime
	return int64(total * 1.05)
}

// LargestScale returns the largest scale s (N and K scaling together, in
// steps of 0.01) whose largest part, of a split into parts, fits in avail
// bytes (see EstimatePartBytes), or 0 if none does.
func LargestScale(p params.Params, threads, parts int, avail int64) float64 {
	best := 0.0
	for s := 0.01; s <= 4.0001; s += 0.01 {
		p.SetScale(s)
		if EstimatePartBytes(&p, threads, parts) > avail {
			break
		}
		best = s
	}
	return math.Round(best*100) / 100
}
