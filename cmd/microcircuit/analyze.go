package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/pd14/microcircuit/analysis"
	"github.com/pd14/microcircuit/plots"
)

// analyzeFlags are the options shared by analyze and validate.
type analyzeFlags struct {
	tMin, tMax float64
	ccNeurons  int
	ccBin      float64
	out        string
	overwrite  bool
	noPlots    bool
}

func (f *analyzeFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Float64Var(&f.tMin, "t-min", math.NaN(), "start of the analysis window in ms (default: end of the warm-up from sim_dict.json, else 500)")
	fl.Float64Var(&f.tMax, "t-max", math.NaN(), "end of the analysis window in ms (default: end of the simulation from sim_dict.json, else the last spike rounded up to 100 ms)")
	fl.IntVar(&f.ccNeurons, "cc-neurons", 50, "neurons per population for pairwise correlations")
	fl.Float64Var(&f.ccBin, "cc-bin", 2, "bin width for spike-count correlations in ms")
	fl.StringVar(&f.out, "out", "", "directory for the output files (default: the analysed directory)")
	fl.BoolVar(&f.overwrite, "overwrite", false, "replace earlier analysis files")
	fl.BoolVar(&f.noPlots, "no-plots", false, "do not draw figures")
}

// check validates the flags.
func (f *analyzeFlags) check(cmd *cobra.Command) error {
	if f.ccNeurons < 2 {
		return fmt.Errorf("--cc-neurons = %d: must be >= 2", f.ccNeurons)
	}
	if !(f.ccBin > 0) {
		return fmt.Errorf("--cc-bin = %v: must be > 0", f.ccBin)
	}
	if cmd.Flags().Changed("t-min") && cmd.Flags().Changed("t-max") && !(f.tMax > f.tMin) {
		return fmt.Errorf("--t-max = %v: must be greater than --t-min = %v", f.tMax, f.tMin)
	}
	return nil
}

// knownWindow returns the analysis window of dir that the flags or its
// sim_dict.json give; ok is false when the spikes must say where it ends.
func (f *analyzeFlags) knownWindow(dir string) (w analysis.Window, ok bool) {
	meta := analysis.ReadMeta(dir)
	w = analysis.Window{TMin: f.tMin, TMax: f.tMax}
	if math.IsNaN(w.TMin) {
		w.TMin = 500
		if meta.TSim > 0 {
			w.TMin = meta.TPresim
		}
	}
	if math.IsNaN(w.TMax) {
		if meta.TSim <= 0 {
			return w, false
		}
		w.TMax = meta.TPresim + meta.TSim
	}
	return w, true
}

// window returns the analysis window for dir's spikes s.
func (f *analyzeFlags) window(dir string, s *analysis.Spikes, log io.Writer) (analysis.Window, error) {
	w, ok := f.knownWindow(dir)
	if !ok {
		last := w.TMin
		for _, t := range s.Times {
			last = math.Max(last, t)
		}
		w.TMax = math.Ceil(last/100) * 100
		fmt.Fprintf(log, "no sim_dict.json: analysis window ends at the last spike rounded up, %g ms (set --t-max)\n", w.TMax)
	}
	if !(w.TMax > w.TMin) {
		return w, fmt.Errorf("analysis window [%g, %g] ms is empty; set --t-min and --t-max", w.TMin, w.TMax)
	}
	return w, nil
}

// analyzeDir returns the three metrics of dir's spikes (with their source
// recorded): those stored in the directory stored, if they were computed
// from the same spike files with the same window and options, or else
// computed anew; reused says which.
func (f *analyzeFlags) analyzeDir(dir, stored string, log io.Writer) (m *analysis.Metrics, reused bool, err error) {
	t0 := time.Now()
	var s *analysis.Spikes
	w, known := f.knownWindow(dir)
	if !known {
		if s, err = analysis.ReadDir(dir); err != nil {
			return nil, false, err
		}
	}
	if w, err = f.window(dir, s, log); err != nil {
		return nil, false, err
	}
	opts := analysis.Options{Window: w, CCNeurons: f.ccNeurons, CCBin: f.ccBin}
	src, err := analysis.SourceOf(dir, opts)
	if err != nil {
		return nil, false, err
	}
	if stored != "" && analysis.HasMetrics(stored) {
		if m, err := analysis.ReadMetrics(stored); err == nil && m.Current(src) {
			fmt.Fprintf(log, "%s: statistics of these spikes over [%g, %g] ms found in %s\n", dir, w.TMin, w.TMax, stored)
			return m, true, nil
		}
		fmt.Fprintf(log, "%s: the statistics in %s are not of these spikes and options; computing them again\n", dir, stored)
	}
	if s == nil {
		if s, err = analysis.ReadDir(dir); err != nil {
			return nil, false, err
		}
	}
	t1 := time.Now()
	m = analysis.Compute(s, opts)
	m.Source = &src
	fmt.Fprintf(log, "%s: %d neurons, %d spikes read in %.2f s; window [%g, %g] ms analysed in %.2f s\n",
		dir, s.N(), len(s.Times), t1.Sub(t0).Seconds(), w.TMin, w.TMax, time.Since(t1).Seconds())
	return m, false, nil
}

