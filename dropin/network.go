package dropin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"time"

	"github.com/pd14/microcircuit"
	"github.com/pd14/microcircuit/cluster"
	"github.com/pd14/microcircuit/params"
	"github.com/pd14/microcircuit/results"
)

// Network runs the calls of the reference package's Network class: New (its
// constructor), Create, Connect, then Simulate any number of times, each
// continuing the last. As NEST's ASCII recording backend does, each
// Simulate writes the spike files (and voltmeter files) of that call alone
// into the data path, together with population_nodeids.dat.
type Network struct {
	Setup
	// Out receives the progress of Simulate when PrintTime is set.
	Out io.Writer
	// KeepSpikes keeps the spikes of the last Simulate call in memory for
	// Spikes (12 bytes a spike); the files are written either way.
	KeepSpikes bool

	pops    results.Populations
	threads int
	model   *microcircuit.Model
	wrote   bool // the data path holds files this Network wrote
	sink    sink
}

// Stage errors: calls out of the reference's order.
var (
	ErrNotCreated   = errors.New("create() must be called before connect()")
	ErrNotConnected = errors.New("connect() must be called before simulate()")
)

// New checks the setup against the data path and prepares the network;
// nothing is built or written yet. The engine runs min(local_num_threads,
// cores) worker threads: the spikes do not depend on their number, and
// more threads than cores only slow it down.
func New(s Setup) (*Network, error) {
	p := &s.Params
	if err := p.Validate(); err != nil {
		return nil, translate(err)
	}
	n := &Network{Setup: s, Out: io.Discard, KeepSpikes: true}
	n.threads = min(max(p.Simulation.Threads, 1), runtime.NumCPU())
	n.pops = results.Populations{Names: p.Network.Populations, Sizes: p.Network.NumNeurons()}
	id := 1
	for _, size := range n.pops.Sizes {
		n.pops.FirstID = append(n.pops.FirstID, id)
		id += size
	}
	if err := n.checkDataPath(); err != nil {
		return nil, err
	}
	return n, nil
}

// checkDataPath refuses a data path that holds another run's results unless
// overwrite_files is set.
func (n *Network) checkDataPath() error {
	if n.Overwrite || n.wrote {
		return nil
	}
	dir := n.Params.Simulation.DataPath
	old, err := results.Existing(dir)
	if err != nil {
		return &KeyError{Key: "sim_dict['data_path']", Msg: fmt.Sprintf("= %q: %v", dir, err)}
	}
	if len(old) > 0 {
		return &KeyError{Key: "sim_dict['data_path']", Msg: fmt.Sprintf("= %q holds the results of an earlier run (%s); set sim_dict['overwrite_files'] = True to replace them, or choose another data_path",
			dir, filepath.Base(old[0]))}
	}
	return nil
}

// Threads returns the number of worker threads the engine runs.
func (n *Network) Threads() int { return n.threads }

// Populations returns the node ids of the populations.
func (n *Network) Populations() results.Populations { return n.pops }

// Created reports whether Create has run.
func (n *Network) Created() bool { return n.wrote }

// Connected reports whether Connect has run.
func (n *Network) Connected() bool { return n.model != nil }

// Info are the quantities the reference's Network derives from its
// dictionaries and keeps as attributes, and the node ids of its devices.
type Info struct {
	Version          string                                  `json:"version"`
	Threads          int                                     `json:"threads"`
	NumNeurons       []int                                   `json:"num_neurons"`
	FirstIDs         []int                                   `json:"first_ids"`
	NumSynapses      [params.NumPops][params.NumPops]int64   `json:"num_synapses"`
	ExtIndegrees     []float64                               `json:"ext_indegrees"`
	WeightMatrixMean [params.NumPops][params.NumPops]float64 `json:"weight_matrix_mean"`
	WeightExt        float64                                 `json:"weight_ext"`
	DCAmp            []float64                               `json:"DC_amp"`
	WeightTh         float64                                 `json:"weight_th"`
	NumThSynapses    []int64                                 `json:"num_th_synapses"`
	SpikeRecorders   []int                                   `json:"spike_recorders"`
	Voltmeters       []int                                   `json:"voltmeters"`
	Warnings         []string                                `json:"warnings"`
}

// Info returns the derived quantities.
func (n *Network) Info() Info {
	p := &n.Params
	nw := &p.Network
	in := Info{
		Version: microcircuit.Version, Threads: n.threads,
		NumNeurons: n.pops.Sizes, FirstIDs: n.pops.FirstID,
		NumSynapses: nw.NumSynapses(), ExtIndegrees: nw.ExtInDegree(),
		WeightMatrixMean: nw.MeanWeights(), WeightExt: nw.ExtWeight(), DCAmp: nw.DCAmplitudes(),
		WeightTh: p.ThWeight(), NumThSynapses: p.ThSynapses(),
		SpikeRecorders: []int{}, Voltmeters: []int{},
		Warnings: append(append([]string{}, n.Warnings...), p.Warnings()...),
	}
	for k := range n.pops.Sizes {
		if p.RecordSpikes() {
			in.SpikeRecorders = append(in.SpikeRecorders, n.pops.RecorderID(k))
		}
		if p.RecordVoltage() {
			in.Voltmeters = append(in.Voltmeters, n.pops.VoltmeterID(k, p.RecordSpikes()))
		}
	}
	return in
}

// Create writes population_nodeids.dat (the first and last node id of each
// population) into the data path, creating it, as the reference's create
// does; the neurons themselves are made by Connect.
func (n *Network) Create() error {
	if err := n.checkDataPath(); err != nil {
		return err
	}
	dir, err := results.Prepare(n.Params.Simulation.DataPath, true)
	if err != nil {
		return err
	}
	if err := n.writeNodeIDs(dir); err != nil {
		dir.Abort()
		return err
	}
	if err := dir.Commit(microcircuit.Version); err != nil {
		dir.Abort()
		return err
	}
	n.wrote = true
	return nil
}

