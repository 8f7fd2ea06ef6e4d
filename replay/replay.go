// Package replay loads a realised network in the exchange format of NEST
// (SPEC §10: .npy arrays plus network.json) so that the engine can simulate
// exactly the network NEST built, and compares spike trains one for one.
package replay

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/pd14/microcircuit/device"
	"github.com/pd14/microcircuit/engine"
	"github.com/pd14/microcircuit/internal/npy"
	"github.com/pd14/microcircuit/params"
)

// Info is the description of a replay directory from its network.json.
type Info struct {
	NESTVersion string     `json:"nest_version"`
	Scale       float64    `json:"scale"`
	Seed        int64      `json:"seed"`
	TSim        float64    `json:"t_sim_ms"`
	Resolution  float64    `json:"resolution_ms"`
	Populations []string   `json:"populations"`
	PopNodeIDs  [][2]int   `json:"population_node_ids"`
	Neuron      jsonNeuron `json:"neuron"`
	NNeurons    int        `json:"n_neurons"`
	NConns      int64      `json:"n_connections"`
	NSpikes     int64      `json:"n_spikes"`

	// The stimulus extension: thalamic relay neurons, whose spikes are
	// given, and current generators.
	External          *External          `json:"external_sources"`
	NExternalSpikes   int64              `json:"n_external_spikes"`
	CurrentGenerators []CurrentGenerator `json:"current_generators"`
}

// External describes the external (relay) neurons of a replay directory:
// NEST node ids NodeIDs[0] .. NodeIDs[1]; their connections are in the
// connection arrays, their spikes in ext_spike_sender.npy and
// ext_spike_time_ms.npy.
type External struct {
	Kind    string `json:"kind"`
	NodeIDs [2]int `json:"node_ids"`
}

// CurrentGenerator is one of NEST's dc_generators with its parameters and
// its connections' delays and weights.
type CurrentGenerator struct {
	Population string    `json:"population"`
	Targets    [2]int    `json:"targets"`
	Amplitude  float64   `json:"amplitude_pA"`
	Origin     float64   `json:"origin_ms"`
	Start      float64   `json:"start_ms"`
	Stop       float64   `json:"stop_ms"`
	Delay      []float64 `json:"connection_delay_ms"`
	Weight     []float64 `json:"connection_weight"`
}

type jsonNeuron struct {
	EL       float64  `json:"E_L"`
	VTh      float64  `json:"V_th"`
	VReset   float64  `json:"V_reset"`
	Cm       float64  `json:"C_m"`
	TauM     float64  `json:"tau_m"`
	TauSyn   *float64 `json:"tau_syn"`
	TauSynEx *float64 `json:"tau_syn_ex"`
	TauSynIn *float64 `json:"tau_syn_in"`
	TRef     float64  `json:"t_ref"`
}

// Spikes is a list of spikes: Sender[i] (NEST node id) fired at Time[i] ms.
type Spikes struct {
	Sender []uint32
	Time   []float64
}

