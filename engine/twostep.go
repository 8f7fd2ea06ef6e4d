package engine

import (
	"context"
	"math/bits"
	"slices"
	"unsafe"
)

// Two steps per pass over the neurons.
//
// A neuron's step is two halves that do not read each other's results:
// the membrane half (V from the last V and currents, refractoriness, the
// spike) and the current half (the currents decay and take the step's
// arrivals). The membrane of step u+1 reads the currents of step u; the
// currents of step u take the arrivals of step u, which hold the events of
// the spikes of step u-1 over the shortest delay, one step. So one pass can
// compute the currents of u, the membrane of u+1, the currents of u+1 and
// the membrane of u+2, once the spikes of u are delivered: between passes
// the currents lag the membrane by one step. The operations and their
// order are those of single steps, so spikes and state are the same bit
// for bit, but the state and arrival sums are read and written once per
// two steps, and the workers meet once per two steps.
//
// Run starts with the membrane half of its first step alone and ends with
// the current half of its last step alone, so that between calls the state
// is that of whole steps. Two-step passes need fixed-point sums (their two
// blocks, one per step of a pass) and a vector kernel; neurons that share
// one constant current (each segment's), on every rank; the ranks exchange
// the spikes of both steps of a pass at once. The membrane potentials to
// record in the first step of a pass are computed before it (membraneAhead).
// Worker 0 draws the external sources' spikes of each step after the pass,
// in step order, as work does after each step. Elsewhere Run takes single
// steps.

// Tests set twoStepChoice to compare single steps with two-step passes.
const (
	twoStepAuto = iota
	twoStepNever
)

var twoStepChoice = twoStepAuto

// twoStepMinRun is the fewest steps a Run takes in two-step passes: its
// lone membrane and current halves run in Go over all neurons, so very
// short Runs (the drop-in's callers may run a few steps at a time) lose
// (15,000 neurons, Runs of 4 steps: +8 %; of 8 to 32: even or faster);
// 64 leaves a margin.
const twoStepMinRun = 64

// twoStepLevel is the narrowest kernel level with two-step kernels.
const twoStepLevel = kernelAVX2

// twoStep tells whether Run takes two steps per pass.
func (s *Sim) twoStep() bool {
	// Under MPI, the second step's neuron ids travel with bit 31 set.
	if twoStepChoice == twoStepNever || !s.syn.fixed || s.kernel < twoStepLevel || s.total >= 1<<31 {
		return false
	}
	for k := range s.wk {
		for _, seg := range s.wk[k].segs {
			if !seg.ieShared {
				return false
			}
		}
	}
	return true
}

// noChain makes the AVX-512 two-step passes gather table entries where
// they would count against thresholds (benchmarks compare the two).
var noChain bool

// sums returns the fixed-point arrival sums of step u in a Run of two-step
// passes: the first block for even steps, the second for odd ones (passes
// start at even steps, so the kernels find step u+1's after step u's).
func (s *Sim) sums(u int64) (ex, in []int32) {
	b := s.nrn.fixBlocks[u&1]
	return b[:packedNeurons], b[packedNeurons:]
}

// applyTo sums the events of worker wk's queue of step u into that step's
// sums and empties the queue.
func (s *Sim) applyTo(wk *worker, u int64) {
	ex, in := s.sums(u)
	applyFixed(&wk.queues[int(u%int64(s.syn.slots))], ex, in)
}

// bgOn tells whether the input arriving in step u holds background.
func (s *Sim) bgOn(seg segment, u int64) bool {
	return seg.bg != nil && s.inp.bgRNG != nil && u >= s.net.BgFirst
}

// currentHalf is the current half of step u for the neurons lo..hi-1 of
// seg, as updateSegmentFixed and updateScalar compute it.
func (s *Sim) currentHalf(seg segment, lo, hi int, u int64) {
	nr := &s.nrn
	p := nr.prop
	fx, fi := s.sums(u)
	iex, iin := nr.iex[lo:hi], nr.iin[lo:hi]
	fx, fi = fx[lo:hi], fi[lo:hi]
	fx, fi, iin = fx[:len(iex)], fi[:len(iex)], iin[:len(iex)]
	unit := s.syn.unit
	var bg []uint64
	if s.bgOn(seg, u) {
		bg = s.inp.bgRNG[lo:hi]
		bg = bg[:len(iex)]
	}
	for j := range iex {
		ex := float64(fx[j]) * unit
		if bg != nil {
			ex += s.net.BgWeight * float64(seg.bg.draw(&bg[j], u, s.net.BgFirst))
		}
		iex[j] = float64(iex[j]*p.P11ex) + ex
		iin[j] = float64(iin[j]*p.P11in) + float64(fi[j])*unit
		fx[j], fi[j] = 0, 0
	}
}

