package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/pd14/microcircuit"
	"github.com/pd14/microcircuit/cluster"
	"github.com/pd14/microcircuit/internal/sysinfo"
	"github.com/pd14/microcircuit/network"
	"github.com/pd14/microcircuit/params"
	"github.com/pd14/microcircuit/plots"
	"github.com/pd14/microcircuit/results"
)

func runCmd() *cobra.Command {
	var f paramFlags
	var overwrite, quiet, noPlots bool
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Build and simulate the microcircuit and write its results",
		Long: `Build the microcircuit, simulate the warm-up (--t-presim) and the recorded
phase (--t-sim), and write NEST-format spike files, parameters and summary.json
into --data-path. Existing results are kept unless --overwrite is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := f.resolve(cmd)
			if err = world.Agree(err); err != nil {
				return err
			}
			if cpuProfile != "" {
				if world.Size() > 1 {
					cpuProfile = fmt.Sprintf("%s.%d", cpuProfile, world.Rank())
				}
				f, err := os.Create(cpuProfile)
				if err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				defer pprof.StopCPUProfile()
			}
			ctx, stop := signalContext()
			defer stop()
			out := io.Writer(os.Stdout)
			if quiet {
				out = io.Discard
			}
			return run(ctx, &p, world, overwrite, noPlots, out, os.Stderr)
		},
	}
	addParamFlags(cmd, &f)
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace the results of an earlier run in --data-path")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors and warnings")
	cmd.Flags().BoolVar(&noPlots, "no-plots", false, "do not draw raster_plot.png and box_plot.png")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of the whole run to this file (under MPI, one per rank: FILE.<rank>)")
	return cmd
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Summary is the content of summary.json.
type Summary struct {
	Version     string             `json:"version"`
	NScaling    float64            `json:"n_scaling"`
	KScaling    float64            `json:"k_scaling"`
	Seed        uint64             `json:"seed"`
	Ranks       int                `json:"ranks"`
	Threads     int                `json:"threads"` // per rank
	BgInput     string             `json:"bg_input"`
	Thalamic    bool               `json:"thalamic"`
	DCTransient bool               `json:"dc_transient"`
	Neurons     int                `json:"neurons"`
	Synapses    int64              `json:"synapses"`
	TPresim     float64            `json:"t_presim_ms"`
	TSim        float64            `json:"t_sim_ms"`
	Times       map[string]float64 `json:"times_s"`
	RTF         float64            `json:"rtf"`
	// PeakRSS is the peak resident memory of the job: the sum of every
	// rank's peak; PeakRSSPerRank is the largest rank's (MPI only).
	PeakRSS        int64              `json:"peak_rss_bytes"`
	PeakRSSPerRank int64              `json:"peak_rss_bytes_per_rank,omitempty"`
	Spikes         int                `json:"spikes"`
	Rates          map[string]float64 `json:"rates_hz"`
	Interrupted    bool               `json:"interrupted"`
	SimulatedMS    float64            `json:"simulated_ms"`
	RecordedFrom   float64            `json:"recorded_from_ms"`
	RecordedTo     float64            `json:"recorded_to_ms"`
	started        time.Time
}

// prepareResults prepares a run's data directory; tests wrap it to inject
// write failures.
var prepareResults = results.Prepare

// failpoint returns an error when the environment variable
// MICROCIRCUIT_FAILPOINT names this phase and rank ("phase@rank"): fault
// injection for the tests of distributed runs.
func failpoint(phase string, comm *cluster.Comm) error {
	if os.Getenv("MICROCIRCUIT_FAILPOINT") == fmt.Sprintf("%s@%d", phase, comm.Rank()) {
		return fmt.Errorf("injected failure in phase %s", phase)
	}
	return nil
}

// peakRSS returns the sum of the ranks' peak resident memory and the
// largest; collective.
func peakRSS(comm *cluster.Comm) (sum, largest int64) {
	all, _ := cluster.Allgather(comm, []int64{sysinfo.PeakRSS()})
	for _, v := range all {
		sum += v
		largest = max(largest, v)
	}
	return sum, largest
}

// run executes the whole protocol on the ranks of comm: build, warm-up,
// recorded phase, output. Rank 0 prints and writes the results. It is
// collective, and every rank returns the same error.
func run(ctx context.Context, p *params.Params, comm *cluster.Comm, overwrite, noPlots bool, out, errw io.Writer) error {
	root := comm.Rank() == 0
	if !root {
		out, errw = io.Discard, io.Discard
	}
	err := checkMemory(p, comm.Size(), comm.LocalSize())
	if err == nil {
		err = failpoint("memory", comm)
	}
	if err = comm.Agree(err); err != nil {
		return err
	}
	var dir *results.Dir
	if root {
		dir, err = prepareResults(p.Simulation.DataPath, overwrite)
	}
	if err = comm.Agree(err); err != nil {
		return err
	}
	committed := false
	if root {
		defer onHardExit(dir.Abort)()
	}
	defer func() {
		if root && !committed {
			dir.Abort()
		}
	}()
	nw := &p.Network
	ranks := ""
	if comm.Size() > 1 {
		ranks = fmt.Sprintf("%d ranks × ", comm.Size())
	}
	fmt.Fprintf(out, "microcircuit %s: N scaling %g, K scaling %g, %s background, seed %d, %s%d threads\n",
		microcircuit.Version, nw.NScaling, nw.KScaling, nw.BgInput, p.Simulation.Seed, ranks, p.Simulation.Threads)
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
	tBuild := time.Since(tStart)
	fmt.Fprintf(out, "build:         %d neurons, %d synapses in %.2f s\n", m.Neurons(), m.Synapses, tBuild.Seconds())

	phase := func(name string, t float64, record bool) (time.Duration, error) {
		if t <= 0 {
			return 0, nil
		}
		bar := newProgress(name, t, errw)
		t0 := time.Now()
		err := m.Simulate(ctx, t, record, bar)
		d := time.Since(t0)
		finishProgress(errw, bar != nil)
		done := m.Time()
		if err == nil {
			fmt.Fprintf(out, "%-14s %g ms in %.2f s (real-time factor %.3f)\n", name+":", t, d.Seconds(), d.Seconds()/(t/1000))
		} else {
			fmt.Fprintf(errw, "%s interrupted at %.1f ms model time\n", name, done)
		}
		return d, err
	}
	record := p.RecordSpikes()
	tPre, err := phase("presimulation", p.Simulation.TPresim, false)
	var tSim time.Duration
	if err == nil {
		// Membrane potentials are recorded in the same phase as spikes,
		// also when spikes are not.
		tSim, err = phase("simulation", p.Simulation.TSim, record || p.RecordVoltage())
	}
	interrupted := errors.Is(err, context.Canceled)
	if err != nil && !interrupted {
		return comm.Agree(err) // every rank stops alike
	}

	// Results: written even when interrupted, with what was recorded. The
	// spikes, rates and membrane potentials of all ranks are gathered.
	sender, times := m.Spikes()
	pops := results.Populations{Names: nw.Populations, FirstID: m.FirstID, Sizes: m.Sizes}
	t0, t1 := m.RecordedWindow()
	rates := m.RatesFrom(sender)
	var vs []int
	var vt, vv []float64
	if p.RecordVoltage() {
		vs, vt, vv = m.Voltages()
	}
	peak, peakRank := peakRSS(comm)
	err = nil
	if root {
		err = writeRun(dir, p, m, runOutput{
			sender: sender, times: times, rates: rates, vSender: vs, vTimes: vt, v: vv,
			record: record, noPlots: noPlots, interrupted: interrupted, t0: t0, t1: t1,
			tBuild: tBuild, tPre: tPre, tSim: tSim, tStart: tStart, peak: peak, peakRank: peakRank,
		})
		if err == nil {
			err = dir.Commit(microcircuit.Version)
			committed = err == nil
		}
	}
	if err = comm.Agree(err); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	if record {
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
	sender          []int
	times           []float64
	rates           [][]float64
	vSender         []int
	vTimes, v       []float64
	record, noPlots bool
	interrupted     bool
	t0, t1          float64 // recorded window (ms)
	tBuild, tPre    time.Duration
	tSim            time.Duration
	tStart          time.Time
	peak, peakRank  int64
}

// writeRun writes every result file of a run into dir (rank 0's job).
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
		Spikes:       len(o.sender),
		Interrupted:  o.interrupted,
		SimulatedMS:  m.Time(),
		RecordedFrom: o.t0,
		RecordedTo:   o.t1,
		started:      o.tStart,
	}
	if comm.Size() > 1 {
		sum.PeakRSSPerRank = o.peakRank
	}
	if o.record {
		sum.Rates = map[string]float64{}
		for k, r := range microcircuit.Means(o.rates) {
			sum.Rates[nw.Populations[k]] = r
		}
	}
	if err := writeResults(dir, p, pops, o.sender, o.times, &sum, o.record, comm.Size()); err != nil {
		return err
	}
	if p.RecordVoltage() {
		if err := results.WriteVoltages(dir, pops, o.record, o.vSender, o.vTimes, o.v, microcircuit.Version); err != nil {
			return fmt.Errorf("writing membrane potentials: %w", err)
		}
	}
	if o.record && o.t1 > o.t0 {
		if err := writeRates(dir, o.rates); err != nil {
			return fmt.Errorf("writing rates: %w", err)
		}
		if !o.noPlots {
			if err := drawRun(dir, p, pops, o.sender, o.times, o.rates, o.t0, o.t1); err != nil {
				return fmt.Errorf("drawing plots: %w", err)
			}
		}
	}
	return nil
}

func writeResults(dir *results.Dir, p *params.Params, pops results.Populations, sender []int, times []float64, sum *Summary, record bool, ranks int) error {
	if record {
		if err := results.WriteSpikes(dir, pops, sender, times, microcircuit.Version); err != nil {
			return err
		}
	}
	if err := results.WriteNodesWith(dir, pops, record, p.RecordVoltage()); err != nil {
		return err
	}
	files := map[string]any{
		"sim_dict.json":  p.Simulation,
		"net_dict.json":  netDict(p),
		"stim_dict.json": p.Stimulus,
		"summary.json":   sum,
		"metadata.json":  results.NewMetadata(microcircuit.Version, sum.started, ranks, sum.Threads),
	}
	for name, v := range files {
		if err := results.WriteJSON(dir, name, v); err != nil {
			return err
		}
	}
	return nil
}

// netDict is the network parameters with the quantities derived from them.
func netDict(p *params.Params) map[string]any {
	nw := &p.Network
	return map[string]any{
		"parameters":          nw,
		"num_neurons":         nw.NumNeurons(),
		"num_synapses":        nw.NumSynapses(),
		"mean_weights_pA":     nw.MeanWeights(),
		"dc_amp_pA":           nw.DCAmplitudes(),
		"poisson_rates_hz":    nw.PoissonRates(),
		"ext_weight_pA":       nw.ExtWeight(),
		"psc_over_psp_pA_mV":  params.PSCOverPSP(nw.Neuron, nw.Neuron.TauSynEx),
		"th_num_synapses":     p.ThSynapses(),
		"th_weight_pA":        p.ThWeight(),
		"dc_transient_amp_pA": p.DCTransientAmplitudes(),
	}
}

func printRates(out io.Writer, pops results.Populations, rates []float64, t0, t1 float64) {
	fmt.Fprintf(out, "\nmean firing rates over (%g, %g] ms\n", t0, t1)
	fmt.Fprintf(out, "%-10s %8s %14s\n", "population", "neurons", "rate (spikes/s)")
	for k, name := range pops.Names {
		fmt.Fprintf(out, "%-10s %8d %14.3f\n", name, pops.Sizes[k], rates[k])
	}
	fmt.Fprintln(out)
}

// newProgress returns a progress callback drawing a bar with model time and
// live real-time factor on a terminal, or nil elsewhere.
func newProgress(name string, total float64, w io.Writer) func(float64) {
	f, ok := w.(*os.File)
	if !ok || !isTerminal(f) {
		return nil
	}
	bar := progressbar.NewOptions64(int64(total*10),
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(name),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	start := time.Now()
	return func(ms float64) {
		wall := time.Since(start).Seconds()
		rtf := 0.0
		if ms > 0 {
			rtf = wall / (ms / 1000)
		}
		bar.Describe(fmt.Sprintf("%s %7.1f / %g ms, RTF %.3f", name, ms, total, rtf))
		bar.Set64(int64(ms * 10))
	}
}

func finishProgress(w io.Writer, active bool) {
	if active {
		fmt.Fprint(w, "\r\033[K")
	}
}

// writeRates writes rate<i>.dat: the rate of every neuron of population i,
// one per line, as the reference package writes them.
func writeRates(dir *results.Dir, rates [][]float64) error {
	for i, r := range rates {
		var b strings.Builder
		for _, v := range r {
			b.WriteString(strconv.FormatFloat(v, 'e', 18, 64))
			b.WriteByte('\n')
		}
		if err := dir.WriteFile(fmt.Sprintf("rate%d.dat", i), []byte(b.String())); err != nil {
			return err
		}
	}
	return nil
}

// drawRun draws raster_plot.png (100 ms around the thalamic stimulus time,
// as the reference does, within the recorded window) and box_plot.png.
func drawRun(dir *results.Dir, p *params.Params, pops results.Populations, sender []int, times []float64, rates [][]float64, t0, t1 float64) error {
	a, b := p.Stimulus.ThStart-100, p.Stimulus.ThStart+100
	if a < t0 || b > t1 {
		a, b = t0, math.Min(t1, t0+200)
	}
	pp := plots.Populations{Names: pops.Names, FirstID: pops.FirstID, Sizes: pops.Sizes}
	err := dir.Write("raster_plot.png", func(w io.Writer) error {
		return plots.Raster(w, pp, sender, times, a, b, plots.RasterStep(p.Network.NScaling))
	})
	if err != nil {
		return err
	}
	return dir.Write("box_plot.png", func(w io.Writer) error { return plots.BoxPlot(w, pops.Names, rates) })
}

// voltageEstimate prints how much memory and disk the membrane potential
// recording takes, and refuses it if the memory is not there.
func voltageEstimate(p *params.Params, comm *cluster.Comm, out io.Writer) error {
	neurons := 0
	for _, n := range p.Network.NumNeurons() {
		neurons += p.Simulation.VNeurons.Of(n)
	}
	samples := float64(neurons) * math.Floor(p.Simulation.TSim/p.Simulation.VInterval+1e-9)
	mem, disk := samples*16, samples*26
	fmt.Fprintf(out, "voltage:       %d neurons every %g ms: %.3g samples, about %.0f MB in memory, %.0f MB on disk\n",
		neurons, p.Simulation.VInterval, samples, mem/1e6, disk/1e6)
	// Every rank holds the samples of the whole network at the end.
	need := (int64(mem) + network.EstimatePartBytes(p, p.Simulation.Threads, comm.Size())) * int64(comm.LocalSize())
	if avail := sysinfo.AvailableMemory(); avail > 0 && need > avail {
		return fmt.Errorf("recording the membrane potential of %d neurons needs about %.1f GB more memory than is available; lower --v-neurons or raise --v-interval",
			neurons, float64(need-avail)/1e9)
	}
	return nil
}
