package engine

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/pd14/microcircuit/params"
)

// tiny returns a network of n unconnected neurons at rest.
func tiny(n int, h float64) *Network {
	net := &Network{
		Neuron:     params.Default().Network.Neuron,
		PopNames:   []string{"A"},
		PopStart:   []int{0, n},
		V0:         make([]float64, n),
		Ie:         make([]float64, n),
		NumSources: n,
		SrcStart:   make([]int64, n+1),
		Weight64:   []float64{},
		TargetBits: TargetBitsFor(n),
		Resolution: h,
	}
	for i := range net.V0 {
		net.V0[i] = net.Neuron.EL
	}
	return net
}

// connect adds synapses from src (weights w, delays d) to the network, which
// must not have synapses of later sources yet.
func connect(net *Network, src int, tgt []uint32, w []float64, d []uint16) {
	for i, t := range tgt {
		net.Syn = append(net.Syn, net.Pack(t, int(d[i])))
	}
	net.Weight64 = append(net.Weight64, w...)
	for s := src + 1; s <= net.NumSources; s++ {
		net.SrcStart[s] += int64(len(tgt))
	}
}

// trace runs sim for steps steps, one at a time, and returns V (mV) of
// neuron i after each step and the steps in which any neuron spiked.
func trace(t *testing.T, sim *Sim, i int, steps int) ([]float64, []int32) {
	t.Helper()
	v := make([]float64, steps)
	for k := range v {
		if err := sim.Run(context.Background(), 1, true, nil); err != nil {
			t.Fatal(err)
		}
		v[k] = sim.V(i)
	}
	st, _ := sim.Spikes()
	return v, st
}