// membraneHalf is the membrane half of step u for the neurons lo..hi-1 of
// seg, as updateScalar computes it; it appends those that spike to spk.
func (s *Sim) membraneHalf(seg segment, lo, hi int, u int64, spk []uint32) []uint32 {
	nr := &s.nrn
	p := nr.prop
	v, iex, iin, until := nr.v[lo:hi], nr.iex[lo:hi], nr.iin[lo:hi], nr.until[lo:hi]
	iex, iin, until = iex[:len(v)], iin[:len(v)], until[:len(v)]
	now := int32(uint32(u))
	end := now + nr.refSteps
	ie := s.term(seg, u)
	for j := range v {
		vj := v[j]
		if until[j]-now < 0 {
			vj = p.membrane(vj, iex[j], iin[j], ie)
		}
		if vj >= nr.theta {
			until[j] = end
			vj = nr.vReset
			spk = append(spk, uint32(s.global(lo+j)))
		}
		v[j] = vj
	}
	return spk
}

// term is the shared constant current's term of seg's membrane in step u,
// its current pulse included, rounded as updateScalar and the kernels
// round it.
func (s *Sim) term(seg segment, u int64) float64 {
	i0 := 0.0
	if s.net.Pulses != nil {
		if p := s.net.Pulses[seg.pop]; u >= p.First && u <= p.Last {
			i0 = p.Amp
		}
	}
	return float64((seg.ie + i0) * s.nrn.prop.P20)
}

// membraneAhead returns the membrane potential of neuron i of seg after
// step u+1, computed from the state before the pass for the currents of u
// and the membrane of u+1 (the sums of u applied) without changing it, as
// the pass computes it; flush tells that u+1 is a flush step.
func (s *Sim) membraneAhead(seg segment, i int, u int64, flush bool) float64 {
	nr := &s.nrn
	p := nr.prop
	fx, fi := s.sums(u)
	ex := float64(fx[i]) * s.syn.unit
	if s.bgOn(seg, u) {
		st := s.inp.bgRNG[i]
		ex += s.net.BgWeight * float64(seg.bg.draw(&st, u, s.net.BgFirst))
	}
	v := nr.v[i]
	iex := float64(nr.iex[i]*p.P11ex) + ex
	iin := float64(nr.iin[i]*p.P11in) + float64(fi[i])*s.syn.unit
	if flush {
		for _, x := range []*float64{&v, &iex, &iin} {
			if flushable(*x) {
				*x = 0
			}
		}
	}
	if nr.until[i]-int32(uint32(u+1)) < 0 {
		v = p.membrane(v, iex, iin, s.term(seg, u+1))
	}
	if v >= nr.theta {
		v = nr.vReset
	}
	return v
}

// voltagesAhead sets wk's recording to take the potentials of its sampled
// neurons after step u+1 from membraneAhead, where step u+1 is sampled, or
// from the state.
func (s *Sim) voltagesAhead(wk *worker, u int64, flush bool) {
	r := &wk.rec
	r.vAhead = nil
	if s.vc.every == 0 || (u+2)%s.vc.every != 0 || len(r.vIDs) == 0 {
		return
	}
	r.vBuf = slices.Grow(r.vBuf[:0], len(r.vIDs))[:len(r.vIDs)]
	r.vAhead = r.vBuf
	for j, i := range r.vIDs {
		g := slices.IndexFunc(wk.segs, func(seg segment) bool { return int(i) < seg.hi })
		r.vAhead[j] = s.membraneAhead(wk.segs[g], int(i), u, flush)
	}
}

