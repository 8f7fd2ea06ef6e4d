package microcircuit_test

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/pd14/microcircuit"
	"github.com/pd14/microcircuit/cluster"
	"github.com/pd14/microcircuit/params"
)

// NEST's per-population mean rates for a 1 s window after 500 ms warm-up
// (shared/reference/README.md: 5 seeds × 10 windows at scale 0.2 DC, 3 × 10
// at 0.1 Poisson), spikes/s, L23E..L6I.
var (
	bandDC02 = [params.NumPops][2]float64{{0.53, 0.96}, {2.13, 3.38}, {3.73, 5.70}, {4.82, 7.24},
		{6.59, 10.99}, {7.53, 11.47}, {0.79, 1.28}, {6.68, 10.15}}
	bandPoisson01 = [params.NumPops][2]float64{{0.42, 0.56}, {1.97, 2.22}, {3.80, 4.06}, {4.93, 5.04},
		{5.80, 7.38}, {7.65, 7.88}, {0.80, 0.92}, {6.82, 7.08}}
)

// simulate builds p and simulates the warm-up and the recorded phase.
func simulate(t *testing.T, p params.Params) *microcircuit.Model {
	t.Helper()
	m, err := microcircuit.Build(&p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if p.Simulation.TPresim > 0 {
		if err := m.Simulate(ctx, p.Simulation.TPresim, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Simulate(ctx, p.Simulation.TSim, true, nil); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkBands fails when a rate lies outside NEST's band widened by 10 %.
func checkBands(t *testing.T, name string, rates []float64, bands [params.NumPops][2]float64) {
	t.Helper()
	pops := params.Default().Network.Populations
	for k, r := range rates {
		lo, hi := bands[k][0]*0.9, bands[k][1]*1.1
		if r < lo || r > hi {
			t.Errorf("%s %s: rate %.3f spikes/s outside NEST's band [%.2f, %.2f] ± 10 %%", name, pops[k], r, bands[k][0], bands[k][1])
		}
	}
	t.Logf("%s rates: %.3f", name, rates)
}

func TestRatesScale02DC(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	p := params.Default()
	checkBands(t, "scale 0.2 DC", simulate(t, p).MeanRates(), bandDC02)
}

func TestRatesScale01Poisson(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	p := params.Default()
	p.SetScale(0.1)
	p.Network.BgInput = "poisson"
	checkBands(t, "scale 0.1 Poisson", simulate(t, p).MeanRates(), bandPoisson01)
}

// TestDeterministicAcrossThreads runs the same model with 1, 2, 3 and 8
// threads, with every random input on, and requires identical spikes.
func TestDeterministicAcrossThreads(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	spikes := func(threads int) ([]int, []float64) {
		p := params.Default()
		p.SetScale(0.05)
		p.Network.BgInput = "poisson"
		p.Stimulus.Thalamic = true
		p.Stimulus.DCTransient = true
		p.Simulation.Threads = threads
		m, err := microcircuit.Build(&p)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Simulate(context.Background(), 800, true, nil); err != nil {
			t.Fatal(err)
		}
		return m.Spikes()
	}
	s1, t1 := spikes(1)
	if len(s1) == 0 {
		t.Fatal("no spikes")
	}
	for _, threads := range []int{2, 3, 8} {
		s3, t3 := spikes(threads)
		if len(s1) != len(s3) {
			t.Fatalf("%d spikes with 1 thread, %d with %d", len(s1), len(s3), threads)
		}
		for i := range s1 {
			if s1[i] != s3[i] || t1[i] != t3[i] {
				t.Fatalf("spike %d: node %d at %.1f ms with 1 thread, node %d at %.1f ms with %d",
					i, s1[i], t1[i], s3[i], t3[i], threads)
			}
		}
	}
}

// TestThalamicPulse checks that the thalamic input raises L4E's activity
// in the few ms after it arrives, and only then.
func TestThalamicPulse(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	count := func(thalamic bool) (before, during int) {
		p := params.Default()
		p.SetScale(0.1)
		p.Network.BgInput = "poisson"
		p.Stimulus.Thalamic = thalamic
		p.Simulation.TPresim, p.Simulation.TSim = 0, 720
		m := simulate(t, p)
		sender, time := m.Spikes()
		for i, id := range sender {
			if m.Population(id) != 2 {
				continue
			}
			if time[i] > 690 && time[i] <= 701 {
				before++
			}
			if time[i] > 701 && time[i] <= 712 {
				during++
			}
		}
		return
	}
	b0, d0 := count(false)
	b1, d1 := count(true)
	if b0 != b1 {
		t.Errorf("spikes before the pulse differ: %d without, %d with thalamic input", b0, b1)
	}
	if d1 < 3*d0 || d1 < 100 {
		t.Errorf("L4E spikes in (701, 712] ms: %d with thalamic input, %d without; want a strong response", d1, d0)
	}
}

// TestDCTransient checks that the DC transient raises the rates while on.
func TestDCTransient(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	rate := func(on bool) int {
		p := params.Default()
		p.SetScale(0.1)
		p.Network.BgInput = "poisson"
		p.Stimulus.DCTransient = on
		p.Simulation.TPresim, p.Simulation.TSim = 650, 100
		s, _ := simulate(t, p).Spikes()
		return len(s)
	}
	off, on := rate(false), rate(true)
	if on < off*3/2 {
		t.Errorf("spikes in (650, 750] ms: %d with DC transient, %d without", on, off)
	}
}

// TestVoltageRecordingKeepsSpikes checks that recording membrane potentials
// does not change the spikes, and records what it should.
func TestVoltageRecordingKeepsSpikes(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	run := func(record []string) (*microcircuit.Model, []int, []float64) {
		p := params.Default()
		p.SetScale(0.05)
		p.Network.BgInput = "poisson"
		p.Simulation.Record = record
		p.Simulation.VNeurons = 3
		p.Simulation.VInterval = 0.5
		p.Simulation.TPresim, p.Simulation.TSim = 100, 200
		m := simulate(t, p)
		s, tm := m.Spikes()
		return m, s, tm
	}
	_, s1, t1 := run([]string{"spikes"})
	m, s2, t2 := run([]string{"spikes", "voltage"})
	if len(s1) == 0 || len(s1) != len(s2) {
		t.Fatalf("%d spikes without voltage recording, %d with", len(s1), len(s2))
	}
	for i := range s1 {
		if s1[i] != s2[i] || t1[i] != t2[i] {
			t.Fatalf("spike %d differs with voltage recording", i)
		}
	}
	sender, times, v := m.Voltages()
	if len(sender) != 8*3*400 {
		t.Fatalf("%d samples, want 8 populations × 3 neurons × 400 times", len(sender))
	}
	for i := range sender {
		if times[i] <= 100 || times[i] > 300 || v[i] < -100 || v[i] > -50 {
			t.Fatalf("sample %d: node %d at %.1f ms, %.3f mV", i, sender[i], times[i], v[i])
		}
	}
}

// TestDistributedMatchesSingle splits the model among in-process ranks
// (goroutines exchanging spikes every step, as MPI ranks do) and requires
// the spikes, membrane potentials and counts of a single process, for 2
// and 3 ranks of 1 and 2 threads, with every random input on.
func TestDistributedMatchesSingle(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	base := params.Default()
	base.SetScale(0.05)
	base.Network.BgInput = "poisson"
	base.Stimulus.Thalamic = true
	base.Stimulus.DCTransient = true
	base.Simulation.Record = []string{"spikes", "voltage"}
	base.Simulation.VNeurons = 2
	base.Simulation.TPresim, base.Simulation.TSim = 600, 200
	type result struct {
		sender  []int
		times   []float64
		vSender []int
		v       []float64
		spikes  int64
		events  int64
		synapse int64
	}
	run := func(m *microcircuit.Model, p params.Params) result {
		ctx := context.Background()
		if err := m.Simulate(ctx, p.Simulation.TPresim, false, nil); err != nil {
			t.Error(err)
		}
		if err := m.Simulate(ctx, p.Simulation.TSim, true, nil); err != nil {
			t.Error(err)
		}
		var r result
		r.sender, r.times = m.Spikes()
		r.vSender, _, r.v = m.Voltages()
		r.spikes, r.events = m.Counts()
		r.synapse = m.Synapses
		return r
	}
	p := base
	p.Simulation.Threads = 1
	m, err := microcircuit.Build(&p)
	if err != nil {
		t.Fatal(err)
	}
	want := run(m, p)
	if len(want.sender) < 1000 || len(want.v) == 0 {
		t.Fatalf("%d spikes, %d voltage samples: too few to compare", len(want.sender), len(want.v))
	}
	for _, c := range []struct{ ranks, threads int }{{2, 1}, {2, 2}, {3, 1}} {
		p := base
		p.Simulation.Threads = c.threads
		comms := cluster.InProcess(c.ranks)
		got := make([]result, c.ranks)
		var wg sync.WaitGroup
		for r := range comms {
			wg.Add(1)
			go func(r int) {
				defer wg.Done()
				m, err := microcircuit.BuildOn(context.Background(), &p, comms[r])
				if err != nil {
					t.Error(err)
					return
				}
				got[r] = run(m, p)
			}(r)
		}
		wg.Wait()
		for r, g := range got {
			if !reflect.DeepEqual(g, want) {
				t.Errorf("%d ranks × %d threads, rank %d: %d spikes, %d events, %d synapses; one process: %d, %d, %d",
					c.ranks, c.threads, r, len(g.sender), g.events, g.synapse, len(want.sender), want.events, want.synapse)
			}
		}
	}
}
