// Package params holds the parameters of the Potjans & Diesmann (2014)
// cortical microcircuit model: the published defaults, the quantities derived
// from them (synapse counts, PSC amplitudes, DC drive), down-scaling, and
// reading and writing them as YAML configuration files.
package params

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// NumPops is the number of populations of the model.
const NumPops = 8

// Neuron holds the parameters of an iaf_psc_exp neuron.
type Neuron struct {
	EL       float64 `yaml:"E_L" json:"E_L"`
	VTh      float64 `yaml:"V_th" json:"V_th"`
	VReset   float64 `yaml:"V_reset" json:"V_reset"`
	Cm       float64 `yaml:"C_m" json:"C_m"`
	TauM     float64 `yaml:"tau_m" json:"tau_m"`
	TauSynEx float64 `yaml:"tau_syn_ex" json:"tau_syn_ex"`
	TauSynIn float64 `yaml:"tau_syn_in" json:"tau_syn_in"`
	TRef     float64 `yaml:"t_ref" json:"t_ref"`
}

// Simulation holds the parameters of the simulation protocol.
type Simulation struct {
	// TPresim is the warm-up time in ms; it is simulated but not recorded.
	TPresim float64 `yaml:"t_presim_ms" json:"t_presim"`
	// TSim is the recorded simulation time in ms.
	TSim float64 `yaml:"t_sim_ms" json:"t_sim"`
	// Resolution is the time step in ms.
	Resolution float64 `yaml:"resolution_ms" json:"sim_resolution"`
	// Seed seeds every random stream of the model.
	Seed uint64 `yaml:"seed" json:"rng_seed"`
	// Threads is the number of worker goroutines (0 = all cores).
	Threads int `yaml:"threads" json:"local_num_threads"`
	// Record lists what is recorded: "spikes", "voltage", or nothing.
	Record []string `yaml:"record,flow" json:"rec_dev"`
	// Format is the format of the recorded data: "ascii" (NEST's ASCII
	// files) or "npy" (NumPy arrays).
	Format string `yaml:"format" json:"rec_format"`
	// VInterval is the sampling interval of membrane potentials in ms.
	VInterval float64 `yaml:"v_interval_ms" json:"rec_V_int"`
	// VNeurons is the number of neurons per population whose membrane
	// potential is recorded (the first ones of each population), or All.
	VNeurons NeuronCount `yaml:"v_neurons" json:"V_neurons"`
	// DataPath is the directory results are written to.
	DataPath string `yaml:"data_path" json:"data_path"`
}

// Network holds the parameters of the network.
type Network struct {
	NScaling        float64   `yaml:"n_scaling" json:"N_scaling"`
	KScaling        float64   `yaml:"k_scaling" json:"K_scaling"`
	Populations     []string  `yaml:"populations,flow" json:"populations"`
	FullNumNeurons  []int     `yaml:"full_num_neurons,flow" json:"full_num_neurons"`
	FullMeanRates   []float64 `yaml:"full_mean_rates,flow" json:"full_mean_rates"`
	ConnProbs       Matrix    `yaml:"conn_probs" json:"conn_probs"`
	PSPExcMean      float64   `yaml:"psp_exc_mean_mV" json:"PSP_exc_mean"`
	L4EToL23EFactor float64   `yaml:"psp_L4E_to_L23E_factor" json:"PSP_L4E_to_L23E_factor"`
	G               float64   `yaml:"g" json:"g"`
	WeightRelSD     float64   `yaml:"weight_rel_sd" json:"weight_rel_std"`
	DelayExcMean    float64   `yaml:"delay_exc_mean_ms" json:"delay_exc_mean"`
	DelayInhMean    float64   `yaml:"delay_inh_mean_ms" json:"delay_inh_mean"`
	DelayRelSD      float64   `yaml:"delay_rel_sd" json:"delay_rel_std"`
	BgInput         string    `yaml:"bg_input" json:"bg_input_type"`
	BgRate          float64   `yaml:"bg_rate_hz" json:"bg_rate"`
	KExt            []float64 `yaml:"k_ext,flow" json:"K_ext"`
	PoissonDelay    float64   `yaml:"poisson_delay_ms" json:"poisson_delay"`
	V0Type          string    `yaml:"v0_type" json:"V0_type"`
	V0MeanOptimized []float64 `yaml:"v0_mean_optimized_mV,flow" json:"V0_mean_optimized"`
	V0SDOptimized   []float64 `yaml:"v0_sd_optimized_mV,flow" json:"V0_sd_optimized"`
	V0MeanOriginal  float64   `yaml:"v0_mean_original_mV" json:"V0_mean_original"`
	V0SDOriginal    float64   `yaml:"v0_sd_original_mV" json:"V0_sd_original"`
	Neuron          Neuron    `yaml:"neuron" json:"neuron_params"`
	// PSPMatrixMean, if set, gives the mean PSP (mV) of every pair of
	// populations [target][source] instead of psp_exc_mean_mV, g and
	// psp_L4E_to_L23E_factor, as the reference's PSP_matrix_mean does; the
	// sign of an entry sets the sign of the pair's weights.
	PSPMatrixMean *Matrix `yaml:"psp_matrix_mean_mV,omitempty" json:"PSP_matrix_mean,omitempty"`
	// DelayMatrixMean, if set, gives the mean delay (ms) of every pair of
	// populations [target][source] instead of delay_exc_mean_ms and
	// delay_inh_mean_ms, as the reference's delay_matrix_mean does.
	DelayMatrixMean *Matrix `yaml:"delay_matrix_mean_ms,omitempty" json:"delay_matrix_mean,omitempty"`
}

