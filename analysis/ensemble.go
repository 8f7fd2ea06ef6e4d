package analysis

import (
	"encoding/json"
	"math"
	"path/filepath"
)

// KSFileNames are the files of an ensemble's pairwise KS distances, per
// metric, as the reference's compute_ensemble_statistics names them.
var KSFileNames = map[string]string{
	MetricRates: "rate_ks_distances.json",
	MetricCVs:   "spike_cvs_ks_distances.json",
	MetricCCs:   "spike_ccs_ks_distances.json",
}

// PairDistances are the KS distances between every pair of an ensemble's
// data sets, for one metric: Dist[p][j] is population p's distance for
// pair Pairs[j].
type PairDistances struct {
	Names []string
	Pairs [][2]int
	Pops  []string
	Dist  [][]float64
}

// Pairwise computes the KS distances between every pair of sets (i < j),
// for each metric and population.
func Pairwise(names []string, sets []*Metrics) map[string]*PairDistances {
	out := map[string]*PairDistances{}
	for _, metric := range MetricNames {
		pd := &PairDistances{Names: names, Pops: sets[0].Pops}
		for a := range sets {
			for b := a + 1; b < len(sets); b++ {
				pd.Pairs = append(pd.Pairs, [2]int{a, b})
			}
		}
		pd.Dist = make([][]float64, len(pd.Pops))
		for p := range pd.Pops {
			for _, pr := range pd.Pairs {
				pd.Dist[p] = append(pd.Dist[p], KS(sets[pr[0]].Values[metric][p], sets[pr[1]].Values[metric][p]))
			}
		}
		out[metric] = pd
	}
	return out
}

// Write writes the distances as JSON: the data set names, the pairs, and
// per population the distances and their mean, sd, min and max.
func (pd *PairDistances) Write(path string) error {
	num := func(x float64) any {
		if math.IsNaN(x) {
			return nil
		}
		return x
	}
	pairs := make([][2]string, len(pd.Pairs))
	for j, pr := range pd.Pairs {
		pairs[j] = [2]string{pd.Names[pr[0]], pd.Names[pr[1]]}
	}
	dist := map[string][]any{}
	summary := map[string]map[string]any{}
	for p, pop := range pd.Pops {
		for _, d := range pd.Dist[p] {
			dist[pop] = append(dist[pop], num(d))
		}
		s := Describe(pd.Dist[p])
		summary[pop] = map[string]any{"mean": num(s.Mean), "sd": num(s.SD), "min": num(s.Min), "max": num(s.Max), "n": s.N}
	}
	data, err := json.MarshalIndent(map[string]any{
		"data_sets": pd.Names, "pairs": pairs, "distances": dist, "summary": summary,
	}, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Clean(path), append(data, '\n'))
}
