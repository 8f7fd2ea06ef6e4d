// Package replay loads a realised network in the exchange format of NEST
// (SPEC §10: .npy arrays plus network.json) so that the engine can simulate
// exactly the network NEST built, and compares spike trains one for one.
package replay

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

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

// Load reads the network in dir. The weights are kept in float64.
func Load(dir string) (*engine.Network, *Info, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "network.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("replay: %w", err)
	}
	var info Info
	if err := json.Unmarshal(raw, &info); err != nil {
		return nil, nil, fmt.Errorf("replay: %s: %w", filepath.Join(dir, "network.json"), err)
	}
	if !(info.Resolution > 0) {
		return nil, nil, fmt.Errorf("replay: network.json: resolution_ms = %v must be > 0", info.Resolution)
	}
	nr := params.Neuron{EL: info.Neuron.EL, VTh: info.Neuron.VTh, VReset: info.Neuron.VReset,
		Cm: info.Neuron.Cm, TauM: info.Neuron.TauM, TRef: info.Neuron.TRef}
	switch {
	case info.Neuron.TauSynEx != nil && info.Neuron.TauSynIn != nil:
		nr.TauSynEx, nr.TauSynIn = *info.Neuron.TauSynEx, *info.Neuron.TauSynIn
	case info.Neuron.TauSyn != nil:
		nr.TauSynEx, nr.TauSynIn = *info.Neuron.TauSyn, *info.Neuron.TauSyn
	default:
		return nil, nil, fmt.Errorf("replay: network.json: neuron has no tau_syn")
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
	net := &engine.Network{
		Neuron:     nr,
		V0:         v0,
		Ie:         ie,
		NumSources: n,
		Resolution: info.Resolution,
		SrcStart:   make([]int64, n+1),
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
	// Sort connections by source, keeping file order within a source.
	for i, s := range src {
		if s < 1 || int(s) > n {
			return nil, nil, fmt.Errorf("replay: connection %d has source %d outside 1..%d", i, s, n)
		}
		if tgt[i] < 1 || int(tgt[i]) > n {
			return nil, nil, fmt.Errorf("replay: connection %d has target %d outside 1..%d", i, tgt[i], n)
		}
		net.SrcStart[s]++
	}
	for i := 1; i <= n; i++ {
		net.SrcStart[i] += net.SrcStart[i-1]
	}
	pos := make([]int64, n)
	copy(pos, net.SrcStart[:n])
	for i, s := range src {
		k := pos[s-1]
		pos[s-1]++
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