// parseInfo reads network.json and checks what the loader relies on: the
// resolution, the neuron's parameters, the populations' and the external
// sources' node ids, and the current generators' times.
func parseInfo(raw []byte) (Info, params.Neuron, error) {
	var info Info
	if err := json.Unmarshal(raw, &info); err != nil {
		return info, params.Neuron{}, err
	}
	if !(info.Resolution > 0 && info.Resolution <= 10) {
		return info, params.Neuron{}, fmt.Errorf("resolution_ms = %v: must be in (0, 10]", info.Resolution)
	}
	if !(info.TSim >= 0 && info.TSim < 1e9) {
		return info, params.Neuron{}, fmt.Errorf("t_sim_ms = %v: must be in [0, 1e9)", info.TSim)
	}
	nr := params.Neuron{EL: info.Neuron.EL, VTh: info.Neuron.VTh, VReset: info.Neuron.VReset,
		Cm: info.Neuron.Cm, TauM: info.Neuron.TauM, TRef: info.Neuron.TRef}
	switch {
	case info.Neuron.TauSynEx != nil && info.Neuron.TauSynIn != nil:
		nr.TauSynEx, nr.TauSynIn = *info.Neuron.TauSynEx, *info.Neuron.TauSynIn
	case info.Neuron.TauSyn != nil:
		nr.TauSynEx, nr.TauSynIn = *info.Neuron.TauSyn, *info.Neuron.TauSyn
	default:
		return info, nr, fmt.Errorf("neuron has no tau_syn")
	}
	if err := nr.Validate(); err != nil {
		return info, nr, err
	}
	if e := info.External; e != nil && (e.NodeIDs[0] < 1 || e.NodeIDs[1] < e.NodeIDs[0] || e.NodeIDs[1]-e.NodeIDs[0] >= 1<<24) {
		return info, nr, fmt.Errorf("external_sources node_ids %v: must be an ascending range of at most 2^24 ids from 1", e.NodeIDs)
	}
	for i, g := range info.CurrentGenerators {
		for _, v := range append([]float64{g.Amplitude, g.Origin, g.Start, g.Stop}, append(g.Delay, g.Weight...)...) {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e9 {
				return info, nr, fmt.Errorf("current generator %d: %v is not a sensible number", i, v)
			}
		}
	}
	return info, nr, nil
}

// Load reads the network in dir. The weights are kept in float64.
func Load(dir string) (*engine.Network, *Info, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "network.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("replay: %w", err)
	}
	info, nr, err := parseInfo(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("replay: %s: %w", filepath.Join(dir, "network.json"), err)
	}
	path := func(name string) string { return filepath.Join(dir, name) }
	v0, err := npy.ReadFloat64(path("neuron_V0_mV.npy"))
	if err != nil {
		return nil, nil, fmt.Errorf("replay: %w", err)
	}
	ie, err := npy.ReadFloat64(path("neuron_I_e_pA.npy"))
	if err != nil {
		return nil, nil, fmt.Errorf("replay: %w", err)
	}
	src, err := npy.ReadUint32(path("conn_source.npy"))
	if err != nil {
		return nil, nil, fmt.Errorf("replay: %w", err)
	}
	tgt, err := npy.ReadUint32(path("conn_target.npy"))
	if err != nil {
		return nil, nil, fmt.Errorf("replay: %w", err)
	}
	wt, err := npy.ReadFloat64(path("conn_weight.npy"))
	if err != nil {
		return nil, nil, fmt.Errorf("replay: %w", err)
	}
	dl, err := npy.ReadFloat64(path("conn_delay_ms.npy"))
	if err != nil {
		return nil, nil, fmt.Errorf("replay: %w", err)
	}
	n := len(v0)
	if len(ie) != n {
		return nil, nil, fmt.Errorf("replay: %d V0 values but %d I_e values", n, len(ie))
	}
	m := len(src)
	if len(tgt) != m || len(wt) != m || len(dl) != m {
		return nil, nil, fmt.Errorf("replay: connection arrays differ in length: %d sources, %d targets, %d weights, %d delays",
			m, len(tgt), len(wt), len(dl))
	}
	// Sources: the neurons, then the external relays.
	nExt, extFirst := 0, 0
	if e := info.External; e != nil {
		extFirst, nExt = e.NodeIDs[0], e.NodeIDs[1]-e.NodeIDs[0]+1
		if extFirst <= n || nExt < 1 {
			return nil, nil, fmt.Errorf("replay: network.json: external node ids %v must follow the %d neurons", e.NodeIDs, n)
		}
	}
	// source returns the source index of NEST node id, or -1.
	source := func(id uint32) int {
		switch {
		case id >= 1 && int(id) <= n:
			return int(id) - 1
		case nExt > 0 && int(id) >= extFirst && int(id) < extFirst+nExt:
			return n + int(id) - extFirst
		}
		return -1
	}
	net := &engine.Network{
		Neuron:     nr,
		V0:         v0,
		Ie:         ie,
		NumSources: n + nExt,
		Resolution: info.Resolution,
		SrcStart:   make([]int64, n+nExt+1),
		Syn:        make([]uint32, m),
		Weight64:   make([]float64, m),
		TargetBits: engine.TargetBitsFor(n),
	}
	// Populations.
	net.PopStart = []int{0}
	for p, ids := range info.PopNodeIDs {
		if ids[0] != net.PopStart[p]+1 || ids[1] < ids[0]-1 {
			return nil, nil, fmt.Errorf("replay: population %d node ids %v are not contiguous from 1", p, ids)
		}
		net.PopStart = append(net.PopStart, ids[1])
	}
	if net.PopStart[len(net.PopStart)-1] != n {
		return nil, nil, fmt.Errorf("replay: populations cover %d neurons, arrays hold %d", net.PopStart[len(net.PopStart)-1], n)
	}
	net.PopNames = info.Populations
	if len(net.PopNames) != len(info.PopNodeIDs) {
		return nil, nil, fmt.Errorf("replay: %d population names for %d id ranges", len(net.PopNames), len(info.PopNodeIDs))
	}
	if err := loadStimuli(dir, net, &info, nExt, extFirst); err != nil {
		return nil, nil, err
	}
	// Sort connections by source, keeping file order within a source.
	for i, s := range src {
		if source(s) < 0 {
			return nil, nil, fmt.Errorf("replay: connection %d has source %d, neither a neuron (1..%d) nor an external source", i, s, n)
		}
		if tgt[i] < 1 || int(tgt[i]) > n {
			return nil, nil, fmt.Errorf("replay: connection %d has target %d outside 1..%d", i, tgt[i], n)
		}
		net.SrcStart[source(s)+1]++
	}
	for i := 1; i <= net.NumSources; i++ {
		net.SrcStart[i] += net.SrcStart[i-1]
	}
	pos := make([]int64, net.NumSources)
	copy(pos, net.SrcStart[:net.NumSources])
	for i, s := range src {
		k := pos[source(s)]
		pos[source(s)]++
		d := math.Round(dl[i] / info.Resolution)
		if d < 1 || d > float64(net.MaxDelay()) {
			return nil, nil, fmt.Errorf("replay: connection %d has delay %v ms; allowed are 1 to %d steps of %v ms",
				i, dl[i], net.MaxDelay(), info.Resolution)
		}
		net.Syn[k] = net.Pack(tgt[i]-1, int(d))
		net.Weight64[k] = wt[i]
	}
	return net, &info, nil
}

