package engine

import (
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/pd14/microcircuit/cluster"
	"github.com/pd14/microcircuit/internal/half"
)

// fixedNet returns a randomNet whose weights span three binades (16 to 240
// pA), so that its arrival sums can be fixed point; with poisson, two
// populations with Poisson background and current pulses; with perNeuron,
// a constant current that differs between neurons.
func fixedNet(poisson, perNeuron bool) *Network {
	net := randomNet(1003, 200, 30, 390) // 1003: a remainder for the tails
	r := rand.New(rand.NewPCG(3, 4))
	for s := 0; s < net.N(); s++ {
		for k := net.SrcStart[s]; k < net.SrcStart[s+1]; k++ {
			w := min(max(16, 25+6*r.NormFloat64()), 60)
			if s%5 == 0 {
				w = -4 * w
			}
			net.Weight16[k] = half.FromFloat32(float32(w))
		}
	}
	for i := range net.Ie {
		net.Ie[i] = 380
		if perNeuron {
			net.Ie[i] = 360 + float64(i%50)
		}
	}
	if poisson {
		withPoisson(net)
		for i := range net.Ie {
			if !perNeuron {
				net.Ie[i] = 100
			}
		}
	}
	return net
}

// withExternal adds to net 25 external Poisson sources, 40 synapses each
// (weights within fixedNet's binades), whose spikes in steps 300..600 have
// multiplicities up to about 4.
func withExternal(net *Network) *Network {
	const nExt = 25
	n := net.N()
	r := rand.New(rand.NewPCG(5, 6))
	for j := 0; j < nExt; j++ {
		for i := 0; i < 40; i++ {
			net.Syn = append(net.Syn, net.Pack(uint32(r.IntN(n)), 1+r.IntN(20)))
			w := min(max(16, 30+5*r.NormFloat64()), 60)
			if j%4 == 0 {
				w = -w
			}
			net.Weight16 = append(net.Weight16, half.FromFloat32(float32(w)))
		}
		net.SrcStart = append(net.SrcStart, int64(len(net.Syn)))
	}
	net.NumSources = n + nExt
	net.ExtRate, net.ExtFirst, net.ExtLast, net.ExtSeed = 3000, 300, 600, 17
	return net
}

// newFixed returns a Sim of net at kernel level with fixed-point sums or
// not, checking that it got them.
func newFixed(t *testing.T, net *Network, level kernelLevel, fixed bool) *Sim {
	t.Helper()
	fixedChoice = fixedNever
	if fixed {
		fixedChoice = fixedAlways
	}
	sim, err := New(net, Options{Workers: 2})
	fixedChoice = fixedAuto
	if err != nil {
		t.Fatal(err)
	}
	if sim.syn.fixed != fixed {
		t.Fatalf("fixed-point sums %v, want %v", sim.syn.fixed, fixed)
	}
	sim.kernel = level
	return sim
}

// TestFixedSumsMatchFloat runs networks with fixed-point arrival sums and
// compares every spike and state bit with float64 sums and the plain Go
// update: DC shared and per neuron, Poisson background (fused kernels, and
// with per-neuron currents the float64 path on converted sums), segment
// tails; also with the other kernel levels, which then update every
// neuron from converted sums.
func TestFixedSumsMatchFloat(t *testing.T) {
	for _, tc := range []struct {
		name               string
		poisson, perNeuron bool
		external           bool
	}{{"dc", false, false, false}, {"dc-per-neuron", false, true, false}, {"poisson", true, false, false},
		{"poisson-per-neuron", true, true, false}, {"external", true, false, true}} {
		run := func(level kernelLevel, fixed bool) (*Sim, []int32, []uint32) {
			net := fixedNet(tc.poisson, tc.perNeuron)
			if tc.external {
				withExternal(net)
			}
			sim := newFixed(t, net, level, fixed)
			if err := sim.Run(context.Background(), 3000, true, nil); err != nil {
				t.Fatal(err)
			}
			st, id := sim.Spikes()
			return sim, st, id
		}
		t.Run(tc.name, func(t *testing.T) {
			b, sb, ib := run(kernelScalar, false)
			for level := kernelScalar; level <= bestKernel; level++ {
				a, sa, ia := run(level, true)
				compareSims(t, a, b, sa, sb, ia, ib)
			}
		})
	}
}