func TestPSPPeak(t *testing.T) {
	nr := params.Default().Network.Neuron
	ts, tm := nr.TauSynEx, nr.TauM
	tPeak := math.Log(tm/ts) * tm * ts / (tm - ts)
	// A resolution that puts the PSP peak on the grid.
	h := tPeak / 16
	net := tiny(2, h)
	net.V0[0] = -49 // above threshold: fires in step 0
	w := 0.15 * params.PSCOverPSP(nr, ts)
	if math.Abs(w-87.8085) > 1e-4 {
		t.Fatalf("weight for 0.15 mV = %v, want 87.8085", w)
	}
	connect(net, 0, []uint32{1}, []float64{w}, []uint16{1})
	sim, err := New(net, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	v, spikes := trace(t, sim, 1, 200)
	if len(spikes) != 1 || spikes[0] != 0 {
		t.Fatalf("source spiked in steps %v, want [0]", spikes)
	}
	peak, at := 0.0, 0
	for k, x := range v {
		if x-nr.EL > peak {
			peak, at = x-nr.EL, k
		}
	}
	if math.Abs(peak-0.15)/0.15 > 1e-6 {
		t.Fatalf("PSP peak %.9f mV, want 0.15 mV to 1e-6", peak)
	}
	// The spike arrives in step 1 (delay 1) and enters V from step 2; the
	// peak is tPeak later, at the end of step 1 + 16.
	if at != 17 {
		t.Fatalf("PSP peak after step %d, want 17", at)
	}
	// Closed form between the input and the peak.
	for k := 2; k < 60; k++ {
		s := float64(k-1) * h // time since the current jumped
		want := w / nr.Cm * ts * tm / (tm - ts) * (math.Exp(-s/tm) - math.Exp(-s/ts))
		if math.Abs(v[k]-nr.EL-want) > 1e-12 {
			t.Fatalf("V after step %d = %.12f, closed form %.12f", k, v[k]-nr.EL, want)
		}
	}
}

// TestPSPEqualTimeConstants simulates one input with tau_syn = tau_m
// (which NEST accepts) and near it: with the weight for a 0.15 mV PSP the
// peak is 0.15 mV, at t = tau_m after the current jumps, and V follows the
// closed form (w·t·exp(-t/tau)/C_m at equality).
func TestPSPEqualTimeConstants(t *testing.T) {
	for _, rel := range []float64{0, 1e-9, -1e-6} {
		nr := params.Default().Network.Neuron
		nr.TauSynEx = nr.TauM * (1 + rel)
		nr.TauSynIn = nr.TauSynEx
		tm, ts := nr.TauM, nr.TauSynEx
		const h = 0.1 // tau_m = 100 steps
		net := tiny(2, h)
		net.Neuron = nr
		net.V0[0] = -49 // fires in step 0
		w := 0.15 * params.PSCOverPSP(nr, ts)
		connect(net, 0, []uint32{1}, []float64{w}, []uint16{1})
		sim, err := New(net, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := trace(t, sim, 1, 300)
		peak, at := 0.0, 0
		for k, x := range v {
			if x-nr.EL > peak {
				peak, at = x-nr.EL, k
			}
		}
		// The current jumps at the end of step 1; the peak is tau_m
		// (100 steps) later.
		if math.Abs(peak-0.15) > 1e-9 || at != 101 {
			t.Errorf("tau_syn = tau_m·(1%+g): PSP peak %.12f mV after step %d, want 0.15 mV after step 101", rel, peak, at)
		}
		for k := 2; k < 300; k++ {
			// w·t·exp(-t/tau_m)·φ(t·κ)/C_m, κ = 1/tau_syn - 1/tau_m,
			// φ(x) = -expm1(-x)/x: the PSP without cancellation.
			s := float64(k-1) * h
			x := s * (tm - ts) / (ts * tm)
			phi := 1.0
			if x != 0 {
				phi = -math.Expm1(-x) / x
			}
			want := w / nr.Cm * s * math.Exp(-s/tm) * phi
			if math.Abs(v[k]-nr.EL-want) > 1e-12 {
				t.Fatalf("tau_syn = tau_m·(1%+g): V after step %d = %.12f, closed form %.12f", rel, k, v[k]-nr.EL, want)
			}
		}
	}
}

// TestSeparateSynapticTimeConstants gives the excitatory and inhibitory
// channels different time constants: each input follows its own closed form.
func TestSeparateSynapticTimeConstants(t *testing.T) {
	nr := params.Default().Network.Neuron
	nr.TauSynEx, nr.TauSynIn = 0.5, 3.0
	const h = 0.1
	net := tiny(3, h)
	net.Neuron = nr
	net.V0[0] = -49 // fires in step 0 onto neuron 1 (excitatory) and 2 (inhibitory)
	connect(net, 0, []uint32{1, 2}, []float64{80, -120}, []uint16{1, 1})
	sim, err := New(net, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var v1, v2 []float64
	for k := 0; k < 200; k++ {
		if err := sim.Run(context.Background(), 1, false, nil); err != nil {
			t.Fatal(err)
		}
		v1, v2 = append(v1, sim.V(1)), append(v2, sim.V(2))
	}
	for k := 2; k < 200; k++ {
		s := float64(k-1) * h
		for _, c := range []struct {
			v, w, ts float64
		}{{v1[k], 80, nr.TauSynEx}, {v2[k], -120, nr.TauSynIn}} {
			want := c.w / nr.Cm * c.ts * nr.TauM / (nr.TauM - c.ts) * (math.Exp(-s/nr.TauM) - math.Exp(-s/c.ts))
			if math.Abs(c.v-nr.EL-want) > 1e-12 {
				t.Fatalf("tau_syn %v: V after step %d = %.12f, closed form %.12f", c.ts, k, c.v-nr.EL, want)
			}
		}
	}
}

func TestConstantCurrentInterval(t *testing.T) {
	nr := params.Default().Network.Neuron
	const h = 0.1
	for _, ie := range []float64{400, 500, 1000} {
		net := tiny(1, h)
		net.Ie[0] = ie
		sim, err := New(net, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := sim.Run(context.Background(), 2000, true, nil); err != nil {
			t.Fatal(err)
		}
		st, _ := sim.Spikes()
		// From reset, V(t) = I R (1 - exp(-t/tau_m)) reaches theta at T*;
		// on the grid the spike comes in the first step whose end is >= T*.
		R := nr.TauM / nr.Cm
		tStar := -nr.TauM * math.Log(1-(nr.VTh-nr.EL)/(ie*R))
		nStar := int32(math.Ceil(tStar/h - 1e-9))
		ref := int32(math.Round(nr.TRef / h))
		if len(st) < 3 {
			t.Fatalf("I_e = %v: %d spikes", ie, len(st))
		}
		if st[0] != nStar-1 {
			t.Errorf("I_e = %v: first spike in step %d, want %d", ie, st[0], nStar-1)
		}
		for k := 1; k < len(st); k++ {
			if d := st[k] - st[k-1]; d != ref+nStar {
				t.Fatalf("I_e = %v: interval %d steps, want %d + %d", ie, d, ref, nStar)
			}
		}
	}
}

func TestRefractorySteps(t *testing.T) {
	nr := params.Default().Network.Neuron
	net := tiny(1, 0.1)
	net.Ie[0] = 1e5 // fires as soon as it may
	sim, err := New(net, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	v, st := trace(t, sim, 0, 100)
	if st[0] != 0 || len(st) < 3 || st[1]-st[0] != 21 {
		t.Fatalf("spikes in steps %v, want 0, 21, 42, ...", st[:min(len(st), 4)])
	}
	for k := 1; k <= 20; k++ {
		if v[k] != nr.VReset {
			t.Fatalf("V after step %d = %v during refractoriness, want %v", k, v[k], nr.VReset)
		}
	}
}

func TestInputInStepOfCrossing(t *testing.T) {
	// Neuron 1 crosses threshold by its own current in some step; a large
	// inhibitory spike arriving in that very step must not prevent the
	// spike (input enters the current after the membrane update), and it
	// must still act on the membrane afterwards.
	const h = 0.1
	base := func() *Network {
		net := tiny(2, h)
		net.Ie[1] = 500
		net.V0[0] = -49
		return net
	}
	ref, err := New(base(), Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	vRef, st := trace(t, ref, 1, 300)
	var cross int32 = -1
	for _, s := range st {
		if s > 0 {
			cross = s
			break
		}
	}
	if cross < 2 {
		t.Fatalf("no crossing of neuron 1 found: %v", st)
	}
	net := base()
	// Neuron 0 fires in step 0; delay cross steps makes the spike arrive
	// in step cross.
	connect(net, 0, []uint32{1}, []float64{-1e5}, []uint16{uint16(cross)})
	sim, err := New(net, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	v, st2 := trace(t, sim, 1, int(cross)+25)
	fired := false
	for _, s := range st2 {
		if s == cross {
			fired = true
		}
	}
	if !fired {
		t.Fatalf("neuron 1 did not fire in step %d when inhibition arrived in that step", cross)
	}
	// Refractory for 20 steps; the inhibitory current, decayed but not
	// gone, then pulls V below the undisturbed trace.
	if after := v[cross+21]; after > vRef[cross+21]-0.1 {
		t.Fatalf("V after refractoriness = %v, undisturbed %v: want the inhibitory input's effect", after, vRef[cross+21])
	}
}

// TestVoltmeterClosedForm records the membrane potential of a neuron under
// constant current and compares it with the closed-form solution between
// spikes: V(t) = E_L + R·I_e + (V(t0) - E_L - R·I_e)·exp(-(t-t0)/tau_m).
func TestVoltmeterClosedForm(t *testing.T) {
	nr := params.Default().Network.Neuron
	const h = 0.1
	net := tiny(2, h)
	net.Ie[0] = 300 // below rheobase: never fires
	net.V0[0] = -70
	net.Ie[1] = 450 // fires regularly
	sim, err := New(net, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.RecordVoltage([]int{0, 1}, 5); err != nil {
		t.Fatal(err)
	}
	if err := sim.Run(context.Background(), 3000, true, nil); err != nil {
		t.Fatal(err)
	}
	steps, ids, vs := sim.Voltages()
	spikeSteps, _ := sim.Spikes()
	if len(steps) != 2*600 {
		t.Fatalf("%d samples, want 1200 (2 neurons, every 5 of 3000 steps)", len(steps))
	}
	R := nr.TauM / nr.Cm
	ref := int32(math.Round(nr.TRef / h))
	lastReset := func(step int32) int32 { // the step after which V left V_reset, or -1
		last := int32(-1 << 30)
		for _, s := range spikeSteps {
			if s <= step {
				last = s + ref
			}
		}
		return last
	}
	checked := 0
	for i := range steps {
		if (steps[i]+1)%5 != 0 {
			t.Fatalf("sample after step %d: not a multiple of the interval", steps[i])
		}
		tEnd := float64(steps[i]+1) * h
		var want float64
		switch ids[i] {
		case 0:
			want = nr.EL + R*300 + (-70-nr.EL-R*300)*math.Exp(-tEnd/nr.TauM)
		case 1:
			lr := lastReset(steps[i])
			if lr < 0 {
				want = nr.EL + R*450*(1-math.Exp(-tEnd/nr.TauM)) // from V0 = E_L
			} else if steps[i] <= lr {
				want = nr.VReset // refractory
			} else {
				want = nr.VReset + R*450*(1-math.Exp(-float64(steps[i]-lr)*h/nr.TauM))
			}
		}
		if math.Abs(vs[i]-want) > 1e-9 {
			t.Fatalf("neuron %d after step %d: V = %.12f, closed form %.12f", ids[i], steps[i], vs[i], want)
		}
		checked++
	}
	if checked != 1200 || len(spikeSteps) < 5 {
		t.Fatalf("%d samples checked; neuron 1 fired %d times", checked, len(spikeSteps))
	}
}

// TestVectorKernelMatchesScalar runs one network with each vector neuron
// update this machine has and with the scalar one: every membrane
// potential, current and spike must agree to the bit.
func TestVectorKernelMatchesScalar(t *testing.T) {
	if bestKernel == kernelScalar {
		t.Skip("no vector kernel on this machine")
	}
	for _, level := range []kernelLevel{kernelAVX2, kernelAVX512} {
		if level > bestKernel {
			t.Logf("no AVX-512 here: its kernels are not tested")
			continue
		}
		name := level.String()
		t.Run(name+"/dc", func(t *testing.T) { vectorMatchesScalar(t, level, false, 30) })
		t.Run(name+"/poisson", func(t *testing.T) { vectorMatchesScalar(t, level, true, 30) })
		// Few delays: groups of 8 and more synapses, whose events the
		// vector copy moves when they are not packed.
		t.Run(name+"/groups", func(t *testing.T) { vectorMatchesScalar(t, level, false, 3) })
	}
}

// withPoisson splits randomNet's 1003 neurons into two populations with
// Poisson backgrounds of different means, one count in several steps and
// two per step, both with ambiguous table entries, and a current pulse
// each on top of the constant current.
func withPoisson(net *Network) {
	net.PopNames = []string{"A", "B"}
	net.PopStart = []int{0, 501, 1003}
	net.BgRate = []float64{2000, 20000}
	net.BgWeight = 30
	net.BgFirst = 4
	net.BgSeed = 99
	net.Pulses = []Pulse{{150, 1000, 1300}, {60, 1100, 1250}}
}

func vectorMatchesScalar(t *testing.T, level kernelLevel, poisson bool, maxDelay int) {
	run := func(level kernelLevel, unpacked bool) (*Sim, []int32, []uint32) {
		net := randomNet(1003, 200, maxDelay, 390) // 1003: a remainder for the scalar tail
		for i := range net.Ie {
			net.Ie[i] = 360 + float64(i%50)
		}
		if poisson {
			withPoisson(net)
			for i := range net.Ie {
				net.Ie[i] = 100
			}
		}
		disablePacking = unpacked
		sim, err := New(net, Options{Workers: 2})
		disablePacking = false
		if err != nil {
			t.Fatal(err)
		}
		sim.kernel = level
		if sim.syn.packed == unpacked {
			t.Fatalf("packed %v, want %v", sim.syn.packed, !unpacked)
		}
		if err := sim.Run(context.Background(), 3000, true, nil); err != nil {
			t.Fatal(err)
		}
		st, id := sim.Spikes()
		return sim, st, id
	}
	a, sa, ia := run(level, false)
	for _, unpacked := range []bool{false, true} {
		b, sb, ib := run(kernelScalar, unpacked)
		compareSims(t, a, b, sa, sb, ia, ib)
	}
	// The events of networks too large to pack: vector copy and scalar.
	a, sa, ia = run(level, true)
	if copied := vectorCopies(a); copied == 0 && maxDelay < 10 {
		t.Fatalf("no group of 8 or more synapses: the vector event copy was not tested")
	}
	b, sb, ib := run(kernelScalar, true)
	compareSims(t, a, b, sa, sb, ia, ib)
}

// vectorCopies returns how many of sim's synapse groups the vector event
// copy moves (those of 8 synapses or more) when their source spikes.
func vectorCopies(sim *Sim) int {
	n, start := 0, int64(0)
	for _, end := range sim.syn.grpEnd {
		if end-start >= 8 {
			n++
		}
		start = end
	}
	return n
}

// compareSims fails unless two runs agree in every spike and state bit.
func compareSims(t *testing.T, a, b *Sim, sa, sb []int32, ia, ib []uint32) {
	t.Helper()
	compareSimsMin(t, 1000, a, b, sa, sb, ia, ib)
}

// compareSimsMin is compareSims for runs of at least min spikes.
func compareSimsMin(t *testing.T, min int, a, b *Sim, sa, sb []int32, ia, ib []uint32) {
	t.Helper()
	if len(sa) < min || len(sa) != len(sb) {
		t.Fatalf("%d spikes with the vector kernel, %d with the scalar update", len(sa), len(sb))
	}
	for i := range sa {
		if sa[i] != sb[i] || ia[i] != ib[i] {
			t.Fatalf("spike %d differs", i)
		}
	}
	for i := range a.nrn.v {
		if a.nrn.v[i] != b.nrn.v[i] || a.nrn.iex[i] != b.nrn.iex[i] || a.nrn.iin[i] != b.nrn.iin[i] || a.nrn.until[i] != b.nrn.until[i] {
			t.Fatalf("neuron %d: state differs between vector and scalar update", i)
		}
	}
}

// TestInputTiming checks in which step each kind of input acts on a neuron
// (SPEC §5): a current pulse drives the membrane updates of its steps
// First..Last; background and external spikes arriving in step T enter the
// synaptic current at the end of step T (after the membrane update of T),
// an external spike of multiplicity m as m times the weight.
func TestInputTiming(t *testing.T) {
	nr := params.Default().Network.Neuron
	const h = 0.1

	// A current pulse in steps 5..7.
	net := tiny(1, h)
	net.Pulses = []Pulse{{Amp: 1000, First: 5, Last: 7}}
	sim, err := New(net, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := trace(t, sim, 0, 10)
	for k := 0; k < 5; k++ {
		if v[k] != nr.EL {
			t.Fatalf("pulse: V after step %d = %v, want rest before step 5", k, v[k])
		}
	}
	if !(v[5] > nr.EL && v[6] > v[5] && v[7] > v[6]) || math.Abs(v[8]-nr.EL-(v[7]-nr.EL)*sim.nrn.prop.P22) > 1e-12 {
		t.Fatalf("pulse: V after steps 5..8 = %v: want rising in 5..7, free decay in 8", v[5:9])
	}

	// Background from step 16, so strong that every step has a count.
	net = tiny(1, h)
	net.BgRate, net.BgWeight, net.BgFirst, net.BgSeed = []float64{1e6}, 1, 16, 3
	if sim, err = New(net, Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	if err := sim.Run(context.Background(), 16, false, nil); err != nil {
		t.Fatal(err)
	}
	if sim.nrn.iex[0] != 0 {
		t.Fatalf("background: current %v after step 15, want none before step 16", sim.nrn.iex[0])
	}
	if err := sim.Run(context.Background(), 1, false, nil); err != nil {
		t.Fatal(err)
	}
	if sim.nrn.iex[0] < 50 || sim.V(0) != nr.EL {
		t.Fatalf("background: after step 16 current %v pA (want about 100), V %v (want rest)", sim.nrn.iex[0], sim.V(0))
	}

	// An external source's spike of multiplicity 3 in step 10, delay 3.
	net = tiny(1, h)
	net.NumSources = 2
	net.SrcStart = append(net.SrcStart, 0)
	connect(net, 1, []uint32{0}, []float64{2.5}, []uint16{3})
	net.ExtSpikes = []ExtSpike{{Step: 10, Source: 0, Mult: 3}}
	if sim, err = New(net, Options{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	for step := 0; step < 14; step++ {
		if err := sim.Run(context.Background(), 1, false, nil); err != nil {
			t.Fatal(err)
		}
		want := 0.0
		if step == 13 {
			want = 7.5
		}
		if sim.nrn.iex[0] != want {
			t.Fatalf("external spike: current %v after step %d, want %v", sim.nrn.iex[0], step, want)
		}
	}
}

// TestRefractoryAcrossWrap: refractory periods are kept modulo 2^32 steps;
// a network continued from the same state at step 128, just before 2^31
// and just before 2^32 must evolve alike, and the flush must move ends
// 2^30 steps in the past forward so that they never come round.
func TestRefractoryAcrossWrap(t *testing.T) {
	const steps = 3000
	var first *Sim
	var want []int32
	for _, start := range []int64{128, 1<<31 - 640, 1<<32 - 640} {
		// One worker: the recorded steps (int32) are not merged in order
		// across the wrap.
		sim, err := New(randomNet(300, 60, 20, 390), Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := sim.Run(context.Background(), 128, false, nil); err != nil {
			t.Fatal(err)
		}
		st := sim.State()
		st.Step = start
		if err := sim.SetState(st); err != nil {
			t.Fatal(err)
		}
		if err := sim.Run(context.Background(), steps, true, nil); err != nil {
			t.Fatal(err)
		}
		_, ids := sim.Spikes()
		left := make([]int32, sim.n)
		for i := range left {
			left[i] = sim.refractoryLeft(i)
		}
		if first == nil {
			first, want = sim, left
			if len(ids) < 300 || slices.Max(left) == 0 {
				t.Fatalf("%d spikes, none refractory at the end: the test needs both", len(ids))
			}
			continue
		}
		_, wantIDs := first.Spikes()
		if !slices.Equal(ids, wantIDs) || !slices.Equal(left, want) || !slices.Equal(sim.nrn.v, first.nrn.v) {
			t.Errorf("from step %d: %d spikes, want %d; same refractory steps %v, same V %v", start,
				len(ids), len(wantIDs), slices.Equal(left, want), slices.Equal(sim.nrn.v, first.nrn.v))
		}
	}

	sim, err := New(randomNet(10, 0, 1, 0), Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	var step int64 = 5 << 30
	now := int32(uint32(step))
	sim.nrn.until[0] = now - 1<<30 - 1 // silent for more than 2^30 steps
	sim.nrn.until[1] = now - 1<<30 + 1 // not yet
	sim.nrn.until[2] = now + 3         // refractory
	sim.flush(&sim.wk[0], step)
	if got := sim.nrn.until[:3]; got[0] != now-1 || got[1] != now-1<<30+1 || got[2] != now+3 {
		t.Errorf("after the flush: refractory ends %v relative to the step", []int32{got[0] - now, got[1] - now, got[2] - now})
	}
}

// TestKernelEnv: MICROCIRCUIT_KERNEL narrows the kernels, and a bad value
// or one the machine lacks is refused naming the variable.
func TestKernelEnv(t *testing.T) {
	for _, level := range []kernelLevel{kernelScalar, kernelAVX2, kernelAVX512} {
		t.Setenv(KernelEnv, level.String())
		sim, err := New(randomNet(20, 2, 2, 380), Options{Workers: 1})
		if level > bestKernel {
			if err == nil || !strings.Contains(err.Error(), KernelEnv) {
				t.Errorf("%s on a machine with at most %s: error %v", level, bestKernel, err)
			}
			continue
		}
		if err != nil || sim.Kernel() != level.String() {
			t.Errorf("%s=%s: kernel %v, error %v", KernelEnv, level, sim, err)
		}
	}
	t.Setenv(KernelEnv, "sse")
	if _, err := New(randomNet(20, 2, 2, 380), Options{Workers: 1}); err == nil ||
		!strings.Contains(err.Error(), KernelEnv) || !strings.Contains(err.Error(), "scalar, avx2 or avx512") {
		t.Errorf("bad kernel name: error %v", err)
	}
	t.Setenv(KernelEnv, "")
	if sim, err := New(randomNet(20, 2, 2, 380), Options{Workers: 1}); err != nil || sim.kernel != bestKernel {
		t.Errorf("unset: error %v", err)
	}
}
