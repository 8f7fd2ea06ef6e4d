// Package calibration measures how fast this machine does the engine's
// unavoidable memory work, so that the engine's figures can be compared
// across machines: a scatter-add of packed 4-byte events into an array of
// float64, every core at once.
//
// The kernel: per core, Events uint32 events in a slice, each holding a
// target uniform in [0, Targets) in the low 17 bits and the magnitude of a
// normal IEEE half-precision weight in the 15 bits above; each event's
// weight is added, as float64, to its target's entry of a []float64 of
// 2^17 entries. All cores run at once, each on its own data; the result is
// the best of Passes passes, in ns per event per core.
package calibration

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"
)

// The kernel's dimensions.
const (
	Events  = 1 << 25 // events per core
	Entries = 1 << 17 // float64 entries of each core's array
	Targets = 32768   // targets are uniform in [0, Targets)
	Passes  = 5
)

// Run runs the kernel on cores goroutines at once (each locked to an OS
// thread) and returns the best pass's wall time per event, in ns. It
// allocates 4·Events + 8·Entries bytes per core (about 129 MiB) and frees
// them before it returns.
func Run(cores int) float64 {
	if cores < 1 {
		cores = 1
	}
	events := make([][]uint32, cores)
	bufs := make([][]float64, cores)
	var wg sync.WaitGroup
	for c := range cores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			events[c] = Generate(uint64(c), Events)
			bufs[c] = make([]float64, Entries)
		}()
	}
	wg.Wait()
	runtime.GC() // no collection during the passes

	// A pass to warm up (page faults, caches, clock), then the measured ones.
	best := math.Inf(1)
	start := make([]chan struct{}, Passes+1)
	for i := range start {
		start[i] = make(chan struct{})
	}
	done := make(chan time.Time, cores)
	for c := range cores {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for p := range Passes + 1 {
				<-start[p]
				Apply(events[c], (*[Entries]float64)(bufs[c]))
				done <- time.Now()
			}
		}()
	}
	for p := range Passes + 1 {
		t0 := time.Now()
		close(start[p])
		var last time.Time
		for range cores {
			if t := <-done; t.After(last) {
				last = t
			}
		}
		if p > 0 {
			best = math.Min(best, float64(last.Sub(t0).Nanoseconds())/Events)
		}
	}
	return best
}

// Generate returns n events of the kernel drawn from a stream seeded by
// seed: targets uniform in [0, Targets), weights' half-precision
// magnitudes with exponents for 2^-2 to 2^8 (as the model's weights in pA).
func Generate(seed, n uint64) []uint32 {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	out := make([]uint32, n)
	for i := range out {
		exp := 13 + r.Uint32N(11) // biased exponent: 2^-2 .. 2^8
		half := exp<<10 | r.Uint32N(1<<10)
		out[i] = half<<17 | r.Uint32N(Targets)
	}
	return out
}

// Apply adds the weight of every event to its target's entry of buf.
func Apply(events []uint32, buf *[Entries]float64) {
	for _, e := range events {
		buf[e&(Entries-1)] += float64(Weight(e))
	}
}

// Weight returns the weight of an event: its 15-bit half-precision
// magnitude (a normal number) as a float32.
func Weight(e uint32) float32 {
	// A normal half's exponent and mantissa, shifted into a float32's
	// places, with the exponent's bias raised from 15 to 127.
	return math.Float32frombits((e>>17)<<13 + (127-15)<<23)
}
