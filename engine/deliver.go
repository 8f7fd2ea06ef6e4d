package engine

import (
	"math"
	"slices"
	"unsafe"

	"github.com/pd14/microcircuit/internal/half"
)

// synapses are the synapses onto the neurons a Sim holds, stored by source
// and grouped by (source, worker, delay): the groups of source s for worker
// k are grpIdx[s*w+k] .. grpIdx[s*w+k+1]-1; group g holds synapses
// grpEnd[g-1] .. grpEnd[g]-1, all with delay grpDelay[g] (see group).
type synapses struct {
	slots int // queue ring length in steps (max delay + 1)

	target []uint32 // target neuron (index within the Sim), or packed word
	w16    []uint16
	w32    []float32
	w64    []float64

	grpIdx   []int64
	grpDelay []uint16
	grpEnd   []int64

	// packed: each synapse is one 32-bit word, target and weight magnitude,
	// with the sign in its group's delay (see pack); events travel as these
	// words (queue.ex, queue.in).
	packed bool
	// fixed: the weight magnitudes of the words are fixed-point numbers in
	// units of unit = 2^(exp0-25), not half-precision bits, and the
	// arrival sums are int32s of that unit (see fixed.go).
	fixed bool
	exp0  int
	unit  float64
}

// queue is a list of synaptic events: target neuron and weight (pA). Half
// and single precision weights travel as float32, double as float64. In
// packed networks (see Sim.packed) events of multiplicity 1 travel as the
// synapses' own 32-bit words, target and weight magnitude, in ex or in by
// sign.
type queue struct {
	tgt []uint32
	w32 []float32
	w64 []float64
	// units are, with fixed-point sums, the weights (signed, in units of
	// synapses.unit) of the events tgt that are not words: those of
	// external spikes of multiplicity m > 1, m times a synapse's weight.
	units []int32

	ex, in []uint32
}

// packBits is the number of bits of a packed event that hold the target;
// the 15 bits above hold the exponent and mantissa of its half-precision
// weight.
const packBits = 17

// packedNeurons is the largest network whose events can be packed.
const packedNeurons = 1 << packBits

