package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pd14/microcircuit/analysis"
	"github.com/pd14/microcircuit/plots"
)

func ensembleCmd() *cobra.Command {
	var f paramFlags
	var nSeeds int
	var seedList string
	var ccNeurons int
	var noPlots bool
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
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("data-path") && f.config == "" {
				p.Simulation.DataPath = "ensemble"
			}
			seeds, err := ensembleSeeds(nSeeds, seedList, p.Simulation.Seed, cmd.Flags().Changed("seeds"))
			if err != nil {
				return err
			}
			if ccNeurons < 2 {
				return fmt.Errorf("--cc-neurons = %d: must be >= 2", ccNeurons)
			}
			p.Simulation.Record = []string{"spikes"}
			if err := checkMemory(&p); err != nil {
				return err
			}
			root := p.Simulation.DataPath
			if err := os.MkdirAll(root, 0o755); err != nil {
				return fmt.Errorf("data-path %s: %w", root, unwrap(err))
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var names []string
			var sets []*analysis.Metrics
			for i, seed := range seeds {
				name := fmt.Sprintf("seed%d", seed)
				dir := filepath.Join(root, name)
				fmt.Printf("\n[%d/%d] seed %d -> %s\n", i+1, len(seeds), seed, dir)
				if !runComplete(dir) {
					q := p
					q.Simulation.Seed = seed
					q.Simulation.DataPath = dir
					// A directory left by an interrupted run is ours to replace.
					if err := run(ctx, &q, true, noPlots, os.Stdout, os.Stderr); err != nil {
						return err
					}
				} else {
					fmt.Println("complete already: not run again")
				}
				m, err := seedMetrics(dir, p.Simulation.TPresim, p.Simulation.TSim, ccNeurons)
				if err != nil {
					return err
				}
				names, sets = append(names, name), append(sets, m)
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
			printEnsemble(dist)
			if !noPlots {
				values := make([]map[string][][]float64, len(sets))
				for i, s := range sets {
					values[i] = s.Values
				}
				if err := plots.Ensemble(filepath.Join(root, "ensemble.png"), sets[0].Pops, analysis.MetricNames, metricLabels, values); err != nil {
					return fmt.Errorf("drawing ensemble.png: %w", err)
				}
				var d [][][]float64
				for _, metric := range analysis.MetricNames {
					d = append(d, dist[metric].Dist)
				}
				if err := plots.KSDistances(filepath.Join(root, "ks_distances.png"), sets[0].Pops, metricLabels, d); err != nil {
					return fmt.Errorf("drawing ks_distances.png: %w", err)
				}
			}
			fmt.Printf("ensemble of %d seeds in %s\n", len(sets), root)
			return nil
		},
	}
	addParamFlags(cmd, &f)
	cmd.Flags().IntVar(&nSeeds, "seeds", 3, "number of seeds: --seed, --seed+1, ...")
	cmd.Flags().StringVar(&seedList, "seed-list", "", "comma-separated seeds (instead of --seeds)")
	cmd.Flags().IntVar(&ccNeurons, "cc-neurons", 50, "neurons per population for pairwise correlations")
	cmd.Flags().BoolVar(&noPlots, "no-plots", false, "draw no figures")
	cmd.Flags().Lookup("data-path").DefValue = "ensemble"
	return cmd
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

// runComplete reports whether dir holds the results of a run that ended.
func runComplete(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return false
	}
	var s Summary
	return json.Unmarshal(b, &s) == nil && !s.Interrupted
}

// seedMetrics returns the metrics of a seed's run, computing and writing
// them if they are missing.
func seedMetrics(dir string, tPresim, tSim float64, ccNeurons int) (*analysis.Metrics, error) {
	if analysis.HasMetrics(dir) {
		return analysis.ReadMetrics(dir)
	}
	s, err := analysis.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	m := analysis.Compute(s, analysis.Options{Window: analysis.Window{TMin: tPresim, TMax: tPresim + tSim}, CCNeurons: ccNeurons})
	if err := m.Write(dir); err != nil {
		return nil, err
	}
	return m, nil
}

func printEnsemble(dist map[string]*analysis.PairDistances) {
	fmt.Printf("\nKS distances between seeds (mean ± sd over %d pairs)\n", len(dist[analysis.MetricRates].Pairs))
	fmt.Printf("%-6s %18s %18s %18s\n", "pop", "rates", "ISI CV", "correlations")
	for p, pop := range dist[analysis.MetricRates].Pops {
		fmt.Printf("%-6s", pop)
		for _, metric := range analysis.MetricNames {
			s := analysis.Describe(dist[metric].Dist[p])
			fmt.Printf(" %9.4f ± %6.4f", s.Mean, s.SD)
		}
		fmt.Println()
	}
	fmt.Println()
}
