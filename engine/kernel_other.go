//go:build !amd64

package engine

import "unsafe"

// haveKernel reports whether the vector kernels can run here.
const haveKernel = false

// bestKernel is the widest neuron and Poisson kernel that runs here.
const bestKernel = kernelScalar

func updateAVX512(v, iex, iin, ie, arrEx, arrIn *float64, until *int32, mask *uint8, n int, c *kernelConsts) {
	panic("updateAVX512 without AVX-512")
}

func updatePoissonAVX512(v, iex, iin, arrEx, arrIn *float64, until *int32, mask *uint8, n int, c *kernelConsts, state *uint64, table *int32, cdf *float64) {
	panic("updatePoissonAVX512 without AVX-512")
}

func updatePoissonAVX2(v, iex, iin, arrEx, arrIn *float64, until *int32, mask *uint8, n int, c *kernelConsts, state *uint64, table *int32, cdf *float64) {
	panic("updatePoissonAVX2 without AVX2")
}

func updateAVX2(v, iex, iin, ie, arrEx, arrIn *float64, until *int32, mask *uint8, n int, c *kernelConsts) {
	panic("updateAVX2 without AVX2")
}

func updateFixedAVX2(v, iex, iin, ie *float64, arrEx, arrIn *int32, until *int32, mask *uint8, n int, c *kernelConsts) {
	panic("updateFixedAVX2 without AVX2")
}

func updatePoissonFixedAVX2(v, iex, iin *float64, arrEx, arrIn *int32, until *int32, mask *uint8, n int, c *kernelConsts, state *uint64, table *int32, cdf *float64) {
	panic("updatePoissonFixedAVX2 without AVX2")
}

func updateFixedAVX512(v, iex, iin, ie *float64, arrEx, arrIn *int32, until *int32, mask *uint8, n int, c *kernelConsts) {
	panic("updateFixedAVX512 without AVX-512")
}

func updatePoissonFixedAVX512(v, iex, iin *float64, arrEx, arrIn *int32, until *int32, mask *uint8, n int, c *kernelConsts, state *uint64, table *int32, cdf *float64) {
	panic("updatePoissonFixedAVX512 without AVX-512")
}

func update2FixedAVX512(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int) {
	panic("update2FixedAVX512 without AVX-512")
}

func update2PoissonFixedAVX512(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int, state *uint64, table *int32, cdf *float64) {
	panic("update2PoissonFixedAVX512 without AVX-512")
}

func update2PoissonChainAVX512(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int, state *uint64, chain *uint32, cdf *float64) {
	panic("update2PoissonChainAVX512 without AVX-512")
}

func update2FixedAVX2(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int) {
	panic("update2FixedAVX2 without AVX2")
}

func update2PoissonFixedAVX2(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int, state *uint64, table *int32, cdf *float64) {
	panic("update2PoissonFixedAVX2 without AVX2")
}

func copyEvents(dstT *uint32, dstW *float32, srcT *uint32, srcW *uint16, n int) {
	panic("copyEvents without F16C")
}

func prefetch(p unsafe.Pointer) {}

func deliverWordsAVX512(queues *queue, slots, base int, grpEnd *int64, grpDelay *uint16, from, to, start int64, words *uint32) int64 {
	panic("deliverWordsAVX512 without AVX-512")
}

func deliverWordsAVX2(queues *queue, slots, base int, grpEnd *int64, grpDelay *uint16, from, to, start int64, words *uint32) int64 {
	panic("deliverWordsAVX2 without AVX2")
}