// unpackWeight returns the weight magnitude of a packed event: the half
// precision number (a normal one, exponent E and mantissa M in the top 15
// bits) rebuilt directly as a float64, exponent E - 15 + 1023.
func unpackWeight(e uint32) float64 {
	return math.Float64frombits((uint64(e>>packBits) + (1023-15)<<10) << 42)
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

// applyQueue sums the events of q, in order, into the arrival buffers and
// empties q.
func (s *Sim) applyQueue(q *queue) {
	// The arrival sums hold packedNeurons entries where events are packed,
	// so the masked index needs no bounds check.
	const mask = 1<<packBits - 1
	if s.syn.fixed {
		// As below, in fixed point, where the order does not matter.
		applyFixed(q, s.nrn.fixEx, s.nrn.fixIn)
		return
	}
	ex, in := s.nrn.arrEx, s.nrn.arrIn
	if s.syn.packed {
		pex, pin := (*[packedNeurons]float64)(ex), (*[packedNeurons]float64)(in)
		for _, e := range q.ex {
			pex[e&mask] += unpackWeight(e)
		}
		for _, e := range q.in {
			pin[e&mask] -= unpackWeight(e)
		}
		q.ex, q.in = q.ex[:0], q.in[:0]
	}
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

// applyFixed adds the events of q to the fixed-point sums ex and in (of
// packedNeurons entries) and empties q.
func applyFixed(q *queue, ex, in []int32) {
	const mask = 1<<packBits - 1
	pex, pin := (*[packedNeurons]int32)(ex), (*[packedNeurons]int32)(in)
	for _, e := range q.ex {
		pex[e&mask] += int32(e >> packBits)
	}
	for _, e := range q.in {
		pin[e&mask] -= int32(e >> packBits)
	}
	for j, t := range q.tgt {
		if w := q.units[j]; w >= 0 {
			pex[t&mask] += w
		} else {
			pin[t&mask] += w
		}
	}
	q.ex, q.in, q.tgt, q.units = q.ex[:0], q.in[:0], q.tgt[:0], q.units[:0]
}

// deliverPacked queues a group of packed synapses, whose weights are
// negative if neg, for a spike of multiplicity mult ≠ 1 (deliver queues
// the words of mult 1 itself): as plain events of weight·mult (in units,
// with fixed-point sums).
func (s *Sim) deliverPacked(q *queue, words []uint32, neg bool, mult float64) {
	if s.syn.fixed {
		// mult times the fixed-point weight, exactly (see fixedInBound).
		m := int32(mult)
		if neg {
			m = -m
		}
		for _, e := range words {
			q.tgt = append(q.tgt, e&(1<<packBits-1))
			q.units = append(q.units, int32(e>>packBits)*m)
		}
		return
	}
	at := q.extend(len(words), false)
	for j, e := range words {
		w := s.syn.magnitude(e) * mult
		if neg {
			w = -w
		}
		q.tgt[at+j] = e & (1<<packBits - 1)
		q.w32[at+j] = float32(w)
	}
}

// prefetchAhead starts loading what delivering the next spikes of spk to
// worker k will read, in the order it depends on: the group index of spike
// i+3, the groups of spike i+2 and the first synapses of spike i+1. Each of
// these is a cache miss at full scale that would otherwise stall delivery.
func (s *Sim) prefetchAhead(spk []uint32, i, k int) {
	w := int64(s.w)
	sy := &s.syn
	if i+3 < len(spk) {
		prefetch(unsafe.Pointer(&sy.grpIdx[int64(spk[i+3])*w+int64(k)]))
	}
	if i+2 < len(spk) {
		if g0 := sy.grpIdx[int64(spk[i+2])*w+int64(k)]; g0 > 0 && g0 < int64(len(sy.grpEnd)) {
			prefetch(unsafe.Pointer(&sy.grpEnd[g0-1]))
			prefetch(unsafe.Pointer(&sy.grpDelay[g0]))
		}
	}
	if i+1 < len(spk) {
		if g0 := sy.grpIdx[int64(spk[i+1])*w+int64(k)]; g0 > 0 && g0 < int64(len(sy.grpEnd)) {
			start := sy.grpEnd[g0-1]
			prefetch(unsafe.Pointer(&sy.target[start]))
			if sy.w16 != nil {
				prefetch(unsafe.Pointer(&sy.w16[start]))
			}
		}
	}
}

// deliverList queues, for worker k's neurons, the events of the spikes of
// the neurons in spk (indices in the whole network), emitted in step t.
func (s *Sim) deliverList(spk []uint32, k int, t int64) {
	s.deliverRange(spk, 0, len(spk), k, t)
}

// deliverRange is deliverList for the spikes spk[from:to], prefetching
// for the spikes after them in spk too (those delivered next).
func (s *Sim) deliverRange(spk []uint32, from, to int, k int, t int64) {
	for i := from; i < to; i++ {
		if haveKernel {
			s.prefetchAhead(spk, i, k)
		}
		s.deliver(spk[i], k, t, 1)
	}
}

// deliver queues the events of the spike of src, emitted in step t (with
// multiplicity mult), for worker k's targets: the events of each delay
// group join the queue of the step they arrive in.
func (s *Sim) deliver(src uint32, k int, t int64, mult float64) {
	sy := &s.syn
	gi := int64(src)*int64(s.w) + int64(k)
	g0, g1 := sy.grpIdx[gi], sy.grpIdx[gi+1]
	if g0 == g1 {
		return
	}
	start := int64(0)
	if g0 > 0 {
		start = sy.grpEnd[g0-1]
	}
	base := int(t % int64(sy.slots))
	wk := &s.wk[k]
	wk.events += sy.grpEnd[g1-1] - start
	queues := wk.queues
	if sy.packed && mult == 1 {
		s.deliverWords(queues, base, g0, g1, start)
		return
	}
	for g := g0; g < g1; g++ {
		end := sy.grpEnd[g]
		dg := sy.grpDelay[g]
		q := &queues[sy.slot(base, dg)]
		tg := sy.target[start:end]
		if sy.packed {
			s.deliverPacked(q, tg, dg&grpNeg != 0, mult)
		} else {
			s.deliverPlain(q, start, end, mult)
		}
		start = end
	}
}

// deliverWords queues, for a spike of multiplicity 1 in a packed network,
// the words of groups g .. g1-1 (the first from word start) as they are in
// the queues of their arrival steps, queues[(base + delay) % slots], the
// excitatory or inhibitory one by sign: this is the model's common case,
// 34 groups per spike and worker on average at full scale. The vector
// kernels take the groups in one call (deliverWordsAVX512,
// deliverWordsAVX2: no call, growth check or write barrier per group)
// until a queue must grow; Go takes that group, and all of them without
// the kernels.
func (s *Sim) deliverWords(queues []queue, base int, g, g1, start int64) {
	sy := &s.syn
	for g < g1 {
		switch s.kernel {
		case kernelAVX512:
			g = deliverWordsAVX512(&queues[0], sy.slots, base, &sy.grpEnd[0], &sy.grpDelay[0], g, g1, start, &sy.target[0])
		case kernelAVX2:
			g = deliverWordsAVX2(&queues[0], sy.slots, base, &sy.grpEnd[0], &sy.grpDelay[0], g, g1, start, &sy.target[0])
		}
		if g == g1 {
			return
		}
		start = 0
		if g > 0 {
			start = sy.grpEnd[g-1]
		}
		end, dg := sy.grpEnd[g], sy.grpDelay[g]
		if q := &queues[sy.slot(base, dg)]; dg&grpNeg != 0 {
			q.in = append(q.in, sy.target[start:end]...)
		} else {
			q.ex = append(q.ex, sy.target[start:end]...)
		}
		g, start = g+1, end
	}
}

// slot returns the queue of the events of a group with delay field dg
// (sign bit included) for a spike whose step's queue is base.
func (sy *synapses) slot(base int, dg uint16) int {
	slot := base + int(dg&^grpNeg)
	if slot >= sy.slots {
		slot -= sy.slots
	}
	return slot
}

// deliverPlain queues the synapses start .. end-1 of a network whose events
// are not packed, with multiplicity mult, as plain events.
func (s *Sim) deliverPlain(q *queue, start, end int64, mult float64) {
	sy := &s.syn
	tg := sy.target[start:end]
	at := q.extend(len(tg), sy.w64 != nil)
	if sy.w16 != nil && mult == 1 && s.kernel >= kernelAVX2 && len(tg) >= 8 {
		n8 := len(tg) &^ 7
		copyEvents(&q.tgt[at], &q.w32[at], &tg[0], &sy.w16[start], n8)
		copy(q.tgt[at+n8:], tg[n8:])
		for j, h := range sy.w16[start+int64(n8) : end] {
			q.w32[at+n8+j] = half.ToFloat32(h)
		}
		return
	}
	copy(q.tgt[at:], tg)
	switch {
	case sy.w16 != nil:
		dst := q.w32[at : at+len(tg)]
		src := sy.w16[start:end]
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
	case sy.w32 != nil:
		dst := q.w32[at : at+len(tg)]
		src := sy.w32[start:end]
		src = src[:len(dst)]
		for j, w := range src {
			dst[j] = float32(float64(w) * mult)
		}
	default:
		dst := q.w64[at : at+len(tg)]
		src := sy.w64[start:end]
		src = src[:len(dst)]
		for j, w := range src {
			dst[j] = w * mult
		}
	}
}