// pass2 is worker wk's pass for the currents of step u, the membrane of
// u+1, the currents of u+1 and the membrane of u+2; it appends the spikes
// of u+1 to spk1 and those of u+2 to spk2. flush is 1 or 2 where u+1 or
// u+2 is a flush step (the flush of V and the currents, before that step's
// membrane half), else 0. u is even (work2 sees to it): the kernels find
// the sums of u+1 in the block after those of u, and the Poisson kernels
// draw both steps' counts from one output.
func (s *Sim) pass2(wk *worker, u int64, flush int, spk1, spk2 []uint32) ([]uint32, []uint32) {
	nr := &s.nrn
	lanes := s.kernel.lanes()
	exA, _ := s.sums(u)
	for _, seg := range wk.segs {
		lo, hi := seg.lo, seg.hi
		nv := 0
		bg := s.bgOn(seg, u)
		if lanes > 0 && bg == s.bgOn(seg, u+1) {
			nv = (hi - lo) / lanes * lanes
		}
		if nv > 0 {
			c := s.consts(&wk.scr, u+1, seg.ie)
			for h, t := range [2]float64{s.term(seg, u+1), s.term(seg, u+2)} {
				c.terms[h] = [4]float64{t, t, t, t}
			}
			mask := wk.scr.mask2[:nv/lanes]
			v, iex, iin, sums, until := &nr.v[lo], &nr.iex[lo], &nr.iin[lo], &exA[lo], &nr.until[lo]
			switch {
			case bg && lanes == 8 && seg.bg.chain != nil && !noChain:
				c.chainPairs = uint64(len(seg.bg.chain) / 2)
				update2PoissonChainAVX512(v, iex, iin, sums, until, &mask[0], nv, c, flush, &s.inp.bgRNG[lo], &seg.bg.chain[0], &seg.bg.cdf[0])
			case bg && lanes == 8:
				update2PoissonFixedAVX512(v, iex, iin, sums, until, &mask[0], nv, c, flush, &s.inp.bgRNG[lo], &seg.bg.table32[0], &seg.bg.cdf[0])
			case bg:
				update2PoissonFixedAVX2(v, iex, iin, sums, until, &mask[0], nv, c, flush, &s.inp.bgRNG[lo], &seg.bg.table32[0], &seg.bg.cdf[0])
			case lanes == 8:
				update2FixedAVX512(v, iex, iin, sums, until, &mask[0], nv, c, flush)
			default:
				update2FixedAVX2(v, iex, iin, sums, until, &mask[0], nv, c, flush)
			}
			spk1, spk2 = s.appendSpiking2(spk1, spk2, mask, lanes, lo)
		}
		if lo += nv; lo < hi {
			s.currentHalf(seg, lo, hi, u)
			if flush == 1 {
				s.flushState(lo, hi)
			}
			spk1 = s.membraneHalf(seg, lo, hi, u+1, spk1)
			s.currentHalf(seg, lo, hi, u+1)
			if flush == 2 {
				s.flushState(lo, hi)
			}
			spk2 = s.membraneHalf(seg, lo, hi, u+2, spk2)
		}
	}
	return spk1, spk2
}

// appendSpiking2 appends the spikes of mask's low bytes to spk1 and those
// of its high bytes to spk2: bit j of either byte of mask[g] is neuron
// lo + lanes·g + j.
func (s *Sim) appendSpiking2(spk1, spk2 []uint32, mask []uint16, lanes, lo int) ([]uint32, []uint32) {
	// Spikes are rare: four groups at a time, empty words skipped.
	n := len(mask) &^ 3
	for w := 0; w < n; w += 4 {
		if *(*uint64)(unsafe.Pointer(&mask[w])) == 0 {
			continue
		}
		for g := w; g < w+4; g++ {
			spk1, spk2 = s.appendGroup2(spk1, spk2, mask[g], lo+lanes*g)
		}
	}
	for g := n; g < len(mask); g++ {
		spk1, spk2 = s.appendGroup2(spk1, spk2, mask[g], lo+lanes*g)
	}
	return spk1, spk2
}

// appendGroup2 is appendSpiking2 for the group of neurons from i with the
// spike bits m.
func (s *Sim) appendGroup2(spk1, spk2 []uint32, m uint16, i int) ([]uint32, []uint32) {
	for x := m & 0xff; x != 0; x &= x - 1 {
		spk1 = append(spk1, uint32(s.global(i+bits.TrailingZeros16(x))))
	}
	for x := m >> 8; x != 0; x &= x - 1 {
		spk2 = append(spk2, uint32(s.global(i+bits.TrailingZeros16(x))))
	}
	return spk1, spk2
}

