package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/pd14/microcircuit"
	"github.com/pd14/microcircuit/cluster"
	"github.com/pd14/microcircuit/params"
	"github.com/pd14/microcircuit/results"
)

// runOptions are the options of a run that are not model parameters.
type runOptions struct {
	overwrite bool // replace an earlier run's results
	noPlots   bool
	// checkpointEvery is the wall time between checkpoints (0: none). A
	// run with checkpoints stages its files in DATA-PATH/.run, where an
	// interrupted run is continued by resume.
	checkpointEvery time.Duration
	resume          bool // continue the interrupted run of the data path
}

// blockMS is the model time (ms) between writes of the recorded data and
// between chances to write a checkpoint.
const blockMS = 1000

// checkpointFile is the name of the checkpoint in the staging directory.
const checkpointFile = "checkpoint"

// runState is the content of a checkpoint file: the model's state and the
// state of the run around it.
type runState struct {
	Model           *microcircuit.Checkpoint
	Overwrite       bool
	NoPlots         bool
	CheckpointEvery time.Duration
	// Spikes and Voltages are the positions of the recorded data files.
	Spikes, Voltages []int64
	// RasterSender and RasterTimes are the spikes of raster_plot.png so far.
	RasterSender []int
	RasterTimes  []float64
	// Presim and Sim are the wall times of the phases so far; Started is
	// when the run began; Resumed counts the sessions before this one.
	Presim, Sim time.Duration
	Started     time.Time
	Resumed     int
}

// readRunState reads the checkpoint of the interrupted run in dir.
func readRunState(dir string) (*runState, error) {
	path := filepath.Join(dir, results.RunStage, checkpointFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("--resume %s: no checkpoint to continue from (%s)", dir, path)
		}
		return nil, fmt.Errorf("--resume %s: %w", dir, err)
	}
	var rs runState
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&rs); err != nil || rs.Model == nil {
		return nil, fmt.Errorf("--resume %s: %s is not a checkpoint of this program: %v", dir, path, err)
	}
	if rs.Model.Version != microcircuit.Version {
		return nil, fmt.Errorf("--resume %s: the checkpoint was written by microcircuit %s; this is %s, which may build or simulate the network otherwise",
			dir, rs.Model.Version, microcircuit.Version)
	}
	return &rs, nil
}

// writeRunState writes rs as the checkpoint of the staged run, atomically.
func writeRunState(dir *results.Dir, rs *runState) error {
	path := dir.File(checkpointFile)
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(rs); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("writing the checkpoint: %w", err)
	}
	_, err = f.Write(b.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing the checkpoint: %w", err)
	}
	return nil
}

// runSink writes the recorded data as the run hands it on, and keeps the
// spikes of the raster plot's window.
type runSink struct {
	spikes, volts *results.DeviceWriter // nil when not recorded
	a, b          float64               // raster window
	rasterSender  []int
	rasterTimes   []float64
}

// Spikes implements microcircuit.Sink.
func (s *runSink) Spikes(sender []int, times []float64) error {
	if s.spikes == nil {
		return nil
	}
	for i, t := range times {
		if t >= s.a && t <= s.b {
			s.rasterSender = append(s.rasterSender, sender[i])
			s.rasterTimes = append(s.rasterTimes, t)
		}
	}
	return s.spikes.Append(sender, times)
}

// Voltages implements microcircuit.Sink.
func (s *runSink) Voltages(sender []int, times, v []float64) error {
	if s.volts == nil {
		return nil
	}
	return s.volts.Append(sender, times, v)
}

// positions returns the writers' positions (nil for absent writers).
func (s *runSink) positions() (spikes, volts []int64) {
	if s.spikes != nil {
		spikes = s.spikes.Positions()
	}
	if s.volts != nil {
		volts = s.volts.Positions()
	}
	return spikes, volts
}

// close closes the writers.
func (s *runSink) close() error {
	err := results.CloseAll(s.spikes, s.volts)
	s.spikes, s.volts = nil, nil
	return err
}

// discard is the sink of ranks that write nothing.
type discard struct{}

func (discard) Spikes([]int, []float64) error              { return nil }
func (discard) Voltages([]int, []float64, []float64) error { return nil }

