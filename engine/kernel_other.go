//go:build !amd64

package engine

// haveKernel reports whether the vector neuron update can run here.
const haveKernel = false

func updateAVX2(v, iex, iin, ie, arrEx, arrIn, refr *float64, mask *uint8, n int, c *kernelConsts) {
	panic("updateAVX2 without AVX2")
}
