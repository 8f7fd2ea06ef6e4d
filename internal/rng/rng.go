// Package rng derives the model's independent random streams from one seed.
// Every stream is keyed by what it belongs to (a population pair, a chunk of
// synapses, a neuron), never by the thread that draws it, so that results do
// not depend on the number of threads.
package rng

import "math/rand/v2"

// Purposes of the streams; part of the key.
const (
	Connect  uint64 = 1 // synapse blocks: Key(seed, Connect, target pop, source pop)
	V0       uint64 = 2 // initial potentials: Key(seed, V0, pop, 0)
	Bg       uint64 = 3 // Poisson background, one stream per neuron
	External uint64 = 4 // thalamic spike trains, one stream per source
)

// mix is the SplitMix64 finaliser.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Key returns a 64-bit stream key for (seed, purpose, a, b).
func Key(seed, purpose, a, b uint64) uint64 {
	const golden = 0x9e3779b97f4a7c15
	k := mix(seed + golden)
	k = mix(k ^ (purpose + golden))
	k = mix(k ^ (a + 0xd1b54a32d192ed03))
	return mix(k ^ (b + 0x8cb92ba72f3d8dd7))
}

// Stream returns a generator for sub-stream i of key.
func Stream(key, i uint64) *rand.Rand {
	return rand.New(Source(key, i))
}

// Source returns the source of sub-stream i of key, the one Stream uses.
func Source(key, i uint64) *rand.PCG {
	return rand.NewPCG(key, mix(i+0x632be59bd9b4e019))
}

// Seed sets src to the start of sub-stream i of key, without allocating.
func Seed(src *rand.PCG, key, i uint64) {
	src.Seed(key, mix(i+0x632be59bd9b4e019))
}