// work2 is work in two-step passes; wk.spk2[b] holds the spike lists of
// the passes of parity b, which the other workers read until the barrier
// of the next pass.
func (s *Sim) work2(ctx context.Context, k int, t0, t1 int64, record bool, progress func(int64)) int64 {
	wk := &s.wk[k]
	wait := func() {
		if s.w > 1 {
			s.bar.wait()
		}
	}
	emit := func(b, i int, t int64, spk []uint32) {
		wk.spk2[b][i] = spk
		wk.spikes += int64(len(spk))
		if record {
			s.record(wk, t, spk)
		}
		if k == 0 {
			s.inp.ext2[b][i] = s.externalSpikes(t, s.inp.ext2[b][i][:0])
		}
	}
	// finish ends a pass whose n steps' spikes are in the lists of parity
	// b, the first in step t: the workers meet, worker 0 exchanges the
	// spikes with the other ranks (if any) and each worker delivers them.
	finish := func(b, n int, t int64, check bool) {
		wait()
		if s.xch.x != nil {
			if k == 0 {
				s.exchangePass(b, n, check)
			}
			wait()
		}
		// The pass's spikes in one list, so that the prefetch runs on from
		// one list into the next.
		all, ends := s.xch.all, [2]int{len(s.xch.pass[0]), len(s.xch.all)}
		if s.xch.x == nil {
			all = wk.passSpikes[:0]
			for i := range n {
				for kk := range s.wk {
					all = append(all, s.wk[kk].spk2[b][i]...)
				}
				ends[i] = len(all)
			}
			wk.passSpikes = all
		}
		from := 0
		for i := range n {
			s.deliverRange(all, from, ends[i], k, t+int64(i))
			from = ends[i]
			for _, e := range s.inp.ext2[b][i] {
				s.deliver(e.src, k, t+int64(i), e.mult)
			}
		}
	}
	if k == 0 && progress != nil {
		progress(0)
	}
	// The membrane of t0 alone: from here on the currents lag by a step.
	if t0%flushEvery == 0 {
		s.flush(wk, t0)
	}
	spk := wk.spk2[0][0][:0]
	for _, seg := range wk.segs {
		spk = s.membraneHalf(seg, seg.lo, seg.hi, t0, spk)
	}
	emit(0, 0, t0, spk)
	finish(0, 1, t0, false)
	u, b := t0, 1
	// single is one step outside the passes: the currents of u, the
	// membrane of u+1.
	single := func() {
		s.applyTo(wk, u)
		for _, seg := range wk.segs {
			s.currentHalf(seg, seg.lo, seg.hi, u)
		}
		if (u+1)%flushEvery == 0 {
			s.flush(wk, u+1)
		}
		spk := wk.spk2[b][0][:0]
		for _, seg := range wk.segs {
			spk = s.membraneHalf(seg, seg.lo, seg.hi, u+1, spk)
		}
		emit(b, 0, u+1, spk)
		finish(b, 1, u+1, false)
		u++
		b ^= 1
	}
	if u&1 != 0 && u+2 < t1 {
		// Passes start at even steps, whose background draws open a
		// pair (see poisson.draw).
		single()
	}
	for u+2 < t1 {
		// One in checkEvery steps, as work checks.
		check := (u+1-t0)%checkEvery < 2
		if k == 0 && check {
			if ctx.Err() != nil {
				s.stop.Store(true)
			}
			if progress != nil {
				progress(u + 1 - t0)
			}
		}
		flush, ft := 0, u+1
		switch {
		case (u+1)%flushEvery == 0:
			flush = 1
		case (u+2)%flushEvery == 0:
			flush, ft = 2, u+2
		}
		s.applyTo(wk, u)
		s.applyTo(wk, u+1)
		s.voltagesAhead(wk, u, flush == 1)
		spk1, spk2 := s.pass2(wk, u, flush, wk.spk2[b][0][:0], wk.spk2[b][1][:0])
		if flush != 0 {
			// After the pass is as good as before the flush step: an end
			// that old is not refractory either way, and one set in the
			// pass is not that old.
			s.flushUntil(wk.lo, wk.hi, ft)
		}
		emit(b, 0, u+1, spk1)
		wk.rec.vAhead = nil
		emit(b, 1, u+2, spk2)
		finish(b, 2, u+1, check)
		u += 2
		b ^= 1
		if check && s.stop.Load() {
			t1 = u + 1
		}
	}
	if u+1 < t1 {
		single()
	}
	// The currents of u catch up with the membrane.
	s.applyTo(wk, u)
	for _, seg := range wk.segs {
		s.currentHalf(seg, seg.lo, seg.hi, u)
	}
	if k == 0 && progress != nil {
		progress(u + 1 - t0)
	}
	return u + 1
}
