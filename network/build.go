// Package network builds a realised PD14 microcircuit from its parameters:
// neurons with their initial potentials and DC input, fixed-total-number
// connectivity with redrawn normal weights and delays, and the background,
// thalamic and DC-transient inputs, in the form the engine simulates.
package network

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/pd14/microcircuit/device"
	"github.com/pd14/microcircuit/engine"
	"github.com/pd14/microcircuit/internal/half"
	"github.com/pd14/microcircuit/internal/rng"
	"github.com/pd14/microcircuit/params"
)

// ThRelayDelay and DCTransientDelay (ms) are the delays of the connections
// from the thalamic poisson_generator to its relay neurons and from the DC
// transient's dc_generators to the neurons: NEST's default delay, which the
// reference implementation keeps.
const (
	ThRelayDelay     = 1.0
	DCTransientDelay = 1.0
)

// chunkSynapses is about the number of synapses of one unit of work of
// construction; the realised network does not depend on it.
const chunkSynapses = 1 << 20

// block is one population pair (or thalamus → population) of the
// fixed-total-number rule.
type block struct {
	srcFirst, srcCount int // sources: global source index range
	tgtFirst, tgtCount int
	count              int64
	wMean, wSD         float64
	dMean, dSD         float64
	delays             *delayTable  // draws dMean, dSD in steps
	weights            *weightTable // draws wMean, wSD in half precision
	key                uint64
	// held is the index among the neurons held of the block's first held
	// target; deg[j] is the in-degree of held target held+j.
	held int
	deg  []int32
}

// chunk is a run of held targets of one block: deg[t0:t1].
type chunk struct {
	b      *block
	t0, t1 int
	n      int     // synapses
	off    []int64 // per source of the block: count, then write position
}

// Build realises the whole network described by p, using up to threads
// goroutines (0 = all cores). The same parameters give the same network for
// any number of threads.
func Build(p *params.Params, threads int) (*engine.Network, error) {
	return BuildPart(context.Background(), p, threads, 0, 1)
}

