// Package dropin is the engine side of the Python drop-in for the reference
// PyNEST microcircuit package: it reads that package's three parameter
// dictionaries (sim_dict, net_dict, stim_dict, serialised as JSON) into
// params.Params, and runs the calls of its Network class (create, connect,
// simulate, ...) on this engine, writing NEST's files into
// sim_dict['data_path'].
//
// Every error about a dictionary is a *KeyError that names the key as the
// dictionary spells it, such as net_dict['K_ext'][3].
package dropin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pd14/microcircuit/params"
)

// Setup is what the three dictionaries ask for: the model's parameters and
// the options of the reference's Network class that are not parameters.
type Setup struct {
	Params params.Params
	// Overwrite is sim_dict['overwrite_files']: replace the results of an
	// earlier run in the data path.
	Overwrite bool
	// PrintTime is sim_dict['print_time']: show the progress of simulate.
	PrintTime bool
	// StoreMetadata is sim_dict['store_metadata'].
	StoreMetadata bool
	// Warnings are remarks on the dictionaries that are not errors.
	Warnings []string
}

// KeyError is an unknown key or an invalid value of a dictionary.
type KeyError struct {
	Key string // as spelt in Python: net_dict['neuron_params']['C_m']
	Msg string // what is wrong, and what is allowed
}

// Error returns the key and the message.
func (e *KeyError) Error() string {
	if e.Key == "" {
		return e.Msg
	}
	return e.Key + " " + e.Msg
}

// DefaultSetup returns the reference package's default dictionaries as a
// Setup, with the data path "data/" below dir (the reference's default is
// below the working directory).
func DefaultSetup(dir string) Setup {
	p := params.Default()
	p.SetScale(1)
	p.Simulation.Threads = 4
	p.Simulation.Record = []string{"spikes"}
	p.Simulation.VNeurons = params.All
	p.Simulation.DataPath = filepath.Join(dir, "data") + string(filepath.Separator)
	return Setup{Params: p, Overwrite: true, PrintTime: true, StoreMetadata: true}
}

// Parse reads the three dictionaries, as JSON objects, on top of the
// reference's defaults (keys left out keep their default values; stim may
// be empty or null for the reference's stim_dict=None). Numbers may be
// given as the strings "nan", "inf" and "-inf", which Python's JSON cannot
// write otherwise; they are then rejected by name. The result is validated.
func Parse(sim, net, stim []byte) (Setup, error) {
	wd, err := os.Getwd()
	if err != nil {
		wd = "."
	}
	s := DefaultSetup(wd)
	p := &s.Params
	dicts := []struct {
		name string
		data []byte
		read func(d *dict)
	}{
		{"sim_dict", sim, func(d *dict) { readSim(d, &s) }},
		{"net_dict", net, func(d *dict) { s.Warnings = readNet(d, &p.Network) }},
		{"stim_dict", stim, func(d *dict) { readStim(d, &p.Stimulus) }},
	}
	for _, dd := range dicts {
		d, err := newDict(dd.name, dd.name, dd.data)
		if err != nil {
			return Setup{}, err
		}
		dd.read(d)
		if err := d.finish(); err != nil {
			return Setup{}, err
		}
	}
	if err := p.Validate(); err != nil {
		return Setup{}, translate(err)
	}
	return s, nil
}

func readSim(d *dict, s *Setup) {
	sim := &s.Params.Simulation
	d.float("t_presim", &sim.TPresim)
	d.float("t_sim", &sim.TSim)
	d.float("sim_resolution", &sim.Resolution)
	if devs, ok := d.strings("rec_dev"); ok {
		sim.Record = nil
		for i, dev := range devs {
			switch dev {
			case "spike_recorder":
				sim.Record = append(sim.Record, "spikes")
			case "voltmeter":
				sim.Record = append(sim.Record, "voltage")
			default:
				d.fail(fmt.Sprintf("%s[%d]", d.key("rec_dev"), i), fmt.Sprintf("= %q: allowed devices are spike_recorder and voltmeter", dev))
			}
		}
	}
	d.str("data_path", &sim.DataPath)
	d.uint64("rng_seed", &sim.Seed)
	d.integer("local_num_threads", &sim.Threads, 1, 4096)
	d.float("rec_V_int", &sim.VInterval)
	d.boolean("overwrite_files", &s.Overwrite)
	d.boolean("print_time", &s.PrintTime)
	d.boolean("store_metadata", &s.StoreMetadata)
}