// Stimulus holds the parameters of the optional thalamic and DC inputs.
type Stimulus struct {
	Thalamic     bool      `yaml:"thalamic" json:"thalamic_input"`
	ThN          int       `yaml:"th_neurons" json:"num_th_neurons"`
	ThConnProbs  []float64 `yaml:"th_conn_probs,flow" json:"conn_probs_th"`
	ThStart      float64   `yaml:"th_start_ms" json:"th_start"`
	ThDuration   float64   `yaml:"th_duration_ms" json:"th_duration"`
	ThRate       float64   `yaml:"th_rate_hz" json:"th_rate"`
	ThPSPMean    float64   `yaml:"th_psp_mean_mV" json:"PSP_th"`
	ThDelayMean  float64   `yaml:"th_delay_mean_ms" json:"delay_th_mean"`
	ThDelayRelSD float64   `yaml:"th_delay_rel_sd" json:"delay_th_rel_std"`
	DCTransient  bool      `yaml:"dc_transient" json:"dc_input"`
	DCStart      float64   `yaml:"dc_start_ms" json:"dc_start"`
	DCDuration   float64   `yaml:"dc_duration_ms" json:"dc_dur"`
	DCAmpPerKExt float64   `yaml:"dc_amp_per_k_ext_pA" json:"dc_amp"`
}

// Params is the complete parameter set of a run.
type Params struct {
	Simulation Simulation `yaml:"simulation" json:"simulation"`
	Network    Network    `yaml:"network" json:"network"`
	Stimulus   Stimulus   `yaml:"stimulus" json:"stimulus"`
}

// Default returns the parameters of the reference implementation, with the
// command line's default scale of 0.2.
func Default() Params {
	return Params{
		Simulation: Simulation{
			TPresim:    500,
			TSim:       1000,
			Resolution: 0.1,
			Seed:       55,
			Threads:    0,
			Record:     []string{"spikes"},
			Format:     "ascii",
			VInterval:  1,
			VNeurons:   10,
			DataPath:   "data",
		},
		Network: Network{
			NScaling:       0.2,
			KScaling:       0.2,
			Populations:    []string{"L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"},
			FullNumNeurons: []int{20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948},
			FullMeanRates:  []float64{0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829},
			ConnProbs: Matrix{
				{0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0},
				{0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0},
				{0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0},
				{0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0},
				{0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0},
				{0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0},
				{0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252},
				{0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443},
			},
			PSPExcMean:      0.15,
			L4EToL23EFactor: 2,
			G:               -4,
			WeightRelSD:     0.1,
			DelayExcMean:    1.5,
			DelayInhMean:    0.75,
			DelayRelSD:      0.5,
			BgInput:         "dc",
			BgRate:          8,
			KExt:            []float64{1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100},
			PoissonDelay:    1.5,
			V0Type:          "optimized",
			V0MeanOptimized: []float64{-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43},
			V0SDOptimized:   []float64{5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48},
			V0MeanOriginal:  -58,
			V0SDOriginal:    10,
			Neuron: Neuron{
				EL: -65, VTh: -50, VReset: -65, Cm: 250, TauM: 10,
				TauSynEx: 0.5, TauSynIn: 0.5, TRef: 2,
			},
		},
		Stimulus: Stimulus{
			Thalamic:     false,
			ThN:          902,
			ThConnProbs:  []float64{0, 0, 0.0983, 0.0619, 0, 0, 0.0512, 0.0196},
			ThStart:      700,
			ThDuration:   10,
			ThRate:       120,
			ThPSPMean:    0.15,
			ThDelayMean:  1.5,
			ThDelayRelSD: 0.5,
			DCTransient:  false,
			DCStart:      650,
			DCDuration:   100,
			DCAmpPerKExt: 0.3,
		},
	}
}

