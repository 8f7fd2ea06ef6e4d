// Package network builds a realised PD14 microcircuit from its parameters:
// neurons with their initial potentials and DC input, fixed-total-number
// connectivity with redrawn normal weights and delays, and the background,
// thalamic and DC-transient inputs, in the form the engine simulates.
package network

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/pd14/microcircuit/engine"
	"github.com/pd14/microcircuit/internal/half"
	"github.com/pd14/microcircuit/internal/rng"
	"github.com/pd14/microcircuit/params"
)

// ChunkSize is the number of synapses drawn from one random stream. The
// realised network depends on it, not on the number of threads.
const ChunkSize = 1 << 20

// block is one population pair (or thalamus → population) of the
// fixed-total-number rule.
type block struct {
	srcFirst, srcCount int // sources: global source index range
	tgtFirst, tgtCount int
	count              int64
	wMean, wSD         float64
	dMean, dSD         float64
	key                uint64
}

// chunk is ChunkSize synapses (fewer at the end) of one block.
type chunk struct {
	b     *block
	index int     // within the block
	n     int     // synapses
	off   []int64 // per source of the block: count, then write position
}

// Build realises the network described by p, using up to threads
// goroutines (0 = all cores). The same parameters give the same network for
// any number of threads.
func Build(p *params.Params, threads int) (*engine.Network, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	nw := &p.Network
	h := p.Simulation.Resolution
	sizes := nw.NumNeurons()
	net := &engine.Network{
		Neuron:     nw.Neuron,
		PopNames:   append([]string(nil), nw.Populations...),
		PopStart:   make([]int, params.NumPops+1),
		Resolution: h,
	}
	for i, s := range sizes {
		net.PopStart[i+1] = net.PopStart[i] + s
	}
	N := net.PopStart[params.NumPops]
	if N == 0 {
		return nil, fmt.Errorf("n_scaling = %v gives no neurons", nw.NScaling)
	}
	seed := p.Simulation.Seed

	// Neurons: initial potentials and constant currents.
	net.V0 = make([]float64, N)
	net.Ie = make([]float64, N)
	dc := nw.DCAmplitudes()
	for pop := 0; pop < params.NumPops; pop++ {
		mean, sd := nw.V0MeanOriginal, nw.V0SDOriginal
		if nw.V0Type == "optimized" {
			mean, sd = nw.V0MeanOptimized[pop], nw.V0SDOptimized[pop]
		}
		r := rng.Stream(rng.Key(seed, rng.V0, uint64(pop), 0), 0)
		for i := net.PopStart[pop]; i < net.PopStart[pop+1]; i++ {
			net.V0[i] = mean + sd*r.NormFloat64()
			net.Ie[i] = dc[pop]
		}
	}

	// Synapse blocks, in canonical order: recurrent (target pop, source pop),
	// then thalamic (target pop).
	var blocks []*block
	counts := nw.NumSynapses()
	wMean := nw.MeanWeights()
	for y := 0; y < params.NumPops; y++ {
		for x := 0; x < params.NumPops; x++ {
			if counts[y][x] == 0 || sizes[x] == 0 || sizes[y] == 0 {
				continue
			}
			dm := nw.DelayExcMean
			if !params.Excitatory(x) {
				dm = nw.DelayInhMean
			}
			blocks = append(blocks, &block{
				srcFirst: net.PopStart[x], srcCount: sizes[x],
				tgtFirst: net.PopStart[y], tgtCount: sizes[y], count: counts[y][x],
				wMean: wMean[y][x], wSD: nw.WeightRelSD * math.Abs(wMean[y][x]),
				dMean: dm, dSD: nw.DelayRelSD * dm,
				key: rng.Key(seed, rng.Connect, uint64(y), uint64(x)),
			})
		}
	}
	net.NumSources = N
	st := &p.Stimulus
	if st.Thalamic && st.ThN > 0 {
		net.NumSources = N + st.ThN
		thCounts := p.ThSynapses()
		thW := p.ThWeight()
		for y := 0; y < params.NumPops; y++ {
			if thCounts[y] == 0 || sizes[y] == 0 {
				continue
			}
			blocks = append(blocks, &block{
				srcFirst: N, srcCount: st.ThN,
				tgtFirst: net.PopStart[y], tgtCount: sizes[y], count: thCounts[y],
				wMean: thW, wSD: nw.WeightRelSD * thW,
				dMean: st.ThDelayMean, dSD: st.ThDelayRelSD * st.ThDelayMean,
				key: rng.Key(seed, rng.Connect, uint64(y), params.NumPops),
			})
		}
		net.ExtRate = st.ThRate
		net.ExtFirst = params.Steps(st.ThStart+1, h)
		net.ExtLast = params.Steps(st.ThStart+st.ThDuration+1, h) - 1
		net.ExtSeed = rng.Key(seed, rng.External, 0, 0)
	}
	var chunks []chunk
	for _, b := range blocks {
		for c := int64(0); c*ChunkSize < b.count; c++ {
			chunks = append(chunks, chunk{b: b, index: int(c), n: int(min(ChunkSize, b.count-c*ChunkSize))})
		}
	}

	// Pass 1: count the synapses of every source in every chunk.
	parallel(len(chunks), threads, func(_, i int) {
		c := &chunks[i]
		c.off = make([]int64, c.b.srcCount)
		r := rng.Stream(c.b.key, uint64(c.index))
		for j := 0; j < c.n; j++ {
			c.off[r.IntN(c.b.srcCount)]++
		}
	})
	// Source offsets, then each chunk's write position per source: sources
	// keep their synapses in block order, then chunk order, then draw order.
	net.SrcStart = make([]int64, net.NumSources+1)
	for _, c := range chunks {
		for s, k := range c.off {
			net.SrcStart[c.b.srcFirst+s+1] += k
		}
	}
	for s := 1; s <= net.NumSources; s++ {
		net.SrcStart[s] += net.SrcStart[s-1]
	}
	next := make([]int64, net.NumSources)
	copy(next, net.SrcStart)
	for _, c := range chunks {
		for s, k := range c.off {
			g := c.b.srcFirst + s
			c.off[s] = next[g]
			next[g] += k
		}
	}
	next = nil
	total := net.SrcStart[net.NumSources]
	net.TargetBits = engine.TargetBitsFor(N)
	maxDelay := net.MaxDelay()
	net.Syn = make([]uint32, total)
	useHalf := halfFits(blocks)
	if useHalf {
		net.Weight16 = make([]uint16, total)
	} else {
		net.Weight32 = make([]float32, total)
	}

	// Pass 2: draw every synapse; sort each chunk by source locally so that
	// a source's synapses are written as one contiguous run.
	type scratch struct {
		src []int32
		pos []int32
		syn []uint32
		w16 []uint16
		w32 []float32
	}
	scr := make([]scratch, threads)
	var errOnce sync.Once
	var buildErr error
	parallel(len(chunks), threads, func(worker, i int) {
		c := &chunks[i]
		b := c.b
		sc := &scr[worker]
		sc.src = grow(sc.src, c.n)
		sc.syn = grow(sc.syn, c.n)
		sc.pos = grow(sc.pos, b.srcCount+1)
		clear(sc.pos)
		r := rng.Stream(b.key, uint64(c.index))
		for j := range sc.src {
			s := int32(r.IntN(b.srcCount))
			sc.src[j] = s
			sc.pos[s+1]++
		}
		for s := 1; s <= b.srcCount; s++ {
			sc.pos[s] += sc.pos[s-1]
		}
		if useHalf {
			sc.w16 = grow(sc.w16, c.n)
		} else {
			sc.w32 = grow(sc.w32, c.n)
		}
		exc := b.wMean >= 0
		for _, s := range sc.src {
			tgt := b.tgtFirst + r.IntN(b.tgtCount)
			w := drawWeight(r, b.wMean, b.wSD, exc)
			d, err := drawDelay(r, b.dMean, b.dSD, h, maxDelay)
			if err != nil {
				errOnce.Do(func() { buildErr = err })
				return
			}
			k := sc.pos[s]
			sc.pos[s]++
			sc.syn[k] = net.Pack(uint32(tgt), d)
			if useHalf {
				sc.w16[k] = toHalf(w)
			} else {
				sc.w32[k] = float32(w)
			}
		}
		// sc.pos[s] is now the end of source s's run.
		start := int32(0)
		for s := 0; s < b.srcCount; s++ {
			end := sc.pos[s]
			if end > start {
				at := c.off[s]
				copy(net.Syn[at:], sc.syn[start:end])
				if useHalf {
					copy(net.Weight16[at:], sc.w16[start:end])
				} else {
					copy(net.Weight32[at:], sc.w32[start:end])
				}
			}
			start = end
		}
		c.off = nil
	})
	if buildErr != nil {
		return nil, buildErr
	}

	// Background input.
	if nw.BgInput == "poisson" {
		net.BgRate = nw.PoissonRates()
		net.BgWeight = nw.ExtWeight()
		net.BgDelay = int(params.Steps(nw.PoissonDelay, h))
		net.BgSeed = rng.Key(seed, rng.Bg, 0, 0)
	}
	// DC transient: a dc_generator on in [start, start+duration), connected
	// with NEST's default delay of 1 ms.
	if st.DCTransient {
		net.PulseAmp = p.DCTransientAmplitudes()
		delay := params.Steps(1.0, h)
		net.PulseFirst = params.Steps(st.DCStart, h) + delay
		net.PulseLast = params.Steps(st.DCStart+st.DCDuration, h) - 1 + delay
	}
	return net, nil
}

