package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/pd14/microcircuit"
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
			if err != nil {
				return err
			}
			if cpuProfile != "" {
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
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			out := io.Writer(os.Stdout)
			if quiet {
				out = io.Discard
			}
			return run(ctx, &p, overwrite, noPlots, out, os.Stderr)
		},
	}
	addParamFlags(cmd, &f)
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace the results of an earlier run in --data-path")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors and warnings")
	cmd.Flags().BoolVar(&noPlots, "no-plots", false, "do not draw raster_plot.png and box_plot.png")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of the whole run to this file")
	return cmd
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Summary is the content of summary.json.
type Summary struct {
	Version      string             `json:"version"`
	NScaling     float64            `json:"n_scaling"`
	KScaling     float64            `json:"k_scaling"`
	Seed         uint64             `json:"seed"`
	Threads      int                `json:"threads"`
	BgInput      string             `json:"bg_input"`
	Thalamic     bool               `json:"thalamic"`
	DCTransient  bool               `json:"dc_transient"`
	Neurons      int                `json:"neurons"`
	Synapses     int64              `json:"synapses"`
	TPresim      float64            `json:"t_presim_ms"`
	TSim         float64            `json:"t_sim_ms"`
	Times        map[string]float64 `json:"times_s"`
	RTF          float64            `json:"rtf"`
	PeakRSS      int64              `json:"peak_rss_bytes"`
	Spikes       int                `json:"spikes"`
	Rates        map[string]float64 `json:"rates_hz"`
	Interrupted  bool               `json:"interrupted"`
	SimulatedMS  float64            `json:"simulated_ms"`
	RecordedFrom float64            `json:"recorded_from_ms"`
	RecordedTo   float64            `json:"recorded_to_ms"`
	started      time.Time
}

// run executes the whole protocol: build, warm-up, recorded phase, output.
func run(ctx context.Context, p *params.Params, overwrite, noPlots bool, out, errw io.Writer) error {
	if err := checkMemory(p); err != nil {
		return err
	}
	dir, err := results.Prepare(p.Simulation.DataPath, overwrite)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			dir.Abort()
		}
	}()
	nw := &p.Network
	fmt.Fprintf(out, "microcircuit %s: N scaling %g, K scaling %g, %s background, seed %d, %d threads\n",
		microcircuit.Version, nw.NScaling, nw.KScaling, nw.BgInput, p.Simulation.Seed, p.Simulation.Threads)
	for _, w := range p.Warnings() {
		fmt.Fprintln(errw, "warning:", w)
	}
	if p.RecordVoltage() {
		if err := voltageEstimate(p, out); err != nil {
			return err
		}
	}
	tStart := time.Now()
	f, ok := errw.(*os.File)
	onTerminal := ok && isTerminal(f)
	if onTerminal {
		fmt.Fprintf(errw, "building %d synapses ...", p.Network.TotalSynapses())
	}
	m, err := microcircuit.Build(p)
	finishProgress(errw, onTerminal)
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
		tSim, err = phase("simulation", p.Simulation.TSim, record)
	}
	interrupted := errors.Is(err, context.Canceled)
	if err != nil && !interrupted {
		return err
	}

	// Results: written even when interrupted, with what was recorded.
	sender, times := m.Spikes()
	pops := results.Populations{Names: nw.Populations, FirstID: m.FirstID, Sizes: m.Sizes}
	t0, t1 := m.RecordedWindow()
	rates := m.MeanRates()
	sum := Summary{
		Version: microcircuit.Version, NScaling: nw.NScaling, KScaling: nw.KScaling,
		Seed: p.Simulation.Seed, Threads: m.Threads(), BgInput: nw.BgInput,
		Thalamic: p.Stimulus.Thalamic, DCTransient: p.Stimulus.DCTransient,
		Neurons: m.Neurons(), Synapses: m.Synapses,
		TPresim: p.Simulation.TPresim, TSim: p.Simulation.TSim,
		Times: map[string]float64{
			"build": tBuild.Seconds(), "presim": tPre.Seconds(), "sim": tSim.Seconds(),
			"total": time.Since(tStart).Seconds(),
		},
		RTF:          tSim.Seconds() / (p.Simulation.TSim / 1000),
		PeakRSS:      sysinfo.PeakRSS(),
		Spikes:       len(sender),
		Rates:        map[string]float64{},
		Interrupted:  interrupted,
		SimulatedMS:  m.Time(),
		RecordedFrom: t0,
		RecordedTo:   t1,
		started:      tStart,
	}
	if !record {
		sum.Rates = nil
	}
	for k, r := range rates {
		if record {
			sum.Rates[nw.Populations[k]] = r
		}
	}
	if err := writeResults(dir, p, pops, sender, times, &sum, record); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	if p.RecordVoltage() {
		vs, vt, vv := m.Voltages()
		if err := results.WriteVoltages(dir, pops, record, vs, vt, vv, microcircuit.Version); err != nil {
			return fmt.Errorf("writing membrane potentials: %w", err)
		}
	}
	if record && t1 > t0 {
		if err := writeRates(dir, m.Rates()); err != nil {
			return fmt.Errorf("writing rates: %w", err)
		}
		if !noPlots {
			if err := drawRun(dir, p, pops, sender, times, m.Rates(), t0, t1); err != nil {
				return fmt.Errorf("drawing plots: %w", err)
			}
		}
	}
	if err := dir.Commit(); err != nil {
		return err
	}
	committed = true
	if record {
		printRates(out, pops, rates, t0, t1)
	}
	fmt.Fprintf(out, "results in %s (peak memory %.0f MB)\n", dir.Path(), float64(sum.PeakRSS)/1e6)
	if interrupted {
		return &exitError{code: 130, err: fmt.Errorf("interrupted; the spikes recorded until %.1f ms are in %s", t1, dir.Path())}
	}
	return nil
}

func writeResults(dir *results.Dir, p *params.Params, pops results.Populations, sender []int, times []float64, sum *Summary, record bool) error {
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
		"metadata.json":  results.NewMetadata(microcircuit.Version, sum.started),
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
		if err := os.WriteFile(dir.File(fmt.Sprintf("rate%d.dat", i)), []byte(b.String()), 0o644); err != nil {
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
	if err := plots.Raster(dir.File("raster_plot.png"), pp, sender, times, a, b, plots.RasterStep(p.Network.NScaling)); err != nil {
		return err
	}
	return plots.BoxPlot(dir.File("box_plot.png"), pops.Names, rates)
}

// voltageEstimate prints how much memory and disk the membrane potential
// recording takes, and refuses it if the memory is not there.
func voltageEstimate(p *params.Params, out io.Writer) error {
	neurons := 0
	for _, n := range p.Network.NumNeurons() {
		neurons += p.Simulation.VNeurons.Of(n)
	}
	samples := float64(neurons) * math.Floor(p.Simulation.TSim/p.Simulation.VInterval+1e-9)
	mem, disk := samples*16, samples*26
	fmt.Fprintf(out, "voltage:       %d neurons every %g ms: %.3g samples, about %.0f MB in memory, %.0f MB on disk\n",
		neurons, p.Simulation.VInterval, samples, mem/1e6, disk/1e6)
	if avail := sysinfo.AvailableMemory(); avail > 0 && int64(mem)+network.EstimateBytes(p, p.Simulation.Threads) > avail {
		return fmt.Errorf("recording the membrane potential of %d neurons needs about %.1f GB more memory than is available; lower --v-neurons or raise --v-interval",
			neurons, (mem+float64(network.EstimateBytes(p, p.Simulation.Threads))-float64(avail))/1e9)
	}
	return nil
}