// SetScale sets N and K scaling together, as the reference's single scale does.
func (p *Params) SetScale(s float64) {
	p.Network.NScaling = s
	p.Network.KScaling = s
}

// RecordSpikes reports whether spikes are recorded.
func (p *Params) RecordSpikes() bool { return p.records("spikes") }

// RecordVoltage reports whether membrane potentials are recorded.
func (p *Params) RecordVoltage() bool { return p.records("voltage") }

func (p *Params) records(what string) bool {
	for _, r := range p.Simulation.Record {
		if r == what {
			return true
		}
	}
	return false
}

// NeuronCount is a number of neurons per population, or All.
type NeuronCount int

// All means every neuron of a population.
const All NeuronCount = -1

// MarshalYAML writes All as "all".
func (c NeuronCount) MarshalYAML() (any, error) {
	if c == All {
		return "all", nil
	}
	return int(c), nil
}

// UnmarshalYAML reads a number or "all".
func (c *NeuronCount) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Value == "all" {
		*c = All
		return nil
	}
	var v int
	if err := n.Decode(&v); err != nil || v < 0 {
		return fmt.Errorf("line %d: v_neurons = %q: allowed are a number >= 0 or all", n.Line, n.Value)
	}
	*c = NeuronCount(v)
	return nil
}

// Of returns the count for a population of size n.
func (c NeuronCount) Of(n int) int {
	if c == All || int(c) > n {
		return n
	}
	return int(c)
}

