package main

import (
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
	"github.com/spf13/pflag"

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
	var cpuProfile, resume string
	var checkpointEvery time.Duration
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Build and simulate the microcircuit and write its results",
		Long: `Build the microcircuit, simulate the warm-up (--t-presim) and the recorded
phase (--t-sim), and write NEST-format spike files, parameters and summary.json
into --data-path. Existing results are kept unless --overwrite is given.

The recorded data is written as it is recorded (memory stays bounded). With
--checkpoint-every, the run writes its state every so much wall time; an
interrupted run (Ctrl-C, SIGTERM, a crash) is continued, to the same spikes, by
'microcircuit run --resume DIR', which takes the parameters of the run and only
--threads.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if resume != "" {
				// The interrupted run's parameters hold; only threads may change.
				var err error
				cmd.Flags().Visit(func(fl *pflag.Flag) {
					switch fl.Name {
					case "resume", "threads", "checkpoint-every", "quiet", "no-plots", "cpuprofile":
					default:
						if err == nil {
							err = fmt.Errorf("--%s with --resume: the interrupted run's parameters hold; only --threads and --checkpoint-every may be given", fl.Name)
						}
					}
				})
				if err == nil {
					cmd.Flags().Set("data-path", resume)
				}
				if err = world.Agree(err); err != nil {
					return err
				}
			}
			if checkpointEvery < 0 {
				return world.Agree(fmt.Errorf("--checkpoint-every = %v: must be a positive duration such as 10m", checkpointEvery))
			}
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
			o := runOptions{overwrite: overwrite, noPlots: noPlots, checkpointEvery: checkpointEvery, resume: resume != ""}
			return run(ctx, &p, world, o, out, os.Stderr)
		},
	}
	addParamFlags(cmd, &f)
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace the results of an earlier run in --data-path")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors and warnings")
	cmd.Flags().BoolVar(&noPlots, "no-plots", false, "do not draw raster_plot.png and box_plot.png")
	cmd.Flags().DurationVar(&checkpointEvery, "checkpoint-every", 0, "write a checkpoint every so much wall time (such as 30m); an interrupted run continues with --resume")
	cmd.Flags().StringVar(&resume, "resume", "", "continue the interrupted run in this data directory from its checkpoint")
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
	Resumed        int                `json:"resumed,omitempty"` // times the run was continued from a checkpoint
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

// writeResults writes the node ids, parameter dictionaries, summary and
// metadata of a run (the recorded data is written as it is recorded).
func writeResults(dir *results.Dir, p *params.Params, pops results.Populations, sum *Summary, ranks int) error {
	if err := results.WriteNodesWith(dir, pops, p.RecordSpikes(), p.RecordVoltage()); err != nil {
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

// rasterWindow returns the time window (ms) of raster_plot.png: 100 ms
// around the thalamic stimulus time, as the reference draws, if it lies in
// the recorded phase (t0, t1], else its first 200 ms.
func rasterWindow(p *params.Params, t0, t1 float64) (a, b float64) {
	a, b = p.Stimulus.ThStart-100, p.Stimulus.ThStart+100
	if a < t0 || b > t1 {
		a, b = t0, math.Min(t1, t0+200)
	}
	return a, b
}

// drawRun draws raster_plot.png (the spikes given, of the window a..b) and
// box_plot.png.
func drawRun(dir *results.Dir, p *params.Params, pops results.Populations, sender []int, times []float64, rates [][]float64, a, b float64) error {
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
	disk := samples * 26
	if p.Simulation.Format == "npy" {
		disk = samples * 20
	}
	// Memory holds a block (blockMS) of samples, on every rank, twice
	// (recorded, then gathered and formatted).
	mem := 2 * 16 * float64(neurons) * math.Floor(min(blockMS, p.Simulation.TSim)/p.Simulation.VInterval+1e-9)
	fmt.Fprintf(out, "voltage:       %d neurons every %g ms: %.3g samples, about %.0f MB on disk, %.0f MB in memory\n",
		neurons, p.Simulation.VInterval, samples, disk/1e6, mem/1e6)
	need := (int64(mem) + network.EstimatePartBytes(p, p.Simulation.Threads, comm.Size())) * int64(comm.LocalSize())
	if avail := sysinfo.AvailableMemory(); avail > 0 && need > avail {
		return fmt.Errorf("recording the membrane potential of %d neurons needs about %.1f GB more memory than is available; lower --v-neurons or raise --v-interval",
			neurons, float64(need-avail)/1e9)
	}
	return nil
}
