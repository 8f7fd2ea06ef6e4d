package engine

import (
	"context"
	"math"
	"runtime"
	"sync"
)

// owner returns the worker that owns neuron i (an index within the Sim).
func (s *Sim) owner(i uint32) int {
	k := int(int64(i) * int64(s.w) / int64(s.n))
	for k > 0 && int(i) < s.wk[k].lo {
		k--
	}
	for int(i) >= s.wk[k].hi {
		k++
	}
	return k
}

// group sorts every source's synapses by (owner of target, delay), stably,
// and builds the group index. Sources are handled in parallel chunks. It
// returns ctx's error if ctx is cancelled (the synapses are then in no
// useful order).
//
// Where the network can be packed (half-precision weights, at most
// packedNeurons neurons, delays below grpNeg), group writes each synapse as
// one word, target | weight magnitude << packBits, in place of its target,
// and marks the groups of negative weights; if every group has weights of
// one sign, the events travel as these words (syn.packed) and the weight
// array is dropped: 4 bytes per synapse instead of 6, and delivery becomes a
// copy. Otherwise the words are cut back to targets.
//
// A packed network whose weights allow it (see fixed.go) gets words with
// fixed-point weights and int32 arrival sums (syn.fixed).
func (s *Sim) group(ctx context.Context, f facts) error {
	net := s.net
	sy := &s.syn
	ns := net.NumSources
	maxDelay := max(1, f.maxDelay)
	nkeys := s.w * (maxDelay + 1)
	tryPack := !disablePacking && sy.w16 != nil && s.n <= packedNeurons && maxDelay < grpNeg
	fixed := tryPack && s.fixedPays() && f.expMin >= 1 && f.expMax-f.expMin <= fixedSpan &&
		fixedInBound(f, len(net.Syn), net.extMultMax())
	e0 := f.expMin
	// keyBase[t] is the first key of target t's worker: one load per
	// synapse instead of owner's division.
	keyBase := make([]int32, s.n)
	for k := range s.wk {
		for t := s.wk[k].lo; t < s.wk[k].hi; t++ {
			keyBase[t] = int32(k * (maxDelay + 1))
		}
	}
	nch := min(ns, 4*runtime.GOMAXPROCS(0))
	chunks := make([]groupChunk, nch)
	inChunks(ns, nch, func(c, s0, s1 int) {
		ch := &chunks[c]
		ch.counts = make([]int64, (s1-s0)*s.w)
		cnt := make([]int64, nkeys+1)
		var tmpT []uint32
		var tmp16 []uint16
		var tmp32 []float32
		var tmp64 []float64
		var keys []int32
		for src := s0; src < s1; src++ {
			if src%256 == 0 && ctx.Err() != nil {
				return
			}
			a, b := net.SrcStart[src], net.SrcStart[src+1]
			m := int(b - a)
			if m == 0 {
				continue
			}
			clear(cnt)
			keys = keys[:0]
			for k := a; k < b; k++ {
				t, d := net.Unpack(net.Syn[k])
				key := keyBase[t] + int32(d)
				keys = append(keys, key)
				cnt[key+1]++
			}
			for k := 1; k <= nkeys; k++ {
				cnt[k] += cnt[k-1]
			}
			// Record the groups before the scatter moves the cursors.
			ngroups := 0
			for key := 0; key < nkeys; key++ {
				if cnt[key+1] > cnt[key] {
					ngroups++
					ch.delays = append(ch.delays, uint16(key%(maxDelay+1)))
					ch.ends = append(ch.ends, a+cnt[key+1])
					ch.counts[(src-s0)*s.w+key/(maxDelay+1)]++
				}
			}
			tmpT = append(tmpT[:0], net.Syn[a:b]...)
			switch {
			case sy.w16 != nil:
				tmp16 = append(tmp16[:0], sy.w16[a:b]...)
			case sy.w32 != nil:
				tmp32 = append(tmp32[:0], sy.w32[a:b]...)
			default:
				tmp64 = append(tmp64[:0], sy.w64[a:b]...)
			}
			mask := uint32(1)<<net.TargetBits - 1
			if tryPack {
				for j, key := range keys {
					pos := a + cnt[key]
					cnt[key]++
					w := uint32(tmp16[j] & 0x7fff)
					if fixed {
						w = fixedOf(tmp16[j], e0)
					}
					sy.target[pos] = tmpT[j]&mask | w<<packBits
					sy.w16[pos] = tmp16[j]
				}
				ch.markSigns(sy.w16, a, len(ch.ends)-ngroups)
				continue
			}
			for j, key := range keys {
				pos := a + cnt[key]
				cnt[key]++
				sy.target[pos] = tmpT[j] & mask
				switch {
				case sy.w16 != nil:
					sy.w16[pos] = tmp16[j]
				case sy.w32 != nil:
					sy.w32[pos] = tmp32[j]
				default:
					sy.w64[pos] = tmp64[j]
				}
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	total := 0
	for _, ch := range chunks {
		total += len(ch.ends)
	}
	sy.grpDelay = make([]uint16, 0, total)
	sy.grpEnd = make([]int64, 0, total)
	sy.grpIdx = make([]int64, ns*s.w+1)
	mixed := false
	for c, ch := range chunks {
		sy.grpDelay = append(sy.grpDelay, ch.delays...)
		sy.grpEnd = append(sy.grpEnd, ch.ends...)
		s0 := c * ns / nch
		for j, k := range ch.counts {
			sy.grpIdx[s0*s.w+j+1] = sy.grpIdx[s0*s.w+j] + k
		}
		mixed = mixed || ch.mixed
	}
	switch {
	case tryPack && !mixed:
		sy.w16 = nil
		sy.packed = true
		if fixed {
			sy.fixed, sy.exp0, sy.unit = true, e0, math.Ldexp(1, e0-25)
		}
	case tryPack:
		// Plain targets and delays after all.
		inChunks(len(sy.target), runtime.GOMAXPROCS(0), func(_, lo, hi int) {
			for i := range sy.target[lo:hi] {
				sy.target[lo+i] &= 1<<packBits - 1
			}
		})
		for g := range sy.grpDelay {
			sy.grpDelay[g] &^= grpNeg
		}
	}
	return nil
}

// groupChunk is what group records for a chunk of sources: each group's
// delay and end, the number of groups per (source, worker), and whether a
// group has weights of both signs.
type groupChunk struct {
	delays []uint16
	ends   []int64
	counts []int64
	mixed  bool
}

// markSigns marks as negative the groups of ch from first on whose
// half-precision weights (w16, the first group's from start) are negative,
// and notes a group of mixed signs.
func (ch *groupChunk) markSigns(w16 []uint16, start int64, first int) {
	for g, end := range ch.ends[first:] {
		sign := w16[start] & 0x8000
		for _, h := range w16[start:end] {
			if h&0x8000 != sign {
				ch.mixed = true
			}
		}
		if sign != 0 {
			ch.delays[first+g] |= grpNeg
		}
		start = end
	}
}

// inChunks calls f(c, lo, hi) for k chunks c of 0..m-1 (at most m, at
// least one), one goroutine each, and returns when all are done.
func inChunks(m, k int, f func(c, lo, hi int)) {
	k = max(1, min(m, k))
	var wg sync.WaitGroup
	for c := 0; c < k; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			f(c, c*m/k, (c+1)*m/k)
		}(c)
	}
	wg.Wait()
}

// grpNeg marks, in grpDelay, a group of negative weights in a packed
// network; the delay is the bits below.
const grpNeg = 1 << 15

// disablePacking keeps New from packing (for tests comparing both forms).
var disablePacking bool