func (n *Network) writeNodeIDs(dir *results.Dir) error {
	return dir.Write("population_nodeids.dat", func(w io.Writer) error {
		for k, size := range n.pops.Sizes {
			if _, err := fmt.Fprintf(w, "%d %d\n", n.pops.FirstID[k], n.pops.FirstID[k]+size-1); err != nil {
				return err
			}
		}
		return nil
	})
}

// Connect builds the network: neurons, synapses and inputs. If ctx is
// cancelled it stops within a fraction of a second with ctx's error.
func (n *Network) Connect(ctx context.Context) error {
	if !n.wrote {
		return ErrNotCreated
	}
	if n.model != nil {
		return errors.New("connect() was called already: the network is built")
	}
	p := n.Params
	p.Simulation.Threads = n.threads
	m, err := microcircuit.BuildOn(ctx, &p, cluster.Self())
	if err != nil {
		return err
	}
	n.model = m
	return nil
}

// Time returns the model time simulated so far in ms.
func (n *Network) Time() float64 {
	if n.model == nil {
		return 0
	}
	return n.model.Time()
}

// Simulate advances the network by t ms and writes what this call recorded
// into the data path (replacing what the previous call wrote, as NEST
// does). If ctx is cancelled the model stops at a step boundary, the files
// hold what was recorded up to there, and ctx's error is returned; the
// network can be simulated further.
func (n *Network) Simulate(ctx context.Context, t float64) error {
	if n.model == nil {
		return ErrNotConnected
	}
	h := n.Params.Simulation.Resolution
	if !(t > 0) || math.IsInf(t, 0) || math.Abs(float64(params.Steps(t, h))*h-t) > 1e-9*t {
		return &KeyError{Key: "simulate(t_sim)", Msg: fmt.Sprintf("t_sim = %v ms: must be a positive multiple of sim_dict['sim_resolution'] = %v ms", t, h)}
	}
	dir, err := results.Prepare(n.Params.Simulation.DataPath, true)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			dir.Abort()
		}
	}()
	if err := n.writeNodeIDs(dir); err != nil {
		return err
	}
	if err := n.sink.open(dir, &n.Params, n.pops, n.KeepSpikes); err != nil {
		return err
	}
	n.model.StreamTo(&n.sink, blockMS)
	var progress func(float64)
	if n.PrintTime {
		progress = newProgress(n.Out, n.model.Time(), t)
	}
	simErr := n.model.Simulate(ctx, t, true, progress)
	if progress != nil {
		fmt.Fprintln(n.Out)
	}
	n.model.StreamTo(nil, blockMS)
	if err := n.sink.close(); err != nil {
		return err
	}
	if simErr != nil && ctx.Err() == nil {
		return simErr
	}
	// Interrupted or not, what was recorded is kept.
	if err := dir.Commit(microcircuit.Version); err != nil {
		return err
	}
	committed = true
	return simErr
}

// Spikes returns the spikes of the last Simulate call, ordered by time,
// then sender (NEST node ids, times in ms); nil without KeepSpikes.
func (n *Network) Spikes() (sender []int32, times []float64) {
	return n.sink.sender, n.sink.times
}

// blockMS is the model time between writes of the recorded data.
const blockMS = 1000

// sink writes the recorded data of a Simulate call into the staged files
// and keeps the spikes.
type sink struct {
	spikes, volts *results.DeviceWriter
	keep          bool
	sender        []int32
	times         []float64
}

func (s *sink) open(dir *results.Dir, p *params.Params, pops results.Populations, keep bool) error {
	*s = sink{keep: keep}
	var err error
	if p.RecordSpikes() {
		if s.spikes, err = results.NewDeviceWriter(dir, pops, results.SpikeRecorders(pops), results.ASCII, microcircuit.Version); err != nil {
			return err
		}
	}
	if p.RecordVoltage() {
		if s.volts, err = results.NewDeviceWriter(dir, pops, results.Voltmeters(pops, p.RecordSpikes()), results.ASCII, microcircuit.Version); err != nil {
			s.close()
			return err
		}
	}
	return nil
}

// Spikes implements microcircuit.Sink.
func (s *sink) Spikes(sender []int, times []float64) error {
	if s.spikes == nil {
		return nil
	}
	if s.keep {
		for _, id := range sender {
			s.sender = append(s.sender, int32(id))
		}
		s.times = append(s.times, times...)
	}
	return s.spikes.Append(sender, times)
}

// Voltages implements microcircuit.Sink.
func (s *sink) Voltages(sender []int, times, v []float64) error {
	if s.volts == nil {
		return nil
	}
	return s.volts.Append(sender, times, v)
}

func (s *sink) close() error {
	err := results.CloseAll(s.spikes, s.volts)
	s.spikes, s.volts = nil, nil
	return err
}

// newProgress returns a progress callback that prints, as NEST's
// print_time does, the model time and the real-time factor at most five
// times a second, on one line.
func newProgress(w io.Writer, t0, t float64) func(ms float64) {
	start := time.Now()
	last := start
	return func(ms float64) {
		now := time.Now()
		if now.Sub(last) < 200*time.Millisecond && ms < t {
			return
		}
		last = now
		rtf := 0.0
		if ms > 0 {
			rtf = now.Sub(start).Seconds() / (ms / 1000)
		}
		fmt.Fprintf(w, "\r[ %3.0f%% ] Model time: %.1f ms, Real-time factor: %.4f", 100*ms/t, t0+ms, rtf)
	}
}
