package engine

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// Sim is a network being simulated. Create it with New, advance it with Run.
type Sim struct {
	net  *Network
	n    int // neurons
	w    int // workers
	prop Propagators

	theta, vReset float64 // relative to E_L
	refSteps      float64

	v, iex, iin, ie []float64
	refr            []float64 // refractory steps left (whole numbers)

	slots int // queue ring length in steps (max delay + 1)
	// queues[k][t % slots] holds the synaptic events that reach worker k's
	// neurons in step t, in delivery order.
	queues [][]queue
	// arrEx and arrIn sum the input arriving at each neuron in the current
	// step, per channel.
	arrEx, arrIn []float64

	target []uint32
	w16    []uint16
	w32    []float32
	w64    []float64
	// Synapses grouped by (source, worker, delay): the groups of source s
	// for worker k are grpIdx[s*w+k] .. grpIdx[s*w+k+1]-1; group g holds
	// synapses grpEnd[g-1] .. grpEnd[g]-1, all with delay grpDelay[g].
	grpIdx   []int64
	grpDelay []uint16
	grpEnd   []int64

	lo   []int       // worker k owns neurons lo[k] .. lo[k+1]-1
	segs [][]segment // per worker: its neurons split by population

	spk [][2][]uint32 // per worker, per step parity: neurons that spiked
	ext [2][]extSpike // external source spikes per step parity

	bgRNG  []uint64 // per neuron: background stream state
	extRNG []uint64 // per external source: stream state
	extPD  *poisson

	step int64 // steps simulated so far

	recSteps [][]int32  // per worker: recorded spike steps
	recIDs   [][]uint32 // per worker: recorded spike neurons

	// Membrane potential recording: worker k samples the neurons vIDs[k]
	// after every step t with (t+1) % vEvery == 0.
	vIDs     [][]uint32
	vEvery   int64
	vSteps   [][]int32
	vNeur    [][]uint32
	vVals    [][]float64
	noSpikes bool // recording runs keep no spikes

	// counts[k] are worker k's counters, padded against false sharing.
	counts []counters

	stop atomic.Bool
	bar  barrier

	// packed: each synapse is one 32-bit word, target and weight magnitude,
	// with the sign in its group's delay (see pack); events travel as these
	// words (queue.ex, queue.in).
	packed bool
	scalar bool            // use the scalar kernels only
	kc     []kernelConsts  // per worker: the vector kernel's constants
	mask   [][]uint8       // per worker: spike bits of the vector kernel
	pc     []poissonConsts // per worker: the vector Poisson kernel's constants
	fixIdx [][]int32       // per worker: neurons whose Poisson count needs a search
	fixZ   [][]uint64      // per worker: their random numbers
}

type segment struct {
	lo, hi int      // neurons
	pop    int      // population
	bg     *poisson // Poisson background counts, nil for none
}

type counters struct {
	spikes, events int64
	_              [48]byte
}

type extSpike struct {
	src  uint32
	mult float64
}

// New prepares net for simulation with the given number of worker
// goroutines (0 = GOMAXPROCS). New takes ownership of net's synapse arrays:
// it reorders each source's synapses by worker and delay, keeping the order
// of synapses with the same target and delay, unpacks the targets in place
// and clears net's synapse and weight arrays. The spikes do not depend on
// the number of workers.
func New(net *Network, workers int) (*Sim, error) {
	if err := net.Check(); err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	n := net.N()
	if workers > n {
		workers = n
	}
	s := &Sim{
		net: net, n: n, w: workers,
		prop:     NewPropagators(net.Neuron, net.Resolution),
		theta:    net.Neuron.VTh - net.Neuron.EL,
		vReset:   net.Neuron.VReset - net.Neuron.EL,
		refSteps: math.Round(net.Neuron.TRef / net.Resolution),
		v:        make([]float64, n),
		iex:      make([]float64, n),
		iin:      make([]float64, n),
		ie:       net.Ie,
		refr:     make([]float64, n),
		target:   net.Syn,
		w16:      net.Weight16,
		w32:      net.Weight32,
		w64:      net.Weight64,
	}
	for i, v0 := range net.V0 {
		s.v[i] = v0 - net.Neuron.EL
	}
	s.lo = make([]int, workers+1)
	for k := 0; k <= workers; k++ {
		s.lo[k] = int(int64(k) * int64(n) / int64(workers))
	}
	maxDelay := max(1, maxPackedDelay(net))
	if net.BgRate != nil {
		maxDelay = max(maxDelay, net.BgDelay)
	}
	s.slots = maxDelay + 1
	s.arrEx = make([]float64, n)
	s.arrIn = make([]float64, n)
	s.queues = make([][]queue, workers)
	for k := range s.queues {
		s.queues[k] = make([]queue, s.slots)
	}
	s.group(maxDelay)
	if s.packable(maxDelay) {
		s.pack()
		s.arrEx = make([]float64, packedNeurons)
		s.arrIn = make([]float64, packedNeurons)
	}
	// The synapse array now holds plain targets: the network is spent.
	net.Syn, net.Weight16, net.Weight32, net.Weight64 = nil, nil, nil, nil

	s.kc = make([]kernelConsts, workers)
	s.mask = make([][]uint8, workers)
	s.pc = make([]poissonConsts, workers)
	s.fixIdx = make([][]int32, workers)
	s.fixZ = make([][]uint64, workers)
	for k := range s.mask {
		m := s.lo[k+1] - s.lo[k]
		s.mask[k] = make([]uint8, m/4+1)
		if net.BgRate != nil {
			s.fixIdx[k] = make([]int32, m+4)
			s.fixZ[k] = make([]uint64, m+4)
		}
	}
	s.segs = make([][]segment, workers)
	h := net.Resolution
	for k := 0; k < workers; k++ {
		for p := range net.PopNames {
			lo, hi := max(s.lo[k], net.PopStart[p]), min(s.lo[k+1], net.PopStart[p+1])
			if lo >= hi {
				continue
			}
			seg := segment{lo: lo, hi: hi, pop: p}
			if net.BgRate != nil && net.BgRate[p] > 0 {
				seg.bg = newPoisson(net.BgRate[p] * h * 1e-3)
			}
			s.segs[k] = append(s.segs[k], seg)
		}
	}
	if net.BgRate != nil {
		s.bgRNG = make([]uint64, n)
		for i := range s.bgRNG {
			s.bgRNG[i] = streamStart(net.BgSeed, uint64(i))
		}
	}
	if nExt := net.NumSources - n; nExt > 0 && net.ExtRate > 0 {
		s.extRNG = make([]uint64, nExt)
		for i := range s.extRNG {
			s.extRNG[i] = streamStart(net.ExtSeed, uint64(i))
		}
		s.extPD = newPoisson(net.ExtRate * h * 1e-3)
	}
	s.spk = make([][2][]uint32, workers)
	s.recSteps = make([][]int32, workers)
	s.recIDs = make([][]uint32, workers)
	s.counts = make([]counters, workers)
	s.vIDs = make([][]uint32, workers)
	s.vSteps = make([][]int32, workers)
	s.vNeur = make([][]uint32, workers)
	s.vVals = make([][]float64, workers)
	s.bar.n = int32(workers)
	return s, nil
}

