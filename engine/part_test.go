package engine

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pd14/microcircuit/cluster"
	"github.com/pd14/microcircuit/internal/half"
)

// richNet is randomNet with every input the engine knows: two populations
// with Poisson background, a current pulse, and external Poisson sources
// whose spikes have multiplicities. With double set, weights are float64.
func richNet(double bool) *Network {
	const n, k, nExt = 1003, 60, 25
	net := randomNet(n, k, 30, 300)
	r := rand.New(rand.NewPCG(3, 4))
	for j := 0; j < nExt; j++ {
		for i := 0; i < 40; i++ {
			net.Syn = append(net.Syn, net.Pack(uint32(r.IntN(n)), 1+r.IntN(20)))
			net.Weight16 = append(net.Weight16, half.FromFloat32(float32(30+5*r.NormFloat64())))
		}
		net.SrcStart = append(net.SrcStart, int64(len(net.Syn)))
	}
	net.NumSources = n + nExt
	net.ExtRate, net.ExtFirst, net.ExtLast, net.ExtSeed = 3000, 300, 600, 17
	net.PopNames = []string{"A", "B"}
	net.PopStart = []int{0, 480, n}
	net.BgRate = []float64{8000, 9000}
	net.BgWeight, net.BgFirst, net.BgSeed = 40, 3, 5
	net.Pulses = []Pulse{{150, 1000, 1300}, {60, 1100, 1250}}
	if double {
		// Weights of full precision: their sums depend on the order of
		// summation (sums of half-precision weights are mostly exact).
		for _, h := range net.Weight16 {
			net.Weight64 = append(net.Weight64, float64(half.ToFloat32(h))*(1+0.1*r.Float64()))
		}
		net.Weight16 = nil
	}
	return net
}

type spike struct {
	step int32
	id   uint32
}

// state is the state of every neuron, by index in the whole network.
type state struct{ v, iex, iin, refr []float64 }

func newState(n int) *state {
	return &state{make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)}
}

// take copies the state of the neurons sim holds into st.
func (st *state) take(sim *Sim) {
	for i := 0; i < sim.n; i++ {
		g := sim.global(i)
		st.v[g], st.iex[g], st.iin[g], st.refr[g] = sim.nrn.v[i], sim.nrn.iex[i], sim.nrn.iin[i], float64(sim.refractoryLeft(i))
	}
}

func spikesOf(sim *Sim) []spike {
	st, id := sim.Spikes()
	out := make([]spike, len(st))
	for i := range st {
		out[i] = spike{st[i], id[i]}
	}
	return out
}

// runParts simulates the network that mk returns split among R in-process
// ranks of the given number of workers each, and returns all ranks' spikes
// in (step, neuron) order, the number of steps each rank simulated, and
// each rank's error. cancel, if >= 0, is the rank whose context is
// cancelled.
func runParts(t *testing.T, mk func() *Network, R, workers int, steps int64, cancel int) ([]spike, *state, []int64, []error) {
	t.Helper()
	whole := mk()
	st := newState(whole.N())
	comms := cluster.InProcess(R)
	var mu sync.Mutex
	var all []spike
	done := make([]int64, R)
	errs := make([]error, R)
	var wg sync.WaitGroup
	for r := 0; r < R; r++ {
		part, err := whole.Part(r, R)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			sim, err := New(part, Options{Workers: workers, Exchanger: comms[r], Oversubscribed: true})
			if err != nil {
				t.Error(err)
				return
			}
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			if r == cancel {
				stop()
			}
			errs[r] = sim.Run(ctx, steps, true, nil)
			done[r] = sim.Step()
			mu.Lock()
			all = append(all, spikesOf(sim)...)
			st.take(sim)
			mu.Unlock()
		}(r)
	}
	wg.Wait()
	slices.SortFunc(all, func(a, b spike) int {
		return cmp.Or(cmp.Compare(a.step, b.step), cmp.Compare(a.id, b.id))
	})
	return all, st, done, errs
}

