package engine

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/pd14/microcircuit/cluster"
)

// TestTwoStepMatchesSingle runs networks in two-step passes, in Runs of
// odd and even lengths (so that passes start on either parity, flush steps
// fall in either half of a pass and the background starts inside one), on
// one to three workers, and compares every spike and state bit with single
// steps, and the recorded membrane potentials, after every Run: DC,
// Poisson background (with current pulses and
// without), external sources (Runs ending inside their spikes' window), and
// currents left to decay until the flush zeroes them.
func TestTwoStepMatchesSingle(t *testing.T) {
	cases := []struct {
		name      string
		net       func() *Network
		prep      func(*Sim)
		runs      []int64
		minSpikes int
		// tail, if not 0, is chainTail: thresholds that leave that
		// fraction of the counts to the AVX-512 kernel's search.
		tail float64
	}{
		{name: "dc", net: func() *Network { return fixedNet(false, false) },
			runs: []int64{1, 2, 3, 4, 61, 64, 7, 1200, 129, 1529}, minSpikes: 1000},
		{name: "poisson", net: func() *Network {
			net := fixedNet(true, false)
			net.Pulses = nil
			return net
		}, runs: []int64{1, 2, 3, 4, 61, 64, 7, 1200, 129, 1529}, minSpikes: 1000},
		{name: "poisson-searches", net: func() *Network {
			net := fixedNet(true, false)
			net.Pulses = nil
			return net
		}, tail: 0.01, runs: []int64{1, 64, 7, 300, 129}, minSpikes: 300},
		{name: "poisson-large", net: func() *Network {
			// 10 counts per step, thresholds leaving almost all to the
			// search: counts far above the thresholds' (and above 15).
			net := fixedNet(true, false)
			net.Pulses = nil
			net.BgRate = []float64{2000, 100000}
			net.BgWeight = 10
			return net
		}, tail: 0.9999, runs: []int64{1, 64, 7, 300, 129}, minSpikes: 300},
		{name: "poisson-means", net: func() *Network {
			// Means from 0.0012 to 2 counts per step: 2, 3 (padded to
			// 4), 4 and 7 (padded to 8) thresholds, and the table.
			net := fixedNet(true, false)
			net.Pulses = nil
			net.PopNames = []string{"A", "B", "C", "D", "E"}
			net.PopStart = []int{0, 200, 400, 600, 800, 1003}
			net.BgRate = []float64{12, 500, 3000, 13000, 20000}
			for i := range net.Ie {
				net.Ie[i] = 300
			}
			return net
		}, runs: []int64{1, 64, 7, 300, 129}, minSpikes: 300},
		{name: "tails", net: func() *Network {
			// Populations of every size modulo 8: every tail the
			// kernels leave to Go.
			net := fixedNet(false, false)
			net.PopNames = []string{"A", "B", "C", "D", "E", "F", "G", "H"}
			net.PopStart = []int{0}
			for _, m := range []int{120, 121, 122, 123, 124, 125, 126, 142} {
				net.PopStart = append(net.PopStart, net.PopStart[len(net.PopStart)-1]+m)
			}
			for i := range net.Ie {
				net.Ie[i] = 370 + 3*float64(slices.IndexFunc(net.PopStart[1:], func(b int) bool { return i < b }))
			}
			return net
		}, runs: []int64{1, 2, 3, 4, 61, 64, 7, 1200, 129, 1529}, minSpikes: 1000},
		{name: "pulses", net: func() *Network { return fixedNet(true, false) },
			runs: []int64{1, 2, 3, 4, 61, 64, 7, 1200, 129, 1529}, minSpikes: 1000},
		{name: "external", net: func() *Network { return withExternal(fixedNet(true, false)) },
			runs: []int64{1, 2, 3, 4, 61, 64, 7, 157, 2, 1, 1699}, minSpikes: 1000},
		{name: "decaying", net: func() *Network {
			net := fixedNet(false, false)
			for i := range net.Ie {
				net.Ie[i], net.V0[i] = 0, -70
			}
			return net
		}, prep: func(s *Sim) {
			// Currents that reach flushBelow after 2,190 to 2,330 steps,
			// some in every step; two-step Runs that end just after the
			// flush steps 2,240 (in a pass's second half) and 2,304 (in a
			// first half).
			for i := range s.nrn.iex {
				x := 200 * math.Exp2(-40*float64(i)/float64(len(s.nrn.iex)))
				s.nrn.iex[i], s.nrn.iin[i] = x, -1.5*x
				// Refractory ends that become 2^30 steps old at the
				// flush steps 64 or 128.
				s.nrn.until[i] = -1<<30 + 100 - int32(i%200)
			}
		}, runs: []int64{1, 2, 3, 4, 61, 64, 7, 2034, 66, 1, 64, 693}},
	}
	for _, tc := range cases {
		for level := kernelScalar; level <= bestKernel; level++ {
			for _, workers := range []int{1, 3} {
				t.Run(fmt.Sprintf("%s/%v/%d", tc.name, level, workers), func(t *testing.T) {
					sim := func(two bool) *Sim {
						if !two {
							twoStepChoice = twoStepNever
							defer func() { twoStepChoice = twoStepAuto }()
						}
						fixedChoice = fixedAlways
						if tc.tail != 0 {
							chainTail = tc.tail
						}
						s, err := New(tc.net(), Options{Workers: workers})
						fixedChoice, chainTail = fixedAuto, 0x1p-11
						if err != nil {
							t.Fatal(err)
						}
						s.kernel = level
						if got := s.twoStep(); got != (two && level >= twoStepLevel) {
							t.Fatalf("two-step passes %v at %v", got, level)
						}
						if tc.prep != nil {
							tc.prep(s)
						}
						// Potentials sampled after every step (odd and
						// even, both halves of a pass), segment tails too.
						var ids []int
						for i := 0; i < s.n; i += 37 {
							ids = append(ids, i, min(i+36, s.n-1))
						}
						if err := s.RecordVoltage(ids, 1); err != nil {
							t.Fatal(err)
						}
						return s
					}
					a, b := sim(true), sim(false)
					for i, n := range tc.runs {
						for _, s := range []*Sim{a, b} {
							if s == b {
								twoStepChoice = twoStepNever
							}
							err := s.Run(context.Background(), n, true, nil)
							twoStepChoice = twoStepAuto
							if err != nil {
								t.Fatal(err)
							}
						}
						if want := 1 + btoi(level >= twoStepLevel && n >= twoStepMinRun); a.StepsPerPass() != want || b.StepsPerPass() != 1 {
							t.Fatalf("steps per pass %d and %d, want %d and 1", a.StepsPerPass(), b.StepsPerPass(), want)
						}
						sa, ia := a.Spikes()
						sb, ib := b.Spikes()
						min := 0
						if i == len(tc.runs)-1 {
							min = tc.minSpikes
						}
						compareSimsMin(t, min, a, b, sa, sb, ia, ib)
						va, na, xa := a.Voltages()
						vb, nb, xb := b.Voltages()
						if len(va) == 0 || !slices.Equal(va, vb) || !slices.Equal(na, nb) || !slices.Equal(xa, xb) {
							t.Fatalf("after Run %d: %d potentials recorded, with single steps %d; they differ", i, len(xa), len(xb))
						}
					}
					if tc.name == "decaying" {
						for i, x := range a.nrn.iex {
							if x != 0 || a.nrn.iin[i] != 0 {
								t.Fatalf("neuron %d: currents %g, %g not flushed", i, x, a.nrn.iin[i])
							}
						}
					}
				})
			}
		}
	}
}

