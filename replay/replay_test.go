package replay

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pd14/microcircuit/engine"
	"github.com/pd14/microcircuit/internal/testref"
)

func simulate(t *testing.T, workers int) (*Spikes, *Spikes, float64) {
	t.Helper()
	// NEST's realised network with its spikes (SPEC §10).
	refDir := testref.Dir(t, filepath.Join("exact", "net_s0.05_seed11"))
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

// TestReplayMatchesNEST is the engine's acceptance test: NEST's network,
// simulated by our engine, must emit exactly NEST's spikes.
func TestReplayMatchesNEST(t *testing.T) {
	for _, workers := range []int{1, 3} {
		got, want, h := simulate(t, workers)
		onlyOurs, onlyNEST, first := Diff(got, want, h)
		if onlyOurs != 0 || onlyNEST != 0 {
			t.Fatalf("%d workers: %d spikes only ours, %d only NEST's (of %d); first: %s",
				workers, onlyOurs, onlyNEST, len(want.Sender), first)
		}
		if len(got.Sender) != 32339 {
			t.Fatalf("%d spikes, want 32339", len(got.Sender))
		}
	}
}