// TestPartsMatchWhole checks that a network split among ranks (in-process,
// exchanging spikes every step) gives exactly the spikes of the whole
// network in one Sim, for several splits and worker counts, with every
// input on, for packed half-precision and for float64 weights.
func TestPartsMatchWhole(t *testing.T) {
	for _, double := range []bool{false, true} {
		mk := func() *Network { return richNet(double) }
		sim, err := New(mk(), Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if sim.syn.packed == double {
			t.Fatalf("double %v: packed %v", double, sim.syn.packed)
		}
		const steps = 2000
		if err := sim.Run(context.Background(), steps, true, nil); err != nil {
			t.Fatal(err)
		}
		want := spikesOf(sim)
		wantState := newState(sim.n)
		wantState.take(sim)
		if len(want) < 2000 {
			t.Fatalf("only %d spikes: the test network is too quiet", len(want))
		}
		for _, split := range []struct{ ranks, workers int }{{1, 2}, {2, 1}, {2, 3}, {3, 2}, {7, 1}} {
			got, gotState, _, errs := runParts(t, mk, split.ranks, split.workers, steps, -1)
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("double %v, %d ranks × %d workers: %d spikes, whole network %d; they differ",
					double, split.ranks, split.workers, len(got), len(want))
			}
			if !reflect.DeepEqual(gotState, wantState) {
				t.Errorf("double %v, %d ranks × %d workers: the neurons' state differs from the whole network's",
					double, split.ranks, split.workers)
			}
		}
	}
}

// TestPartsStopTogether cancels one rank: all ranks must stop at the same
// step boundary and report the interruption.
func TestPartsStopTogether(t *testing.T) {
	_, _, done, errs := runParts(t, func() *Network { return richNet(false) }, 3, 2, 5000, 1)
	for r := range done {
		if done[r] != done[0] || done[r] >= 5000 {
			t.Fatalf("ranks stopped after %v steps of 5000", done)
		}
		if !errors.Is(errs[r], context.Canceled) {
			t.Fatalf("rank %d: %v, want context.Canceled", r, errs[r])
		}
	}
}

