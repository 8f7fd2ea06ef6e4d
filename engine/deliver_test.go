package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDeliverWords checks the vector kernels' queueing of packed groups
// against Go's, over groups of every length from 0 to 40 words (every tail
// of eight and sixteen), both signs, delays that wrap round the ring, and
// queues that must grow in the middle of a spike's groups (the kernels then
// hand that group to Go).
func TestDeliverWords(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const slots, nGroups = 13, 600
	var sy synapses
	sy.slots, sy.packed = slots, true
	var end int64
	for g := 0; g < nGroups; g++ {
		n := g % 41
		for range n {
			sy.target = append(sy.target, r.Uint32())
		}
		end += int64(n)
		sy.grpEnd = append(sy.grpEnd, end)
		d := uint16(1 + r.IntN(slots-1))
		if r.IntN(3) == 0 {
			d |= grpNeg
		}
		sy.grpDelay = append(sy.grpDelay, d)
	}
	run := func(level kernelLevel) []queue {
		s := &Sim{syn: sy, kernel: level}
		queues := make([]queue, slots)
		for i := range queues {
			// Some queues start with spare room, some with none.
			queues[i].ex = make([]uint32, i, i+7*(i%3))
			queues[i].in = make([]uint32, i%4, i%4+(i%2)*50)
		}
		r := rand.New(rand.NewPCG(3, 4))
		for g := 0; g < nGroups; {
			g1 := min(nGroups, g+1+r.IntN(40))
			start := int64(0)
			if g > 0 {
				start = sy.grpEnd[g-1]
			}
			s.deliverWords(queues, r.IntN(slots), int64(g), int64(g1), start)
			g = g1
		}
		return queues
	}
	want := run(kernelScalar)
	events := 0
	for _, q := range want {
		events += len(q.ex) + len(q.in)
	}
	// The queues started with 0+1+…+12 excitatory and 18 inhibitory events.
	if events != len(sy.target)+78+18 {
		t.Fatalf("Go queued %d events", events)
	}
	for level := kernelAVX2; level <= bestKernel; level++ {
		t.Run(fmt.Sprint(level), func(t *testing.T) {
			got := run(level)
			for i := range got {
				if !slices.Equal(got[i].ex, want[i].ex) || !slices.Equal(got[i].in, want[i].in) {
					t.Fatalf("queue %d: %d and %d events, Go %d and %d, or other words", i, len(got[i].ex), len(got[i].in), len(want[i].ex), len(want[i].in))
				}
			}
		})
	}
}
