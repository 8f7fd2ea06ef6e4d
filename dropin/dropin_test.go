package dropin

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pd14/microcircuit"
	"github.com/pd14/microcircuit/params"
)

func TestParseEmptyGivesReferenceDefaults(t *testing.T) {
	s, err := Parse([]byte(`{}`), []byte(`{}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	want := DefaultSetup(wd)
	if !reflect.DeepEqual(s.Params, want.Params) || !s.Overwrite || !s.PrintTime || !s.StoreMetadata {
		t.Errorf("defaults differ:\n got %+v\nwant %+v", s, want)
	}
	if s.Params.Network.NScaling != 1 || s.Params.Simulation.Threads != 4 || s.Params.Simulation.Seed != 55 {
		t.Errorf("not the reference's defaults: N_scaling %v, threads %d, seed %d",
			s.Params.Network.NScaling, s.Params.Simulation.Threads, s.Params.Simulation.Seed)
	}
}

// TestParseMapsEveryKey sets every key to a value other than its default
// and checks where it lands.
func TestParseMapsEveryKey(t *testing.T) {
	sim := `{"t_presim": 100, "t_sim": 200, "sim_resolution": 0.1, "rec_dev": ["voltmeter", "spike_recorder"],
		"data_path": "/tmp/x/", "rng_seed": 18446744073709551615, "local_num_threads": 2, "rec_V_int": 0.5,
		"overwrite_files": false, "print_time": false, "store_metadata": false}`
	psp := `[[0.15,-0.6,0.3,-0.6,0.15,-0.6,0.15,-0.6],[0.15,-0.6,0.15,-0.6,0.15,-0.6,0.15,-0.6],
		[0.15,-0.6,0.15,-0.6,0.15,-0.6,0.15,-0.6],[0.15,-0.6,0.15,-0.6,0.15,-0.6,0.15,-0.6],
		[0.15,-0.6,0.15,-0.6,0.15,-0.6,0.15,-0.6],[0.15,-0.6,0.15,-0.6,0.15,-0.6,0.15,-0.6],
		[0.15,-0.6,0.15,-0.6,0.15,-0.6,0.15,-0.6],[0.15,-0.6,0.15,-0.6,0.15,-0.6,0.15,-0.7]]`
	net := `{"N_scaling": 0.3, "K_scaling": 0.4, "neuron_model": "iaf_psc_exp",
		"populations": ["a","b","c","d","e","f","g","h"], "full_num_neurons": [1,2,3,4,5,6,7,8.0],
		"full_mean_rates": [1,1,1,1,1,1,1,1], "PSP_exc_mean": 0.2, "weight_rel_std": 0.2, "g": -5,
		"delay_exc_mean": 2, "delay_inh_mean": 1, "delay_rel_std": 0.25, "bg_input_type": "poisson",
		"K_ext": [1,2,3,4,5,6,7,8], "bg_rate": 9, "delay_poisson": 1.0, "V0_type": "original",
		"neuron_params": {"V0_mean": {"original": -60, "optimized": [-1,-2,-3,-4,-5,-6,-7,-8]},
			"V0_std": {"original": 5, "optimized": [1,2,3,4,5,6,7,8]},
			"E_L": -70, "V_th": -55, "V_reset": -71, "C_m": 200, "tau_m": 20, "tau_syn": 1, "t_ref": 1},
		"PSP_matrix_mean": ` + psp + `}`
	stim := `{"thalamic_input": true, "th_start": 300, "th_duration": 20, "th_rate": 100, "num_th_neurons": 500,
		"conn_probs_th": [0.1,0,0,0,0,0,0,0.2], "PSP_th": 0.3, "delay_th_mean": 2, "delay_th_rel_std": 0.4,
		"dc_transient": true, "dc_transient_start": 400, "dc_transient_dur": 50, "dc_transient_amp": 0.5}`
	s, err := Parse([]byte(sim), []byte(net), []byte(stim))
	if err != nil {
		t.Fatal(err)
	}
	p := s.Params
	sm, nw, st := p.Simulation, p.Network, p.Stimulus
	checks := []struct {
		name      string
		got, want any
	}{
		{"t_presim", sm.TPresim, 100.0}, {"t_sim", sm.TSim, 200.0}, {"rec_dev", sm.Record, []string{"voltage", "spikes"}},
		{"data_path", sm.DataPath, "/tmp/x/"}, {"rng_seed", sm.Seed, uint64(18446744073709551615)},
		{"threads", sm.Threads, 2}, {"rec_V_int", sm.VInterval, 0.5}, {"v_neurons", sm.VNeurons, params.All},
		{"flags", []bool{s.Overwrite, s.PrintTime, s.StoreMetadata}, []bool{false, false, false}},
		{"N", nw.NScaling, 0.3}, {"K", nw.KScaling, 0.4}, {"pops", nw.Populations[7], "h"},
		{"full_num_neurons", nw.FullNumNeurons, []int{1, 2, 3, 4, 5, 6, 7, 8}},
		{"PSP", nw.PSPExcMean, 0.2}, {"wsd", nw.WeightRelSD, 0.2}, {"g", nw.G, -5.0},
		{"delays", []float64{nw.DelayExcMean, nw.DelayInhMean, nw.DelayRelSD}, []float64{2, 1, 0.25}},
		{"bg", nw.BgInput, "poisson"}, {"K_ext", nw.KExt[7], 8.0}, {"bg_rate", nw.BgRate, 9.0},
		{"delay_poisson", nw.PoissonDelay, 1.0}, {"V0_type", nw.V0Type, "original"},
		{"V0", []float64{nw.V0MeanOriginal, nw.V0SDOriginal, nw.V0MeanOptimized[7], nw.V0SDOptimized[7]}, []float64{-60, 5, -8, 8}},
		{"neuron", nw.Neuron, params.Neuron{EL: -70, VTh: -55, VReset: -71, Cm: 200, TauM: 20, TauSynEx: 1, TauSynIn: 1, TRef: 1}},
		{"PSP matrix", nw.PSPMatrix()[7][7], -0.7}, {"delay matrix", nw.DelayMatrixMean == nil, true},
		{"stim", []any{st.Thalamic, st.ThStart, st.ThDuration, st.ThRate, st.ThN, st.ThConnProbs[7], st.ThPSPMean, st.ThDelayMean, st.ThDelayRelSD},
			[]any{true, 300.0, 20.0, 100.0, 500, 0.2, 0.3, 2.0, 0.4}},
		{"dc", []any{st.DCTransient, st.DCStart, st.DCDuration, st.DCAmpPerKExt}, []any{true, 400.0, 50.0, 0.5}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "PSP_matrix_mean") {
		t.Errorf("warnings %q: want one on PSP_matrix_mean differing from g", s.Warnings)
	}
}

func TestParseErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		sim, net, stim string
		key            string // the KeyError's key
		msg            string // in the message
	}{
		{`{"t_simm": 1}`, `{}`, `{}`, "sim_dict['t_simm']", "not a parameter"},
		{`{}`, `{"neuron_params": {"tau_sin": 1}}`, `{}`, "net_dict['neuron_params']['tau_sin']", "known keys"},
		{`{}`, `{"neuron_params": {"V0_mean": {"x": 1}}}`, `{}`, "net_dict['neuron_params']['V0_mean']['x']", "not a parameter"},
		{`{}`, `{"N_scaling": 0}`, `{}`, "net_dict['N_scaling']", "= 0: must be a finite number > 0"},
		{`{}`, `{"N_scaling": "0.2"}`, `{}`, "net_dict['N_scaling']", "must be a number"},
		{`{}`, `{"g": "nan"}`, `{}`, "net_dict['g']", "finite"},
		{`{}`, `{"K_ext": [1, 2]}`, `{}`, "net_dict['K_ext']", "2 entries"},
		{`{}`, `{"K_ext": [1, 2, 3, 4, -5, 6, 7, 8]}`, `{}`, "net_dict['K_ext'][4]", ">= 0"},
		{`{}`, `{"full_num_neurons": [1, 2, 3, 4, 5.5, 6, 7, 8]}`, `{}`, "net_dict['full_num_neurons'][4]", "whole number"},
		{`{}`, `{"conn_probs": [[0]]}`, `{}`, "net_dict['conn_probs']", "8×8"},
		{`{}`, `{"neuron_model": "iaf_psc_alpha"}`, `{}`, "net_dict['neuron_model']", "iaf_psc_exp"},
		{`{}`, `{"bg_input_type": "noise"}`, `{}`, "net_dict['bg_input_type']", "dc, poisson"},
		{`{}`, `{"neuron_params": {"V_th": -70}}`, `{}`, "net_dict['neuron_params']['V_th']", "above net_dict['neuron_params']['V_reset']"},
		{`{"rec_dev": ["multimeter"]}`, `{}`, `{}`, "sim_dict['rec_dev'][0]", "spike_recorder and voltmeter"},
		{`{"local_num_threads": 0}`, `{}`, `{}`, "sim_dict['local_num_threads']", "1 to 4096"},
		{`{"rng_seed": -1}`, `{}`, `{}`, "sim_dict['rng_seed']", "whole number"},
		{`{"overwrite_files": 1}`, `{}`, `{}`, "sim_dict['overwrite_files']", "True or False"},
		{`{"t_sim": 10.05}`, `{}`, `{}`, "sim_dict['t_sim']", "multiple of sim_dict['sim_resolution']"},
		{`{}`, `{}`, `{"th_rate": -1}`, "stim_dict['th_rate']", ">= 0"},
		{`{}`, `{}`, `{"thalamic_input": true, "th_start": 700.05}`, "stim_dict['th_start']", "multiple"},
		{`[1]`, `{}`, `{}`, "sim_dict", "not a dictionary"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.sim), []byte(c.net), []byte(c.stim))
		var ke *KeyError
		if !errors.As(err, &ke) {
			t.Errorf("%s %s %s: got %v, want a KeyError", c.sim, c.net, c.stim, err)
			continue
		}
		if ke.Key != c.key || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s %s %s: got key %q, %q; want key %q and %q", c.sim, c.net, c.stim, ke.Key, err, c.key, c.msg)
		}
	}
}

// setup returns a small, quick network's setup writing into a temporary
// directory.
func setup(t *testing.T) Setup {
	t.Helper()
	s, err := Parse([]byte(`{"data_path": "`+t.TempDir()+`/data/", "local_num_threads": 2, "rng_seed": 9,
		"rec_dev": ["spike_recorder", "voltmeter"], "rec_V_int": 5}`),
		[]byte(`{"N_scaling": 0.05, "K_scaling": 0.05, "bg_input_type": "poisson"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSimulateMatchesModel checks that the calls give the spikes of the
// library's Model for the same parameters, and that each Simulate writes
// the spikes of that call alone.
func TestSimulateMatchesModel(t *testing.T) {
	s := setup(t)
	n, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	n.Out = &progress
	ctx := context.Background()
	if err := n.Connect(ctx); !errors.Is(err, ErrNotCreated) {
		t.Errorf("connect before create: %v", err)
	}
	if err := n.Simulate(ctx, 10); !errors.Is(err, ErrNotConnected) {
		t.Errorf("simulate before connect: %v", err)
	}
	if err := n.Create(); err != nil {
		t.Fatal(err)
	}
	if err := n.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Simulate(ctx, 100); err != nil {
		t.Fatal(err)
	}
	first, _ := n.Spikes()
	if err := n.Simulate(ctx, 150); err != nil {
		t.Fatal(err)
	}
	sender, times := n.Spikes()

	p := s.Params
	p.Simulation.Threads = 1
	m, err := microcircuit.Build(&p)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Simulate(ctx, 100, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Simulate(ctx, 150, true, nil); err != nil {
		t.Fatal(err)
	}
	ws, wt := m.Spikes()
	if len(first) == 0 || len(ws) == 0 || len(ws) != len(sender) {
		t.Fatalf("%d spikes in the first call, %d in the second; the model gives %d", len(first), len(sender), len(ws))
	}
	for i := range ws {
		if int(sender[i]) != ws[i] || times[i] != wt[i] {
			t.Fatalf("spike %d: %d at %v, the model has %d at %v", i, sender[i], times[i], ws[i], wt[i])
		}
	}
	if times[0] <= 100 {
		t.Errorf("the second call's spikes start at %v ms: want > 100", times[0])
	}

	// The files hold the second call's spikes and voltages.
	dir := s.Params.Simulation.DataPath
	pops := n.Populations()
	total := 0
	for k := range pops.Sizes {
		b, err := os.ReadFile(filepath.Join(dir, "spike_recorder-"+strconv.Itoa(pops.RecorderID(k))+"-0.dat"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		total += len(lines) - 3
		v, err := os.ReadFile(filepath.Join(dir, "voltmeter-"+strconv.Itoa(pops.VoltmeterID(k, true))+"-0.dat"))
		if err != nil {
			t.Fatal(err)
		}
		// Every neuron of the population every 5 ms of the 150 ms.
		if got, want := strings.Count(string(v), "\n")-3, pops.Sizes[k]*30; got != want {
			t.Errorf("population %d: %d voltage samples, want %d", k, got, want)
		}
	}
	if total != len(ws) {
		t.Errorf("the spike files hold %d spikes, want %d", total, len(ws))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "population_nodeids.dat")); err != nil || !strings.HasPrefix(string(b), "1 ") {
		t.Errorf("population_nodeids.dat: %q, %v", b, err)
	}
	if !strings.Contains(progress.String(), "[ 100% ] Model time: 250.0 ms") {
		t.Errorf("progress %q: want NEST's last line", progress.String())
	}
}

func TestOverwriteFiles(t *testing.T) {
	s := setup(t)
	n, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Create(); err != nil {
		t.Fatal(err)
	}
	// A second network into the same data path: refused without
	// overwrite_files, accepted with it.
	s.Overwrite = false
	_, err = New(s)
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Key != "sim_dict['data_path']" || !strings.Contains(err.Error(), "overwrite_files") {
		t.Errorf("second run without overwrite_files: %v", err)
	}
	s.Overwrite = true
	n2, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := n2.Create(); err != nil {
		t.Fatal(err)
	}
	// The first network's own later calls keep working without
	// overwrite_files.
	n.Overwrite = false
	if err := n.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := n.Simulate(context.Background(), 20); err != nil {
		t.Fatal(err)
	}
}

// TestInterruptKeepsRecorded cancels a Simulate and checks that the files
// hold what was recorded and that the network goes on.
func TestInterruptKeepsRecorded(t *testing.T) {
	s := setup(t)
	s.Params.Simulation.Record = []string{"spikes"}
	n, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Create(); err != nil {
		t.Fatal(err)
	}
	if err := n.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.PrintTime = true
	n.Out = writerFunc(func(b []byte) (int, error) {
		if bytes.Contains(b, []byte("Model time")) {
			cancel()
		}
		return len(b), nil
	})
	err = n.Simulate(ctx, 100000)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted simulate: %v", err)
	}
	stopped := n.Time()
	if stopped <= 0 || stopped >= 100000 {
		t.Fatalf("stopped at %v ms", stopped)
	}
	sender, _ := n.Spikes()
	pops := n.Populations()
	total := 0
	for k := range pops.Sizes {
		b, err := os.ReadFile(filepath.Join(s.Params.Simulation.DataPath, "spike_recorder-"+strconv.Itoa(pops.RecorderID(k))+"-0.dat"))
		if err != nil {
			t.Fatal(err)
		}
		total += strings.Count(string(b), "\n") - 3
	}
	if total == 0 || total != len(sender) {
		t.Errorf("files hold %d spikes, the network recorded %d", total, len(sender))
	}
	if err := n.Simulate(context.Background(), 10); err != nil || math.Abs(n.Time()-(stopped+10)) > 1e-9 {
		t.Errorf("simulate after the interruption: %v at %v ms", err, n.Time())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
