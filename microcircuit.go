// Package microcircuit simulates the Potjans & Diesmann (2014) cortical
// microcircuit model with the semantics of NEST's reference implementation.
//
// A Model is built from a parameter set (see package params), simulated in
// phases, and its spikes and rates are read from memory:
//
//	p := params.Default()               // scale 0.2, DC background
//	m, err := microcircuit.Build(&p)
//	err = m.Simulate(ctx, p.Simulation.TPresim, false, nil) // warm-up
//	err = m.Simulate(ctx, p.Simulation.TSim, true, nil)     // recorded
//	rates := m.Rates()
//
// BuildOn does the same on the ranks of a cluster.Comm (MPI, or in-process
// ranks in tests): each rank builds and simulates its share of the
// neurons, and the spikes are those of a single process.
//
// The command microcircuit is a thin layer over this package.
package microcircuit

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/pd14/microcircuit/cluster"
	"github.com/pd14/microcircuit/engine"
	"github.com/pd14/microcircuit/network"
	"github.com/pd14/microcircuit/params"
)

// Version is the program version written into every output file.
const Version = "0.1.0"

// Model is a built microcircuit ready to be simulated.
//
// A Model may be one rank's part of a distributed simulation (BuildOn with
// an MPI communicator). Then Simulate and every method that returns spikes,
// membrane potentials, rates or counts is collective: every rank must call
// it, in the same order, and gets the result for the whole network.
type Model struct {
	// Params are the parameters the model was built with.
	Params params.Params
	// Sizes is the number of neurons per population.
	Sizes []int
	// FirstID is the NEST node id of the first neuron of each population.
	FirstID []int
	// Synapses is the number of synapses (recurrent and thalamic).
	Synapses int64

	comm     *cluster.Comm
	sim      *engine.Sim
	h        float64
	recFrom  int64  // first step recorded
	recSteps int64  // steps recorded so far
	sum      uint64 // the network's checksum, once summed
	summed   bool

	stream stream // recorded data streamed to a sink
}

// Build realises the network for p in this process and prepares it for
// simulation with p.Simulation.Threads worker goroutines (0 = all cores).
func Build(p *params.Params) (*Model, error) {
	return BuildOn(context.Background(), p, cluster.Self())
}

// BuildOn realises the network for p distributed over the ranks of comm:
// neuron g (0-based) belongs to rank g mod R, which builds it and the
// synapses onto it and simulates it with p.Simulation.Threads workers (see
// network.BuildPart). It is collective; an error on any rank is returned on
// every rank (as a *cluster.AgreedError). The network and every spike are
// the same for any number of ranks and threads. When ctx is cancelled,
// construction stops within a fraction of a second with ctx's error.
func BuildOn(ctx context.Context, p *params.Params, comm *cluster.Comm) (*Model, error) {
	net, err := network.BuildPart(ctx, p, p.Simulation.Threads, comm.Rank(), comm.Size())
	if err = comm.Agree(err); err != nil {
		return nil, fmt.Errorf("building network: %w", err)
	}
	m := &Model{Params: *p, h: p.Simulation.Resolution, comm: comm}
	syn, _ := cluster.Allgather(comm, []int64{net.NumSynapses()})
	for _, n := range syn {
		m.Synapses += n
	}
	for k := range net.PopNames {
		m.Sizes = append(m.Sizes, net.PopStart[k+1]-net.PopStart[k])
		m.FirstID = append(m.FirstID, net.PopStart[k]+1)
	}
	o := engine.Options{Workers: p.Simulation.Threads}
	if comm.Size() > 1 {
		o.Exchanger = comm
	}
	workers := p.Simulation.Threads
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	o.Oversubscribed = comm.LocalSize()*workers > runtime.NumCPU()
	m.sim, err = engine.NewContext(ctx, net, o)
	if err == nil {
		m.sim.RecordSpikes(p.RecordSpikes())
		if p.RecordVoltage() {
			var ids []int
			for k, n := range m.Sizes {
				for j := 0; j < p.Simulation.VNeurons.Of(n); j++ {
					ids = append(ids, m.FirstID[k]-1+j)
				}
			}
			err = m.sim.RecordVoltage(ids, params.Steps(p.Simulation.VInterval, m.h))
		}
	}
	if err = comm.Agree(err); err != nil {
		return nil, fmt.Errorf("preparing simulation: %w", err)
	}
	return m, nil
}