// outDir returns the output directory and checks that it may be written.
func (f *analyzeFlags) outDir(dir string, files ...string) (string, error) {
	out := f.out
	if out == "" {
		out = dir
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("--out %s: %w", out, err)
	}
	if !f.overwrite {
		for _, name := range files {
			if _, err := os.Stat(filepath.Join(out, name)); err == nil {
				return "", fmt.Errorf("%s already holds %s; use --overwrite to replace it or --out to write elsewhere", out, name)
			}
		}
	}
	probe, err := os.CreateTemp(out, ".probe-*")
	if err != nil {
		return "", fmt.Errorf("cannot write into %s: %w (use --out)", out, unwrap(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return out, nil
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

var metricLabels = []string{"rate (spikes/s)", "ISI CV", "spike-count correlation"}

func analyzeCmd() *cobra.Command {
	var f analyzeFlags
	cmd := &cobra.Command{
		Use:   "analyze DIR",
		Short: "Compute rates, ISI CVs and spike-count correlations of a data directory",
		Long: `Read the NEST-format spike files of DIR (ours, or NEST's spike_recorder-*.dat
with population_nodeids.dat or nodes.json) and compute per population the
single-neuron firing rates, ISI coefficients of variation and pairwise spike-count
correlation coefficients (2 ms bins, a fixed subsample drawn as the reference
analysis draws it). Writes rates.json, spike_cvs.json, spike_ccs.json,
statistics.json and statistics.png.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			dir := args[0]
			files := []string{"rates.json", "spike_cvs.json", "spike_ccs.json", "statistics.json"}
			out, err := f.outDir(dir, files...)
			if err != nil {
				return err
			}
			m, _, err := f.analyzeDir(dir, "", os.Stdout)
			if err != nil {
				return err
			}
			if err := m.Write(out); err != nil {
				return err
			}
			printStatistics(os.Stdout, m)
			if !f.noPlots {
				err := writeAtomic(filepath.Join(out, "statistics.png"), func(w io.Writer) error {
					return plots.Distributions(w, m.Pops, analysis.MetricNames, metricLabels, m.Values, nil)
				})
				if err != nil {
					return fmt.Errorf("drawing statistics.png: %w", err)
				}
			}
			fmt.Printf("results in %s\n", out)
			return nil
		},
	}
	f.add(cmd)
	return cmd
}

func printStatistics(w io.Writer, m *analysis.Metrics) {
	fmt.Fprintf(w, "\n%-6s %22s %22s %26s\n", "", "rate (spikes/s)", "ISI CV", "correlation")
	fmt.Fprintf(w, "%-6s %10s %11s %10s %11s %12s %13s\n", "pop", "mean", "sd", "mean", "n", "mean", "n")
	for p, pop := range m.Pops {
		r := analysis.Describe(m.Values[analysis.MetricRates][p])
		c := analysis.Describe(m.Values[analysis.MetricCVs][p])
		cc := analysis.Describe(m.Values[analysis.MetricCCs][p])
		fmt.Fprintf(w, "%-6s %10.3f %11.3f %10.3f %11d %12.5f %13d\n", pop, r.Mean, r.SD, c.Mean, c.N, cc.Mean, cc.N)
	}
	fmt.Fprintln(w)
}

func validateCmd() *cobra.Command {
	var f analyzeFlags
	var reference string
	cmd := &cobra.Command{
		Use:   "validate DIR --reference REF",
		Short: "Compare a data directory's spike statistics with a reference ensemble (KS distances)",
		Long: `Compare the statistics of DIR (its rates.json, spike_cvs.json and
spike_ccs.json, computed from its spike files if absent) with a reference: a
directory with the same three files, or a directory of seed directories with
them. For each population and metric, the mean two-sample KS distance (values
rounded to 10 significant digits) to the reference sets must not exceed
` + analysis.BoundRule + `.
Prints a table, writes validation.json, and exits with status 1 when any
distance exceeds its bound.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reference == "" {
				return fmt.Errorf("--reference is required: a directory of rates.json, spike_cvs.json, spike_ccs.json or of seed directories with them")
			}
			if err := f.check(cmd); err != nil {
				return err
			}
			dir := args[0]
			ref, err := analysis.LoadReference(reference)
			if err != nil {
				return err
			}
			out, err := f.outDir(dir, "validation.json")
			if err != nil {
				return err
			}
			m, err := f.validationMetrics(dir)
			if err != nil {
				return err
			}
			if m.Source != nil {
				if err := ref.CheckWindow(m.Source.Window()); err != nil {
					return err
				}
			}
			rep, err := analysis.Validate(m, ref)
			if err != nil {
				return err
			}
			printReport(os.Stdout, rep)
			doc := jsonSafe(rep)
			doc["source"] = m.Source
			doc["reference"] = reference
			data, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				return err
			}
			if err := writeAtomic(filepath.Join(out, "validation.json"), func(w io.Writer) error {
				_, err := w.Write(append(data, '\n'))
				return err
			}); err != nil {
				return err
			}
			if !rep.Pass {
				failed := 0
				for _, r := range rep.Rows {
					if !r.Pass {
						failed++
					}
				}
				return &exitError{code: 1, err: fmt.Errorf("validation failed: %d of %d distances exceed their bound", failed, len(rep.Rows))}
			}
			fmt.Println("validation passed: every distance lies within the reference's spread")
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&reference, "reference", "", "reference directory (required)")
	return cmd
}

// validationMetrics returns the metrics validate compares: of dir's spike
// files (those stored in dir if they are of these spikes and options), or,
// in a directory with statistics and no spike files, the stored ones.
func (f *analyzeFlags) validationMetrics(dir string) (*analysis.Metrics, error) {
	if _, err := analysis.SpikeDigest(dir); err != nil && analysis.HasMetrics(dir) {
		m, err := analysis.ReadMetrics(dir)
		if err != nil {
			return nil, err
		}
		if m.Source == nil {
			if w, ok := f.knownWindow(dir); ok {
				m.Source = &analysis.Source{TMin: w.TMin, TMax: w.TMax}
			}
		}
		return m, nil
	}
	m, _, err := f.analyzeDir(dir, dir, os.Stdout)
	return m, err
}

func printReport(w io.Writer, rep *analysis.Report) {
	fmt.Fprintf(w, "reference: %d data sets; %s\n\n", len(rep.Reference), rep.Rule)
	fmt.Fprintf(w, "%-6s %-10s %9s %18s %9s %9s  %s\n", "pop", "metric", "distance", "reference spread", "max", "bound", "verdict")
	for _, r := range rep.Rows {
		v := "pass"
		if !r.Pass {
			v = "FAIL"
		}
		fmt.Fprintf(w, "%-6s %-10s %9.4f %9.4f ± %6.4f %9.4f %9.4f  %s", r.Pop, r.Metric, r.Distance, r.RefMean, r.RefSD, r.RefMax, r.Bound, v)
		if r.Note != "" {
			fmt.Fprintf(w, " (%s)", r.Note)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// jsonSafe replaces NaNs, which JSON cannot hold, by nil.
func jsonSafe(rep *analysis.Report) map[string]any {
	num := func(x float64) any {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	}
	var rows []map[string]any
	for _, r := range rep.Rows {
		var ds []any
		for _, d := range r.Distances {
			ds = append(ds, num(d))
		}
		rows = append(rows, map[string]any{
			"population": r.Pop, "metric": r.Metric, "distance": num(r.Distance), "distances": ds,
			"ref_mean": num(r.RefMean), "ref_sd": num(r.RefSD), "ref_max": num(r.RefMax),
			"ks_critical": num(r.Critical), "bound": num(r.Bound), "pass": r.Pass, "note": r.Note,
		})
	}
	return map[string]any{"reference_sets": rep.Reference, "bound_rule": rep.Rule, "rows": rows, "pass": rep.Pass}
}

// writeAtomic writes a file through write into a temporary file beside it
// and renames it into place: the file is either complete or absent.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	os.Chmod(tmp.Name(), 0o644)
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
