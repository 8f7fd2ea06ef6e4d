package engine

import (
	"fmt"
	"os"
)

// kernelLevel is a set of neuron and Poisson kernels: scalar Go, or
// assembly for a vector instruction set.
type kernelLevel int

// The kernel levels, narrowest first.
const (
	kernelScalar kernelLevel = iota
	kernelAVX2
	kernelAVX512
)

// KernelEnv is the environment variable that narrows the kernels a Sim
// uses: scalar, avx2 or avx512 (the default is the widest the machine has).
// The spikes are the same with every kernel; only the speed differs.
const KernelEnv = "MICROCIRCUIT_KERNEL"

var kernelNames = [...]string{kernelScalar: "scalar", kernelAVX2: "avx2", kernelAVX512: "avx512"}

func (l kernelLevel) String() string { return kernelNames[l] }

// kernelFromEnv returns the kernel level KernelEnv asks for, or the widest
// the machine has when it is unset or empty.
func kernelFromEnv() (kernelLevel, error) {
	v := os.Getenv(KernelEnv)
	if v == "" {
		return bestKernel, nil
	}
	for l, name := range kernelNames {
		if v != name {
			continue
		}
		if kernelLevel(l) > bestKernel {
			return 0, fmt.Errorf("%s=%s: this machine has at most %s", KernelEnv, v, bestKernel)
		}
		return kernelLevel(l), nil
	}
	return 0, fmt.Errorf("%s=%q: want scalar, avx2 or avx512", KernelEnv, v)
}

// Kernel returns the name of the neuron and Poisson kernels the Sim uses:
// scalar, avx2 or avx512.
func (s *Sim) Kernel() string { return s.kernel.String() }

// StepsPerPass returns the steps the last Run advanced per pass over the
// neurons: 2 with two-step passes (see twostep.go), else 1 (0 before any
// Run); both give the same spikes.
func (s *Sim) StepsPerPass() int { return s.perPass }

// ArrivalSums names the form of the arrival sums the Sim uses: "fixed"
// (int32 fixed point, where the network's weights allow it and the kernels
// gain by it) or "float64"; both give the same spikes.
func (s *Sim) ArrivalSums() string {
	if s.syn.fixed {
		return "fixed"
	}
	return "float64"
}

// lanes returns the neurons the level's update kernels take at a time (0
// for the Go update).
func (k kernelLevel) lanes() int {
	switch k {
	case kernelAVX2:
		return 4
	case kernelAVX512:
		return 8
	}
	return 0
}

// kernelConsts are the constants of the neuron update for the vector
// kernels, each replicated for their lanes: P22, P21ex, P21in, P20, P11ex,
// P11in, theta, V_reset and the constant current; the step (modulo 2^32)
// and the end of the refractory period of a neuron that spikes in it.
//
// The Poisson kernels keep here their constants (set with the worker), their
// scratch (random numbers and table entries of the lanes they search,
// spilled registers) and 2^-32; the single-step ones also the step's stream increment and
// the multiplier and shift that bring its half of the output to the top
// (see poisson.draw).
type kernelConsts struct {
	f          [9][4]float64
	now, until [8]int32
	zs         [8]uint64
	es         [8]int32
	spill      [2]uint64
	twoM32     float64
	pois       poissonConsts // the Poisson kernels' constants
	unit       [4]float64    // the unit of fixed-point arrival sums
	flushBelow float64       // see flushBelow
	// terms are the shared constant current's terms (ie + i0)·P20 of the
	// two membrane halves of a two-step pass.
	terms [2][4]float64
	// adv is golden where the step opens a pair of background draws, else
	// 0; the step takes the high half of the output times mul (1 or 2^32),
	// or shifted left by shift (0 or 32).
	adv, mul, shift uint64
	// The two-step AVX-512 kernel with thresholds (poisson.chain): the
	// counts of the lanes it searches, the low 32 bits of a uint64, 1,
	// and the segment's number of threshold pairs.
	es16       [16]int32
	low32      uint64
	one        int32
	chainPairs uint64
}

// consts returns the kernel constants for step t with current i0, kept in
// a worker's scratch.
func (s *Sim) consts(scr *scratch, t int64, i0 float64) *kernelConsts {
	p, nr := s.nrn.prop, &s.nrn
	vals := [9]float64{p.P22, p.P21ex, p.P21in, p.P20, p.P11ex, p.P11in, nr.theta, nr.vReset, i0}
	for i, v := range vals {
		scr.kc.f[i] = [4]float64{v, v, v, v}
	}
	now := int32(uint32(t))
	for i := range scr.kc.now {
		scr.kc.now[i], scr.kc.until[i] = now, now+nr.refSteps
	}
	scr.kc.adv = 0
	if opensPair(t, s.net.BgFirst) {
		scr.kc.adv = golden
	}
	scr.kc.shift = uint64(32 * (t & 1))
	scr.kc.mul = 1 << scr.kc.shift
	return &scr.kc
}
