package engine

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// neurons is the state of the neurons a Sim holds, the constants of their
// update, and the input that arrives at them in the current step. Indices
// are those within the Sim.
type neurons struct {
	prop          Propagators
	theta, vReset float64 // relative to E_L
	refSteps      int32   // refractory period in steps

	v, iex, iin []float64 // membrane potential (relative to E_L), currents
	ie          []float64 // constant input current
	// until is the last step of each neuron's refractory period, modulo
	// 2^32: neuron j is refractory in step t if int32(until[j]-t) >= 0.
	// Written only when a neuron spikes (and by the flush, for neurons
	// silent for 2^30 steps), it costs the update 4 bytes read per neuron.
	until []int32

	// arrEx and arrIn sum the input arriving at each neuron in the current
	// step, per channel; with fixed-point sums (synapses.fixed) fixEx and
	// fixIn do instead, in units of synapses.unit.
	arrEx, arrIn []float64
	fixEx, fixIn []int32
	// fixBlocks are two blocks of excitatory and inhibitory fixed-point
	// sums, packedNeurons each, one after the other: fixEx and fixIn are
	// the first; two-step passes take both (see twostep.go).
	fixBlocks [2][]int32
}

func newNeurons(net *Network) neurons {
	n := net.N()
	nr := neurons{
		prop:     NewPropagators(net.Neuron, net.Resolution),
		theta:    net.Neuron.VTh - net.Neuron.EL,
		vReset:   net.Neuron.VReset - net.Neuron.EL,
		refSteps: int32(math.Round(net.Neuron.TRef / net.Resolution)),
		v:        make([]float64, n),
		iex:      make([]float64, n),
		iin:      make([]float64, n),
		ie:       net.Ie,
		until:    make([]int32, n),
		arrEx:    make([]float64, n),
		arrIn:    make([]float64, n),
	}
	for i, v0 := range net.V0 {
		nr.v[i] = v0 - net.Neuron.EL
		nr.until[i] = -1 // not refractory from step 0
	}
	return nr
}

// inputs are the random streams of the inputs that are not synapses: the
// Poisson background of every neuron held and the external sources, whose
// spikes every rank draws alike.
type inputs struct {
	bgRNG  []uint64 // per neuron held: background stream state
	extRNG []uint64 // per external source: stream state
	extPD  *poisson
	ext    [2][]extSpike // external source spikes per step parity
	// ext2[b] are the external spikes of the two steps of the two-step
	// passes of parity b (see work2).
	ext2 [2][2][]extSpike
	next int // the first of the given external spikes not yet emitted
}

type extSpike struct {
	src  uint32
	mult float64
}

func newInputs(net *Network) inputs {
	var in inputs
	if net.BgRate != nil {
		in.bgRNG = make([]uint64, net.N())
		for i := range in.bgRNG {
			in.bgRNG[i] = streamStart(net.BgSeed, uint64(net.Global(i)))
		}
	}
	if nExt := net.NumSources - net.Total(); nExt > 0 && net.ExtRate > 0 {
		in.extRNG = make([]uint64, nExt)
		for i := range in.extRNG {
			in.extRNG[i] = streamStart(net.ExtSeed, uint64(i))
		}
		in.extPD = newPoisson(net.ExtRate * net.Resolution * 1e-3)
	}
	return in
}

// update advances worker k's neurons through step t.
func (s *Sim) update(k int, t int64, par int64, record bool) {
	wk := &s.wk[k]
	s.applyQueue(&wk.queues[int(t%int64(s.syn.slots))])
	if t%flushEvery == 0 {
		s.flush(wk, t)
	}
	spk := wk.spk[par][:0]
	bgOn := s.inp.bgRNG != nil && t >= s.net.BgFirst
	for _, seg := range wk.segs {
		i0 := 0.0
		if s.net.Pulses != nil {
			if p := s.net.Pulses[seg.pop]; t >= p.First && t <= p.Last {
				i0 = p.Amp
			}
		}
		var bg []uint64
		if bgOn && seg.bg != nil {
			bg = s.inp.bgRNG[seg.lo:seg.hi]
		}
		if s.syn.fixed {
			spk = s.updateSegmentFixed(wk, seg, t, i0, bg, spk)
		} else {
			spk = s.updateSegment(wk, seg, t, i0, bg, s.nrn.arrEx[seg.lo:seg.hi], s.nrn.arrIn[seg.lo:seg.hi], spk)
		}
	}
	wk.spk[par] = spk
	wk.spikes += int64(len(spk))
	if record {
		s.record(wk, t, spk)
	}
}

