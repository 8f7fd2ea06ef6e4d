package engine

import (
	"math"
	"math/bits"
)

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

// streamStart returns the initial state of stream i of key.
func streamStart(key, i uint64) uint64 {
	z := key ^ (i * 0xd1b54a32d192ed03)
	z = (z ^ (z >> 33)) * 0xff51afd7ed558ccd
	z = (z ^ (z >> 33)) * 0xc4ceb9fe1a85ec53
	return z ^ (z >> 33)
}