// loadStimuli adds the external sources' spikes and the current
// generators of dir (the stimulus extension, SPEC §10) to net.
func loadStimuli(dir string, net *engine.Network, info *Info, nExt, extFirst int) error {
	h := info.Resolution
	if nExt > 0 {
		sender, err := npy.ReadUint32(filepath.Join(dir, "ext_spike_sender.npy"))
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		times, err := npy.ReadFloat64(filepath.Join(dir, "ext_spike_time_ms.npy"))
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		if len(sender) != len(times) {
			return fmt.Errorf("replay: %d external spike senders but %d times", len(sender), len(times))
		}
		// One entry per spike: a spike of multiplicity m is m entries of
		// the same sender and time.
		spikes := make([]engine.ExtSpike, 0, len(sender))
		for i, id := range sender {
			src := int(id) - extFirst
			if src < 0 || src >= nExt {
				return fmt.Errorf("replay: external spike %d from node %d outside the external sources %d..%d", i, id, extFirst, extFirst+nExt-1)
			}
			step := int64(math.Round(times[i]/h)) - 1
			if step < 0 || math.Abs(float64(step+1)*h-times[i]) > 1e-6*h {
				return fmt.Errorf("replay: external spike %d at %v ms is not on the grid of %v ms after 0", i, times[i], h)
			}
			spikes = append(spikes, engine.ExtSpike{Step: step, Source: int32(src), Mult: 1})
		}
		slices.SortStableFunc(spikes, func(a, b engine.ExtSpike) int {
			return cmp.Or(cmp.Compare(a.Step, b.Step), cmp.Compare(a.Source, b.Source))
		})
		for _, e := range spikes {
			if k := len(net.ExtSpikes) - 1; k >= 0 && net.ExtSpikes[k].Step == e.Step && net.ExtSpikes[k].Source == e.Source {
				net.ExtSpikes[k].Mult++
				continue
			}
			net.ExtSpikes = append(net.ExtSpikes, e)
		}
		if net.ExtSpikes == nil {
			net.ExtSpikes = []engine.ExtSpike{} // given: none
		}
	}
	if len(info.CurrentGenerators) == 0 {
		return nil
	}
	net.Pulses = make([]engine.Pulse, len(net.PopNames))
	for i, g := range info.CurrentGenerators {
		p := slices.Index(net.PopNames, g.Population)
		if p < 0 || g.Targets != [2]int{net.PopStart[p] + 1, net.PopStart[p+1]} {
			return fmt.Errorf("replay: current generator %d (%s, targets %v) does not drive exactly one population", i, g.Population, g.Targets)
		}
		if len(g.Delay) != 1 || len(g.Weight) != 1 {
			return fmt.Errorf("replay: current generator %d: connections of several delays or weights (%v, %v) are not supported", i, g.Delay, g.Weight)
		}
		if net.Pulses[p].Amp != 0 {
			return fmt.Errorf("replay: population %s has more than one current generator", g.Population)
		}
		w := device.CurrentInput(g.Origin, g.Start, g.Stop, h, device.Steps(g.Delay[0], h))
		net.Pulses[p] = engine.Pulse{Amp: g.Amplitude * g.Weight[0], First: w.First, Last: w.Last}
	}
	return nil
}