// flush sets currents and potentials of wk's neurons that decay towards
// zero to zero before they become subnormal (subnormal arithmetic is about
// 100 times slower); at these magnitudes they cannot change V or any spike.
// It also moves the refractory ends that lie 2^30 steps or more before step
// t to t-1, so that they never come round again modulo 2^32.
func (s *Sim) flush(wk *worker, t int64) {
	s.flushState(wk.lo, wk.hi)
	s.flushUntil(wk.lo, wk.hi, t)
}

// flushState is flush's part for the potentials and currents of neurons
// lo..hi-1.
func (s *Sim) flushState(lo, hi int) {
	nr := &s.nrn
	v, iex, iin := nr.v[lo:hi], nr.iex[lo:hi], nr.iin[lo:hi]
	iex, iin = iex[:len(v)], iin[:len(v)]
	for j := range v {
		if flushable(v[j]) {
			v[j] = 0
		}
		if flushable(iex[j]) {
			iex[j] = 0
		}
		if flushable(iin[j]) {
			iin[j] = 0
		}
	}
}

// flushable tells whether the flush sets x to zero.
func flushable(x float64) bool { return math.Abs(x) < flushBelow }

// flushUntil is flush's part for the refractory ends of neurons lo..hi-1
// in step t.
func (s *Sim) flushUntil(lo, hi int, t int64) {
	now := int32(uint32(t))
	until := s.nrn.until[lo:hi]
	for j := range until {
		if until[j]-now < -1<<30 {
			until[j] = now - 1
		}
	}
}

// updateSegment advances the neurons of seg by one step (SPEC §3) and
// appends those that spike to spk. bg, if not nil, holds the neurons'
// background random streams: their Poisson input joins this step's arrivals.
func (s *Sim) updateSegment(wk *worker, seg segment, t int64, i0 float64, bg []uint64, arrEx, arrIn []float64, spk []uint32) []uint32 {
	lo, hi := seg.lo, seg.hi
	scr := &wk.scr
	lanes := s.kernel.lanes()
	nv := 0
	if lanes > 0 {
		nv = (hi - lo) / lanes * lanes
	}
	// With one shared current, the first nv neurons draw their Poisson
	// counts in the update's own pass.
	fused := bg != nil && lanes > 0 && seg.ieShared && nv > 0
	if bg != nil {
		from := 0
		if fused {
			from = nv
		}
		s.drawPoisson(seg.bg, bg[from:], arrEx[from:len(bg)], t)
	}
	if nv > 0 {
		nr := &s.nrn
		ie, c, mask := s.kernelArgs(scr, seg, t, i0, nv, lanes)
		switch {
		case fused && lanes == 8:
			updatePoissonAVX512(&nr.v[lo], &nr.iex[lo], &nr.iin[lo], &arrEx[0], &arrIn[0], &nr.until[lo], &mask[0], nv, c,
				&bg[0], &seg.bg.table32[0], &seg.bg.cdf[0])
		case fused:
			updatePoissonAVX2(&nr.v[lo], &nr.iex[lo], &nr.iin[lo], &arrEx[0], &arrIn[0], &nr.until[lo], &mask[0], nv, c,
				&bg[0], &seg.bg.table32[0], &seg.bg.cdf[0])
		case lanes == 8:
			updateAVX512(&nr.v[lo], &nr.iex[lo], &nr.iin[lo], ie, &arrEx[0], &arrIn[0], &nr.until[lo], &mask[0], nv, c)
		default:
			updateAVX2(&nr.v[lo], &nr.iex[lo], &nr.iin[lo], ie, &arrEx[0], &arrIn[0], &nr.until[lo], &mask[0], nv, c)
		}
		spk = s.appendSpiking(spk, mask, lanes, lo)
	}
	return s.updateScalar(lo+nv, hi, t, i0, arrEx[nv:], arrIn[nv:], spk)
}

