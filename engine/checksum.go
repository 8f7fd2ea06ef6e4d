package engine

// Checksum returns the checksum (Network.Checksum) of the network the Sim
// was made from, computed from the Sim's own grouped (and perhaps packed)
// synapses, so that the network need not be kept nor digested before it
// is needed. It uses up to threads goroutines.
func (s *Sim) Checksum(threads int) uint64 {
	sy := &s.syn
	ns := s.net.NumSources
	threads = max(threads, 1)
	sums := make([]uint64, threads)
	inChunks(ns, threads, func(c, s0, s1 int) {
		var sum uint64
		for src := s0; src < s1; src++ {
			g0, g1 := sy.grpIdx[src*s.w], sy.grpIdx[(src+1)*s.w]
			for g := g0; g < g1; g++ {
				start := int64(0)
				if g > 0 {
					start = sy.grpEnd[g-1]
				}
				d := int(sy.grpDelay[g] &^ grpNeg)
				neg := uint64(0)
				if sy.grpDelay[g]&grpNeg != 0 {
					neg = 0x8000
				}
				for k := start; k < sy.grpEnd[g]; k++ {
					t := sy.target[k]
					var w uint64
					if sy.packed {
						t, w = t&(packedNeurons-1), uint64(sy.halfBits(t))|neg
					} else {
						w = weightBits(sy.w16, sy.w32, sy.w64, k)
					}
					sum += synapseHash(src, s.global(int(t)), w, d)
				}
			}
		}
		sums[c] = sum
	})
	sum := s.net.neuronChecksum()
	for _, v := range sums {
		sum += v
	}
	return sum
}
