package analysis

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// Reference is an ensemble of reference data sets (usually NEST runs that
// differ only in seed).
type Reference struct {
	Names []string
	Sets  []*Metrics
	// Windows are the analysis windows of the sets, where known (ok).
	Windows []Window
	known   []bool
}

// CheckWindow returns an error when a reference set was analysed over a
// window of another length than w: the statistics of recordings of
// different lengths differ (ISI CVs, correlations) without any fault.
func (r *Reference) CheckWindow(w Window) error {
	for i, rw := range r.Windows {
		if r.known[i] && !sameLength(rw, w) {
			return fmt.Errorf("the reference %s was analysed over [%g, %g] ms (%g s), these spikes over [%g, %g] ms (%g s): "+
				"statistics of windows of different lengths cannot be compared; simulate --t-sim %g or analyse with --t-min/--t-max",
				r.Names[i], rw.TMin, rw.TMax, rw.Length()/1000, w.TMin, w.TMax, w.Length()/1000, rw.Length())
		}
	}
	return nil
}

// add appends the set of dir to r.
func (r *Reference) add(name, dir string, m *Metrics) {
	w, ok := windowOf(dir)
	r.Names, r.Sets = append(r.Names, name), append(r.Sets, m)
	r.Windows, r.known = append(r.Windows, w), append(r.known, ok)
}