func readNet(d *dict, n *params.Network) []string {
	d.float("N_scaling", &n.NScaling)
	d.float("K_scaling", &n.KScaling)
	var model string
	if d.str("neuron_model", &model) && model != "iaf_psc_exp" {
		d.fail(d.key("neuron_model"), fmt.Sprintf("= %q: only iaf_psc_exp is simulated", model))
	}
	if names, ok := d.strings("populations"); ok {
		if len(names) != params.NumPops {
			d.fail(d.key("populations"), fmt.Sprintf("has %d entries: must have %d (L2/3, L4, L5, L6; excitatory, inhibitory)", len(names), params.NumPops))
		}
		n.Populations = names
	}
	d.ints("full_num_neurons", &n.FullNumNeurons)
	d.floats("full_mean_rates", &n.FullMeanRates)
	d.matrix("conn_probs", &n.ConnProbs)
	d.float("PSP_exc_mean", &n.PSPExcMean)
	d.float("weight_rel_std", &n.WeightRelSD)
	d.float("g", &n.G)
	d.float("delay_exc_mean", &n.DelayExcMean)
	d.float("delay_inh_mean", &n.DelayInhMean)
	d.float("delay_rel_std", &n.DelayRelSD)
	d.str("bg_input_type", &n.BgInput)
	d.floats("K_ext", &n.KExt)
	d.float("bg_rate", &n.BgRate)
	d.float("delay_poisson", &n.PoissonDelay)
	d.str("V0_type", &n.V0Type)
	if np := d.sub("neuron_params"); np != nil {
		if m := np.sub("V0_mean"); m != nil {
			m.float("original", &n.V0MeanOriginal)
			m.floats("optimized", &n.V0MeanOptimized)
			m.finish()
		}
		if m := np.sub("V0_std"); m != nil {
			m.float("original", &n.V0SDOriginal)
			m.floats("optimized", &n.V0SDOptimized)
			m.finish()
		}
		nr := &n.Neuron
		np.float("E_L", &nr.EL)
		np.float("V_th", &nr.VTh)
		np.float("V_reset", &nr.VReset)
		np.float("C_m", &nr.Cm)
		np.float("tau_m", &nr.TauM)
		if np.float("tau_syn", &nr.TauSynEx) {
			nr.TauSynIn = nr.TauSynEx
		}
		np.float("t_ref", &nr.TRef)
		np.finish()
	}
	// The reference derives PSP_matrix_mean and delay_matrix_mean when
	// network_params is imported and then uses the matrices for the
	// recurrent connections, whatever the scalars say later: so do we.
	var warnings []string
	derived := *n
	derived.PSPMatrixMean, derived.DelayMatrixMean = nil, nil
	var psp, del params.Matrix
	if d.matrix("PSP_matrix_mean", &psp) {
		n.PSPMatrixMean = &psp
		if psp != derived.PSPMatrix() {
			warnings = append(warnings, "net_dict['PSP_matrix_mean'] differs from what PSP_exc_mean and g give; "+
				"the recurrent weights follow the matrix, as in the reference")
		}
	}
	if d.matrix("delay_matrix_mean", &del) {
		n.DelayMatrixMean = &del
		if del != derived.DelayMatrix() {
			warnings = append(warnings, "net_dict['delay_matrix_mean'] differs from what delay_exc_mean and delay_inh_mean give; "+
				"the recurrent delays follow the matrix, as in the reference")
		}
	}
	return warnings
}

