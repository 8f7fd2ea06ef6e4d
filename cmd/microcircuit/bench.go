package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pd14/microcircuit"
	"github.com/pd14/microcircuit/cluster"
	"github.com/pd14/microcircuit/internal/calibration"
	"github.com/pd14/microcircuit/internal/sysinfo"
	"github.com/pd14/microcircuit/network"
	"github.com/pd14/microcircuit/params"
)

// Bench is the content of bench.json: medians over the repetitions.
type Bench struct {
	Version     string    `json:"version"`
	NScaling    float64   `json:"n_scaling"`
	KScaling    float64   `json:"k_scaling"`
	BgInput     string    `json:"bg_input"`
	Threads     int       `json:"threads"`
	Record      bool      `json:"record"`
	TPresim     float64   `json:"t_presim_ms"`
	TSim        float64   `json:"t_sim_ms"`
	Repeats     int       `json:"repeats"`
	Neurons     int       `json:"neurons"`
	Synapses    int64     `json:"synapses"`
	BuildS      float64   `json:"build_s"`
	PresimS     float64   `json:"presim_s"`
	SimS        float64   `json:"sim_s"`
	RTF         float64   `json:"rtf"`
	PeakRSS     int64     `json:"peak_rss_bytes"`
	Spikes      int64     `json:"spikes"`
	Events      int64     `json:"events"`
	EventsPerS  float64   `json:"events_per_s"`
	RTFs        []float64 `json:"rtf_each"`
	BuildEach   []float64 `json:"build_s_each"`
	CPU         string    `json:"cpu"`
	Cores       int       `json:"cores"`
	GoVersion   string    `json:"go_version"`
	EstimateRSS int64     `json:"estimated_bytes"`

	// Calibration is the machine's scatter-add speed (package
	// calibration: ns per event per core, every core busy), measured
	// before and after the runs and averaged, as the host drifts; the
	// model's times divided by it compare across machines.
	Calibration       float64         `json:"calibration_ns_per_event"`
	CalibrationBefore float64         `json:"calibration_before_ns_per_event"`
	CalibrationAfter  float64         `json:"calibration_after_ns_per_event"`
	RTFPerC           float64         `json:"rtf_per_c"`
	BuildPerC         float64         `json:"build_s_per_c"`
	Caches            []sysinfo.Cache `json:"caches"`
	// Kernel names the neuron and Poisson kernels used: scalar, avx2 or
	// avx512 (the widest the machine has, or as MICROCIRCUIT_KERNEL says).
	Kernel string `json:"kernel"`
	// ArrivalSums is the form of the arrival sums: fixed or float64.
	ArrivalSums string `json:"arrival_sums"`
	// StepsPerPass is the steps advanced per pass over the neurons: 2
	// with two-step passes, else 1.
	StepsPerPass int `json:"steps_per_pass"`

	// Ranks is the number of MPI ranks (1 for a single process), each
	// with Threads threads. Under MPI, PeakRSS is the sum of the ranks'
	// peaks, and the fields below are added: the largest rank's peak;
	// the median over the runs of the mean over the ranks of the wall
	// time spent in the spike exchange (including waits for other
	// ranks) during the simulation; the median of the load imbalance,
	// the largest rank's compute time (outside the exchange) divided by
	// the mean over the ranks; and each rank's figures of the last run.
	Ranks            int       `json:"ranks"`
	PeakRSSPerRank   int64     `json:"peak_rss_bytes_per_rank,omitempty"`
	ExchangeS        float64   `json:"exchange_s,omitempty"`
	Imbalance        float64   `json:"imbalance,omitempty"`
	ExchangeEachRank []float64 `json:"exchange_s_each_rank,omitempty"`
	ComputeEachRank  []float64 `json:"compute_s_each_rank,omitempty"`
}

// benchDefaults are the standard benchmark protocol: full scale, DC
// background, 500 ms warm-up, 10 s model time, recording off.
func benchDefaults() params.Params {
	p := params.Default()
	p.SetScale(1)
	p.Simulation.TSim = 10000
	p.Simulation.Record = []string{}
	p.Simulation.DataPath = "."
	return p
}