// kernelArgs returns what the vector kernels take for the first nv
// neurons of seg in step t besides the state: the per-neuron constant
// currents (nil where the segment shares one, which then goes into the
// constants), the constants, and the spike mask for lanes per byte.
func (s *Sim) kernelArgs(scr *scratch, seg segment, t int64, i0 float64, nv, lanes int) (*float64, *kernelConsts, []uint8) {
	ie, cur := &s.nrn.ie[seg.lo], i0
	if seg.ieShared {
		// Rounded as the per-neuron sum ie[j] + i0 is.
		ie, cur = nil, seg.ie+i0
	}
	return ie, s.consts(scr, t, cur), scr.mask[:nv/lanes]
}

// updateSegmentFixed is updateSegment for fixed-point arrival sums: the
// fixed-point vector kernels update the first neurons of seg, a multiple of
// the lanes (all but the last few; none with Poisson background and
// currents per neuron, or with the plain Go update, which only tests
// choose), and the others are updated as updateSegment does, from their
// sums converted to float64 (exactly: the float64 sums are the same
// numbers).
func (s *Sim) updateSegmentFixed(wk *worker, seg segment, t int64, i0 float64, bg []uint64, spk []uint32) []uint32 {
	lo, hi := seg.lo, seg.hi
	scr := &wk.scr
	nr := &s.nrn
	lanes := s.kernel.lanes()
	nv := 0
	if lanes > 0 && (bg == nil || seg.ieShared) {
		nv = (hi - lo) / lanes * lanes
	}
	if nv > 0 {
		ie, c, mask := s.kernelArgs(scr, seg, t, i0, nv, lanes)
		fx, fi := &nr.fixEx[lo], &nr.fixIn[lo]
		switch {
		case bg != nil && lanes == 8:
			updatePoissonFixedAVX512(&nr.v[lo], &nr.iex[lo], &nr.iin[lo], fx, fi, &nr.until[lo], &mask[0], nv, c,
				&bg[0], &seg.bg.table32[0], &seg.bg.cdf[0])
		case bg != nil:
			updatePoissonFixedAVX2(&nr.v[lo], &nr.iex[lo], &nr.iin[lo], fx, fi, &nr.until[lo], &mask[0], nv, c,
				&bg[0], &seg.bg.table32[0], &seg.bg.cdf[0])
		case lanes == 8:
			updateFixedAVX512(&nr.v[lo], &nr.iex[lo], &nr.iin[lo], ie, fx, fi, &nr.until[lo], &mask[0], nv, c)
		default:
			updateFixedAVX2(&nr.v[lo], &nr.iex[lo], &nr.iin[lo], ie, fx, fi, &nr.until[lo], &mask[0], nv, c)
		}
		spk = s.appendSpiking(spk, mask, lanes, lo)
	}
	if lo+nv == hi {
		return spk
	}
	rest := seg
	rest.lo = lo + nv
	m := hi - rest.lo
	ex, in := scr.ex[:m], scr.in[:m]
	fx, fi := nr.fixEx[rest.lo:hi], nr.fixIn[rest.lo:hi]
	for j := range ex {
		ex[j], in[j] = float64(fx[j])*s.syn.unit, float64(fi[j])*s.syn.unit
		fx[j], fi[j] = 0, 0
	}
	if bg != nil {
		bg = bg[nv:]
	}
	return s.updateSegment(wk, rest, t, i0, bg, ex, in, spk)
}