func readStim(d *dict, st *params.Stimulus) {
	d.boolean("thalamic_input", &st.Thalamic)
	d.float("th_start", &st.ThStart)
	d.float("th_duration", &st.ThDuration)
	d.float("th_rate", &st.ThRate)
	d.integer("num_th_neurons", &st.ThN, 0, 1e6)
	d.floats("conn_probs_th", &st.ThConnProbs)
	d.float("PSP_th", &st.ThPSPMean)
	d.float("delay_th_mean", &st.ThDelayMean)
	d.float("delay_th_rel_std", &st.ThDelayRelSD)
	d.boolean("dc_transient", &st.DCTransient)
	d.float("dc_transient_start", &st.DCStart)
	d.float("dc_transient_dur", &st.DCDuration)
	d.float("dc_transient_amp", &st.DCAmpPerKExt)
}

// dict is one JSON object being read: the keys read are marked, the first
// error is kept.
type dict struct {
	path string // Python spelling of the object: net_dict['neuron_params']
	m    map[string]json.RawMessage
	used map[string]bool
	err  *error // shared by a dictionary and its sub-dictionaries
}

func newDict(name, path string, data []byte) (*dict, error) {
	var err error
	d := &dict{path: path, used: map[string]bool{}, err: &err}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return d, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&d.m); err != nil {
		return nil, &KeyError{Key: name, Msg: fmt.Sprintf("is not a dictionary: %v", err)}
	}
	return d, nil
}

func (d *dict) key(k string) string { return fmt.Sprintf("%s['%s']", d.path, k) }

func (d *dict) fail(key, msg string) {
	if *d.err == nil {
		*d.err = &KeyError{Key: key, Msg: msg}
	}
}

// get returns the value of key k, if given and no error came before.
func (d *dict) get(k string) (json.RawMessage, bool) {
	d.used[k] = true
	v, ok := d.m[k]
	return v, ok && *d.err == nil
}

// finish reports the first error, or else the first unknown key.
func (d *dict) finish() error {
	if *d.err != nil {
		return *d.err
	}
	var unknown []string
	for k := range d.m {
		if !d.used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		known := slices.Sorted(func(yield func(string) bool) {
			for k := range d.used {
				if !yield(k) {
					return
				}
			}
		})
		d.fail(d.key(unknown[0]), "is not a parameter of the model; known keys: "+strings.Join(known, ", "))
	}
	return *d.err
}

// number parses a JSON number, or the strings nan, inf, -inf.
func number(raw json.RawMessage) (float64, bool) {
	var n json.Number
	if len(raw) > 0 && raw[0] != '"' && json.Unmarshal(raw, &n) == nil {
		f, err := n.Float64()
		return f, err == nil || isRange(err)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch strings.ToLower(s) {
		case "nan":
			return math.NaN(), true
		case "inf", "infinity":
			return math.Inf(1), true
		case "-inf", "-infinity":
			return math.Inf(-1), true
		}
	}
	return 0, false
}

// isRange reports whether err is a range error (a number too large for a
// float64), which ParseFloat returns with ±Inf.
func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func (d *dict) float(k string, dst *float64) bool {
	raw, ok := d.get(k)
	if !ok {
		return false
	}
	f, ok := number(raw)
	if !ok {
		d.fail(d.key(k), fmt.Sprintf("= %s: must be a number", raw))
		return false
	}
	*dst = f
	return true
}

func (d *dict) integer(k string, dst *int, lo, hi int) bool {
	raw, ok := d.get(k)
	if !ok {
		return false
	}
	f, ok := number(raw)
	if !ok || f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		d.fail(d.key(k), fmt.Sprintf("= %s: must be a whole number from %d to %d", raw, lo, hi))
		return false
	}
	*dst = int(f)
	return true
}

func (d *dict) uint64(k string, dst *uint64) bool {
	raw, ok := d.get(k)
	if !ok {
		return false
	}
	var n json.Number
	v, err := uint64(0), json.Unmarshal(raw, &n)
	if err == nil && raw[0] == '"' {
		err = strconv.ErrSyntax
	}
	if err == nil {
		v, err = strconv.ParseUint(n.String(), 10, 64)
	}
	if err != nil {
		d.fail(d.key(k), fmt.Sprintf("= %s: must be a whole number from 0 to 2^64-1", raw))
		return false
	}
	*dst = v
	return true
}

