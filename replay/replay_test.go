package replay

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pd14/microcircuit/engine"
	"github.com/pd14/microcircuit/internal/testref"
)

func simulate(t *testing.T, name string, workers int) (*Spikes, *Spikes, float64) {
	t.Helper()
	// NEST's realised network with its spikes (SPEC §10).
	refDir := testref.Dir(t, filepath.Join("exact", name))
	net, info, err := Load(refDir)
	if err != nil {
		t.Fatal(err)
	}
	if net.N() != info.NNeurons || net.NumSynapses() != info.NConns {
		t.Fatalf("loaded %d neurons, %d synapses; network.json says %d, %d",
			net.N(), net.NumSynapses(), info.NNeurons, info.NConns)
	}
	want, err := LoadSpikes(refDir)
	if err != nil || want == nil {
		t.Fatalf("loading NEST's spikes: %v", err)
	}
	sim, err := engine.New(net, engine.Options{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	steps := int64(info.TSim/info.Resolution + 0.5)
	if err := sim.Run(context.Background(), steps, true, nil); err != nil {
		t.Fatal(err)
	}
	got := FromSim(sim, info.Resolution)
	return got, want, info.Resolution
}

// TestReplayMatchesNEST is the engine's acceptance test: NEST's networks,
// simulated by our engine, must emit exactly NEST's spikes: without
// stimuli, and with the thalamic relays' spikes (some of multiplicity > 1)
// and the DC transient's current generators.
func TestReplayMatchesNEST(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	for _, c := range []struct {
		name   string
		spikes int
	}{{"net_s0.05_seed11", 32339}, {"stim_s0.05_seed21", 74490}} {
		for _, workers := range []int{1, 3} {
			got, want, h := simulate(t, c.name, workers)
			onlyOurs, onlyNEST, first := Diff(got, want, h)
			if onlyOurs != 0 || onlyNEST != 0 {
				t.Fatalf("%s, %d workers: %d spikes only ours, %d only NEST's (of %d); first: %s",
					c.name, workers, onlyOurs, onlyNEST, len(want.Sender), first)
			}
			if len(got.Sender) != c.spikes {
				t.Fatalf("%s: %d spikes, want %d", c.name, len(got.Sender), c.spikes)
			}
		}
	}
}

// TestLoadStimuli checks what the stimulus extension loads: 902 relays
// and their connections, their 1,128 spikes (entries) merged into spikes
// with multiplicities, and the current generators' windows by NEST's rules.
func TestLoadStimuli(t *testing.T) {
	net, info, err := Load(testref.Dir(t, filepath.Join("exact", "stim_s0.05_seed21")))
	if err != nil {
		t.Fatal(err)
	}
	if net.NumSources != 3858+902 || net.NumSynapses() != 902018 {
		t.Fatalf("%d sources, %d connections", net.NumSources, net.NumSynapses())
	}
	if ext := net.SrcStart[net.NumSources] - net.SrcStart[3858]; ext != 154813 {
		t.Fatalf("%d connections from the relays, want 154813", ext)
	}
	entries, multi := 0, 0
	for _, e := range net.ExtSpikes {
		entries += int(e.Mult)
		if e.Mult > 1 {
			multi++
		}
		// The generator is active in steps 7001..7100; the relays emit
		// 10 steps later.
		if e.Step < 7011 || e.Step > 7110 {
			t.Fatalf("relay spike in step %d, outside 7011..7110", e.Step)
		}
	}
	if int64(entries) != info.NExternalSpikes || entries != 1128 || multi == 0 {
		t.Fatalf("%d relay spike entries (%d spikes of multiplicity > 1), want 1128 and some", entries, multi)
	}
	for k, p := range net.Pulses {
		if p.First != 6510 || p.Last != 7509 || p.Amp != info.CurrentGenerators[k].Amplitude {
			t.Fatalf("population %d: %v pA in steps %d..%d, want steps 6510..7509", k, p.Amp, p.First, p.Last)
		}
	}
}
