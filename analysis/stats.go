package analysis

import (
	"math"
	"sort"
	"strconv"
)

// Window is an analysis window; spikes with TMin <= t <= TMax count.
type Window struct{ TMin, TMax float64 }

// Length returns the window's length in ms.
func (w Window) Length() float64 { return w.TMax - w.TMin }

// Rates returns, per population, the firing rate (spikes/s) of every neuron
// in the window, in node-id order, silent neurons included.
func Rates(s *Spikes, w Window) [][]float64 {
	out := make([][]float64, len(s.Pops))
	i := 0
	for p, n := range s.Sizes {
		out[p] = make([]float64, n)
		for k := 0; k < n; k++ {
			tr := s.Times[s.Start[i]:s.Start[i+1]]
			c := countIn(tr, w)
			out[p][k] = float64(c) * 1000 / w.Length()
			i++
		}
	}
	return out
}

func countIn(tr []float64, w Window) int {
	a := sort.SearchFloat64s(tr, w.TMin)
	b := sort.Search(len(tr), func(k int) bool { return tr[k] > w.TMax })
	return b - a
}

func inWindow(tr []float64, w Window) []float64 {
	a := sort.SearchFloat64s(tr, w.TMin)
	b := sort.Search(len(tr), func(k int) bool { return tr[k] > w.TMax })
	return tr[a:b]
}

// CVs returns, per population, the ISI coefficient of variation (population
// standard deviation over mean of the intervals) of every neuron with more
// than two spikes in the window.
func CVs(s *Spikes, w Window) [][]float64 {
	out := make([][]float64, len(s.Pops))
	i := 0
	for p, n := range s.Sizes {
		out[p] = []float64{}
		for k := 0; k < n; k++ {
			tr := inWindow(s.Times[s.Start[i]:s.Start[i+1]], w)
			i++
			if len(tr) <= 2 {
				continue
			}
			m := float64(len(tr) - 1)
			var sum float64
			for j := 1; j < len(tr); j++ {
				sum += tr[j] - tr[j-1]
			}
			mean := sum / m
			var ss float64
			for j := 1; j < len(tr); j++ {
				d := tr[j] - tr[j-1] - mean
				ss += d * d
			}
			out[p] = append(out[p], math.Sqrt(ss/m)/mean)
		}
	}
	return out
}

// CCSeed is the seed of the reference analysis's subsample
// (Python's random.seed(12345)).
const CCSeed = 12345

// Subsample returns, per population, the node ids of k neurons drawn as
// the reference analysis draws them: Python's random module seeded with
// seed, then random.sample(ids, k) for each population in order.
func Subsample(s *Spikes, k int, seed uint32) [][]int {
	r := newPyRandom(seed)
	out := make([][]int, len(s.Pops))
	for p, n := range s.Sizes {
		ids := make([]int, n)
		for j := range ids {
			ids[j] = s.FirstID[p] + j
		}
		out[p] = r.sample(ids, k)
	}
	return out
}