// Validate checks every parameter and returns an error naming the first
// invalid one (by its YAML name), its value and what is allowed. Every
// floating-point parameter must be finite; the ranges are:
//
//	n_scaling, k_scaling                     (0, 10]
//	t_presim_ms                              >= 0, a multiple of resolution_ms
//	t_sim_ms                                 > 0, a multiple of resolution_ms
//	resolution_ms                            (0, 10]
//	v_interval_ms                            a positive multiple of resolution_ms
//	format                                   ascii or npy
//	threads                                  0 (all cores) .. 4096
//	full_num_neurons                         1 .. 10^8
//	full_mean_rates                          [0, 1000] spikes/s
//	conn_probs, th_conn_probs                [0, 1)
//	psp_exc_mean_mV, th_psp_mean_mV          [0, 100]
//	psp_L4E_to_L23E_factor                   [0, 100]
//	g                                        [-100, 0]
//	weight_rel_sd, delay_rel_sd,
//	th_delay_rel_sd                          [0, 10]
//	delay_exc_mean_ms, delay_inh_mean_ms,
//	th_delay_mean_ms, delay_matrix_mean_ms   (0, 1000]
//	psp_matrix_mean_mV                       [-10^4, 10^4]
//	poisson_delay_ms                         [resolution_ms, 1000]
//	bg_rate_hz, k_ext                        >= 0, with at most 40 background
//	                                         spikes per neuron and step
//	v0_mean_*, neuron.E_L, V_th, V_reset     [-1000, 1000] mV, V_th > V_reset
//	v0_sd_*                                  [0, 1000] mV
//	neuron.C_m                               (0, 10^6] pF
//	neuron.tau_m, tau_syn_ex, tau_syn_in     (0, 10^4] ms
//	neuron.t_ref                             [0, 10^4] ms
//	th_neurons                               0 .. 10^6
//	th_rate_hz                               >= 0, at most 40 spikes per step
//	th_start_ms, th_duration_ms,
//	dc_start_ms, dc_duration_ms              >= 0, multiples of resolution_ms
//	dc_amp_per_k_ext_pA                      [-1000, 1000]
func (p *Params) Validate() error {
	if err := checkFinite(reflect.ValueOf(p).Elem(), ""); err != nil {
		return err
	}
	s, n, st := &p.Simulation, &p.Network, &p.Stimulus
	in := func(name string, v, lo, hi float64, loOpen bool) error {
		if v < lo || v > hi || (loOpen && v == lo) {
			left := "["
			if loOpen {
				left = "("
			}
			return fmt.Errorf("%s = %v: must be in %s%v, %v]", name, v, left, lo, hi)
		}
		return nil
	}
	pos := func(name string, v float64) error {
		if !(v > 0) {
			return fmt.Errorf("%s = %v: must be a finite number > 0", name, v)
		}
		return nil
	}
	nonneg := func(name string, v float64) error {
		if !(v >= 0) {
			return fmt.Errorf("%s = %v: must be a finite number >= 0", name, v)
		}
		return nil
	}
	first := func(errs ...error) error {
		for _, e := range errs {
			if e != nil {
				return e
			}
		}
		return nil
	}
	if err := first(
		pos("n_scaling", n.NScaling), in("n_scaling", n.NScaling, 0, 10, true),
		pos("k_scaling", n.KScaling), in("k_scaling", n.KScaling, 0, 10, true),
		nonneg("t_presim_ms", s.TPresim),
		pos("t_sim_ms", s.TSim),
		pos("resolution_ms", s.Resolution), in("resolution_ms", s.Resolution, 0, 10, true),
	); err != nil {
		return err
	}
	if s.Threads < 0 || s.Threads > 4096 {
		return fmt.Errorf("threads = %d: must be 0 (all cores) to 4096", s.Threads)
	}
	for _, r := range s.Record {
		if r != "spikes" && r != "voltage" && r != "none" {
			return fmt.Errorf("record = %q: allowed values are spikes, voltage, none", r)
		}
	}
	if !(s.VInterval > 0) || !onGrid(s.VInterval, s.Resolution) {
		return fmt.Errorf("v_interval_ms = %v: must be a positive multiple of resolution_ms = %v", s.VInterval, s.Resolution)
	}
	if s.Format != "ascii" && s.Format != "npy" {
		return fmt.Errorf("format = %q: allowed values are ascii, npy", s.Format)
	}
	if s.VNeurons < All {
		return fmt.Errorf("v_neurons = %d: allowed are a number >= 0 or all", s.VNeurons)
	}
	if s.DataPath == "" {
		return fmt.Errorf("data_path is empty: give a directory")
	}
	times := []struct {
		name string
		v    float64
	}{{"t_presim_ms", s.TPresim}, {"t_sim_ms", s.TSim}}
	if st.Thalamic {
		times = append(times, []struct {
			name string
			v    float64
		}{{"th_start_ms", st.ThStart}, {"th_duration_ms", st.ThDuration}}...)
	}
	if st.DCTransient {
		times = append(times, []struct {
			name string
			v    float64
		}{{"dc_start_ms", st.DCStart}, {"dc_duration_ms", st.DCDuration}}...)
	}
	for _, t := range times {
		if !onGrid(t.v, s.Resolution) {
			return fmt.Errorf("%s = %v: must be a multiple of resolution_ms = %v", t.name, t.v, s.Resolution)
		}
	}
	if s.TPresim/s.Resolution+s.TSim/s.Resolution > math.MaxInt32 {
		return fmt.Errorf("t_presim_ms + t_sim_ms = %v: too many steps at resolution %v ms (at most %d)",
			s.TPresim+s.TSim, s.Resolution, math.MaxInt32)
	}
	if n.BgInput != "dc" && n.BgInput != "poisson" {
		return fmt.Errorf("bg_input = %q: allowed values are dc, poisson", n.BgInput)
	}
	if n.V0Type != "optimized" && n.V0Type != "original" {
		return fmt.Errorf("v0_type = %q: allowed values are optimized, original", n.V0Type)
	}
	lists := []struct {
		name string
		n    int
	}{
		{"populations", len(n.Populations)}, {"full_num_neurons", len(n.FullNumNeurons)},
		{"full_mean_rates", len(n.FullMeanRates)}, {"k_ext", len(n.KExt)},
		{"v0_mean_optimized_mV", len(n.V0MeanOptimized)}, {"v0_sd_optimized_mV", len(n.V0SDOptimized)},
		{"th_conn_probs", len(st.ThConnProbs)},
	}
	for _, l := range lists {
		if l.n != NumPops {
			return fmt.Errorf("%s has %d entries: must have %d, one per population", l.name, l.n, NumPops)
		}
	}
	for i, v := range n.FullNumNeurons {
		if v < 1 || v > 1e8 {
			return fmt.Errorf("full_num_neurons[%d] = %d: must be 1 to 10^8", i, v)
		}
	}
	for y := range n.ConnProbs {
		for x, c := range n.ConnProbs[y] {
			if !(c >= 0 && c < 1) {
				return fmt.Errorf("conn_probs[%d][%d] = %v: must be in [0, 1)", y, x, c)
			}
		}
	}
	for i, c := range st.ThConnProbs {
		if !(c >= 0 && c < 1) {
			return fmt.Errorf("th_conn_probs[%d] = %v: must be in [0, 1)", i, c)
		}
	}
	h := s.Resolution
	for i := 0; i < NumPops; i++ {
		if err := first(
			in(fmt.Sprintf("full_mean_rates[%d]", i), n.FullMeanRates[i], 0, 1000, false),
			nonneg(fmt.Sprintf("k_ext[%d]", i), n.KExt[i]),
			in(fmt.Sprintf("v0_mean_optimized_mV[%d]", i), n.V0MeanOptimized[i], -1000, 1000, false),
			in(fmt.Sprintf("v0_sd_optimized_mV[%d]", i), n.V0SDOptimized[i], 0, 1000, false),
		); err != nil {
			return err
		}
		if lambda := n.BgRate * n.KExt[i] * h * 1e-3; lambda > 40 {
			return fmt.Errorf("bg_rate_hz = %v with k_ext[%d] = %v: %.3g background spikes per neuron and step at resolution %v ms; at most 40 are allowed",
				n.BgRate, i, n.KExt[i], lambda, h)
		}
	}
	if err := n.Neuron.Validate(); err != nil {
		return err
	}
	if err := first(
		in("psp_exc_mean_mV", n.PSPExcMean, 0, 100, false),
		in("psp_L4E_to_L23E_factor", n.L4EToL23EFactor, 0, 100, false),
		in("g", n.G, -100, 0, false),
		in("weight_rel_sd", n.WeightRelSD, 0, 10, false),
		in("delay_exc_mean_ms", n.DelayExcMean, 0, 1000, true),
		in("delay_inh_mean_ms", n.DelayInhMean, 0, 1000, true),
		in("delay_rel_sd", n.DelayRelSD, 0, 10, false),
		nonneg("bg_rate_hz", n.BgRate),
		in("poisson_delay_ms", n.PoissonDelay, 0, 1000, true),
		in("v0_mean_original_mV", n.V0MeanOriginal, -1000, 1000, false),
		in("v0_sd_original_mV", n.V0SDOriginal, 0, 1000, false),
		nonneg("th_rate_hz", st.ThRate),
		nonneg("th_start_ms", st.ThStart),
		nonneg("th_duration_ms", st.ThDuration),
		in("th_psp_mean_mV", st.ThPSPMean, 0, 100, false),
		in("th_delay_mean_ms", st.ThDelayMean, 0, 1000, true),
		in("th_delay_rel_sd", st.ThDelayRelSD, 0, 10, false),
		nonneg("dc_start_ms", st.DCStart),
		nonneg("dc_duration_ms", st.DCDuration),
		in("dc_amp_per_k_ext_pA", st.DCAmpPerKExt, -1000, 1000, false),
	); err != nil {
		return err
	}
	for name, m := range map[string]*Matrix{"psp_matrix_mean_mV": n.PSPMatrixMean, "delay_matrix_mean_ms": n.DelayMatrixMean} {
		if m == nil {
			continue
		}
		for y := range m {
			for x, v := range m[y] {
				var err error
				if name == "psp_matrix_mean_mV" {
					err = in(fmt.Sprintf("%s[%d][%d]", name, y, x), v, -1e4, 1e4, false)
				} else {
					err = in(fmt.Sprintf("%s[%d][%d]", name, y, x), v, 0, 1000, true)
				}
				if err != nil {
					return err
				}
			}
		}
	}
	if st.ThN < 0 || st.ThN > 1e6 {
		return fmt.Errorf("th_neurons = %d: must be 0 to 10^6", st.ThN)
	}
	if lambda := st.ThRate * h * 1e-3; lambda > 40 {
		return fmt.Errorf("th_rate_hz = %v: %.3g spikes per step at resolution %v ms; at most 40 are allowed", st.ThRate, lambda, h)
	}
	if math.Round(n.PoissonDelay/h) < 1 {
		return fmt.Errorf("poisson_delay_ms = %v: must be at least one resolution step (%v ms)", n.PoissonDelay, h)
	}
	return nil
}