// LoadSpikes reads the spikes NEST recorded (spike_sender.npy,
// spike_time_ms.npy); it returns nil and no error when the files are absent.
func LoadSpikes(dir string) (*Spikes, error) {
	sp := filepath.Join(dir, "spike_sender.npy")
	if _, err := os.Stat(sp); os.IsNotExist(err) {
		return nil, nil
	}
	s, err := npy.ReadUint32(sp)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	t, err := npy.ReadFloat64(filepath.Join(dir, "spike_time_ms.npy"))
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if len(s) != len(t) {
		return nil, fmt.Errorf("replay: %d spike senders but %d spike times", len(s), len(t))
	}
	return &Spikes{Sender: s, Time: t}, nil
}

// FromSim returns the spikes sim recorded, as NEST node ids and times (ms)
// on the grid of resolution h.
func FromSim(sim *engine.Sim, h float64) *Spikes {
	st, id := sim.Spikes()
	sp := &Spikes{Sender: make([]uint32, len(id)), Time: make([]float64, len(id))}
	for i := range id {
		sp.Sender[i] = id[i] + 1
		sp.Time[i] = float64(st[i]+1) * h
	}
	return sp
}

// Diff compares two spike lists on the grid of resolution h (ms) and
// returns the number of spikes only in a, only in b, and a description of
// the first difference ("" when they are identical).
func Diff(a, b *Spikes, h float64) (onlyA, onlyB int, first string) {
	type key struct {
		step int64
		id   uint32
	}
	count := map[key]int{}
	for i, s := range a.Sender {
		count[key{int64(math.Round(a.Time[i] / h)), s}]++
	}
	for i, s := range b.Sender {
		count[key{int64(math.Round(b.Time[i] / h)), s}]--
	}
	var firstKey *key
	for k, c := range count {
		if c > 0 {
			onlyA += c
		} else if c < 0 {
			onlyB -= c
		}
		if c != 0 && (firstKey == nil || k.step < firstKey.step || (k.step == firstKey.step && k.id < firstKey.id)) {
			kk := k
			firstKey = &kk
		}
	}
	if firstKey != nil {
		c := count[*firstKey]
		where := "first list"
		if c < 0 {
			where = "second list"
		}
		first = fmt.Sprintf("neuron %d at %.3f ms only in the %s", firstKey.id, float64(firstKey.step)*h, where)
	}
	return onlyA, onlyB, first
}