// CCs returns, per population, the Pearson correlation coefficients of the
// spike counts in bins of binMs (edges TMin, TMin+binMs, ... up to the first
// edge >= TMax; the last bin is closed at its right end) for every pair of the sample, upper triangle row
// by row. A pair with a neuron without spikes gives NaN.
func CCs(s *Spikes, w Window, sample [][]int, binMs float64) [][]float64 {
	nb := int(math.Ceil(w.Length()/binMs - 1e-9))
	if nb < 1 {
		nb = 1
	}
	out := make([][]float64, len(sample))
	dense := make([]int32, nb)
	for p, ids := range sample {
		// Sparse counts per neuron: (bin, count) pairs.
		type sparse struct {
			bins   []int32
			counts []int32
			sum    int64
			sq     int64
		}
		sp := make([]sparse, len(ids))
		for j, id := range ids {
			tr := s.Train(id)
			for _, t := range tr {
				if t < w.TMin || t > w.TMax {
					continue
				}
				b := int32((t - w.TMin) / binMs)
				if int(b) >= nb {
					b = int32(nb - 1)
				}
				x := &sp[j]
				if n := len(x.bins); n > 0 && x.bins[n-1] == b {
					x.counts[n-1]++
				} else {
					x.bins = append(x.bins, b)
					x.counts = append(x.counts, 1)
				}
			}
			for _, c := range sp[j].counts {
				sp[j].sum += int64(c)
				sp[j].sq += int64(c) * int64(c)
			}
		}
		B := float64(nb)
		res := make([]float64, 0, len(ids)*(len(ids)-1)/2)
		for a := range ids {
			xa := &sp[a]
			for k, b := range xa.bins {
				dense[b] = xa.counts[k]
			}
			va := B*float64(xa.sq) - float64(xa.sum)*float64(xa.sum)
			for b := a + 1; b < len(ids); b++ {
				xb := &sp[b]
				var sxy int64
				for k, bin := range xb.bins {
					sxy += int64(dense[bin]) * int64(xb.counts[k])
				}
				vb := B*float64(xb.sq) - float64(xb.sum)*float64(xb.sum)
				if va <= 0 || vb <= 0 {
					res = append(res, math.NaN())
					continue
				}
				c := (B*float64(sxy) - float64(xa.sum)*float64(xb.sum)) / math.Sqrt(va*vb)
				res = append(res, math.Max(-1, math.Min(1, c)))
			}
			for _, b := range xa.bins {
				dense[b] = 0
			}
		}
		out[p] = res
	}
	return out
}

// Summary describes a sample.
type Summary struct {
	N      int     `json:"n"`
	NNaN   int     `json:"n_nan"`
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
	SD     float64 `json:"sd"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// Describe summarises the values of x that are not NaN.
func Describe(x []float64) Summary {
	v := DropNaN(x)
	s := Summary{N: len(v), NNaN: len(x) - len(v)}
	if len(v) == 0 {
		s.Mean, s.Median, s.SD, s.Min, s.Max = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
		return s
	}
	sort.Float64s(v)
	var sum float64
	for _, a := range v {
		sum += a
	}
	s.Mean = sum / float64(len(v))
	var ss float64
	for _, a := range v {
		ss += (a - s.Mean) * (a - s.Mean)
	}
	s.SD = math.Sqrt(ss / float64(len(v)))
	if n := len(v); n%2 == 1 {
		s.Median = v[n/2]
	} else {
		s.Median = (v[n/2-1] + v[n/2]) / 2
	}
	s.Min, s.Max = v[0], v[len(v)-1]
	return s
}

// DropNaN returns a copy of x without NaNs.
func DropNaN(x []float64) []float64 {
	out := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out
}

// Round10 rounds v to 10 significant decimal digits.
func Round10(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'e', 9, 64), 64)
	return r
}

// KS returns the two-sample Kolmogorov–Smirnov distance between the
// empirical distributions of a and b, after dropping NaNs and rounding every
// value to 10 significant digits (so that ties stay ties). It returns NaN
// when either sample is empty.
func KS(a, b []float64) float64 {
	x, y := prepKS(a), prepKS(b)
	if len(x) == 0 || len(y) == 0 {
		return math.NaN()
	}
	i, j := 0, 0
	var d float64
	nx, ny := float64(len(x)), float64(len(y))
	for i < len(x) && j < len(y) {
		v := math.Min(x[i], y[j])
		for i < len(x) && x[i] == v {
			i++
		}
		for j < len(y) && y[j] == v {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/nx-float64(j)/ny))
	}
	return d
}

func prepKS(a []float64) []float64 {
	out := make([]float64, 0, len(a))
	for _, v := range a {
		if !math.IsNaN(v) {
			out = append(out, Round10(v))
		}
	}
	sort.Float64s(out)
	return out
}
