package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pd14/microcircuit"
	"github.com/pd14/microcircuit/analysis"
	"github.com/pd14/microcircuit/cluster"
	"github.com/pd14/microcircuit/params"
	"github.com/pd14/microcircuit/plots"
	"github.com/pd14/microcircuit/results"
)

func ensembleCmd() *cobra.Command {
	var f paramFlags
	var nSeeds int
	var seedList string
	var ccNeurons int
	var noPlots, overwrite bool
	var checkpointEvery time.Duration
	cmd := &cobra.Command{
		Use:   "ensemble",
		Short: "Run the model for several seeds and compare them (KS distances between seeds)",
		Long: `Run the model once per seed (one after the other, each with all threads) into
DATA-PATH/seed<N>/, analyse each run (rates, ISI CVs, correlations) and compute
the KS distances between every pair of seeds per metric and population, as the
reference's ensemble statistics do. Writes rate_ks_distances.json,
spike_cvs_ks_distances.json, spike_ccs_ks_distances.json, ensemble.png (the
distributions of every seed) and ks_distances.png into DATA-PATH. Seeds whose
runs are already complete are not run again, so an interrupted ensemble can be
resumed with the same command. The directory can serve as --reference of
'microcircuit validate'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := f.resolve(cmd)
			if !cmd.Flags().Changed("data-path") && f.config == "" {
				p.Simulation.DataPath = "ensemble"
			}
			var seeds []uint64
			if err == nil {
				seeds, err = ensembleSeeds(nSeeds, seedList, p.Simulation.Seed, cmd.Flags().Changed("seeds"))
			}
			if err == nil && ccNeurons < 2 {
				err = fmt.Errorf("--cc-neurons = %d: must be >= 2", ccNeurons)
			}
			p.Simulation.Record = []string{"spikes"}
			if err == nil {
				// Every rank simulates whole networks, one seed at a time.
				err = checkMemory(&p, 1, world.LocalSize())
			}
			root := p.Simulation.DataPath
			if err == nil && world.Rank() == 0 {
				if err = os.MkdirAll(root, 0o755); err != nil {
					err = fmt.Errorf("data-path %s: %w", root, unwrap(err))
				}
			}
			if err = world.Agree(err); err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			return ensemble(ctx, &p, world, seeds, ccNeurons, noPlots, overwrite, checkpointEvery)
		},
	}
	addParamFlags(cmd, &f)
	cmd.Flags().IntVar(&nSeeds, "seeds", 3, "number of seeds: --seed, --seed+1, ...")
	cmd.Flags().StringVar(&seedList, "seed-list", "", "comma-separated seeds (instead of --seeds)")
	cmd.Flags().IntVar(&ccNeurons, "cc-neurons", 50, "neurons per population for pairwise correlations")
	cmd.Flags().BoolVar(&noPlots, "no-plots", false, "draw no figures")
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "run again the seeds whose directories hold runs of other parameters")
	cmd.Flags().DurationVar(&checkpointEvery, "checkpoint-every", 0, "write a checkpoint of the running seed every so much wall time; running the ensemble again continues it")
	cmd.Flags().Lookup("data-path").DefValue = "ensemble"
	return cmd
}

// ensemble runs the seeds spread over the ranks of comm (seed i on rank i
// mod R, each with all of its rank's threads), analyses each run on its
// rank, and on rank 0 computes and draws the distances between seeds.
// Collective; every rank returns the same error.
func ensemble(ctx context.Context, p *params.Params, comm *cluster.Comm, seeds []uint64, ccNeurons int, noPlots, overwrite bool,
	checkpointEvery time.Duration) error {
	root := p.Simulation.DataPath
	out := io.Writer(os.Stdout)
	if comm.Rank() != 0 {
		out = io.Discard
	}
	dirs := make([]string, len(seeds))
	names := make([]string, len(seeds))
	for i, seed := range seeds {
		names[i] = fmt.Sprintf("seed%d", seed)
		dirs[i] = filepath.Join(root, names[i])
	}
	if comm.Size() > 1 {
		fmt.Fprintf(out, "%d seeds on %d ranks of %d threads\n", len(seeds), comm.Size(), p.Simulation.Threads)
	}
	build, rtf := estimateRun(p)
	perSeed := build + time.Duration((p.Simulation.TPresim+p.Simulation.TSim)/1000*rtf*float64(time.Second))
	rounds := (len(seeds) + comm.Size() - 1) / comm.Size()
	fmt.Fprintf(out, "estimate: %s per seed (build %s, real-time factor %.2f from the expected synaptic events), %s for %d seeds\n",
		wallTime(perSeed), wallTime(build), rtf, wallTime(time.Duration(rounds)*perSeed), len(seeds))
	var err error
	var measured []float64 // real-time factors of the seeds run now
	for i, seed := range seeds {
		if i%comm.Size() != comm.Rank() {
			continue
		}
		w := out
		if comm.Size() > 1 {
			w = io.Discard // rank 0 reports every seed below
		}
		fmt.Fprintf(w, "\n[%d/%d] seed %d -> %s\n", i+1, len(seeds), seed, dirs[i])
		q := *p
		q.Simulation.Seed = seed
		q.Simulation.DataPath = dirs[i]
		complete := runComplete(dirs[i])
		if complete {
			var diff string
			if diff, err = paramsDiffer(dirs[i], &q); err != nil {
				break
			}
			if diff != "" && !overwrite {
				err = fmt.Errorf("%s holds a run of other parameters (%s); use --overwrite to run it again or choose another --data-path", dirs[i], diff)
				break
			}
			complete = diff == ""
		}
		if complete {
			fmt.Fprintln(w, "complete already: not run again")
		} else {
			// A seed interrupted after a checkpoint is continued, if it is
			// of these parameters; a directory left by another interrupted
			// run is ours to replace.
			o := runOptions{overwrite: true, noPlots: noPlots, checkpointEvery: checkpointEvery}
			if o.resume, err = resumable(dirs[i], &q, overwrite); err != nil {
				break
			}
			if o.resume {
				fmt.Fprintln(w, "interrupted earlier: continuing from its checkpoint")
			}
			errw := io.Writer(os.Stderr)
			if comm.Rank() != 0 {
				errw = io.Discard
			}
			if err = run(ctx, &q, cluster.Self(), o, w, errw); err != nil {
				break
			}
			var sum Summary
			if b, rerr := os.ReadFile(filepath.Join(dirs[i], "summary.json")); rerr == nil && json.Unmarshal(b, &sum) == nil && sum.RTF > 0 {
				measured = append(measured, sum.RTF)
				left := (len(seeds) - 1 - i) / comm.Size()
				rest := time.Duration(float64(left) * (float64(build) + (p.Simulation.TPresim+p.Simulation.TSim)/1000*median(measured)*float64(time.Second)))
				if left > 0 {
					fmt.Fprintf(w, "measured real-time factor %.3f: about %s for the %d seeds left\n", sum.RTF, wallTime(rest), left*comm.Size())
				}
			}
		}
		if _, err = seedMetrics(dirs[i], p.Simulation.TPresim, p.Simulation.TSim, ccNeurons); err != nil {
			break
		}
	}
	if err = comm.Agree(err); err != nil {
		return err
	}
	if comm.Rank() == 0 {
		err = compareSeeds(root, names, dirs, comm.Size(), noPlots, out)
	}
	return comm.Agree(err)
}

// compareSeeds reads the metrics of every seed's run, writes the KS
// distances between seeds and draws the ensemble's figures.
func compareSeeds(root string, names, dirs []string, ranks int, noPlots bool, out io.Writer) error {
	var sets []*analysis.Metrics
	for i, dir := range dirs {
		m, err := analysis.ReadMetrics(dir)
		if err != nil {
			return err
		}
		if ranks > 1 {
			fmt.Fprintf(out, "seed %s: run on rank %d -> %s\n", strings.TrimPrefix(names[i], "seed"), i%ranks, dir)
		}
		sets = append(sets, m)
	}
	if len(sets) < 2 {
		return errors.New("an ensemble needs at least two seeds")
	}
	dist := analysis.Pairwise(names, sets)
	for _, metric := range analysis.MetricNames {
		if err := dist[metric].Write(filepath.Join(root, analysis.KSFileNames[metric])); err != nil {
			return err
		}
	}
	printEnsemble(out, dist)
	if !noPlots {
		values := make([]map[string][][]float64, len(sets))
		for i, s := range sets {
			values[i] = s.Values
		}
		err := writeAtomic(filepath.Join(root, "ensemble.png"), func(w io.Writer) error {
			return plots.Ensemble(w, sets[0].Pops, analysis.MetricNames, metricLabels, values)
		})
		if err != nil {
			return fmt.Errorf("drawing ensemble.png: %w", err)
		}
		var d [][][]float64
		for _, metric := range analysis.MetricNames {
			d = append(d, dist[metric].Dist)
		}
		err = writeAtomic(filepath.Join(root, "ks_distances.png"), func(w io.Writer) error {
			return plots.KSDistances(w, sets[0].Pops, metricLabels, d)
		})
		if err != nil {
			return fmt.Errorf("drawing ks_distances.png: %w", err)
		}
	}
	fmt.Fprintf(out, "ensemble of %d seeds in %s\n", len(sets), root)
	return nil
}

func ensembleSeeds(n int, list string, first uint64, nGiven bool) ([]uint64, error) {
	if list != "" {
		if nGiven {
			return nil, errors.New("give either --seeds or --seed-list, not both")
		}
		var seeds []uint64
		seen := map[uint64]bool{}
		for _, s := range strings.Split(list, ",") {
			v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("--seed-list = %q: %q is not a seed (a whole number >= 0)", list, s)
			}
			if seen[v] {
				return nil, fmt.Errorf("--seed-list = %q: seed %d appears twice", list, v)
			}
			seen[v] = true
			seeds = append(seeds, v)
		}
		if len(seeds) < 2 {
			return nil, fmt.Errorf("--seed-list = %q: give at least two seeds", list)
		}
		return seeds, nil
	}
	if n < 2 {
		return nil, fmt.Errorf("--seeds = %d: must be >= 2", n)
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = first + uint64(i)
	}
	return seeds, nil
}

// paramsDiffer compares the parameters a run stored in dir (sim_dict.json,
// net_dict.json, stim_dict.json) with p, except the seed, data path,
// threads and what is recorded, and returns the first difference ("" when
// there is none).
func paramsDiffer(dir string, p *params.Params) (string, error) {
	var stored params.Params
	var net struct {
		Parameters *params.Network `json:"parameters"`
	}
	net.Parameters = &stored.Network
	for name, v := range map[string]any{"sim_dict.json": &stored.Simulation, "net_dict.json": &net, "stim_dict.json": &stored.Stimulus} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return "", fmt.Errorf("%s: %w", filepath.Join(dir, name), err)
		}
	}
	if stored.Simulation.Format == "" {
		stored.Simulation.Format = "ascii" // written before the format existed
	}
	asked := *p
	for _, q := range []*params.Params{&stored, &asked} {
		q.Simulation.Seed, q.Simulation.DataPath, q.Simulation.Threads = 0, "", 0
		q.Simulation.Record, q.Simulation.VInterval, q.Simulation.VNeurons = nil, 1, 0
	}
	a, err := stored.YAML()
	if err != nil {
		return "", err
	}
	b, err := asked.YAML()
	if err != nil {
		return "", err
	}
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("%s there, %s asked", strings.TrimSpace(la[i]), strings.TrimSpace(lb[i])), nil
		}
	}
	return "", nil
}

// resumable reports whether dir holds an interrupted run of p's parameters
// to continue. An interrupted run of other parameters is an error, or,
// with overwrite, removed.
func resumable(dir string, p *params.Params, overwrite bool) (bool, error) {
	if _, err := os.Stat(filepath.Join(dir, results.RunStage, checkpointFile)); err != nil {
		if _, err := os.Stat(filepath.Join(dir, results.RunStage)); err == nil {
			// Interrupted before its first checkpoint: nothing to keep.
			return false, os.RemoveAll(filepath.Join(dir, results.RunStage))
		}
		return false, nil
	}
	rs, err := readRunState(dir)
	if err != nil {
		return false, err
	}
	stored, err := microcircuit.CheckpointParams(rs.Model)
	if err != nil {
		return false, err
	}
	a, b := stored, *p
	for _, q := range []*params.Params{&a, &b} {
		q.Simulation.Seed, q.Simulation.DataPath, q.Simulation.Threads = 0, "", 0
	}
	ya, _ := a.YAML()
	yb, _ := b.YAML()
	if !bytes.Equal(ya, yb) || stored.Simulation.Seed != p.Simulation.Seed {
		if !overwrite {
			return false, fmt.Errorf("%s holds an interrupted run of other parameters; use --overwrite to start it anew or choose another --data-path", dir)
		}
		return false, os.RemoveAll(filepath.Join(dir, results.RunStage))
	}
	return true, nil
}

// runComplete reports whether dir holds the results of a run that ended.
func runComplete(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return false
	}
	var s Summary
	return json.Unmarshal(b, &s) == nil && !s.Interrupted
}

// seedMetrics returns the metrics of a seed's run: those stored in its
// directory if they were computed from its spike files with these options,
// else computed anew and written.
func seedMetrics(dir string, tPresim, tSim float64, ccNeurons int) (*analysis.Metrics, error) {
	f := analyzeFlags{tMin: tPresim, tMax: tPresim + tSim, ccNeurons: ccNeurons, ccBin: 2}
	m, reused, err := f.analyzeDir(dir, dir, io.Discard)
	if err != nil || reused {
		return m, err
	}
	return m, m.Write(dir)
}

func printEnsemble(out io.Writer, dist map[string]*analysis.PairDistances) {
	fmt.Fprintf(out, "\nKS distances between seeds (mean ± sd over %d pairs)\n", len(dist[analysis.MetricRates].Pairs))
	fmt.Fprintf(out, "%-6s %18s %18s %18s\n", "pop", "rates", "ISI CV", "correlations")
	for p, pop := range dist[analysis.MetricRates].Pops {
		fmt.Fprintf(out, "%-6s", pop)
		for _, metric := range analysis.MetricNames {
			s := analysis.Describe(dist[metric].Dist[p])
			fmt.Fprintf(out, " %9.4f ± %6.4f", s.Mean, s.SD)
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out)
}