func TestPartNeedsExchanger(t *testing.T) {
	part, err := richNet(false).Part(0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(part, Options{}); err == nil {
		t.Fatal("a part without an exchanger was accepted")
	}
}

// TestStateContinuesExactly stops a run at an arbitrary step, takes its
// state, and continues it in a new Sim of another worker count (and from
// the merged states of three ranks): the spikes and the final state must
// be those of the uninterrupted run.
func TestStateContinuesExactly(t *testing.T) {
	const steps, cut = 2000, 1237
	for _, double := range []bool{false, true} {
		mk := func() *Network { return richNet(double) }
		whole, err := New(mk(), Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if err := whole.Run(context.Background(), steps, true, nil); err != nil {
			t.Fatal(err)
		}
		want := spikesOf(whole)
		wantState := newState(whole.n)
		wantState.take(whole)

		// Stop at the cut and take the state: from one Sim, and from
		// three ranks merged.
		first, err := New(mk(), Options{Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		if err := first.Run(context.Background(), cut, true, nil); err != nil {
			t.Fatal(err)
		}
		fromOne := first.State()
		before := spikesOf(first)
		parts := make([]*State, 3)
		var wg sync.WaitGroup
		comms := cluster.InProcess(3)
		net := mk()
		for r := range parts {
			part, err := net.Part(r, 3)
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func(r int) {
				defer wg.Done()
				sim, err := New(part, Options{Workers: 1, Exchanger: comms[r], Oversubscribed: true})
				if err != nil {
					t.Error(err)
					return
				}
				if err := sim.Run(context.Background(), cut, false, nil); err != nil {
					t.Error(err)
				}
				parts[r] = sim.State()
			}(r)
		}
		wg.Wait()
		fromRanks, err := MergeState(parts)
		if err != nil {
			t.Fatal(err)
		}
		for name, st := range map[string]*State{"one Sim": fromOne, "three ranks": fromRanks} {
			sim, err := New(mk(), Options{Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			if err := sim.SetState(st); err != nil {
				t.Fatal(err)
			}
			if err := sim.Run(context.Background(), steps-cut, true, nil); err != nil {
				t.Fatal(err)
			}
			got := append(slices.Clone(before), spikesOf(sim)...)
			gotState := newState(sim.n)
			gotState.take(sim)
			if !slices.Equal(got, want) || !reflect.DeepEqual(gotState, wantState) {
				t.Errorf("double %v, state from %s: %d spikes (want %d), same state %v", double, name,
					len(got), len(want), reflect.DeepEqual(gotState, wantState))
			}
		}
	}
}

// TestChecksum: the parts' checksums add up to the whole's; another weight
// changes it.
func TestChecksum(t *testing.T) {
	whole := richNet(false)
	want := whole.Checksum(3)
	var sum uint64
	for r := 0; r < 3; r++ {
		p, err := whole.Part(r, 3)
		if err != nil {
			t.Fatal(err)
		}
		sum += p.Checksum(2)
	}
	if sum != want {
		t.Fatalf("parts sum to %x, the whole is %x", sum, want)
	}
	whole.Weight16[12345] ^= 1
	if whole.Checksum(1) == want {
		t.Fatal("a changed weight leaves the checksum as it was")
	}
}

// TestSimChecksum checks that a Sim's checksum, computed from its grouped
// synapses, is its network's: packed and unpacked, half and double
// weights, whole and in parts, with any number of workers.
func TestSimChecksum(t *testing.T) {
	for _, double := range []bool{false, true} {
		for _, unpacked := range []bool{false, true} {
			disablePacking = unpacked
			whole := richNet(double)
			want := whole.Checksum(1)
			var sum uint64
			for r := 0; r < 2; r++ {
				p, err := whole.Part(r, 2)
				if err != nil {
					t.Fatal(err)
				}
				s, err := New(p, Options{Workers: 3, Exchanger: nopExchanger{}})
				if err != nil {
					t.Fatal(err)
				}
				if !double && unpacked == s.syn.packed {
					t.Fatalf("packed = %v with packing disabled = %v", s.syn.packed, unpacked)
				}
				sum += s.Checksum(2)
			}
			s, err := New(richNet(double), Options{Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Checksum(3); got != want || sum != want {
				t.Errorf("double %v, unpacked %v: Sim checksum %x, of parts %x; the network's %x", double, unpacked, got, sum, want)
			}
		}
	}
	disablePacking = false
}

// nopExchanger lets a part be made without running it.
type nopExchanger struct{}

func (nopExchanger) ExchangeSpikes(local []uint32, stop bool, all []uint32) ([]uint32, bool) {
	return append(all[:0], local...), stop
}

// TestCheckSynapses: Check, which scans the synapses in parallel chunks,
// names the first bad synapse wherever the bad ones lie.
func TestCheckSynapses(t *testing.T) {
	for _, tc := range []struct {
		at   []int // synapses made bad, in this order: target, delay
		want string
	}{
		{[]int{4000, 2999}, "synapse 2999 has delay 0"},
		{[]int{5, 5999}, "synapse 5 targets neuron"},
		{[]int{5998, -1}, "synapse 5998 targets neuron"},
	} {
		net := randomNet(60, 100, 5, 380)
		n := uint32(net.N())
		net.Syn[tc.at[0]] = net.Pack(n+3, 2)
		if tc.at[1] >= 0 {
			net.Syn[tc.at[1]] = net.Pack(1, 0)
		}
		err := net.Check()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("bad synapses at %v: error %v, want %q", tc.at, err, tc.want)
		}
	}
}

// TestPackingMixedSignGroup: one group of mixed signs, the last, keeps the
// network from being packed.
func TestPackingMixedSignGroup(t *testing.T) {
	net := randomNet(60, 100, 5, 380)
	sim, err := New(net, Options{Workers: 2})
	if err != nil || !sim.syn.packed {
		t.Fatalf("a network of one sign per source: packed %v, error %v", sim != nil && sim.syn.packed, err)
	}
	net = randomNet(60, 100, 5, 380)
	// The last source's synapses all go to one target with one delay: one
	// group; flip the sign of one of its weights.
	last := net.SrcStart[len(net.SrcStart)-2]
	for k := last; k < int64(len(net.Syn)); k++ {
		net.Syn[k] = net.Pack(59, 3)
	}
	net.Weight16[last] ^= 0x8000
	sim, err = New(net, Options{Workers: 2})
	if err != nil || sim.syn.packed {
		t.Fatalf("a group of mixed signs: packed %v, error %v", sim != nil && sim.syn.packed, err)
	}
}