func benchCmd() *cobra.Command {
	var f paramFlags
	var overwrite bool
	var repeats int
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Run the standard benchmark: build time, real-time factor, memory",
		Long: `Run the standard benchmark protocol: full scale, DC background, 500 ms
warm-up, 10 s model time, recording off (the run flags change any of it).
Prints build time, real-time factor (simulation wall time / model time), peak
memory, spikes and synaptic events per second, and writes them to bench.json
in --data-path (default: the current directory). With --repeat R the model is
built and simulated R times and medians are reported.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := f.resolveFrom(cmd, benchDefaults())
			if err == nil && repeats < 1 {
				err = fmt.Errorf("--repeat = %d: must be >= 1", repeats)
			}
			if err = world.Agree(err); err != nil {
				return err
			}
			out := filepath.Join(p.Simulation.DataPath, "bench.json")
			if world.Rank() == 0 {
				if _, err = os.Stat(out); err == nil && !overwrite {
					err = fmt.Errorf("%s exists; use --overwrite to replace it or choose another --data-path", out)
				} else if err = os.MkdirAll(p.Simulation.DataPath, 0o755); err != nil {
					err = fmt.Errorf("data-path %s: %w", p.Simulation.DataPath, unwrap(err))
				}
			}
			if err == nil {
				err = checkMemory(&p, world.Size(), world.LocalSize())
			}
			if err = world.Agree(err); err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			b, err := bench(ctx, &p, world, repeats)
			if err != nil {
				return err
			}
			if world.Rank() == 0 {
				data, _ := json.MarshalIndent(b, "", "  ")
				tmp := out + ".tmp"
				if err = os.WriteFile(tmp, append(data, '\n'), 0o644); err == nil {
					err = os.Rename(tmp, out)
				}
				if err == nil {
					fmt.Printf("written to %s\n", out)
				}
			}
			return world.Agree(err)
		},
	}
	addParamFlags(cmd, &f)
	// The help shows the benchmark protocol's defaults.
	for name, def := range map[string]string{"scale": "1", "n-scaling": "1", "k-scaling": "1",
		"t-sim": "10000", "record": "none", "data-path": "."} {
		cmd.Flags().Lookup(name).DefValue = def
	}
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace an existing bench.json")
	cmd.Flags().IntVar(&repeats, "repeat", 1, "build and simulate this many times; report medians")
	return cmd
}

// bench builds and simulates p repeats times on the ranks of comm and
// returns the medians; collective, rank 0 prints.
func bench(ctx context.Context, p *params.Params, comm *cluster.Comm, repeats int) (*Bench, error) {
	nw := &p.Network
	b := &Bench{
		Version: microcircuit.Version, NScaling: nw.NScaling, KScaling: nw.KScaling, BgInput: nw.BgInput,
		Threads: p.Simulation.Threads, Record: p.RecordSpikes(), TPresim: p.Simulation.TPresim,
		TSim: p.Simulation.TSim, Repeats: repeats, CPU: sysinfo.CPUModel(), Cores: runtime.NumCPU(),
		GoVersion: runtime.Version(), Ranks: comm.Size(), Caches: sysinfo.Caches(),
		EstimateRSS: network.EstimatePartBytes(p, p.Simulation.Threads, comm.Size()) * int64(comm.Size()),
	}
	out := io.Writer(os.Stdout)
	if comm.Rank() != 0 {
		out = io.Discard
	}
	ranks := ""
	if comm.Size() > 1 {
		ranks = fmt.Sprintf("%d ranks × ", comm.Size())
	}
	fmt.Fprintf(out, "benchmark: N scaling %g, K scaling %g, %s background, %s%d threads, %g ms warm-up + %g ms, recording %v, %d run(s)\n",
		nw.NScaling, nw.KScaling, nw.BgInput, ranks, p.Simulation.Threads, p.Simulation.TPresim, p.Simulation.TSim, b.Record, repeats)
	workers := p.Simulation.Threads
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	b.CalibrationBefore = calibrate(comm, workers)
	fmt.Fprintf(out, "calibration: %.3f ns per event per core\n", b.CalibrationBefore)
	var builds, presims, sims, evps, exchanges, imbalances []float64
	for r := 0; r < repeats; r++ {
		comm.Barrier()
		t0 := time.Now()
		m, err := microcircuit.BuildOn(ctx, p, comm)
		if err != nil {
			return nil, err
		}
		comm.Barrier()
		tb := time.Since(t0).Seconds()
		t1 := time.Now()
		if p.Simulation.TPresim > 0 {
			if err := m.Simulate(ctx, p.Simulation.TPresim, false, nil); err != nil {
				return nil, comm.Agree(err) // every rank stops alike
			}
		}
		tp := time.Since(t1).Seconds()
		s0, e0 := m.Counts()
		c0, x0 := m.ExchangeTimes()
		t2 := time.Now()
		if err := m.Simulate(ctx, p.Simulation.TSim, b.Record, nil); err != nil {
			return nil, comm.Agree(err)
		}
		ts := time.Since(t2).Seconds()
		c1, x1 := m.ExchangeTimes()
		s1, e1 := m.Counts()
		b.Neurons, b.Synapses, b.Kernel, b.ArrivalSums = m.Neurons(), m.Synapses, m.Kernel(), m.ArrivalSums()
		b.StepsPerPass = m.StepsPerPass()
		b.Spikes, b.Events = s1-s0, e1-e0
		builds, presims, sims = append(builds, tb), append(presims, tp), append(sims, ts)
		evps = append(evps, float64(e1-e0)/ts)
		line := fmt.Sprintf("run %d: build %.2f s, presimulation %.2f s, simulation %.2f s (RTF %.3f), %d spikes, %.3g events/s",
			r+1, tb, tp, ts, ts/(p.Simulation.TSim/1000), s1-s0, float64(e1-e0)/ts)
		if comm.Size() > 1 {
			compute, _ := cluster.Allgather(comm, []float64{(c1 - c0).Seconds()})
			exchange, _ := cluster.Allgather(comm, []float64{(x1 - x0).Seconds()})
			var cSum, cMax, xSum float64
			for i := range compute {
				cSum += compute[i]
				cMax = max(cMax, compute[i])
				xSum += exchange[i]
			}
			imb := cMax / (cSum / float64(len(compute)))
			xMean := xSum / float64(len(exchange))
			exchanges, imbalances = append(exchanges, xMean), append(imbalances, imb)
			b.ExchangeEachRank, b.ComputeEachRank = exchange, compute
			line += fmt.Sprintf(", exchange %.2f s per rank, imbalance %.3f", xMean, imb)
		}
		fmt.Fprintln(out, line)
		m = nil
		debug.FreeOSMemory() // the next build starts from a clean heap
	}
	b.BuildS, b.PresimS, b.SimS = median(builds), median(presims), median(sims)
	b.RTF = b.SimS / (p.Simulation.TSim / 1000)
	b.EventsPerS = median(evps)
	b.BuildEach = builds
	for _, s := range sims {
		b.RTFs = append(b.RTFs, s/(p.Simulation.TSim/1000))
	}
	peak, largest := peakRSS(comm)
	b.PeakRSS = peak
	b.CalibrationAfter = calibrate(comm, workers)
	b.Calibration = (b.CalibrationBefore + b.CalibrationAfter) / 2
	b.RTFPerC, b.BuildPerC = b.RTF/b.Calibration, b.BuildS/b.Calibration
	if comm.Size() > 1 {
		b.PeakRSSPerRank = largest
		b.ExchangeS, b.Imbalance = median(exchanges), median(imbalances)
	}
	fmt.Fprintf(out, "\n%-22s %12s\n", "neurons", fmt.Sprint(b.Neurons))
	fmt.Fprintf(out, "%-22s %12s\n", "synapses", fmt.Sprint(b.Synapses))
	fmt.Fprintf(out, "%-22s %12.2f\n", "build (s)", b.BuildS)
	fmt.Fprintf(out, "%-22s %12.3f\n", "real-time factor", b.RTF)
	fmt.Fprintf(out, "%-22s %12.2f\n", "peak memory (GB)", float64(b.PeakRSS)/1e9)
	if comm.Size() > 1 {
		fmt.Fprintf(out, "%-22s %12.2f\n", "per rank (GB)", float64(b.PeakRSSPerRank)/1e9)
		fmt.Fprintf(out, "%-22s %12.3f\n", "exchange (s per rank)", b.ExchangeS)
		fmt.Fprintf(out, "%-22s %12.3f\n", "imbalance", b.Imbalance)
	}
	fmt.Fprintf(out, "%-22s %12d\n", "spikes", b.Spikes)
	fmt.Fprintf(out, "%-22s %12.3g\n", "synaptic events/s", b.EventsPerS)
	fmt.Fprintf(out, "%-22s %12.3f\n", "calibration c (ns)", b.Calibration)
	fmt.Fprintf(out, "%-22s %12.3f\n", "RTF / c", b.RTFPerC)
	fmt.Fprintf(out, "%-22s %12.2f\n", "build (s) / c", b.BuildPerC)
	var caches []string
	for _, c := range b.Caches {
		caches = append(caches, c.String())
	}
	fmt.Fprintf(out, "%-22s %12s\n", "machine", fmt.Sprintf("%d cores, %s; %s", b.Cores, b.CPU, strings.Join(caches, ", ")))
	fmt.Fprintf(out, "%-22s %12s\n", "kernels", fmt.Sprintf("%s, %s sums, %d steps per pass", b.Kernel, b.ArrivalSums, b.StepsPerPass))
	return b, nil
}

// calibrate runs the calibration kernel on workers cores of every rank at
// once and returns the mean over the ranks; the peak memory is then reset,
// so that the kernel's arrays do not count as the model's. Collective.
func calibrate(comm *cluster.Comm, workers int) float64 {
	comm.Barrier()
	c := calibration.Run(workers)
	debug.FreeOSMemory()
	sysinfo.ResetPeakRSS()
	all, _ := cluster.Allgather(comm, []float64{c})
	var sum float64
	for _, v := range all {
		sum += v
	}
	return sum / float64(len(all))
}

func median(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
