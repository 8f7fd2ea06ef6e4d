package analysis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// Metric names, as used in file names and tables.
const (
	MetricRates = "rates"
	MetricCVs   = "spike_cvs"
	MetricCCs   = "spike_ccs"
)

// MetricNames lists the three metrics in their usual order.
var MetricNames = []string{MetricRates, MetricCVs, MetricCCs}

// Metrics are the three statistics of one data set, per population.
type Metrics struct {
	Pops []string
	// Values[metric][population] holds the samples; NaN marks an undefined
	// correlation (null in JSON).
	Values map[string][][]float64
	// Source says what they were computed from (nil when unknown); Write
	// records it in statistics.json.
	Source *Source
}

// Options control an analysis.
type Options struct {
	Window    Window
	CCNeurons int     // neurons per population for correlations (default 50)
	CCBin     float64 // bin width in ms (default 2)
	CCSeed    uint32  // subsample seed (default CCSeed)
}

// withDefaults fills in the default correlation options.
func (o Options) withDefaults() Options {
	if o.CCNeurons <= 0 {
		o.CCNeurons = 50
	}
	if o.CCBin <= 0 {
		o.CCBin = 2
	}
	if o.CCSeed == 0 {
		o.CCSeed = CCSeed
	}
	return o
}

// Compute returns the three metrics of s.
func Compute(s *Spikes, o Options) *Metrics {
	o = o.withDefaults()
	return &Metrics{
		Pops: s.Pops,
		Values: map[string][][]float64{
			MetricRates: Rates(s, o.Window),
			MetricCVs:   CVs(s, o.Window),
			MetricCCs:   CCs(s, o.Window, Subsample(s, o.CCNeurons, o.CCSeed), o.CCBin),
		},
	}
}

// Write writes rates.json, spike_cvs.json, spike_ccs.json (population →
// list, NaN as null) and statistics.json (per metric and population: count,
// mean, median, sd, min, max; and the source under "source") into dir.
// Each file is written to a temporary name and renamed.
func (m *Metrics) Write(dir string) error {
	for _, name := range MetricNames {
		if err := writeAtomic(filepath.Join(dir, name+".json"), m.encode(name)); err != nil {
			return err
		}
	}
	stats := map[string]map[string]Summary{}
	for _, name := range MetricNames {
		stats[name] = map[string]Summary{}
		for p, pop := range m.Pops {
			stats[name][pop] = Describe(m.Values[name][p])
		}
	}
	data, err := marshalNaN(stats, m.Source)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "statistics.json"), data)
}

func (m *Metrics) encode(metric string) []byte {
	var b bytes.Buffer
	b.WriteString("{")
	for p, pop := range m.Pops {
		if p > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n  %q: [", pop)
		for i, v := range m.Values[metric][p] {
			if i > 0 {
				b.WriteString(", ")
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				b.WriteString("null")
			} else {
				b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		b.WriteString("]")
	}
	b.WriteString("\n}\n")
	return b.Bytes()
}

// marshalNaN encodes v (and src under "source") as JSON with NaN written
// as null.
func marshalNaN(v map[string]map[string]Summary, src *Source) ([]byte, error) {
	clean := map[string]any{}
	if src != nil {
		clean["source"] = src
	}
	for metric, pops := range v {
		byPop := map[string]map[string]any{}
		clean[metric] = byPop
		for pop, s := range pops {
			num := func(x float64) any {
				if math.IsNaN(x) {
					return nil
				}
				return x
			}
			byPop[pop] = map[string]any{"n": s.N, "n_nan": s.NNaN, "mean": num(s.Mean),
				"median": num(s.Median), "sd": num(s.SD), "min": num(s.Min), "max": num(s.Max)}
		}
	}
	data, err := json.MarshalIndent(clean, "", "  ")
	return append(data, '\n'), err
}

func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// HasMetrics reports whether dir holds the three metric files.
func HasMetrics(dir string) bool {
	for _, name := range MetricNames {
		if _, err := os.Stat(filepath.Join(dir, name+".json")); err != nil {
			return false
		}
	}
	return true
}

// ReadMetrics reads rates.json, spike_cvs.json and spike_ccs.json from dir.
// Populations are in PD14 order when the names are PD14's, else sorted.
func ReadMetrics(dir string) (*Metrics, error) {
	m := &Metrics{Values: map[string][][]float64{}}
	for _, name := range MetricNames {
		path := filepath.Join(dir, name+".json")
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var raw map[string][]*float64
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if m.Pops == nil {
			m.Pops = orderPops(raw)
		}
		vals := make([][]float64, len(m.Pops))
		for p, pop := range m.Pops {
			list, ok := raw[pop]
			if !ok {
				return nil, fmt.Errorf("%s: no population %s", path, pop)
			}
			vals[p] = make([]float64, len(list))
			for i, v := range list {
				if v == nil {
					vals[p][i] = math.NaN()
				} else {
					vals[p][i] = *v
				}
			}
		}
		m.Values[name] = vals
	}
	m.Source = readSource(dir)
	return m, nil
}

func orderPops(raw map[string][]*float64) []string {
	var out []string
	for _, p := range DefaultPopulations {
		if _, ok := raw[p]; ok {
			out = append(out, p)
		}
	}
	if len(out) == len(raw) {
		return out
	}
	out = out[:0]
	for p := range raw {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
