package engine

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// haveKernel reports whether the vector kernels can run here: AVX2 for the
// neuron update, F16C for converting half-precision weights.
var haveKernel = cpu.X86.HasAVX2 && hasF16C()

// bestKernel is the widest neuron and Poisson kernel that runs here:
// AVX-512 (F, DQ and VL: VPMULLQ, VPMOVD2M) where the processor and the
// operating system support it, else AVX2.
var bestKernel = func() kernelLevel {
	switch {
	case haveKernel && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL:
		return kernelAVX512
	case haveKernel:
		return kernelAVX2
	}
	return kernelScalar
}()

func hasF16C() bool {
	_, _, ecx, _ := cpuid(1, 0)
	return ecx&(1<<29) != 0
}

// updateAVX2 advances n neurons (a multiple of 4) by one step exactly as
// updateScalar does, four at a time, and sets mask[j/4] bit j%4 for every
// neuron j that spikes. With ie nil the neurons share one constant current,
// whose sum with i0 is c's I0 entry.
//
//go:noescape
func updateAVX2(v, iex, iin, ie, arrEx, arrIn *float64, until *int32, mask *uint8, n int, c *kernelConsts)

// updateAVX512 is updateAVX2 for n a multiple of 8, eight neurons at a
// time; mask[j/8] bit j%8 is set for every neuron j that spikes.
//
//go:noescape
func updateAVX512(v, iex, iin, ie, arrEx, arrIn *float64, until *int32, mask *uint8, n int, c *kernelConsts)

// updatePoissonAVX512 is updateAVX512 for neurons that share a constant
// current (ie nil), whose Poisson counts are drawn in the same pass: each
// neuron's count from its SplitMix64 stream in state, as poisson.draw does
// with table and cdf, joins arrEx as weight·count before the update. c.pois
// holds the stream and weight constants.
//
//go:noescape
func updatePoissonAVX512(v, iex, iin, arrEx, arrIn *float64, until *int32, mask *uint8, n int, c *kernelConsts, state *uint64, table *int32, cdf *float64)

// updatePoissonAVX2 is updatePoissonAVX512 for AVX2, four neurons at a
// time.
//
//go:noescape
func updatePoissonAVX2(v, iex, iin, arrEx, arrIn *float64, until *int32, mask *uint8, n int, c *kernelConsts, state *uint64, table *int32, cdf *float64)

// updateFixedAVX2, updatePoissonFixedAVX2, updateFixedAVX512 and
// updatePoissonFixedAVX512 are the kernels above for fixed-point arrival
// sums: arrEx and arrIn hold int32 sums in units of c.unit, which the
// kernels convert (exactly) to float64 and reset.
//
//go:noescape
func updateFixedAVX2(v, iex, iin, ie *float64, arrEx, arrIn *int32, until *int32, mask *uint8, n int, c *kernelConsts)

//go:noescape
func updatePoissonFixedAVX2(v, iex, iin *float64, arrEx, arrIn *int32, until *int32, mask *uint8, n int, c *kernelConsts, state *uint64, table *int32, cdf *float64)

//go:noescape
func updateFixedAVX512(v, iex, iin, ie *float64, arrEx, arrIn *int32, until *int32, mask *uint8, n int, c *kernelConsts)

//go:noescape
func updatePoissonFixedAVX512(v, iex, iin *float64, arrEx, arrIn *int32, until *int32, mask *uint8, n int, c *kernelConsts, state *uint64, table *int32, cdf *float64)

// update2FixedAVX512 makes a two-step pass (see twostep.go) over n
// neurons (a multiple of 8) that share one constant current: sums points at
// the first neuron's excitatory fixed-point sum of step u, the others at
// multiples of packedNeurons after it (inhibitory of u, excitatory and
// inhibitory of u+1); c holds step u+1; flush is 1 or 2 where step u+1 or
// u+2 is a flush step, else 0; mask[g] gets the spikes of neurons 8g..8g+7
// in step u+1 (low byte) and u+2 (high byte).
//
//go:noescape
func update2FixedAVX512(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int)

// update2PoissonFixedAVX512 is update2FixedAVX512 with each step's
// Poisson background counts drawn as poisson.draw does, both from one
// output of each neuron's stream (u must be even), the counts from the
// table.
//
//go:noescape
func update2PoissonFixedAVX512(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int, state *uint64, table *int32, cdf *float64)

// update2PoissonChainAVX512 is update2PoissonFixedAVX512 for a segment
// whose Poisson counts come from thresholds (poisson.chain, c.chainPairs
// set) rather than the table: one compare of each threshold
// counts both steps' halves of the eight outputs.
//
//go:noescape
func update2PoissonChainAVX512(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int, state *uint64, chain *uint32, cdf *float64)

// update2FixedAVX2 and update2PoissonFixedAVX2 are the AVX2 twins of
// update2FixedAVX512 and update2PoissonFixedAVX512, for n a multiple of 4.
//
//go:noescape
func update2FixedAVX2(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int)

//go:noescape
func update2PoissonFixedAVX2(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int, state *uint64, table *int32, cdf *float64)

// copyEvents copies n targets (a multiple of 8) and converts their n
// half-precision weights to float32, exactly as half.ToFloat32 does for the
// normal numbers the weights are.
//
//go:noescape
func copyEvents(dstT *uint32, dstW *float32, srcT *uint32, srcW *uint16, n int)

func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// prefetch asks the processor to start loading the cache line at p.
//
//go:noescape
func prefetch(p unsafe.Pointer)

// deliverWordsAVX512 queues the packed words of groups from .. to-1 (the
// first starting at word start) as Sim.deliverWords does, into
// queues[(base + delay) % slots], sixteen words a move (the last few under
// a mask), and returns the first group it did not queue: to, or one whose
// queue must grow.
//
//go:noescape
func deliverWordsAVX512(queues *queue, slots, base int, grpEnd *int64, grpDelay *uint16, from, to, start int64, words *uint32) int64

// deliverWordsAVX2 is deliverWordsAVX512 for AVX2: eight words a move, the
// last few in one move of the group's last eight.
//
//go:noescape
func deliverWordsAVX2(queues *queue, slots, base int, grpEnd *int64, grpDelay *uint16, from, to, start int64, words *uint32) int64
