package replay

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pd14/microcircuit/engine"
	"github.com/pd14/microcircuit/internal/npy"
)

// writeArrays writes a three-neuron network's arrays into dir: two
// connections, one from neuron 1 and one from an external source (node 10).
func writeArrays(t testing.TB, dir string) {
	t.Helper()
	files := map[string]func(*os.File) error{
		"neuron_V0_mV.npy":      func(f *os.File) error { return npy.WriteFloat64(f, []float64{-65, -60, -55}) },
		"neuron_I_e_pA.npy":     func(f *os.File) error { return npy.WriteFloat64(f, []float64{300, 300, 400}) },
		"conn_source.npy":       func(f *os.File) error { return npy.WriteUint32(f, []uint32{1, 10}) },
		"conn_target.npy":       func(f *os.File) error { return npy.WriteUint32(f, []uint32{2, 3}) },
		"conn_weight.npy":       func(f *os.File) error { return npy.WriteFloat64(f, []float64{87.8, 20}) },
		"conn_delay_ms.npy":     func(f *os.File) error { return npy.WriteFloat64(f, []float64{1.5, 0.1}) },
		"ext_spike_sender.npy":  func(f *os.File) error { return npy.WriteUint32(f, []uint32{10, 10, 11}) },
		"ext_spike_time_ms.npy": func(f *os.File) error { return npy.WriteFloat64(f, []float64{5.2, 5.2, 7.1}) },
	}
	for name, write := range files {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := write(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

// goodNetworkJSON describes the arrays of writeArrays: populations A (nodes
// 1, 2) and B (node 3), relays 10 and 11, a current generator on B.
const goodNetworkJSON = `{"resolution_ms": 0.1, "t_sim_ms": 10, "populations": ["A", "B"], "population_node_ids": [[1, 2], [3, 3]],
"neuron": {"E_L": -65, "V_th": -50, "V_reset": -65, "C_m": 250, "tau_m": 10, "tau_syn": 0.5, "t_ref": 2},
"external_sources": {"node_ids": [10, 11]},
"current_generators": [{"population": "B", "targets": [3, 3], "amplitude_pA": 100, "origin_ms": 0, "start_ms": 1, "stop_ms": 5,
"connection_delay_ms": [1], "connection_weight": [1]}]}`

// TestLoadSmallNetwork loads the fuzz's seed network: relays, their spikes
// (one of multiplicity 2) and the current pulse come through.
func TestLoadSmallNetwork(t *testing.T) {
	dir := t.TempDir()
	writeArrays(t, dir)
	os.WriteFile(filepath.Join(dir, "network.json"), []byte(goodNetworkJSON), 0o644)
	net, _, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.ExtSpike{{Step: 51, Source: 0, Mult: 2}, {Step: 70, Source: 1, Mult: 1}}
	if net.NumSources != 5 || len(net.ExtSpikes) != 2 || net.ExtSpikes[0] != want[0] || net.ExtSpikes[1] != want[1] {
		t.Fatalf("%d sources, external spikes %v; want 5, %v", net.NumSources, net.ExtSpikes, want)
	}
	// Sent in steps 9..48 (t_min 10 < s+2 <= t_max 50), 10 steps of delay,
	// on V one step later.
	if p := net.Pulses[1]; p.Amp != 100 || p.First != 20 || p.Last != 59 {
		t.Fatalf("pulse %+v, want 100 pA in steps 20..59", p)
	}
}

// FuzzNetworkJSON loads a small network with arbitrary network.json: the
// loader must return a network that the engine accepts and runs, or an
// error.
func FuzzNetworkJSON(f *testing.F) {
	f.Add([]byte(goodNetworkJSON))
	f.Add([]byte(`{"resolution_ms": 0, "neuron": {"tau_syn": 0.5}}`))
	f.Add([]byte(`{"resolution_ms": 0.1, "population_node_ids": [[1, 3]], "populations": ["A"], "neuron": {"E_L": -65, "V_th": -50, "V_reset": -70, "C_m": 250, "tau_m": 10, "tau_syn_ex": 10, "tau_syn_in": 0.5, "t_ref": 0}, "external_sources": {"node_ids": [4, 2000000000]}}`))
	f.Add([]byte(`{"resolution_ms": 1e-300}`))
	dir := f.TempDir()
	writeArrays(f, dir)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, "network.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		net, info, err := Load(dir)
		if err != nil {
			return
		}
		sim, err := engine.New(net, engine.Options{Workers: 1})
		if err != nil {
			t.Fatalf("loaded, but the engine refuses it: %v", err)
		}
		steps := min(int64(info.TSim/info.Resolution), 200)
		if err := sim.Run(t.Context(), steps, true, nil); err != nil {
			t.Fatal(err)
		}
	})
}