// Validate checks the neuron's parameters (named neuron.<name>): finite,
// E_L, V_th and V_reset in [-1000, 1000] mV with V_th > V_reset, C_m in
// (0, 10^6] pF, the time constants in (0, 10^4] ms, t_ref in [0, 10^4] ms.
func (n Neuron) Validate() error {
	in := func(name string, v, lo, hi float64, loOpen bool) error {
		if !(v >= lo && v <= hi) || (loOpen && v == lo) {
			left := "["
			if loOpen {
				left = "("
			}
			return fmt.Errorf("neuron.%s = %v: must be in %s%v, %v]", name, v, left, lo, hi)
		}
		return nil
	}
	for _, err := range []error{
		in("E_L", n.EL, -1000, 1000, false),
		in("V_th", n.VTh, -1000, 1000, false),
		in("V_reset", n.VReset, -1000, 1000, false),
		in("C_m", n.Cm, 0, 1e6, true),
		in("tau_m", n.TauM, 0, 1e4, true),
		in("tau_syn_ex", n.TauSynEx, 0, 1e4, true),
		in("tau_syn_in", n.TauSynIn, 0, 1e4, true),
		in("t_ref", n.TRef, 0, 1e4, false),
	} {
		if err != nil {
			return err
		}
	}
	if !(n.VTh > n.VReset) {
		return fmt.Errorf("neuron.V_th = %v: must be above neuron.V_reset = %v", n.VTh, n.VReset)
	}
	return nil
}