// TestFixedDecision checks which networks can have fixed-point sums (with
// the kernels' choice set aside), and which kernels choose them.
func TestFixedDecision(t *testing.T) {
	fixedChoice = fixedAlways
	defer func() { fixedChoice = fixedAuto }()
	fixedOf := func(net *Network) bool {
		t.Helper()
		sim, err := New(net, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		return sim.syn.fixed
	}
	if !fixedOf(fixedNet(false, false)) {
		t.Errorf("weights within three binades: no fixed-point sums")
	}
	wide := fixedNet(false, false)
	wide.Weight16[7] = wide.Weight16[7]&0x8000 | half.FromFloat32(2) // 2 to 240 pA: seven binades
	if fixedOf(wide) {
		t.Errorf("weights over seven binades: fixed-point sums")
	}
	// External sources: their spikes' multiplicities times the most
	// synapses onto one neuron (about 250 here) must stay within
	// fixedMaxIn.
	for _, tc := range []struct {
		rate  float64 // spikes/s of the drawn sources, or
		given int32   // the multiplicity of a given spike
		want  bool
	}{{0, 0, true}, {1000, 0, true}, {0, 3, true}, {0, 1000, false}} {
		ext := fixedNet(false, false)
		ext.NumSources++
		ext.SrcStart = append(ext.SrcStart, ext.SrcStart[len(ext.SrcStart)-1])
		ext.ExtRate, ext.ExtFirst, ext.ExtLast = tc.rate, 1, 10
		if tc.given > 0 {
			ext.ExtSpikes = []ExtSpike{{Source: 0, Step: 3, Mult: tc.given}}
		}
		if got := fixedOf(ext); got != tc.want {
			t.Errorf("an external source (rate %v, given multiplicity %d): fixed-point sums %v, want %v", tc.rate, tc.given, got, tc.want)
		}
	}
	for _, tc := range []struct {
		maxIn, syn, mult int
		want             bool
	}{{30000, 1 << 20, 2, true}, {30000, 1 << 20, 3, false}, {0, 1000, 65, true}, {0, 1000, 66, false}, {fixedMaxIn, 1 << 20, 0, true}} {
		if got := fixedInBound(facts{maxIn: tc.maxIn}, tc.syn, tc.mult); got != tc.want {
			t.Errorf("fixedInBound(maxIn %d, %d synapses, multiplicity %d) = %v", tc.maxIn, tc.syn, tc.mult, got)
		}
	}
	// One neuron with more synapses onto it than fixed point can sum.
	for _, m := range []int{fixedMaxIn, fixedMaxIn + 1} {
		net := tiny(2, 0.1)
		net.Weight64 = nil
		for range m {
			net.Syn = append(net.Syn, net.Pack(1, 1))
			net.Weight16 = append(net.Weight16, half.FromFloat32(30))
		}
		net.SrcStart[1], net.SrcStart[2] = int64(m), int64(m)
		if got := fixedOf(net); got != (m <= fixedMaxIn) {
			t.Errorf("%d synapses onto one neuron: fixed-point sums %v", m, got)
		}
	}
	for _, tc := range []struct {
		level kernelLevel
		n, w  int
		l2    int64
		bg    bool
		want  bool
	}{
		{kernelAVX512, 1003, 2, 2 << 20, false, true},
		{kernelScalar, 77169, 2, 512 << 10, false, false},
		{kernelScalar, 77169, 2, 512 << 10, true, false},
		{kernelAVX2, 15435, 2, 2 << 20, false, false},  // scale 0.2 here
		{kernelAVX2, 15435, 2, 2 << 20, true, true},    // with Poisson background
		{kernelAVX2, 77169, 2, 2 << 20, false, true},   // full scale here
		{kernelAVX2, 15435, 2, 512 << 10, false, true}, // scale 0.2 with a 512 KiB L2
		{kernelAVX2, 23830, 1, 2 << 20, false, false},  // 44 bytes each: just below 1 MiB
		{kernelAVX2, 23832, 1, 2 << 20, false, true},
	} {
		if got := fixedPaysFor(tc.level, tc.n, tc.w, tc.l2, tc.bg); got != tc.want {
			t.Errorf("%v, %d neurons on %d workers, L2 %d KiB: fixed-point sums %v, want %v", tc.level, tc.n, tc.w, tc.l2>>10, got, tc.want)
		}
	}
}

// TestFixedHalfRoundTrip checks that every half-precision magnitude within
// the span has a fixed-point value from which it comes back, and that the
// values scale as the weights do.
func TestFixedHalfRoundTrip(t *testing.T) {
	for e0 := 1; e0+fixedSpan <= 30; e0 += 7 {
		sy := synapses{fixed: true, exp0: e0, unit: float64(half.ToFloat32(uint16(e0)<<10)) / 1024}
		for e := e0; e <= e0+fixedSpan; e++ {
			for m := 0; m < 1024; m++ {
				h := uint16(e<<10 | m)
				f := fixedOf(h, e0)
				if f >= 1<<15 || halfOfFixed(f, e0) != h {
					t.Fatalf("e0 %d: half %#x → %d → %#x", e0, h, f, halfOfFixed(f, e0))
				}
				w, err := sy.word(5, h)
				if err != nil || w != 5|f<<packBits || sy.halfBits(w) != h {
					t.Fatalf("e0 %d: half %#x: word %#x, %v", e0, h, w, err)
				}
				if got, want := sy.magnitude(w), float64(half.ToFloat32(h)); got != want {
					t.Fatalf("e0 %d: half %#x weighs %v, want %v", e0, h, got, want)
				}
				if fw, ok := sy.fixedWord(5, float64(half.ToFloat32(h))); !ok || fw != w {
					t.Fatalf("e0 %d: weight of half %#x: word %#x %v, want %#x", e0, h, fw, ok, w)
				}
			}
		}
		if _, err := sy.word(0, uint16(e0+fixedSpan+1)<<10); err == nil {
			t.Fatalf("e0 %d: a weight above the span has a word", e0)
		}
		if _, ok := sy.fixedWord(0, 1.5*sy.unit*1024+sy.unit/2); ok {
			t.Fatalf("e0 %d: a weight between the halves has a word", e0)
		}
	}
}

// TestFixedState saves the state of a run with fixed-point sums, events in
// its queues (with external sources, also events of spikes of
// multiplicity > 1), and continues it in Sims with fixed-point and float64
// sums: both go on as the run itself does.
func TestFixedState(t *testing.T) {
	for _, external := range []bool{false, true} {
		net := func() *Network {
			net := fixedNet(true, false)
			if external {
				// Taken at step 450: events of multiplicities > 1 pending.
				withExternal(net)
			}
			return net
		}
		const first = 450
		ref := newFixed(t, net(), bestKernel, true)
		if err := ref.Run(context.Background(), first, false, nil); err != nil {
			t.Fatal(err)
		}
		st := ref.State()
		events, multiple := 0, 0
		for _, q := range st.Queue {
			events += len(q.ExTarget) + len(q.InTarget)
			multiple += len(q.Target)
		}
		if events == 0 || external && multiple == 0 {
			t.Fatalf("external %v: %d events pending, %d of them of multiple spikes: the state's events are not tested", external, events, multiple)
		}
		if err := ref.Run(context.Background(), 1500, true, nil); err != nil {
			t.Fatal(err)
		}
		sr, ir := ref.Spikes()
		for _, fixed := range []bool{true, false} {
			sim := newFixed(t, net(), bestKernel, fixed)
			if err := sim.SetState(st); err != nil {
				t.Fatal(err)
			}
			if err := sim.Run(context.Background(), 1500, true, nil); err != nil {
				t.Fatal(err)
			}
			ss, is := sim.Spikes()
			if len(sr) < 1000 || len(ss) != len(sr) {
				t.Fatalf("external %v, fixed %v: %d spikes, the run itself %d", external, fixed, len(ss), len(sr))
			}
			for i := range sr {
				if ss[i] != sr[i] || is[i] != ir[i] {
					t.Fatalf("external %v, fixed %v: spike %d differs", external, fixed, i)
				}
			}
			// The refractory ends may be held differently, not their meaning.
			for i := range ref.nrn.v {
				if sim.nrn.v[i] != ref.nrn.v[i] || sim.nrn.iex[i] != ref.nrn.iex[i] || sim.nrn.iin[i] != ref.nrn.iin[i] ||
					sim.refractoryLeft(i) != ref.refractoryLeft(i) {
					t.Fatalf("external %v, fixed %v: neuron %d: state differs", external, fixed, i)
				}
			}
		}
	}
}

// TestFixedChecksum checks that the network checksum, which a checkpoint
// keeps, does not depend on the form of the sums (a run on a machine with
// another kernel continues it).
func TestFixedChecksum(t *testing.T) {
	a := newFixed(t, fixedNet(false, false), bestKernel, true).Checksum(2)
	b := newFixed(t, fixedNet(false, false), bestKernel, false).Checksum(2)
	if a != b {
		t.Fatalf("checksum %#x with fixed-point sums, %#x without", a, b)
	}
}

// TestFixedPartsMatchWhole splits a network among ranks whose parts have
// fixed-point sums and compares the spikes and state with the whole
// network's with float64 sums.
func TestFixedPartsMatchWhole(t *testing.T) {
	mk := func() *Network { return fixedNet(true, false) }
	whole := newFixed(t, mk(), bestKernel, false)
	const steps = 2000
	if err := whole.Run(context.Background(), steps, true, nil); err != nil {
		t.Fatal(err)
	}
	want := spikesOf(whole)
	wantState := newState(whole.n)
	wantState.take(whole)
	fixedChoice = fixedAlways
	defer func() { fixedChoice = fixedAuto }()
	part, err := mk().Part(1, 3)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := New(part, Options{Workers: 1, Exchanger: cluster.InProcess(3)[1]})
	if err != nil {
		t.Fatal(err)
	}
	if !sim.syn.fixed {
		t.Fatalf("a part of the network: no fixed-point sums")
	}
	for _, split := range []struct{ ranks, workers int }{{2, 1}, {3, 2}} {
		got, gotState, _, errs := runParts(t, mk, split.ranks, split.workers, steps, -1)
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if len(want) < 1000 || !slices.Equal(got, want) {
			t.Errorf("%d ranks × %d workers: %d spikes, whole network %d; they differ", split.ranks, split.workers, len(got), len(want))
		}
		if !reflect.DeepEqual(gotState, wantState) {
			t.Errorf("%d ranks × %d workers: the neurons' state differs from the whole network's", split.ranks, split.workers)
		}
	}
}