func (d *dict) boolean(k string, dst *bool) bool {
	raw, ok := d.get(k)
	if !ok {
		return false
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		d.fail(d.key(k), fmt.Sprintf("= %s: must be True or False", raw))
		return false
	}
	return true
}

func (d *dict) str(k string, dst *string) bool {
	raw, ok := d.get(k)
	if !ok {
		return false
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		d.fail(d.key(k), fmt.Sprintf("= %s: must be a string", raw))
		return false
	}
	return true
}

func (d *dict) strings(k string) ([]string, bool) {
	raw, ok := d.get(k)
	if !ok {
		return nil, false
	}
	var out []string
	if err := json.Unmarshal(raw, &out); err != nil {
		d.fail(d.key(k), fmt.Sprintf("= %s: must be a list of strings", raw))
		return nil, false
	}
	return out, true
}

// list reads a list of one number per population.
func (d *dict) list(k string) ([]float64, bool) {
	raw, ok := d.get(k)
	if !ok {
		return nil, false
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		d.fail(d.key(k), fmt.Sprintf("= %s: must be a list (or array) of %d numbers, one per population", raw, params.NumPops))
		return nil, false
	}
	if len(items) != params.NumPops {
		d.fail(d.key(k), fmt.Sprintf("has %d entries: must have %d, one per population", len(items), params.NumPops))
		return nil, false
	}
	out := make([]float64, len(items))
	for i, it := range items {
		if out[i], ok = number(it); !ok {
			d.fail(fmt.Sprintf("%s[%d]", d.key(k), i), fmt.Sprintf("= %s: must be a number", it))
			return nil, false
		}
	}
	return out, true
}

func (d *dict) floats(k string, dst *[]float64) bool {
	v, ok := d.list(k)
	if ok {
		*dst = v
	}
	return ok
}

func (d *dict) ints(k string, dst *[]int) bool {
	v, ok := d.list(k)
	if !ok {
		return false
	}
	out := make([]int, len(v))
	for i, f := range v {
		if f != math.Trunc(f) || f < 1 || f > 1e8 {
			d.fail(fmt.Sprintf("%s[%d]", d.key(k), i), fmt.Sprintf("= %v: must be a whole number from 1 to 10^8", f))
			return false
		}
		out[i] = int(f)
	}
	*dst = out
	return true
}

func (d *dict) matrix(k string, dst *params.Matrix) bool {
	raw, ok := d.get(k)
	if !ok {
		return false
	}
	var rows [][]json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil || len(rows) != params.NumPops {
		d.fail(d.key(k), fmt.Sprintf("must be a %d×%d matrix (list of rows, [target][source])", params.NumPops, params.NumPops))
		return false
	}
	for y, row := range rows {
		if len(row) != params.NumPops {
			d.fail(fmt.Sprintf("%s[%d]", d.key(k), y), fmt.Sprintf("has %d entries: must have %d", len(row), params.NumPops))
			return false
		}
		for x, it := range row {
			if dst[y][x], ok = number(it); !ok {
				d.fail(fmt.Sprintf("%s[%d][%d]", d.key(k), y, x), fmt.Sprintf("= %s: must be a number", it))
				return false
			}
		}
	}
	return true
}

// sub returns the sub-dictionary k, nil if absent or invalid.
func (d *dict) sub(k string) *dict {
	raw, ok := d.get(k)
	if !ok {
		return nil
	}
	s := &dict{path: d.key(k), used: map[string]bool{}, err: d.err}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&s.m); err != nil {
		d.fail(d.key(k), "must be a dictionary")
		return nil
	}
	return s
}