// openSink creates (or, resuming, reopens) the recorded data files in dir.
func openSink(dir *results.Dir, p *params.Params, pops results.Populations, rs *runState) (*runSink, error) {
	s := &runSink{}
	t0 := p.Simulation.TPresim
	s.a, s.b = rasterWindow(p, t0, t0+p.Simulation.TSim)
	var err error
	open := func(dv results.Device, pos []int64) (*results.DeviceWriter, error) {
		if rs != nil {
			return results.ReopenDeviceWriter(dir, pops, dv, p.Simulation.Format, pos)
		}
		return results.NewDeviceWriter(dir, pops, dv, p.Simulation.Format, microcircuit.Version)
	}
	if rs != nil {
		s.rasterSender, s.rasterTimes = rs.RasterSender, rs.RasterTimes
	}
	if p.RecordSpikes() {
		var pos []int64
		if rs != nil {
			pos = rs.Spikes
		}
		if s.spikes, err = open(results.SpikeRecorders(pops), pos); err != nil {
			return nil, err
		}
	}
	if p.RecordVoltage() {
		var pos []int64
		if rs != nil {
			pos = rs.Voltages
		}
		if s.volts, err = open(results.Voltmeters(pops, p.RecordSpikes()), pos); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

// run executes the whole protocol on the ranks of comm: build, warm-up,
// recorded phase, output; with o.resume it continues the interrupted run
// of p's data path instead (whose parameters replace p's, but for the
// threads). Rank 0 prints and writes the results. It is collective, and
// every rank returns the same error.
func run(ctx context.Context, p *params.Params, comm *cluster.Comm, o runOptions, out, errw io.Writer) error {
	root := comm.Rank() == 0
	if !root {
		out, errw = io.Discard, io.Discard
	}
	var rs *runState
	var err error
	if o.resume {
		dataPath, threads := p.Simulation.DataPath, p.Simulation.Threads
		rs, err = readRunState(dataPath)
		if err == nil {
			*p, err = microcircuit.CheckpointParams(rs.Model)
		}
		p.Simulation.DataPath, p.Simulation.Threads = dataPath, threads
		if err == nil {
			o.overwrite, o.noPlots = rs.Overwrite, rs.NoPlots
			if o.checkpointEvery == 0 {
				o.checkpointEvery = rs.CheckpointEvery
			}
		}
		if err = comm.Agree(err); err != nil {
			return err
		}
	}
	err = checkMemory(p, comm.Size(), comm.LocalSize())
	if err == nil {
		err = failpoint("memory", comm)
	}
	if err = comm.Agree(err); err != nil {
		return err
	}
	var dir *results.Dir
	if root {
		switch {
		case o.resume:
			dir, err = results.Reopen(p.Simulation.DataPath, o.overwrite)
		case o.checkpointEvery > 0:
			dir, err = results.PrepareResumable(p.Simulation.DataPath, o.overwrite)
		default:
			dir, err = prepareResults(p.Simulation.DataPath, o.overwrite)
		}
	}
	if err = comm.Agree(err); err != nil {
		return err
	}
	// The staging directory goes with a failed run, unless it holds a
	// checkpoint to resume from.
	keep := o.resume
	done := false
	if root {
		defer onHardExit(func() {
			if !keep {
				dir.Abort()
			}
		})()
	}
	defer func() {
		if root && !done && !keep {
			dir.Abort()
		}
	}()
	nw := &p.Network
	ranks := ""
	if comm.Size() > 1 {
		ranks = fmt.Sprintf("%d ranks × ", comm.Size())
	}
	verb := "microcircuit"
	if rs != nil {
		verb = fmt.Sprintf("microcircuit (continuing from %.1f ms)", float64(rs.Model.State.Step)*p.Simulation.Resolution)
	}
	fmt.Fprintf(out, "%s %s: N scaling %g, K scaling %g, %s background, seed %d, %s%d threads\n",
		verb, microcircuit.Version, nw.NScaling, nw.KScaling, nw.BgInput, p.Simulation.Seed, ranks, p.Simulation.Threads)
	for _, w := range p.Warnings() {
		fmt.Fprintln(errw, "warning:", w)
	}
	if p.RecordVoltage() {
		err := voltageEstimate(p, comm, out)
		if err = comm.Agree(err); err != nil {
			return err
		}
	}
	tStart := time.Now()
	started := tStart
	if rs != nil {
		started = rs.Started
	}
	f, ok := errw.(*os.File)
	onTerminal := ok && isTerminal(f)
	if onTerminal {
		fmt.Fprintf(errw, "building %d synapses ...", p.Network.TotalSynapses())
	}
	m, err := microcircuit.BuildOn(ctx, p, comm)
	finishProgress(errw, onTerminal)
	if err != nil && ctx.Err() != nil {
		return &exitError{code: interruptCode(ctx), err: fmt.Errorf("interrupted while building the network; nothing was written to %s", p.Simulation.DataPath)}
	}
	if err != nil {
		return err
	}
	if rs != nil {
		if err = comm.Agree(m.Restore(rs.Model)); err != nil {
			return fmt.Errorf("--resume %s: %w", p.Simulation.DataPath, err)
		}
	}
	tBuild := time.Since(tStart)
	fmt.Fprintf(out, "build:         %d neurons, %d synapses in %.2f s\n", m.Neurons(), m.Synapses, tBuild.Seconds())

	pops := results.Populations{Names: nw.Populations, FirstID: m.FirstID, Sizes: m.Sizes}
	sink := &runSink{}
	if root {
		sink, err = openSink(dir, p, pops, rs)
	}
	if err = comm.Agree(err); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	if root {
		m.StreamTo(sink, blockMS)
	} else {
		m.StreamTo(discard{}, blockMS)
	}
	defer sink.close()

	st := &runState{Overwrite: o.overwrite, NoPlots: o.noPlots, CheckpointEvery: o.checkpointEvery, Started: started}
	if rs != nil {
		st.Presim, st.Sim, st.Resumed = rs.Presim, rs.Sim, rs.Resumed+1
	}
	lastCheckpoint := time.Now()
	checkpoint := func() error {
		cp, err := m.Checkpoint()
		if err == nil && root {
			st.Model = cp
			st.Spikes, st.Voltages = sink.positions()
			st.RasterSender, st.RasterTimes = sink.rasterSender, sink.rasterTimes
			err = writeRunState(dir, st)
		}
		if err = comm.Agree(err); err == nil {
			keep = true
			lastCheckpoint = time.Now()
		}
		return err
	}
	// phase simulates until model time end (ms), recording or not, in
	// blocks, with a checkpoint after a block when one is due.
	h := p.Simulation.Resolution
	phase := func(name string, end float64, record bool, wall *time.Duration) error {
		endStep := params.Steps(end, h)
		total := float64(endStep-params.Steps(m.Time(), h)) * h
		if total <= 0 {
			return nil
		}
		bar := newProgress(name, total, errw)
		t0 := time.Now()
		var err error
		for done := 0.0; done < total-h/2 && err == nil; {
			chunk := min(blockMS, total-done)
			var cb func(float64)
			if bar != nil {
				offset := done
				cb = func(ms float64) { bar(offset + ms) }
			}
			err = m.Simulate(ctx, chunk, record, cb)
			done += chunk
			*wall += time.Since(t0)
			t0 = time.Now()
			if err == nil && o.checkpointEvery > 0 && time.Since(lastCheckpoint) >= o.checkpointEvery && done < total-h/2 {
				err = checkpoint()
			}
		}
		finishProgress(errw, bar != nil)
		if err == nil {
			fmt.Fprintf(out, "%-14s %g ms in %.2f s (real-time factor %.3f)\n", name+":", total, wall.Seconds(), wall.Seconds()/(total/1000))
		} else if errors.Is(err, context.Canceled) {
			fmt.Fprintf(errw, "%s interrupted at %.1f ms model time\n", name, m.Time())
		}
		return err
	}
	tPresim := p.Simulation.TPresim
	record := p.RecordSpikes() || p.RecordVoltage()
	err = phase("presimulation", tPresim, false, &st.Presim)
	if err == nil {
		err = phase("simulation", tPresim+p.Simulation.TSim, record, &st.Sim)
	}
	interrupted := errors.Is(err, context.Canceled)
	if err != nil && !interrupted {
		return comm.Agree(err) // every rank stops alike
	}
	if interrupted && o.checkpointEvery > 0 {
		// Keep the run to be continued: a checkpoint at the step it
		// stopped at, and the data recorded so far.
		if err := checkpoint(); err != nil {
			return fmt.Errorf("interrupted, and the checkpoint could not be written: %w", err)
		}
		return &exitError{code: interruptCode(ctx), err: fmt.Errorf("interrupted at %.1f ms; continue with: microcircuit run --resume %s",
			m.Time(), p.Simulation.DataPath)}
	}

	// Results: the rest of them, also when interrupted.
	t0, t1 := m.RecordedWindow()
	rates := m.Rates()
	spikes := 0
	for _, c := range m.Streamed() {
		spikes += int(c)
	}
	peak, peakRank := peakRSS(comm)
	err = nil
	if root {
		err = sink.close()
		if err == nil {
			os.Remove(dir.File(checkpointFile))
			os.Remove(dir.File(checkpointFile + ".tmp"))
			err = writeRun(dir, p, m, runOutput{
				sink: sink, spikes: spikes, rates: rates, noPlots: o.noPlots, interrupted: interrupted, t0: t0, t1: t1,
				tBuild: tBuild, tPre: st.Presim, tSim: st.Sim, tStart: tStart, started: started, resumed: st.Resumed,
				peak: peak, peakRank: peakRank,
			})
		}
		if err == nil {
			err = dir.Commit(microcircuit.Version)
			done = err == nil
		}
	}
	if err = comm.Agree(err); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	if p.RecordSpikes() {
		printRates(out, pops, microcircuit.Means(rates), t0, t1)
	}
	fmt.Fprintf(out, "results in %s (peak memory %.0f MB)\n", p.Simulation.DataPath, float64(peak)/1e6)
	if interrupted {
		return &exitError{code: interruptCode(ctx), err: fmt.Errorf("interrupted; what was recorded until %.1f ms is in %s", t1, p.Simulation.DataPath)}
	}
	return nil
}

// rtf returns the real-time factor of the recorded phase: its wall time
// over the model time it simulated (less than planned when interrupted).
func rtf(wall time.Duration, simulatedMS, plannedMS float64) float64 {
	if simulatedMS <= 0 || simulatedMS > plannedMS {
		simulatedMS = plannedMS
	}
	return wall.Seconds() / (simulatedMS / 1000)
}

// runOutput is what a run hands to writeRun.
type runOutput struct {
	sink           *runSink
	spikes         int
	rates          [][]float64
	noPlots        bool
	interrupted    bool
	t0, t1         float64 // recorded window (ms)
	tBuild         time.Duration
	tPre, tSim     time.Duration
	tStart         time.Time // of this session
	started        time.Time // of the run
	resumed        int
	peak, peakRank int64
}

// writeRun writes the result files of a run besides the recorded data
// into dir (rank 0's job).
func writeRun(dir *results.Dir, p *params.Params, m *microcircuit.Model, o runOutput) error {
	nw := &p.Network
	pops := results.Populations{Names: nw.Populations, FirstID: m.FirstID, Sizes: m.Sizes}
	comm := m.Comm()
	sum := Summary{
		Version: microcircuit.Version, NScaling: nw.NScaling, KScaling: nw.KScaling,
		Seed: p.Simulation.Seed, Ranks: comm.Size(), Threads: m.Threads(), BgInput: nw.BgInput,
		Thalamic: p.Stimulus.Thalamic, DCTransient: p.Stimulus.DCTransient,
		Neurons: m.Neurons(), Synapses: m.Synapses,
		TPresim: p.Simulation.TPresim, TSim: p.Simulation.TSim,
		Times: map[string]float64{
			"build": o.tBuild.Seconds(), "presim": o.tPre.Seconds(), "sim": o.tSim.Seconds(),
			"total": time.Since(o.tStart).Seconds(),
		},
		RTF:          rtf(o.tSim, o.t1-o.t0, p.Simulation.TSim),
		PeakRSS:      o.peak,
		Spikes:       o.spikes,
		Interrupted:  o.interrupted,
		Resumed:      o.resumed,
		SimulatedMS:  m.Time(),
		RecordedFrom: o.t0,
		RecordedTo:   o.t1,
		started:      o.started,
	}
	if comm.Size() > 1 {
		sum.PeakRSSPerRank = o.peakRank
	}
	record := p.RecordSpikes()
	if record {
		sum.Rates = map[string]float64{}
		for k, r := range microcircuit.Means(o.rates) {
			sum.Rates[nw.Populations[k]] = r
		}
	}
	if err := writeResults(dir, p, pops, &sum, comm.Size()); err != nil {
		return err
	}
	if record && o.t1 > o.t0 {
		if err := writeRates(dir, o.rates); err != nil {
			return fmt.Errorf("writing rates: %w", err)
		}
		if !o.noPlots {
			a, b := o.sink.a, min(o.sink.b, o.t1)
			if err := drawRun(dir, p, pops, o.sink.rasterSender, o.sink.rasterTimes, o.rates, a, b); err != nil {
				return fmt.Errorf("drawing plots: %w", err)
			}
		}
	}
	return nil
}