// LoadReference reads a reference: a directory with the three metric files,
// or a directory whose subdirectories hold them (one per seed).
func LoadReference(path string) (*Reference, error) {
	if HasMetrics(path) {
		m, err := ReadMetrics(path)
		if err != nil {
			return nil, err
		}
		ref := &Reference{}
		ref.add(filepath.Base(path), path, m)
		return ref, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	ref := &Reference{}
	for _, e := range entries {
		sub := filepath.Join(path, e.Name())
		if e.IsDir() && HasMetrics(sub) {
			m, err := ReadMetrics(sub)
			if err != nil {
				return nil, fmt.Errorf("reference: %w", err)
			}
			ref.add(e.Name(), sub, m)
		}
	}
	if len(ref.Sets) == 0 {
		return nil, fmt.Errorf("reference %s: no rates.json, spike_cvs.json and spike_ccs.json in it or its subdirectories", path)
	}
	return ref, nil
}

// Row is the comparison of one metric of one population.
type Row struct {
	Pop    string `json:"population"`
	Metric string `json:"metric"`
	// Distance is the mean KS distance of the data to the reference sets;
	// Distances lists them.
	Distance  float64   `json:"distance"`
	Distances []float64 `json:"distances"`
	// RefMean, RefSD and RefMax describe the KS distances between pairs of
	// reference sets (NaN with a single reference set). RefSD is the sample
	// standard deviation.
	RefMean float64 `json:"ref_mean"`
	RefSD   float64 `json:"ref_sd"`
	RefMax  float64 `json:"ref_max"`
	// Critical is the KS critical value at alpha = 0.001 for the sizes.
	Critical float64 `json:"ks_critical"`
	// Bound is the acceptance bound; Pass is Distance <= Bound.
	Bound float64 `json:"bound"`
	Pass  bool    `json:"pass"`
	// Note explains a verdict without a distance.
	Note string `json:"note,omitempty"`
}

// minCompare is the number of values below which a sample that cannot be
// compared (the other side is empty) does not count as a difference.
const minCompare = 10

// Report is the result of a validation.
type Report struct {
	Reference []string `json:"reference_sets"`
	Rule      string   `json:"bound_rule"`
	Rows      []Row    `json:"rows"`
	Pass      bool     `json:"pass"`
}

// BoundRule describes how the acceptance bound is set.
const BoundRule = "bound = max(largest seed-to-seed KS distance of the reference, " +
	"mean + t(0.999, n-1)·sd·sqrt(1 + 1/n) of its n seed-to-seed distances, " +
	"two-sample KS critical value at alpha = 0.001 for the sample sizes)"

// tQuantile999 returns the one-sided 0.999 quantile of Student's t
// distribution with df degrees of freedom (df >= 1).
func tQuantile999(df int) float64 {
	table := []float64{0, 318.31, 22.327, 10.215, 7.173, 5.893, 5.208, 4.785, 4.501, 4.297, 4.144,
		4.025, 3.930, 3.852, 3.787, 3.733, 3.686, 3.646, 3.610, 3.579, 3.552}
	switch {
	case df < len(table):
		return table[df]
	case df <= 30:
		return 3.385 + (3.552-3.385)*float64(30-df)/10
	case df <= 60:
		return 3.232 + (3.385-3.232)*float64(60-df)/30
	}
	return 3.090
}

// predictionBound returns the upper 0.999 prediction bound of a new
// distance from n seed-to-seed distances with mean m and sd s: with few
// reference seeds the spread is itself uncertain, and the bound widens.
func predictionBound(m, s float64, n int) float64 {
	if n < 2 {
		return math.NaN()
	}
	return m + tQuantile999(n-1)*s*math.Sqrt(1+1/float64(n))
}

// KSCritical returns the two-sample Kolmogorov–Smirnov critical value at
// significance 0.001 for samples of sizes n and m: a distance that two
// samples of one distribution exceed with probability 0.001.
func KSCritical(n, m int) float64 {
	if n == 0 || m == 0 {
		return math.NaN()
	}
	c := math.Sqrt(-math.Log(0.001/2) / 2)
	return c * math.Sqrt(float64(n+m)/float64(n*m))
}

// Validate compares m with every reference set. For each population and
// metric, the mean KS distance of m to the reference sets must not exceed
// the bound given by the spread of distances between reference sets (see
// BoundRule).
func Validate(m *Metrics, ref *Reference) (*Report, error) {
	rep := &Report{Reference: ref.Names, Rule: BoundRule, Pass: true}
	for _, metric := range MetricNames {
		for p, pop := range m.Pops {
			ours := m.Values[metric][p]
			refs := make([][]float64, len(ref.Sets))
			for k, set := range ref.Sets {
				q := indexOf(set.Pops, pop)
				if q < 0 {
					return nil, fmt.Errorf("reference %s has no population %s", ref.Names[k], pop)
				}
				refs[k] = set.Values[metric][q]
			}
			row := Row{Pop: pop, Metric: metric}
			for _, r := range refs {
				row.Distances = append(row.Distances, KS(ours, r))
			}
			row.Distance = meanOf(row.Distances)
			var pair []float64
			for a := 0; a < len(refs); a++ {
				for b := a + 1; b < len(refs); b++ {
					pair = append(pair, KS(refs[a], refs[b]))
				}
			}
			row.RefMean, row.RefSD, row.RefMax = math.NaN(), math.NaN(), math.NaN()
			if len(pair) > 0 {
				row.RefMean = meanOf(pair)
				row.RefSD = sampleSD(pair, row.RefMean)
				row.RefMax = maxOf(pair)
			}
			// The sampling floor: with few reference sets the spread of
			// their distances is itself poorly known. Empty reference sets
			// (e.g. no neuron with three spikes) do not count.
			refSize, nonEmpty := 0, 0
			for _, r := range refs {
				if n := len(DropNaN(r)); n > 0 {
					refSize += n
					nonEmpty++
				}
			}
			oursN := len(DropNaN(ours))
			row.Critical = math.NaN()
			if nonEmpty > 0 {
				row.Critical = KSCritical(oursN, refSize/nonEmpty)
			}
			row.Bound = maxOf([]float64{row.RefMax, predictionBound(row.RefMean, row.RefSD, len(DropNaN(pair))), row.Critical})
			row.Pass = row.Distance <= row.Bound
			if math.IsNaN(row.Distance) {
				// Nothing to compare: agreement if both sides have (almost)
				// no values, a failure if one side has plenty.
				refMean := 0.0
				if len(refs) > 0 {
					refMean = float64(refSize) / float64(len(refs))
				}
				row.Pass = oursN < minCompare && refMean < minCompare
				row.Note = fmt.Sprintf("too few values to compare: %d here, %.1f per reference set", oursN, refMean)
			}
			rep.Pass = rep.Pass && row.Pass
			rep.Rows = append(rep.Rows, row)
		}
	}
	return rep, nil
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func meanOf(x []float64) float64 {
	var s float64
	n := 0
	for _, v := range x {
		if !math.IsNaN(v) {
			s += v
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

func sdOf(x []float64, mean float64) float64 {
	var s float64
	n := 0
	for _, v := range x {
		if !math.IsNaN(v) {
			s += (v - mean) * (v - mean)
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return math.Sqrt(s / float64(n))
}

// sampleSD is the standard deviation of x with n-1 in the denominator.
func sampleSD(x []float64, mean float64) float64 {
	n := len(DropNaN(x))
	if n < 2 {
		return math.NaN()
	}
	return sdOf(x, mean) * math.Sqrt(float64(n)/float64(n-1))
}

func maxOf(x []float64) float64 {
	m := math.NaN()
	for _, v := range x {
		if !math.IsNaN(v) && (math.IsNaN(m) || v > m) {
			m = v
		}
	}
	return m
}