// names maps the parameter names of params.Validate's messages to the
// dictionary keys.
var names = map[string]string{
	"n_scaling":              "net_dict['N_scaling']",
	"k_scaling":              "net_dict['K_scaling']",
	"t_presim_ms":            "sim_dict['t_presim']",
	"t_sim_ms":               "sim_dict['t_sim']",
	"resolution_ms":          "sim_dict['sim_resolution']",
	"v_interval_ms":          "sim_dict['rec_V_int']",
	"threads":                "sim_dict['local_num_threads']",
	"data_path":              "sim_dict['data_path']",
	"populations":            "net_dict['populations']",
	"full_num_neurons":       "net_dict['full_num_neurons']",
	"full_mean_rates":        "net_dict['full_mean_rates']",
	"conn_probs":             "net_dict['conn_probs']",
	"psp_exc_mean_mV":        "net_dict['PSP_exc_mean']",
	"psp_L4E_to_L23E_factor": "net_dict['PSP_matrix_mean']",
	"g":                      "net_dict['g']",
	"weight_rel_sd":          "net_dict['weight_rel_std']",
	"delay_exc_mean_ms":      "net_dict['delay_exc_mean']",
	"delay_inh_mean_ms":      "net_dict['delay_inh_mean']",
	"delay_rel_sd":           "net_dict['delay_rel_std']",
	"bg_input":               "net_dict['bg_input_type']",
	"bg_rate_hz":             "net_dict['bg_rate']",
	"k_ext":                  "net_dict['K_ext']",
	"poisson_delay_ms":       "net_dict['delay_poisson']",
	"v0_type":                "net_dict['V0_type']",
	"v0_mean_optimized_mV":   "net_dict['neuron_params']['V0_mean']['optimized']",
	"v0_sd_optimized_mV":     "net_dict['neuron_params']['V0_std']['optimized']",
	"v0_mean_original_mV":    "net_dict['neuron_params']['V0_mean']['original']",
	"v0_sd_original_mV":      "net_dict['neuron_params']['V0_std']['original']",
	"neuron.E_L":             "net_dict['neuron_params']['E_L']",
	"neuron.V_th":            "net_dict['neuron_params']['V_th']",
	"neuron.V_reset":         "net_dict['neuron_params']['V_reset']",
	"neuron.C_m":             "net_dict['neuron_params']['C_m']",
	"neuron.tau_m":           "net_dict['neuron_params']['tau_m']",
	"neuron.tau_syn_ex":      "net_dict['neuron_params']['tau_syn']",
	"neuron.tau_syn_in":      "net_dict['neuron_params']['tau_syn']",
	"neuron.t_ref":           "net_dict['neuron_params']['t_ref']",
	"psp_matrix_mean_mV":     "net_dict['PSP_matrix_mean']",
	"delay_matrix_mean_ms":   "net_dict['delay_matrix_mean']",
	"th_neurons":             "stim_dict['num_th_neurons']",
	"th_conn_probs":          "stim_dict['conn_probs_th']",
	"th_start_ms":            "stim_dict['th_start']",
	"th_duration_ms":         "stim_dict['th_duration']",
	"th_rate_hz":             "stim_dict['th_rate']",
	"th_psp_mean_mV":         "stim_dict['PSP_th']",
	"th_delay_mean_ms":       "stim_dict['delay_th_mean']",
	"th_delay_rel_sd":        "stim_dict['delay_th_rel_std']",
	"dc_start_ms":            "stim_dict['dc_transient_start']",
	"dc_duration_ms":         "stim_dict['dc_transient_dur']",
	"dc_amp_per_k_ext_pA":    "stim_dict['dc_transient_amp']",
}

// nameRE matches a parameter name where a message names one: followed by
// indices and then " = ", " has ", " is " or " + ".
var nameRE = regexp.MustCompile(`\b((?:neuron\.)?[A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)( = | has | is | \+ )`)

// translate rewrites an error of params.Validate in the dictionaries'
// terms: a *KeyError for the first parameter it names.
func translate(err error) error {
	msg := err.Error()
	first := ""
	out := nameRE.ReplaceAllStringFunc(msg, func(m string) string {
		sm := nameRE.FindStringSubmatch(m)
		key, ok := names[sm[1]]
		if !ok {
			return m
		}
		if first == "" {
			first = key + sm[2]
		}
		return key + sm[2] + sm[3]
	})
	if first == "" || !strings.HasPrefix(out, first) {
		return &KeyError{Key: "", Msg: out}
	}
	return &KeyError{Key: first, Msg: strings.TrimPrefix(out, first+" ")}
}
