package engine

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// Sim is a network being simulated. Create it with New, advance it with Run.
//
// A Sim holds a contiguous range of the network's neurons (all of them in a
// single process; one rank's share under MPI) and every synapse onto them.
// Its state is split by concern: the neurons (update.go), the synapses and
// their delay groups (group.go, deliver.go), the inputs that are not
// synapses (update.go, poisson.go), the per-worker queues, spike lists,
// recordings and kernel scratch (worker), and the exchange of spikes with
// the other ranks (exchange.go).
type Sim struct {
	net   *Network
	n     int // neurons held
	rank  int // neuron i held is neuron rank + i·ranks of the whole
	ranks int
	total int // neurons in the whole network
	w     int // workers

	nrn neurons
	syn synapses
	inp inputs
	wk  []worker
	xch exchange
	vc  voltageConfig

	step    int64 // steps simulated so far
	perPass int   // steps per pass of the last Run (see StepsPerPass)

	stop   atomic.Bool
	bar    barrier
	kernel kernelLevel // the widest kernels used (tests choose narrower ones)
}

// worker is what one worker goroutine owns: a contiguous range of the
// neurons held, the queues of the events that reach them, the spikes they
// emitted in the last two steps, their recordings and kernel scratch.
type worker struct {
	lo, hi int       // neurons lo .. hi-1 (indices within the Sim)
	segs   []segment // the range split by population

	// queues[t % slots] holds the synaptic events that reach this worker's
	// neurons in step t, in delivery order.
	queues []queue
	// spk[t&1] are the neurons (indices in the whole network) that spiked
	// in step t.
	spk [2][]uint32

	rec recording
	scr scratch

	// spk2[b] are the two steps' spike lists of the two-step passes with
	// parity b (see twostep.go).
	spk2 [2][2][]uint32
	// passSpikes are all workers' spikes of a step or pass, in delivery
	// order.
	passSpikes []uint32

	spikes, events int64
	_              [64]byte // keeps neighbouring workers' counters apart
}

// scratch is a worker's working memory of the vector kernels.
type scratch struct {
	kc    kernelConsts // the neuron kernel's constants
	mask  []uint8      // spike bits of the neuron kernel
	mask2 []uint16     // spike bits of the two-step kernel
	// ex, in hold float64 arrival sums converted from fixed point for the
	// neurons no fixed-point kernel updates.
	ex, in []float64
}

type segment struct {
	lo, hi int      // neurons (indices within the Sim)
	pop    int      // population
	bg     *poisson // Poisson background counts, nil for none
	// ieShared tells that every neuron of the segment has the constant
	// current ie: the update then reads no per-neuron array for it.
	ieShared bool
	ie       float64
}

// Options configure a Sim.
type Options struct {
	// Workers is the number of worker goroutines (0 = GOMAXPROCS).
	Workers int
	// Exchanger connects the Sim to the other ranks that simulate the rest
	// of the network; nil for a Sim that holds the whole network.
	Exchanger Exchanger
	// Oversubscribed makes waiting workers sleep instead of spinning, for
	// machines with fewer cores than the workers of all processes on them
	// (several ranks on one machine).
	Oversubscribed bool
}

// New prepares net for simulation. New takes ownership of net's synapse
// arrays: it reorders each source's synapses by worker and delay, keeping
// the order of synapses with the same target and delay, unpacks the targets
// in place and clears net's synapse and weight arrays. The spikes do not
// depend on the number of workers, nor on how the network is split into
// parts among ranks.
func New(net *Network, o Options) (*Sim, error) {
	return NewContext(context.Background(), net, o)
}

