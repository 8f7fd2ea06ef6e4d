package engine

import (
	"fmt"
	"math/bits"
	"sync"

	"github.com/pd14/microcircuit/internal/half"
	"github.com/pd14/microcircuit/internal/sysinfo"
)

// Fixed-point arrival sums.
//
// The arrival sums of a packed network are sums of half-precision weights,
// which float64 adds without rounding (their bits span at most 41 binary
// places), so the order of the events does not matter and any exact
// representation of the sum gives the same float64. Where the weights'
// exponents span at most fixedSpan binades, each weight is an integer
// multiple, below 2^15, of the unit 2^(e0-25) (e0 the smallest exponent
// field), and the sums of a neuron's at most fixedMaxIn synapses stay
// below 2^31 units: the synapse words then carry that integer instead of
// the half-precision bits, the queue apply adds int32s, and the update
// reads 4 bytes per sum and channel instead of 8, converting exactly.
// The spikes of external sources have multiplicities m: their events add
// m times the weight, exactly (queue.units), and the bound on a step's sum
// allows for the largest m (fixedInBound). Whether the sums pay depends on
// the kernels (see fixedPays).

// fixedSpan is the largest spread of the weights' exponent fields for
// fixed-point sums: 11 significant bits shifted by up to 4 stay below 2^15.
const fixedSpan = 4

// fixedMaxIn is the most synapses onto one neuron for fixed-point sums:
// that many values below 2^15 sum to below 2^31.
const fixedMaxIn = 1 << 16

// fixedInBound tells whether no neuron's arrival sum of one step can reach
// 2^31 units: with the network's facts f and syn synapses, whose
// external sources' spikes have multiplicities up to mult (0 for none),
// no neuron may have more than fixedMaxIn/mult synapses (f.maxIn, which
// check counts where the synapses are more than fixedMaxIn, else syn).
func fixedInBound(f facts, syn, mult int) bool {
	in := f.maxIn
	if syn <= fixedMaxIn {
		in = syn
	}
	return in*max(mult, 1) <= fixedMaxIn
}

// Tests set fixedChoice to compare both forms: fixedAuto leaves the choice
// to fixedPays, fixedNever and fixedAlways override it (fixedAlways even
// for the plain Go update, which then converts every sum).
const (
	fixedAuto = iota
	fixedNever
	fixedAlways
)

var fixedChoice = fixedAuto

// l2Bytes is the size of the first core's level-2 cache, 1 MiB where the
// system does not tell it.
var l2Bytes = sync.OnceValue(func() int64 {
	for _, c := range sysinfo.Caches() {
		if c.Level == 2 && c.Type != "Instruction" && c.Bytes > 0 {
			return c.Bytes
		}
	}
	return 1 << 20
})

// fixedPays tells whether fixed-point sums pay with the Sim's kernels. With
// AVX-512 they always did (the conversion costs less than the 16 bytes per
// neuron-step it saves: scale 0.2 −6 %, full scale −14 %). With AVX2, whose
// update is bound more by its instructions than by the bytes while its
// state fits the level-2 cache, they cost 2–8 % at scale 0.2 and up to ±2 %
// at scale 0.5, and saved 1–17 % at full scale and 12–18 % with one worker
// there: so AVX2 takes them when a worker's update state with float64 sums
// (44 bytes per neuron) fills more than half its level-2 cache, or when the
// network has Poisson background, whose two-step passes draw once for two
// steps (scale 0.2: RTF 0.276–0.279 with float64 single steps, 0.237–0.240
// in two-step passes). The Go update does not take them.
func (s *Sim) fixedPays() bool {
	switch fixedChoice {
	case fixedNever:
		return false
	case fixedAlways:
		return true
	}
	return fixedPaysFor(s.kernel, s.n, s.w, l2Bytes(), s.net.BgRate != nil)
}

// fixedPaysFor is fixedPays for n neurons on w workers with kernels at
// level and a level-2 cache of l2 bytes; bg tells that the network has
// Poisson background.
func fixedPaysFor(level kernelLevel, n, w int, l2 int64, bg bool) bool {
	switch level {
	case kernelAVX512:
		return true
	case kernelAVX2:
		perWorker := int64(n+w-1) / int64(w)
		return bg || perWorker*44 > l2/2
	}
	return false
}

// fixedOf returns the fixed-point value of the half-precision magnitude h
// (a normal number, exponent field at least e0 and at most e0+fixedSpan)
// in units of 2^(e0-25).
func fixedOf(h uint16, e0 int) uint32 {
	return uint32(h&0x3ff|0x400) << (int(h>>10&0x1f) - e0)
}

// halfOfFixed returns the half-precision bits of the fixed-point value f
// (as fixedOf made it) in units of 2^(e0-25).
func halfOfFixed(f uint32, e0 int) uint16 {
	p := bits.Len32(f) - 11 // the shift fixedOf applied
	return uint16(e0+p)<<10 | uint16(f>>p)&0x3ff
}

// fitsFixed tells whether the half-precision magnitude h has a fixed-point
// value in units of 2^(e0-25).
func fitsFixed(h uint16, e0 int) bool {
	e := int(h >> 10 & 0x1f)
	return e >= e0 && e <= e0+fixedSpan
}

// halfBits returns the half-precision weight magnitude of the packed word
// e.
func (sy *synapses) halfBits(e uint32) uint16 {
	if sy.fixed {
		return halfOfFixed(e>>packBits, sy.exp0)
	}
	return uint16(e >> packBits)
}

// magnitude returns the weight magnitude (pA) of the packed word e.
func (sy *synapses) magnitude(e uint32) float64 {
	if sy.fixed {
		return float64(e>>packBits) * sy.unit
	}
	return unpackWeight(e)
}

// word returns the packed word of an event for neuron i (an index within
// the Sim) with the half-precision weight magnitude h.
func (sy *synapses) word(i uint32, h uint16) (uint32, error) {
	h &= 0x7fff
	if !sy.fixed {
		return i | uint32(h)<<packBits, nil
	}
	if !fitsFixed(h, sy.exp0) {
		return 0, fmt.Errorf("weight magnitude %v is outside this network's weights (exponents %d to %d)",
			unpackWeight(uint32(h)<<packBits), sy.exp0-15, sy.exp0+fixedSpan-15)
	}
	return i | fixedOf(h, sy.exp0)<<packBits, nil
}

// fixedWord returns the packed word of an event of weight magnitude w for
// neuron i in a network with fixed-point sums, where w is one of the
// network's possible weights: a half-precision number within its span.
func (sy *synapses) fixedWord(i uint32, w float64) (uint32, bool) {
	h := half.FromFloat32(float32(w))
	if float64(half.ToFloat32Exact(h)) != w {
		return 0, false
	}
	e, err := sy.word(i, h)
	return e, err == nil
}