// drawWeight draws a normal weight, redrawn until it has the sign of its
// source (>= 0 excitatory, <= 0 inhibitory).
func drawWeight(r *rand.Rand, mean, sd float64, exc bool) float64 {
	for {
		w := mean + sd*r.NormFloat64()
		if (exc && w >= 0) || (!exc && w <= 0) {
			return w
		}
	}
}

// halfFits reports whether every block's weights can be stored in half
// precision: all magnitudes far inside its normal range.
func halfFits(blocks []*block) bool {
	for _, b := range blocks {
		if b.wMean == 0 || math.Abs(b.wMean)+40*b.wSD > half.Max {
			return false
		}
	}
	return true
}

// toHalf rounds a weight to half precision, keeping it a normal number of
// its sign (weights below 2^-14 pA, which the redrawn normal practically
// never gives, are raised to it).
func toHalf(w float64) uint16 {
	if math.Abs(w) < half.MinNormal {
		w = math.Copysign(half.MinNormal, w)
	}
	return half.FromFloat32(float32(w))
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// maxRedraws bounds the redraw loop of a delay whose distribution lies
// almost entirely below h/2.
const maxRedraws = 1000

// drawDelay draws a normal delay, redrawn until it is >= h/2, and returns it
// rounded to whole steps (at least 1, at most maxSteps).
func drawDelay(r *rand.Rand, mean, sd, h float64, maxSteps int) (int, error) {
	for i := 0; i < maxRedraws; i++ {
		d := mean + sd*r.NormFloat64()
		if d >= h/2 {
			steps := math.Round(d / h)
			if steps > float64(maxSteps) {
				return 0, fmt.Errorf("delay %v ms is more than %d steps of %v ms", d, maxSteps, h)
			}
			return int(max(steps, 1)), nil
		}
	}
	return 0, fmt.Errorf("delay mean %v ms, sd %v ms: no draw >= resolution/2 in %d tries", mean, sd, maxRedraws)
}

// parallel calls f(worker, i) for i = 0..n-1 on up to threads goroutines
// numbered 0..threads-1.
func parallel(n, threads int, f func(worker, i int)) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	nextI := 0
	for t := 0; t < min(threads, n); t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			for {
				mu.Lock()
				i := nextI
				nextI++
				mu.Unlock()
				if i >= n {
					return
				}
				f(t, i)
			}
		}(t)
	}
	wg.Wait()
}