// Counts returns the number of spikes the neurons emitted and of synaptic
// events delivered to neurons (one per synapse of a spiking source,
// external sources included) since the start.
func (s *Sim) Counts() (spikes, events int64) {
	for _, c := range s.counts {
		spikes += c.spikes
		events += c.events
	}
	return spikes, events
}

// Step returns the number of steps simulated so far.
func (s *Sim) Step() int64 { return s.step }

// Workers returns the number of worker goroutines.
func (s *Sim) Workers() int { return s.w }

// Run advances the simulation by steps steps. When record is true, the
// spikes emitted in these steps are kept (see Spikes). progress, if not
// nil, is called now and then from a worker with the steps done so far in
// this call; it must be quick. When ctx is cancelled, Run stops at a step
// boundary and returns ctx's error; the state stays consistent.
func (s *Sim) Run(ctx context.Context, steps int64, record bool, progress func(done int64)) error {
	if steps <= 0 {
		return nil
	}
	s.stop.Store(false)
	t0 := s.step
	var wg sync.WaitGroup
	done := make([]int64, s.w)
	for k := 0; k < s.w; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			done[k] = s.work(ctx, k, t0, t0+steps, record, progress)
		}(k)
	}
	wg.Wait()
	s.step = done[0]
	if s.step < t0+steps {
		return ctx.Err()
	}
	return nil
}

const checkEvery = 128

// flushBelow is the magnitude (pA or mV) below which currents and membrane
// potentials are set to zero: far below any effect on a spike, far above
// the subnormal range.
const flushBelow = 1e-200

// flushEvery is the period (steps) of the flush: short enough that a value
// just above flushBelow cannot decay into the subnormal range (below 1e-308)
// in between for time constants above a quarter of a step; with shorter
// ones the simulation is only slower, not different.
const flushEvery = 64

// work runs worker k from step t0 to t1 and returns the step it stopped at.
func (s *Sim) work(ctx context.Context, k int, t0, t1 int64, record bool, progress func(int64)) int64 {
	for t := t0; t < t1; t++ {
		par := t & 1
		check := (t-t0)%checkEvery == 0
		if k == 0 && check {
			if ctx.Err() != nil {
				s.stop.Store(true)
			}
			if progress != nil {
				progress(t - t0)
			}
		}
		s.update(k, t, par, record)
		if k == 0 {
			s.emitExternal(t, par)
		}
		if s.w > 1 {
			s.bar.wait()
		}
		for kk := 0; kk < s.w; kk++ {
			spk := s.spk[kk][par]
			for i, src := range spk {
				if haveKernel {
					s.prefetchAhead(spk, i, k)
				}
				s.deliver(src, k, t, 1)
			}
		}
		for _, e := range s.ext[par] {
			s.deliver(e.src, k, t, e.mult)
		}
		if check && s.stop.Load() {
			return t + 1
		}
	}
	if k == 0 && progress != nil {
		progress(t1 - t0)
	}
	return t1
}

// barrier is a reusable spinning barrier for a fixed number of goroutines.
type barrier struct {
	n     int32
	count atomic.Int32
	gen   atomic.Uint32
}

func (b *barrier) wait() {
	g := b.gen.Load()
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		b.gen.Add(1)
		return
	}
	// Spin while there are cores for every worker; yield otherwise or
	// after a long wait.
	spin := 4096
	if b.n > int32(runtime.GOMAXPROCS(0)) {
		spin = 0
	}
	for i := 0; b.gen.Load() == g; i++ {
		if i >= spin {
			runtime.Gosched()
		}
	}
}