// checksum returns the realised network's checksum (engine.Network's),
// summed over the ranks, computed when first asked for (the build does not
// pay for it); collective.
func (m *Model) checksum() uint64 {
	if !m.summed {
		all, _ := cluster.Allgather(m.comm, []int64{int64(m.sim.Checksum(m.sim.Workers()))})
		for _, v := range all {
			m.sum += uint64(v)
		}
		m.summed = true
	}
	return m.sum
}

// Comm returns the communicator of the ranks that simulate the model.
func (m *Model) Comm() *cluster.Comm { return m.comm }

// Held returns the number of neurons this rank simulates: NEST node ids
// rank+1, rank+1+R, rank+1+2R, ... for R ranks (all of them in a single
// process).
func (m *Model) Held() int {
	_, _, n := m.sim.Held()
	return n
}

// ExchangeTimes returns, for this rank, the wall time its first worker
// spent computing and exchanging spikes with the other ranks (including the
// wait for the slowest); both are zero in a single process.
func (m *Model) ExchangeTimes() (compute, exchange time.Duration) { return m.sim.ExchangeTimes() }

// Neurons returns the number of neurons.
func (m *Model) Neurons() int {
	n := 0
	for _, s := range m.Sizes {
		n += s
	}
	return n
}

// Kernel names the neuron and Poisson kernels the simulation uses: scalar,
// avx2 or avx512 (see engine.KernelEnv).
func (m *Model) Kernel() string { return m.sim.Kernel() }

// StepsPerPass returns the steps the last simulation advanced per pass
// over the neurons: 1 or 2 (see engine.Sim.StepsPerPass).
func (m *Model) StepsPerPass() int { return m.sim.StepsPerPass() }

// ArrivalSums names the form of the arrival sums: fixed or float64 (see
// engine.Sim.ArrivalSums).
func (m *Model) ArrivalSums() string { return m.sim.ArrivalSums() }

// Threads returns the number of worker goroutines.
func (m *Model) Threads() int { return m.sim.Workers() }

// Time returns the model time simulated so far in ms.
func (m *Model) Time() float64 { return float64(m.sim.Step()) * m.h }