// BuildPart realises the part of the network described by p that rank
// holds when the neurons are distributed round-robin over ranks ranks
// (neuron g on rank g mod ranks, as NEST distributes them): the neurons and
// the synapses onto them, using up to threads goroutines (0 = all cores).
// When ctx is cancelled, construction stops within a few tens of
// milliseconds and returns ctx's error. The parts hold exactly the neurons and synapses, in the same order, that
// Build realises, whatever the number of ranks and threads: every random
// stream belongs to a population pair, a target neuron or a population.
//
// The fixed-total-number rule draws K synapses of a population pair with
// sources and targets uniform and independent. Here the targets' shares
// (their in-degrees) are one multinomial draw, made as conditional
// binomials from the pair's stream; each target then draws its sources,
// weights and delays from its own two streams, so that a rank draws only
// the synapses it holds.
func BuildPart(ctx context.Context, p *params.Params, threads, rank, ranks int) (*engine.Network, error) {
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
		Rank:       rank,
		Ranks:      ranks,
	}
	for i, s := range sizes {
		net.PopStart[i+1] = net.PopStart[i] + s
	}
	N := net.PopStart[params.NumPops]
	if N == 0 {
		return nil, fmt.Errorf("n_scaling = %v gives no neurons", nw.NScaling)
	}
	if ranks < 1 || rank < 0 || rank >= ranks || rank >= N {
		return nil, fmt.Errorf("rank %d of %d: %d neurons cannot give every rank one", rank, ranks, N)
	}
	held := engine.HeldBy(N, rank, ranks)
	// firstHeld returns the index among the neurons held of the first one
	// whose index in the whole network is g or more.
	firstHeld := func(g int) int {
		if g <= rank {
			return 0
		}
		return (g - rank + ranks - 1) / ranks
	}
	seed := p.Simulation.Seed

	// Neurons: initial potentials and constant currents. A population's
	// potentials come from one stream.
	net.V0 = make([]float64, held)
	net.Ie = make([]float64, held)
	dc := nw.DCAmplitudes()
	for pop := 0; pop < params.NumPops; pop++ {
		mean, sd := nw.V0MeanOriginal, nw.V0SDOriginal
		if nw.V0Type == "optimized" {
			mean, sd = nw.V0MeanOptimized[pop], nw.V0SDOptimized[pop]
		}
		r := rng.Stream(rng.Key(seed, rng.V0, uint64(pop), 0), 0)
		for g := net.PopStart[pop]; g < net.PopStart[pop+1]; g++ {
			v := mean + sd*r.NormFloat64()
			if g%ranks == rank {
				net.V0[g/ranks] = v
				net.Ie[g/ranks] = dc[pop]
			}
		}
	}

	// Synapse blocks, in canonical order: recurrent (target pop, source pop),
	// then thalamic (target pop).
	var blocks []*block
	counts := nw.NumSynapses()
	wMean := nw.MeanWeights()
	dMean := nw.DelayMatrix()
	for y := 0; y < params.NumPops; y++ {
		for x := 0; x < params.NumPops; x++ {
			if counts[y][x] == 0 || sizes[x] == 0 || sizes[y] == 0 {
				continue
			}
			dm := dMean[y][x]
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
		// The thalamic poisson_generator drives the relays (parrot
		// neurons) through NEST's default 1 ms connections.
		w := device.RelayedSpikes(0, st.ThStart, st.ThStart+st.ThDuration, h, device.Steps(ThRelayDelay, h))
		net.ExtRate = st.ThRate
		net.ExtFirst, net.ExtLast = w.First, w.Last
		net.ExtSeed = rng.Key(seed, rng.External, 0, 0)
	}

	// In-degrees of the held targets of every block.
	err := parallel(ctx, len(blocks), threads, func(_, i int) {
		b := blocks[i]
		b.held = firstHeld(b.tgtFirst)
		b.deg = inDegrees(ctx, b, rank, ranks, firstHeld(b.tgtFirst+b.tgtCount)-b.held)
	})
	if err != nil {
		return nil, err
	}
	chunks := split(blocks)

	// Pass 1: count the synapses of every source in every chunk.
	err = parallel(ctx, len(chunks), threads, func(_, i int) {
		c := &chunks[i]
		b := c.b
		c.off = make([]int64, b.srcCount)
		var src rng.SplitMix
		for j := c.t0; j < c.t1; j++ {
			g := rank + (b.held+j)*ranks
			rng.SeedSplitMix(&src, b.key, 1+2*uint64(g))
			for k := int32(0); k < b.deg[j]; k++ {
				c.off[rng.IntN(&src, uint32(b.srcCount))]++
			}
		}
	})
	if err != nil {
		return nil, err
	}
	// Source offsets, then each chunk's write position per source: sources
	// keep their synapses in block order, then target order, then draw
	// order.
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
	net.TargetBits = engine.TargetBitsFor(held)
	// The longest delay allowed is that of the whole network, so that
	// every part accepts or refuses the same delays.
	maxDelay := (&engine.Network{TargetBits: engine.TargetBitsFor(N)}).MaxDelay()
	useHalf := halfFits(blocks)
	for _, b := range blocks {
		var err error
		if b.delays, err = newDelayTable(b.dMean, b.dSD, h, maxDelay); err != nil {
			return nil, err
		}
		if useHalf {
			b.weights = newWeightTable(b.wMean, b.wSD)
		}
	}
	// The synapse arrays take seconds to allocate at full scale (the
	// runtime zeroes them, page by page) and cannot be interrupted; wait
	// for them only as long as ctx is not cancelled.
	allocated := make(chan struct{})
	go func() {
		net.Syn = make([]uint32, total)
		if useHalf {
			net.Weight16 = make([]uint16, total)
		} else {
			net.Weight32 = make([]float32, total)
		}
		close(allocated)
	}()
	select {
	case <-allocated:
	case <-ctx.Done():
		return nil, ctx.Err()
	}

	// Pass 2: draw every synapse of the chunks; sort a chunk's synapses by
	// source locally so that a source's synapses are written as one
	// contiguous run.
	type scratch struct {
		src []int32
		pos []int32
		syn []uint32
		w16 []uint16
		w32 []float32
	}
	scr := make([]scratch, threads)
	err = parallel(ctx, len(chunks), threads, func(worker, i int) {
		c := &chunks[i]
		b := c.b
		sc := &scr[worker]
		sc.src = grow(sc.src, c.n)
		sc.syn = grow(sc.syn, c.n)
		sc.pos = grow(sc.pos, b.srcCount+1)
		clear(sc.pos)
		if useHalf {
			sc.w16 = grow(sc.w16, c.n)
		} else {
			sc.w32 = grow(sc.w32, c.n)
		}
		var srcRNG, wdRNG rng.SplitMix
		at := 0
		for j := c.t0; j < c.t1; j++ {
			g := rank + (b.held+j)*ranks
			rng.SeedSplitMix(&srcRNG, b.key, 1+2*uint64(g))
			for k := int32(0); k < b.deg[j]; k++ {
				s := int32(rng.IntN(&srcRNG, uint32(b.srcCount)))
				sc.src[at+int(k)] = s
				sc.pos[s+1]++
			}
			at += int(b.deg[j])
		}
		for s := 1; s <= b.srcCount; s++ {
			sc.pos[s] += sc.pos[s-1]
		}
		exc := b.wMean >= 0
		at = 0
		for j := c.t0; j < c.t1; j++ {
			g := rank + (b.held+j)*ranks
			tgt := uint32(b.held + j)
			rng.SeedSplitMix(&wdRNG, b.key, 2+2*uint64(g))
			for range b.deg[j] {
				var w16 uint16
				var w float64
				if useHalf {
					w16 = b.weights.draw(&wdRNG)
				} else {
					w = drawWeight(&wdRNG, b.wMean, b.wSD, exc)
				}
				d := b.delays.draw(&wdRNG)
				s := sc.src[at]
				at++
				k := sc.pos[s]
				sc.pos[s]++
				sc.syn[k] = net.Pack(tgt, d)
				if useHalf {
					sc.w16[k] = w16
				} else {
					sc.w32[k] = float32(w)
				}
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
	if err != nil {
		return nil, err
	}

	// Background input.
	// Background input: a poisson_generator per population, on from the
	// start, connected with the Poisson delay.
	if nw.BgInput == "poisson" {
		net.BgRate = nw.PoissonRates()
		net.BgWeight = nw.ExtWeight()
		net.BgFirst = device.SpikeInput(0, 0, math.Inf(1), h, device.Steps(nw.PoissonDelay, h)).First
		net.BgSeed = rng.Key(seed, rng.Bg, 0, 0)
	}
	// DC transient: a dc_generator per population from start for the
	// duration, connected with NEST's default delay of 1 ms.
	if st.DCTransient {
		w := device.CurrentInput(0, st.DCStart, st.DCStart+st.DCDuration, h, device.Steps(DCTransientDelay, h))
		for _, amp := range p.DCTransientAmplitudes() {
			net.Pulses = append(net.Pulses, engine.Pulse{Amp: amp, First: w.First, Last: w.Last})
		}
	}
	return net, nil
}

// inDegrees splits the block's synapses among all its targets (a
// multinomial draw with equal probabilities, as conditional binomials from
// the block's sub-stream 0) and returns the shares of the n targets that
// rank of ranks holds, in order.
func inDegrees(ctx context.Context, b *block, rank, ranks, n int) []int32 {
	deg := make([]int32, n)
	bin := distuv.Binomial{Src: rng.Source(b.key, 0)}
	left := b.count
	for t := 0; t < b.tgtCount; t++ {
		if t%4096 == 0 && ctx.Err() != nil {
			return deg // the caller returns ctx's error
		}
		var k int64
		switch {
		case t == b.tgtCount-1:
			k = left
		case left > 0:
			bin.N, bin.P = float64(left), 1/float64(b.tgtCount-t)
			k = int64(bin.Rand())
		}
		left -= k
		if g := b.tgtFirst + t; g%ranks == rank {
			deg[(g-rank)/ranks-b.held] = int32(k)
		}
	}
	return deg
}

// split cuts every block's held targets into chunks of about chunkSynapses
// synapses, in block and target order.
func split(blocks []*block) []chunk {
	var chunks []chunk
	for _, b := range blocks {
		c := chunk{b: b}
		for j, d := range b.deg {
			c.n += int(d)
			if c.n >= chunkSynapses || j == len(b.deg)-1 {
				c.t1 = j + 1
				if c.n > 0 {
					chunks = append(chunks, c)
				}
				c = chunk{b: b, t0: j + 1}
			}
		}
	}
	return chunks
}

// drawWeight draws a normal weight, redrawn until it has the sign of its
// source (>= 0 excitatory, <= 0 inhibitory).
func drawWeight(r *rng.SplitMix, mean, sd float64, exc bool) float64 {
	for {
		w := mean + sd*rng.Normal(r)
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

// parallel calls f(worker, i) for i = 0..n-1 on up to threads goroutines
// numbered 0..threads-1, and stops handing out work when ctx is cancelled
// (returning its error).
func parallel(ctx context.Context, n, threads int, f func(worker, i int)) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	nextI := 0
	for t := 0; t < min(threads, n); t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			for ctx.Err() == nil {
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
	return ctx.Err()
}
