package engine

import "golang.org/x/sys/cpu"

// haveKernel reports whether the vector neuron update can run here.
var haveKernel = cpu.X86.HasAVX2

// updateAVX2 advances n neurons (a multiple of 4) by one step exactly as
// updateScalar does, four at a time, and sets mask[j/4] bit j%4 for every
// neuron j that spikes.
//
//go:noescape
func updateAVX2(v, iex, iin, ie, arrEx, arrIn, refr *float64, mask *uint8, n int, c *kernelConsts)