// Simulate advances the model by t ms (collective under MPI: every rank
// calls it with the same arguments). With record set, the spikes of this
// phase are recorded; spikes recorded earlier are dropped when a new
// recorded phase does not directly follow a recorded one, as NEST's ASCII
// recorder keeps only the last Simulate call. progress, if not nil, gets the
// model time (ms) simulated so far in this call. If ctx is cancelled the
// model stops at a step boundary, keeps what was recorded and returns the
// context's error.
func (m *Model) Simulate(ctx context.Context, t float64, record bool, progress func(ms float64)) error {
	if !(t > 0) || math.IsInf(t, 0) {
		return fmt.Errorf("simulation time %v ms: must be > 0", t)
	}
	steps := params.Steps(t, m.h)
	if math.Abs(float64(steps)*m.h-t) > 1e-9*t {
		return fmt.Errorf("simulation time %v ms: must be a multiple of the resolution %v ms", t, m.h)
	}
	record = record && (m.Params.RecordSpikes() || m.Params.RecordVoltage())
	if record && m.recFrom+m.recSteps != m.sim.Step() {
		m.sim.ClearSpikes()
		m.recFrom, m.recSteps = m.sim.Step(), 0
		m.stream.reset(m.Neurons())
	}
	start := m.sim.Step()
	end := start + steps
	for m.sim.Step() < end {
		// With a sink, record in blocks that end at multiples of the
		// block length and hand each to the sink.
		n := end - m.sim.Step()
		if record && m.stream.sink != nil {
			n = min(n, (m.sim.Step()/m.stream.block+1)*m.stream.block-m.sim.Step())
		}
		var cb func(int64)
		if progress != nil {
			before := m.sim.Step() - start
			cb = func(done int64) { progress(float64(before+done) * m.h) }
		}
		at := m.sim.Step()
		err := m.sim.Run(ctx, n, record, cb)
		if record {
			m.recSteps += m.sim.Step() - at
			if m.stream.sink != nil {
				if ferr := m.flush(); ferr != nil {
					return ferr
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Voltages returns the recorded membrane potentials ordered by time, then
// sender: neuron sender[i] (NEST node id) had v[i] mV at time[i] ms. Only
// neurons chosen by the parameters (v_neurons per population, sampled every
// v_interval_ms) are recorded, and only with "voltage" in the record list.
func (m *Model) Voltages() (sender []int, time, v []float64) {
	st, id, vals := m.sim.Voltages()
	st, _ = cluster.Allgather(m.comm, st)
	id, _ = cluster.Allgather(m.comm, id)
	vals, _ = cluster.Allgather(m.comm, vals)
	idx := byStepThenID(st, id)
	sender = make([]int, len(id))
	time = make([]float64, len(id))
	v = make([]float64, len(id))
	for j, i := range idx {
		sender[j] = int(id[i]) + 1
		time[j] = float64(st[i]+1) * m.h
		v[j] = vals[i]
	}
	return sender, time, v
}

// byStepThenID returns the order of the entries by step, then id. Each
// rank's entries come ordered so, and ranks hold ascending ids.
func byStepThenID(st []int32, id []uint32) []int {
	idx := make([]int, len(st))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Or(cmp.Compare(st[a], st[b]), cmp.Compare(id[a], id[b]))
	})
	return idx
}

// RecordedWindow returns the time window (ms) of the recorded spikes:
// spikes with t0 < time <= t1.
func (m *Model) RecordedWindow() (t0, t1 float64) {
	return float64(m.recFrom) * m.h, float64(m.recFrom+m.recSteps) * m.h
}

// Spikes returns the recorded spikes ordered by time, then sender: sender[i]
// (NEST node id) fired at time[i] ms.
func (m *Model) Spikes() (sender []int, time []float64) {
	st, id := m.sim.Spikes() // ordered by step, then id
	if m.comm.Size() == 1 {
		sender = make([]int, len(id))
		time = make([]float64, len(id))
		for i := range id {
			sender[i] = int(id[i]) + 1
			time[i] = float64(st[i]+1) * m.h
		}
		return sender, time
	}
	st, _ = cluster.Allgather(m.comm, st)
	id, _ = cluster.Allgather(m.comm, id)
	sender = make([]int, len(id))
	time = make([]float64, len(id))
	for j, i := range byStepThenID(st, id) {
		sender[j] = int(id[i]) + 1
		time[j] = float64(st[i]+1) * m.h
	}
	return sender, time
}

// Counts returns the number of spikes emitted and synaptic events delivered
// since the start, recorded or not.
func (m *Model) Counts() (spikes, events int64) {
	s, e := m.sim.Counts()
	all, _ := cluster.Allgather(m.comm, []int64{s, e})
	for r := 0; r < len(all); r += 2 {
		spikes += all[r]
		events += all[r+1]
	}
	return spikes, events
}

// Population returns the index of the population holding NEST node id.
func (m *Model) Population(id int) int {
	for p := len(m.FirstID) - 1; p >= 0; p-- {
		if id >= m.FirstID[p] {
			return p
		}
	}
	return -1
}

// Rates returns, per population, the firing rate (spikes/s) of every neuron
// over the recorded window, silent neurons included (and the spikes handed
// to a sink counted).
func (m *Model) Rates() [][]float64 {
	sender, _ := m.Spikes()
	return m.RatesFrom(sender)
}

// RatesFrom is Rates for the senders of the recorded spikes that Spikes
// returned (which it saves gathering again).
func (m *Model) RatesFrom(sender []int) [][]float64 {
	t0, t1 := m.RecordedWindow()
	out := make([][]float64, len(m.Sizes))
	for p, n := range m.Sizes {
		out[p] = make([]float64, n)
	}
	if t1 <= t0 {
		return out
	}
	counts := make([]int64, m.Neurons())
	for i, c := range m.stream.counts { // spikes handed to a sink
		counts[i] = int64(c)
	}
	for _, id := range sender {
		counts[id-1]++
	}
	for p := range out {
		for j := range out[p] {
			out[p][j] = float64(counts[m.FirstID[p]-1+j]) * 1000 / (t1 - t0)
		}
	}
	return out
}

// MeanRates returns the mean rate (spikes/s) of each population over the
// recorded window, silent neurons included.
func (m *Model) MeanRates() []float64 { return Means(m.Rates()) }

// Means returns the mean of each population's rates, as returned by Rates
// (0 for an empty population).
func Means(rates [][]float64) []float64 {
	out := make([]float64, len(rates))
	for p, r := range rates {
		var s float64
		for _, v := range r {
			s += v
		}
		if len(r) > 0 {
			out[p] = s / float64(len(r))
		}
	}
	return out
}