// NewContext is New that stops, returning ctx's error, when ctx is
// cancelled while it prepares the synapses (seconds at full scale).
func NewContext(ctx context.Context, net *Network, o Options) (*Sim, error) {
	kernel, err := kernelFromEnv()
	if err != nil {
		return nil, err
	}
	// The weights' facts decide fixed-point sums, which the vector kernels
	// may take.
	facts, err := net.check(kernel >= kernelAVX2 || fixedChoice == fixedAlways)
	if err != nil {
		return nil, err
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	n := net.N()
	if workers > n {
		workers = n
	}
	if o.Exchanger == nil && n != net.Total() {
		return nil, fmt.Errorf("network part of rank %d of %d holds %d of %d neurons: simulating a part needs an exchanger",
			net.Rank, net.Ranks, n, net.Total())
	}
	s := &Sim{
		net: net, n: n, rank: net.Rank, ranks: max(net.Ranks, 1), total: net.Total(), w: workers,
		nrn: newNeurons(net),
		syn: synapses{target: net.Syn, w16: net.Weight16, w32: net.Weight32, w64: net.Weight64},
		xch: exchange{x: o.Exchanger}, kernel: kernel,
	}
	s.wk = make([]worker, workers)
	bounds := workerBounds(n, workers)
	for k := range s.wk {
		s.wk[k].lo, s.wk[k].hi = bounds[k], bounds[k+1]
	}
	s.syn.slots = max(1, facts.maxDelay) + 1
	for k := range s.wk {
		s.wk[k].queues = make([]queue, s.syn.slots)
	}
	if err := s.group(ctx, facts); err != nil {
		return nil, err
	}
	switch {
	case s.syn.fixed:
		// No float64 sums: the update converts the few it needs into its
		// scratch.
		all := make([]int32, 4*packedNeurons)
		s.nrn.fixBlocks = [2][]int32{all[:2*packedNeurons], all[2*packedNeurons:]}
		s.nrn.fixEx, s.nrn.fixIn = all[:packedNeurons], all[packedNeurons:2*packedNeurons]
		s.nrn.arrEx, s.nrn.arrIn = nil, nil
	case s.syn.packed:
		s.nrn.arrEx = make([]float64, packedNeurons)
		s.nrn.arrIn = make([]float64, packedNeurons)
	}
	// The synapse array now holds plain targets: the network is spent.
	net.Syn, net.Weight16, net.Weight32, net.Weight64 = nil, nil, nil, nil

	h := net.Resolution
	for k := range s.wk {
		wk := &s.wk[k]
		m := wk.hi - wk.lo
		wk.scr.mask = make([]uint8, m/4+1)
		wk.scr.mask2 = make([]uint16, m/4+1)
		wk.scr.kc.pois = newPoissonConsts(net.BgWeight)
		wk.scr.kc.twoM32 = 0x1p-32
		wk.scr.kc.low32, wk.scr.kc.one = 0xffffffff, 1
		wk.scr.kc.flushBelow = flushBelow
		wk.scr.kc.unit = [4]float64{s.syn.unit, s.syn.unit, s.syn.unit, s.syn.unit}
		for p := range net.PopNames {
			lo := max(wk.lo, s.firstHeld(net.PopStart[p]))
			hi := min(wk.hi, s.firstHeld(net.PopStart[p+1]))
			if lo >= hi {
				continue
			}
			seg := segment{lo: lo, hi: hi, pop: p, ieShared: true, ie: s.nrn.ie[lo]}
			for _, v := range s.nrn.ie[lo:hi] {
				if math.Float64bits(v) != math.Float64bits(seg.ie) {
					seg.ieShared = false
				}
			}
			if net.BgRate != nil && net.BgRate[p] > 0 {
				seg.bg = newPoisson(net.BgRate[p] * h * 1e-3)
			}
			wk.segs = append(wk.segs, seg)
			if s.syn.fixed && hi-lo > len(wk.scr.ex) {
				wk.scr.ex, wk.scr.in = make([]float64, hi-lo), make([]float64, hi-lo)
			}
		}
	}
	s.inp = newInputs(net)
	s.bar.init(workers, o.Oversubscribed)
	return s, nil
}

// workerBounds returns the first neuron of each of w workers of n neurons,
// and n: equal shares, each boundary moved to the nearest multiple of
// pageNeurons where that changes no share by more than an eighth: at scale
// 0.2, with the boundary inside a page, the first 2,000 neurons of the
// second worker took 1.6 instead of 0.9 ns per update, most likely because
// the first core's hardware prefetchers, which stop at 4 KiB pages, ran into
// lines the other core writes.
func workerBounds(n, w int) []int {
	b := make([]int, w+1)
	for k := range b {
		b[k] = int(int64(k) * int64(n) / int64(w))
	}
	for k := 1; k < w; k++ {
		r := (b[k] + pageNeurons/2) &^ (pageNeurons - 1)
		if d := r - b[k]; max(d, -d) <= n/w/8 && r > b[k-1] && r < b[k+1] {
			b[k] = r
		}
	}
	return b
}

// pageNeurons is the number of neurons whose 4-byte state (refractory ends,
// fixed-point sums) fills a 4 KiB page, and their 8-byte state two.
const pageNeurons = 1024

// Counts returns the number of spikes the neurons held emitted and of
// synaptic events delivered to them (one per synapse of a spiking source,
// external sources included) since the start.
func (s *Sim) Counts() (spikes, events int64) {
	for k := range s.wk {
		spikes += s.wk[k].spikes
		events += s.wk[k].events
	}
	return spikes, events
}

// Step returns the number of steps simulated so far.
func (s *Sim) Step() int64 { return s.step }

// Workers returns the number of worker goroutines.
func (s *Sim) Workers() int { return s.w }

// Held returns the neurons the Sim holds: n neurons, rank, rank+ranks,
// rank+2·ranks, ... of the whole network (0-based).
func (s *Sim) Held() (rank, ranks, n int) { return s.rank, s.ranks, s.n }

// global returns the index in the whole network of neuron i held.
func (s *Sim) global(i int) int { return s.rank + i*s.ranks }

// firstHeld returns the index among the neurons held of the first one whose
// index in the whole network is g or more.
func (s *Sim) firstHeld(g int) int {
	if g <= s.rank {
		return 0
	}
	return (g - s.rank + s.ranks - 1) / s.ranks
}

// Run advances the simulation by steps steps. When record is true, the
// spikes emitted in these steps are kept (see Spikes). progress, if not
// nil, is called now and then from a worker with the steps done so far in
// this call; it must be quick. When ctx is cancelled, Run stops at a step
// boundary and returns ctx's error; the state stays consistent. With an
// exchanger, every rank must call Run with the same steps; a cancellation
// on any rank stops all of them at the same step.
func (s *Sim) Run(ctx context.Context, steps int64, record bool, progress func(done int64)) error {
	if steps <= 0 {
		return nil
	}
	s.stop.Store(false)
	s.xch.start()
	t0 := s.step
	two := steps >= twoStepMinRun && s.twoStep()
	if s.xch.x != nil {
		two = s.agreeTwoStep(two)
	}
	s.perPass = 1
	if two {
		s.perPass = 2
	}
	var wg sync.WaitGroup
	done := make([]int64, s.w)
	for k := 0; k < s.w; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			if two {
				done[k] = s.work2(ctx, k, t0, t0+steps, record, progress)
				return
			}
			done[k] = s.work(ctx, k, t0, t0+steps, record, progress)
		}(k)
	}
	wg.Wait()
	s.step = done[0]
	if s.step < t0+steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		return context.Canceled // another rank was cancelled
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
//
// A step: the worker applies the events arriving now and updates its
// neurons; after a barrier, worker 0 exchanges the step's spikes with the
// other ranks (if any) and, after a second barrier, every worker queues the
// events of all spikes of the step (in the order of the spiking neurons'
// indices, then external sources) that reach its own neurons.
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
		if s.xch.x != nil {
			if k == 0 {
				s.exchangeSpikes(par, check)
			}
			if s.w > 1 {
				s.bar.wait()
			}
			s.deliverList(s.xch.all, k, t)
		} else {
			// In one list, so that the prefetch runs on from one worker's
			// spikes into the next's.
			all := s.wk[k].passSpikes[:0]
			for kk := range s.wk {
				all = append(all, s.wk[kk].spk[par]...)
			}
			s.wk[k].passSpikes = all
			s.deliverList(all, k, t)
		}
		for _, e := range s.inp.ext[par] {
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

// barrier is a reusable barrier for a fixed number of goroutines. Waiting
// goroutines spin while there are cores for all of them, and otherwise
// yield (within this process) or sleep (when other processes need the
// cores).
type barrier struct {
	n     int32
	count atomic.Int32
	gen   atomic.Uint32
	spin  int
	sleep bool // block on cond after spinning
	mu    sync.Mutex
	cond  sync.Cond
}

func (b *barrier) init(n int, oversubscribed bool) {
	b.n = int32(n)
	b.spin = 4096
	if n > runtime.GOMAXPROCS(0) {
		b.spin = 0
	}
	b.sleep = oversubscribed
	b.cond.L = &b.mu
}

func (b *barrier) wait() {
	g := b.gen.Load()
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		if b.sleep {
			b.mu.Lock()
			b.gen.Add(1)
			b.cond.Broadcast()
			b.mu.Unlock()
			return
		}
		b.gen.Add(1)
		return
	}
	if b.sleep {
		for i := 0; i < b.spin; i++ {
			if b.gen.Load() != g {
				return
			}
		}
		b.mu.Lock()
		for b.gen.Load() == g {
			b.cond.Wait()
		}
		b.mu.Unlock()
		return
	}
	for i := 0; b.gen.Load() == g; i++ {
		if i >= b.spin {
			runtime.Gosched()
		}
	}
}
