package engine

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/pd14/microcircuit/internal/half"
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

// queue is a list of synaptic events: target neuron and weight (pA). Half
// and single precision weights travel as float32, double as float64.
type queue struct {
	tgt []uint32
	w32 []float32
	w64 []float64
}

// extend makes room for m more events and returns the index of the first.
func (q *queue) extend(m int, double bool) int {
	n := len(q.tgt)
	q.tgt = slices.Grow(q.tgt, m)[:n+m]
	if double {
		q.w64 = slices.Grow(q.w64, m)[:n+m]
	} else {
		q.w32 = slices.Grow(q.w32, m)[:n+m]
	}
	return n
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

// owner returns the worker that owns neuron i.
func (s *Sim) owner(i uint32) int {
	k := int(int64(i) * int64(s.w) / int64(s.n))
	for k > 0 && int(i) < s.lo[k] {
		k--
	}
	for int(i) >= s.lo[k+1] {
		k++
	}
	return k
}

// group sorts every source's synapses by (owner of target, delay), stably,
// and builds the group index. Sources are handled in parallel chunks.
func (s *Sim) group(maxDelay int) {
	net := s.net
	ns := net.NumSources
	nkeys := s.w * (maxDelay + 1)
	type chunk struct {
		delays []uint16
		ends   []int64
		counts []int64 // groups per (source, worker), for this chunk's sources
	}
	nch := min(ns, 4*runtime.GOMAXPROCS(0))
	chunks := make([]chunk, nch)
	var wg sync.WaitGroup
	for c := 0; c < nch; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			s0, s1 := c*ns/nch, (c+1)*ns/nch
			ch := &chunks[c]
			ch.counts = make([]int64, (s1-s0)*s.w)
			cnt := make([]int64, nkeys+1)
			var tmpT []uint32
			var tmp16 []uint16
			var tmp32 []float32
			var tmp64 []float64
			var keys []int32
			for src := s0; src < s1; src++ {
				a, b := net.SrcStart[src], net.SrcStart[src+1]
				m := int(b - a)
				if m == 0 {
					continue
				}
				clear(cnt)
				keys = keys[:0]
				for k := a; k < b; k++ {
					t, d := net.Unpack(net.Syn[k])
					key := int32(s.owner(t)*(maxDelay+1) + d)
					keys = append(keys, key)
					cnt[key+1]++
				}
				for k := 1; k <= nkeys; k++ {
					cnt[k] += cnt[k-1]
				}
				// Record the groups before the scatter moves the cursors.
				for key := 0; key < nkeys; key++ {
					if cnt[key+1] > cnt[key] {
						ch.delays = append(ch.delays, uint16(key%(maxDelay+1)))
						ch.ends = append(ch.ends, a+cnt[key+1])
						ch.counts[(src-s0)*s.w+key/(maxDelay+1)]++
					}
				}
				tmpT = append(tmpT[:0], net.Syn[a:b]...)
				switch {
				case s.w16 != nil:
					tmp16 = append(tmp16[:0], s.w16[a:b]...)
				case s.w32 != nil:
					tmp32 = append(tmp32[:0], s.w32[a:b]...)
				default:
					tmp64 = append(tmp64[:0], s.w64[a:b]...)
				}
				mask := uint32(1)<<net.TargetBits - 1
				for j, key := range keys {
					pos := a + cnt[key]
					cnt[key]++
					s.target[pos] = tmpT[j] & mask
					switch {
					case s.w16 != nil:
						s.w16[pos] = tmp16[j]
					case s.w32 != nil:
						s.w32[pos] = tmp32[j]
					default:
						s.w64[pos] = tmp64[j]
					}
				}
			}
		}(c)
	}
	wg.Wait()
	total := 0
	for _, ch := range chunks {
		total += len(ch.ends)
	}
	s.grpDelay = make([]uint16, 0, total)
	s.grpEnd = make([]int64, 0, total)
	s.grpIdx = make([]int64, ns*s.w+1)
	for c, ch := range chunks {
		s.grpDelay = append(s.grpDelay, ch.delays...)
		s.grpEnd = append(s.grpEnd, ch.ends...)
		s0 := c * ns / nch
		for j, k := range ch.counts {
			s.grpIdx[s0*s.w+j+1] = s.grpIdx[s0*s.w+j] + k
		}
	}
}

// maxPackedDelay returns the largest delay of net's synapses.
func maxPackedDelay(net *Network) int {
	nch := runtime.GOMAXPROCS(0)
	maxes := make([]int, nch)
	var wg sync.WaitGroup
	m := len(net.Syn)
	for c := 0; c < nch; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			var mx uint32
			for _, syn := range net.Syn[c*m/nch : (c+1)*m/nch] {
				mx = max(mx, syn)
			}
			maxes[c] = int(mx >> net.TargetBits)
		}(c)
	}
	wg.Wait()
	return slices.Max(maxes)
}