// checkFinite returns an error naming (by its YAML path) the first
// floating-point parameter in v that is NaN or infinite.
func checkFinite(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			if path != "" {
				name = path + "." + name
			}
			if err := checkFinite(v.Field(i), name); err != nil {
				return err
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			return checkFinite(v.Elem(), path)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if err := checkFinite(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s = %v: must be a finite number", shortName(path), f)
		}
	}
	return nil
}

// shortName drops the section (simulation., network., stimulus.) from a
// parameter's path, as the other messages name parameters.
func shortName(path string) string {
	for _, sec := range []string{"simulation.", "network.", "stimulus."} {
		if strings.HasPrefix(path, sec) {
			return path[len(sec):]
		}
	}
	return path
}

func onGrid(t, h float64) bool {
	k := t / h
	return math.Abs(k-math.Round(k)) < 1e-9*math.Max(1, k)
}

// Matrix is a population-by-population matrix, indexed [target][source].
type Matrix [NumPops][NumPops]float64

// MarshalYAML writes one row per line.
func (m Matrix) MarshalYAML() (any, error) {
	rows := &yaml.Node{Kind: yaml.SequenceNode}
	for _, r := range m {
		row := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, v := range r {
			row.Content = append(row.Content, &yaml.Node{Kind: yaml.ScalarNode,
				Value: strconv.FormatFloat(v, 'g', -1, 64)})
		}
		rows.Content = append(rows.Content, row)
	}
	return rows, nil
}