// appendSpiking appends to spk the neurons (indices in the whole network)
// whose bits a vector kernel set in mask: bit j of mask[b] is neuron
// lo + lanes·b + j. Spikes are rare, so the mask is read eight bytes at a
// time and empty words are skipped.
func (s *Sim) appendSpiking(spk []uint32, mask []uint8, lanes, lo int) []uint32 {
	n := len(mask) &^ 7
	for w := 0; w < n; w += 8 {
		for x := binary.LittleEndian.Uint64(mask[w:]); x != 0; x &= x - 1 {
			bit := bits.TrailingZeros64(x)
			spk = append(spk, uint32(s.global(lo+lanes*(w+bit>>3)+bit&7)))
		}
	}
	for b := n; b < len(mask); b++ {
		for m := mask[b]; m != 0; m &= m - 1 {
			spk = append(spk, uint32(s.global(lo+lanes*b+bits.TrailingZeros8(m))))
		}
	}
	return spk
}

// drawPoisson adds to arr[j] the background weight times the Poisson count
// of pd for step t drawn from stream bg[j], for every j: the neurons the
// vector kernels leave (a segment's last few, or a segment without one
// shared current).
func (s *Sim) drawPoisson(pd *poisson, bg []uint64, arr []float64, t int64) {
	bgW := s.net.BgWeight
	for j := range bg {
		// Without a branch: adding +0 leaves the (never negative zero)
		// arrival sum as it is.
		arr[j] += bgW * float64(pd.draw(&bg[j], t, s.net.BgFirst))
	}
}

// updateScalar advances neurons lo..hi-1 through step t, one at a time,
// and appends those that spike (as indices in the whole network) to spk.
func (s *Sim) updateScalar(lo, hi int, t int64, i0 float64, arrEx, arrIn []float64, spk []uint32) []uint32 {
	if lo >= hi {
		return spk
	}
	nr := &s.nrn
	p := nr.prop
	v, iex, iin := nr.v[lo:hi], nr.iex[lo:hi], nr.iin[lo:hi]
	ie, until := nr.ie[lo:hi], nr.until[lo:hi]
	m := len(v)
	_, _, _, _, _, _ = iex[m-1], iin[m-1], ie[m-1], until[m-1], arrEx[m-1], arrIn[m-1]
	theta, vReset := nr.theta, nr.vReset
	now := int32(uint32(t))
	end := now + nr.refSteps
	for j := 0; j < m; j++ {
		vj := v[j]
		if until[j]-now < 0 {
			vj = p.membrane(vj, iex[j], iin[j], float64((ie[j]+i0)*p.P20))
		}
		iex[j] = float64(iex[j]*p.P11ex) + arrEx[j]
		iin[j] = float64(iin[j]*p.P11in) + arrIn[j]
		arrEx[j], arrIn[j] = 0, 0
		if vj >= theta {
			until[j] = end
			vj = vReset
			spk = append(spk, uint32(s.global(lo+j)))
		}
		v[j] = vj
	}
	return spk
}

// emitExternal draws (or, when given, takes) the spikes of the external
// sources for step t.
func (s *Sim) emitExternal(t int64, par int64) {
	s.inp.ext[par] = s.externalSpikes(t, s.inp.ext[par][:0])
}

// externalSpikes appends the spikes of the external sources in step t to e.
func (s *Sim) externalSpikes(t int64, e []extSpike) []extSpike {
	in := &s.inp
	if given := s.net.ExtSpikes; given != nil {
		for in.next < len(given) && given[in.next].Step < t {
			in.next++
		}
		for ; in.next < len(given) && given[in.next].Step == t; in.next++ {
			g := given[in.next]
			e = append(e, extSpike{src: uint32(s.total) + uint32(g.Source), mult: float64(g.Mult)})
		}
	} else if in.extRNG != nil && t >= s.net.ExtFirst && t <= s.net.ExtLast {
		for j := range in.extRNG {
			if c := in.extPD.draw(&in.extRNG[j], t, s.net.ExtFirst); c > 0 {
				e = append(e, extSpike{src: uint32(s.total + j), mult: float64(c)})
			}
		}
	}
	return e
}

// streamStart returns the initial state of stream i of key.
func streamStart(key, i uint64) uint64 {
	z := key ^ (i * 0xd1b54a32d192ed03)
	z = (z ^ (z >> 33)) * 0xff51afd7ed558ccd
	z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53
	return z ^ (z >> 33)
}