// streamStart returns the initial state of stream i of key.
func streamStart(key, i uint64) uint64 {
	z := key ^ (i * 0xd1b54a32d192ed03)
	z = (z ^ (z >> 33)) * 0xff51afd7ed558ccd
	z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53
	return z ^ (z >> 33)
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
			for _, src := range s.spk[kk][par] {
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

// update advances worker k's neurons through step t.
func (s *Sim) update(k int, t int64, par int64, record bool) {
	s.applyQueue(&s.queues[k][int(t%int64(s.slots))])
	if t%flushEvery == 0 {
		s.flush(k)
	}
	spk := s.spk[k][par][:0]
	bgOn := s.bgRNG != nil && t >= int64(s.net.BgDelay)
	for _, seg := range s.segs[k] {
		i0 := 0.0
		if s.net.PulseAmp != nil && t-1 >= s.net.PulseFirst && t-1 <= s.net.PulseLast {
			i0 = s.net.PulseAmp[seg.pop]
		}
		var bg []uint64
		if bgOn && seg.bg != nil {
			bg = s.bgRNG[seg.lo:seg.hi]
		}
		spk = s.updateSegment(k, seg, i0, bg, s.arrEx[seg.lo:seg.hi], s.arrIn[seg.lo:seg.hi], spk)
	}
	s.spk[k][par] = spk
	s.counts[k].spikes += int64(len(spk))
	if record && s.vEvery > 0 && (t+1)%s.vEvery == 0 {
		el := s.net.Neuron.EL
		for _, i := range s.vIDs[k] {
			s.vSteps[k] = append(s.vSteps[k], int32(t))
			s.vNeur[k] = append(s.vNeur[k], i)
			s.vVals[k] = append(s.vVals[k], s.v[i]+el)
		}
	}
	if record && !s.noSpikes && len(spk) > 0 {
		for _, i := range spk {
			s.recSteps[k] = append(s.recSteps[k], int32(t))
			s.recIDs[k] = append(s.recIDs[k], i)
		}
	}
}

// flush sets currents and potentials of worker k's neurons that decay
// towards zero to zero before they become subnormal (subnormal arithmetic
// is about 100 times slower); at these magnitudes they cannot change V or
// any spike.
func (s *Sim) flush(k int) {
	lo, hi := s.lo[k], s.lo[k+1]
	for _, x := range [][]float64{s.iex[lo:hi], s.iin[lo:hi], s.v[lo:hi]} {
		for i, v := range x {
			if math.Abs(v) < flushBelow {
				x[i] = 0
			}
		}
	}
}

// applyQueue sums the events of q, in order, into the arrival buffers and
// empties q.
func (s *Sim) applyQueue(q *queue) {
	ex, in := s.arrEx, s.arrIn
	if q.w64 != nil {
		w := q.w64[:len(q.tgt)]
		for j, t := range q.tgt {
			if w[j] >= 0 {
				ex[t] += w[j]
			} else {
				in[t] += w[j]
			}
		}
		q.w64 = q.w64[:0]
	} else {
		w := q.w32[:len(q.tgt)]
		for j, t := range q.tgt {
			if w[j] >= 0 {
				ex[t] += float64(w[j])
			} else {
				in[t] += float64(w[j])
			}
		}
		q.w32 = q.w32[:0]
	}
	q.tgt = q.tgt[:0]
}

// kernelConsts are the constants of the neuron update, each replicated for
// the four lanes of the vector kernel.
type kernelConsts [11][4]float64

// updateSegment advances the neurons of seg by one step (SPEC §3) and
// appends those that spike to spk. bg, if not nil, holds the neurons'
// background random streams: their Poisson input joins this step's arrivals.
func (s *Sim) updateSegment(k int, seg segment, i0 float64, bg []uint64, arrEx, arrIn []float64, spk []uint32) []uint32 {
	lo, hi := seg.lo, seg.hi
	if bg != nil {
		pd, bgW := seg.bg, s.net.BgWeight
		arr := arrEx[:len(bg)]
		done := 0
		if haveKernel && !s.scalar && len(bg) >= 4 {
			done = len(bg) &^ 3
			if s.pc[k][5][0] != math.Float64bits(bgW) {
				s.pc[k] = newPoissonConsts(bgW)
			}
			fi, fz := s.fixIdx[k], s.fixZ[k]
			nfix := poissonAVX2(&bg[0], &arr[0], &pd.table32[0], &s.pc[k], &fi[0], &fz[0], done)
			for f := 0; f < nfix; f++ {
				arr[fi[f]] += bgW * float64(pd.finish(fz[f]))
			}
		}
		for j := done; j < len(bg); j++ {
			// Without a branch: adding +0 leaves the (never negative
			// zero) arrival sum as it is.
			arr[j] += bgW * float64(pd.draw(&bg[j]))
		}
	}
	n4 := 0
	if haveKernel && !s.scalar {
		n4 = (hi - lo) &^ 3
	}
	if n4 > 0 {
		c := s.consts(k, i0)
		mask := s.mask[k][:n4/4]
		updateAVX2(&s.v[lo], &s.iex[lo], &s.iin[lo], &s.ie[lo], &arrEx[0], &arrIn[0], &s.refr[lo], &mask[0], n4, c)
		for b, m := range mask {
			for m != 0 {
				bit := bits.TrailingZeros8(m)
				spk = append(spk, uint32(lo+4*b+bit))
				m &= m - 1
			}
		}
	}
	return s.updateScalar(lo+n4, hi, i0, arrEx[n4:], arrIn[n4:], spk)
}

// consts returns worker k's kernel constants for a step with current i0.
func (s *Sim) consts(k int, i0 float64) *kernelConsts {
	p := s.prop
	vals := [11]float64{p.P22, p.P21ex, p.P21in, p.P20, p.P11ex, p.P11in, s.theta, s.vReset, s.refSteps, 1, i0}
	for i, v := range vals {
		s.kc[k][i] = [4]float64{v, v, v, v}
	}
	return &s.kc[k]
}

// updateScalar advances neurons lo..hi-1 by one step, one at a time.
func (s *Sim) updateScalar(lo, hi int, i0 float64, arrEx, arrIn []float64, spk []uint32) []uint32 {
	if lo >= hi {
		return spk
	}
	p := s.prop
	v, iex, iin := s.v[lo:hi], s.iex[lo:hi], s.iin[lo:hi]
	ie, refr := s.ie[lo:hi], s.refr[lo:hi]
	m := len(v)
	_, _, _, _, _, _ = iex[m-1], iin[m-1], ie[m-1], refr[m-1], arrEx[m-1], arrIn[m-1]
	theta, vReset, refSteps := s.theta, s.vReset, s.refSteps
	for j := 0; j < m; j++ {
		vj := v[j]
		if refr[j] == 0 {
			// Left to right, each product rounded (no fused multiply-add).
			vj = float64(float64(float64(vj*p.P22)+float64(iex[j]*p.P21ex))+float64(iin[j]*p.P21in)) +
				float64((ie[j]+i0)*p.P20)
		} else {
			refr[j]--
		}
		iex[j] = float64(iex[j]*p.P11ex) + arrEx[j]
		iin[j] = float64(iin[j]*p.P11in) + arrIn[j]
		arrEx[j], arrIn[j] = 0, 0
		if vj >= theta {
			refr[j] = refSteps
			vj = vReset
			spk = append(spk, uint32(lo+j))
		}
		v[j] = vj
	}
	return spk
}

// emitExternal draws the spikes of the external sources for step t.
func (s *Sim) emitExternal(t int64, par int64) {
	e := s.ext[par][:0]
	if s.extRNG != nil && t >= s.net.ExtFirst && t <= s.net.ExtLast {
		for j := range s.extRNG {
			if c := s.extPD.draw(&s.extRNG[j]); c > 0 {
				e = append(e, extSpike{src: uint32(s.n + j), mult: float64(c)})
			}
		}
	}
	s.ext[par] = e
}

// deliver queues the events of the spike of src, emitted in step t (with
// multiplicity mult), for worker k's targets: the events of each delay
// group join the queue of the step they arrive in.
func (s *Sim) deliver(src uint32, k int, t int64, mult float64) {
	gi := int64(src)*int64(s.w) + int64(k)
	g0, g1 := s.grpIdx[gi], s.grpIdx[gi+1]
	if g0 == g1 {
		return
	}
	start := int64(0)
	if g0 > 0 {
		start = s.grpEnd[g0-1]
	}
	base := int(t % int64(s.slots))
	queues := s.queues[k]
	for g := g0; g < g1; g++ {
		end := s.grpEnd[g]
		slot := base + int(s.grpDelay[g])
		if slot >= s.slots {
			slot -= s.slots
		}
		q := &queues[slot]
		tg := s.target[start:end]
		s.counts[k].events += int64(len(tg))
		at := q.extend(len(tg), s.w64 != nil)
		if s.w16 != nil && mult == 1 && haveKernel && !s.scalar && len(tg) >= 8 {
			n8 := len(tg) &^ 7
			copyEvents(&q.tgt[at], &q.w32[at], &tg[0], &s.w16[start], n8)
			copy(q.tgt[at+n8:], tg[n8:])
			for j, h := range s.w16[start+int64(n8) : end] {
				q.w32[at+n8+j] = half.ToFloat32(h)
			}
			start = end
			continue
		}
		copy(q.tgt[at:], tg)
		switch {
		case s.w16 != nil:
			dst := q.w32[at : at+len(tg)]
			src := s.w16[start:end]
			src = src[:len(dst)]
			if mult == 1 {
				for j, h := range src {
					dst[j] = half.ToFloat32(h)
				}
			} else {
				for j, h := range src {
					dst[j] = float32(float64(half.ToFloat32(h)) * mult)
				}
			}
		case s.w32 != nil:
			dst := q.w32[at : at+len(tg)]
			src := s.w32[start:end]
			src = src[:len(dst)]
			for j, w := range src {
				dst[j] = float32(float64(w) * mult)
			}
		default:
			dst := q.w64[at : at+len(tg)]
			src := s.w64[start:end]
			src = src[:len(dst)]
			for j, w := range src {
				dst[j] = w * mult
			}
		}
		start = end
	}
}

// Spikes returns the recorded spikes ordered by step, then neuron: step[i]
// is the step in which neuron id[i] (0-based) fired; its NEST time stamp is
// (step+1)·resolution.
func (s *Sim) Spikes() (step []int32, id []uint32) {
	total := 0
	for _, r := range s.recSteps {
		total += len(r)
	}
	step = make([]int32, 0, total)
	id = make([]uint32, 0, total)
	// Merge the workers' lists, which are each ordered by step; neurons of
	// lower workers have lower ids.
	pos := make([]int, s.w)
	for len(step) < total {
		best := -1
		for k := 0; k < s.w; k++ {
			if pos[k] < len(s.recSteps[k]) && (best < 0 || s.recSteps[k][pos[k]] < s.recSteps[best][pos[best]]) {
				best = k
			}
		}
		st := s.recSteps[best][pos[best]]
		for pos[best] < len(s.recSteps[best]) && s.recSteps[best][pos[best]] == st {
			step = append(step, st)
			id = append(id, s.recIDs[best][pos[best]])
			pos[best]++
		}
	}
	return step, id
}

// ClearSpikes drops the recorded spikes and membrane potentials.
func (s *Sim) ClearSpikes() {
	for k := range s.recSteps {
		s.recSteps[k] = s.recSteps[k][:0]
		s.recIDs[k] = s.recIDs[k][:0]
		s.vSteps[k] = s.vSteps[k][:0]
		s.vNeur[k] = s.vNeur[k][:0]
		s.vVals[k] = s.vVals[k][:0]
	}
}

// RecordSpikes sets whether recording runs keep spikes (the default).
func (s *Sim) RecordSpikes(on bool) { s.noSpikes = !on }

// RecordVoltage makes recording runs sample the membrane potential of the
// neurons ids (0-based) after every step whose end is a multiple of every
// steps, as NEST's voltmeter does; every = 0 turns it off.
func (s *Sim) RecordVoltage(ids []int, every int64) error {
	if every < 0 {
		return fmt.Errorf("voltage interval %d steps: must be >= 0", every)
	}
	s.vEvery = every
	for k := range s.vIDs {
		s.vIDs[k] = s.vIDs[k][:0]
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	for _, i := range slices.Compact(sorted) {
		if i < 0 || i >= s.n {
			return fmt.Errorf("voltage recording: neuron %d outside 0..%d", i, s.n-1)
		}
		k := s.owner(uint32(i))
		s.vIDs[k] = append(s.vIDs[k], uint32(i))
	}
	return nil
}

// Voltages returns the recorded membrane potentials ordered by step, then
// neuron: neuron id[i] (0-based) had v[i] mV at the end of step step[i]
// (NEST time stamp (step+1)·resolution).
func (s *Sim) Voltages() (step []int32, id []uint32, v []float64) {
	for k := range s.vSteps {
		step = append(step, s.vSteps[k]...)
		id = append(id, s.vNeur[k]...)
		v = append(v, s.vVals[k]...)
	}
	// Workers hold contiguous neuron ranges: order by step, then id.
	idx := make([]int, len(step))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if step[a] != step[b] {
			return int(step[a]) - int(step[b])
		}
		return int(id[a]) - int(id[b])
	})
	st2, id2, v2 := make([]int32, len(idx)), make([]uint32, len(idx)), make([]float64, len(idx))
	for j, i := range idx {
		st2[j], id2[j], v2[j] = step[i], id[i], v[i]
	}
	return st2, id2, v2
}

// V returns the membrane potential (mV) of neuron i.
func (s *Sim) V(i int) float64 { return s.v[i] + s.net.Neuron.EL }

// String describes the simulation's size.
func (s *Sim) String() string {
	return fmt.Sprintf("%d neurons, %d synapses, %d workers, %d delay slots",
		s.n, len(s.target), s.w, s.slots)
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