// TestTwoStepStops checks that a cancelled Run in two-step passes stops
// every worker at the same step, with the state of whole steps: the rest
// of the run then gives the spikes and state of one uninterrupted run.
func TestTwoStepStops(t *testing.T) {
	if bestKernel < twoStepLevel {
		t.Skip("no kernel for two-step passes")
	}
	newSim := func() *Sim {
		fixedChoice = fixedAlways
		defer func() { fixedChoice = fixedAuto }()
		sim, err := New(fixedNet(false, false), Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if !sim.twoStep() {
			t.Fatal("no two-step passes")
		}
		return sim
	}
	a := newSim()
	ctx, cancel := context.WithCancel(context.Background())
	err := a.Run(ctx, 3000, true, func(done int64) {
		if done >= 500 {
			cancel()
		}
	})
	if err == nil {
		t.Fatal("cancelled Run returned no error")
	}
	stopped := a.Step()
	if stopped < 500 || stopped >= 3000 {
		t.Fatalf("stopped at step %d", stopped)
	}
	if err := a.Run(context.Background(), 3000-stopped, true, nil); err != nil {
		t.Fatal(err)
	}
	b := newSim()
	if err := b.Run(context.Background(), 3000, true, nil); err != nil {
		t.Fatal(err)
	}
	sa, ia := a.Spikes()
	sb, ib := b.Spikes()
	compareSims(t, a, b, sa, sb, ia, ib)
}

// countingExchanger counts the exchanges of the Exchanger it wraps.
type countingExchanger struct {
	Exchanger
	n int
}

func (c *countingExchanger) ExchangeSpikes(local []uint32, stop bool, all []uint32) ([]uint32, bool) {
	c.n++
	return c.Exchanger.ExchangeSpikes(local, stop, all)
}

// TestTwoStepParts runs networks split among ranks (in-process) in two-step
// passes, exchanging the spikes of both steps of a pass at once, and
// compares spikes and state with the whole network in single steps; one
// rank that cannot take two-step passes (the plain Go update) makes every
// rank take single steps, with the same result.
func TestTwoStepParts(t *testing.T) {
	if bestKernel < twoStepLevel {
		t.Skip("no kernel for two-step passes")
	}
	const steps = 1501
	for _, poisson := range []bool{false, true} {
		mk := func() *Network {
			net := fixedNet(poisson, false)
			net.Pulses = nil
			return net
		}
		twoStepChoice = twoStepNever
		whole := newFixed(t, mk(), bestKernel, true)
		err := whole.Run(context.Background(), steps, true, nil)
		twoStepChoice = twoStepAuto
		if err != nil {
			t.Fatal(err)
		}
		want := spikesOf(whole)
		wantState := newState(whole.n)
		wantState.take(whole)
		for _, tc := range []struct {
			ranks, workers int
			veto           bool
		}{{2, 1, false}, {3, 2, false}, {3, 1, true}} {
			comms := cluster.InProcess(tc.ranks)
			st := newState(whole.n)
			var got []spike
			var mu sync.Mutex
			var wg sync.WaitGroup
			calls := make([]int, tc.ranks)
			for r := range tc.ranks {
				part, err := mk().Part(r, tc.ranks)
				if err != nil {
					t.Fatal(err)
				}
				x := &countingExchanger{Exchanger: comms[r]}
				fixedChoice = fixedAlways
				sim, err := New(part, Options{Workers: tc.workers, Exchanger: x, Oversubscribed: true})
				fixedChoice = fixedAuto
				if err != nil {
					t.Fatal(err)
				}
				if tc.veto && r == 1 {
					sim.kernel = kernelScalar
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := sim.Run(context.Background(), steps, true, nil); err != nil {
						t.Error(err)
					}
					mu.Lock()
					got = append(got, spikesOf(sim)...)
					st.take(sim)
					calls[r] = x.n
					mu.Unlock()
				}()
			}
			wg.Wait()
			slices.SortFunc(got, func(a, b spike) int {
				return cmp.Or(cmp.Compare(a.step, b.step), cmp.Compare(a.id, b.id))
			})
			name := fmt.Sprintf("poisson %v, %d ranks × %d workers, veto %v", poisson, tc.ranks, tc.workers, tc.veto)
			if len(want) < 1000 || !slices.Equal(got, want) {
				t.Errorf("%s: %d spikes, whole network %d; they differ", name, len(got), len(want))
			}
			if !reflect.DeepEqual(st, wantState) {
				t.Errorf("%s: the neurons' state differs from the whole network's", name)
			}
			// The vote, then one exchange per step, or per pass: the
			// first step alone, two-step passes, a last step alone if
			// one is left.
			want := 1 + 1 + (steps-1)/2 + (steps-1)%2
			if tc.veto {
				want = 1 + steps
			}
			for r, n := range calls {
				if n != want {
					t.Errorf("%s: rank %d exchanged %d times, want %d", name, r, n, want)
				}
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
