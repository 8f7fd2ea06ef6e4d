package params

import (
	"fmt"
	"math"
)

// RoundHalfEven rounds x to the nearest integer, halves to even, as numpy does.
func RoundHalfEven(x float64) int64 { return int64(math.RoundToEven(x)) }

// PSCOverPSP returns the PSC amplitude (pA) that gives a PSP peak of 1 mV for
// an iaf_psc_exp neuron with synaptic time constant tauSyn. Away from
// tauSyn = tau_m it is the reference implementation's formula; near and at
// equality, where that formula loses its digits (and is 0/0 at equality),
// it is the same quantity in a form without cancellation, which tends to
// the limit C_m·e/tau_m.
func PSCOverPSP(n Neuron, tauSyn float64) float64 {
	if math.Abs(tauSyn-n.TauM) > 1e-3*n.TauM {
		return pscOverPSPReference(n, tauSyn)
	}
	return pscOverPSPStable(n, tauSyn)
}

// pscOverPSPReference is the reference implementation's formula.
func pscOverPSPReference(n Neuron, tauSyn float64) float64 {
	tm, ts := n.TauM, tauSyn
	sub := 1 / (ts - tm)
	pre := tm * ts / n.Cm * sub
	frac := math.Pow(tm/ts, sub)
	return 1 / (pre * (math.Pow(frac, tm) - math.Pow(frac, ts)))
}

// pscOverPSPStable is PSCOverPSP without cancellation near tauSyn = tau_m,
// for tauSyn within a factor of two of tau_m.
func pscOverPSPStable(n Neuron, tauSyn float64) float64 {
	tm, ts := n.TauM, tauSyn
	// The PSP of a unit current jump decaying with ts is
	// V(t) = (t/C_m)·exp(-t/tm)·φ(t·κ) with κ = 1/ts - 1/tm = d/(ts·tm) and
	// φ(x) = -expm1(-x)/x (φ(0) = 1); its peak is at
	// tp = tm·ts·ln(tm/ts)/d = tm·log1p(u)/u with u = d/ts (tm at u = 0).
	d := tm - ts // exact: ts and tm are within a factor of two
	u := d / ts
	tp := tm // the limit u → 0
	if u != 0 {
		tp = tm * math.Log1p(u) / u
	}
	x := tp * d / (ts * tm)
	phi := 1.0
	if x != 0 {
		phi = -math.Expm1(-x) / x
	}
	return 1 / (tp / n.Cm * math.Exp(-tp/tm) * phi)
}

// Excitatory reports whether population x is excitatory (even index).
func Excitatory(x int) bool { return x%2 == 0 }

// NumNeurons returns the number of neurons per population at the network's
// N scaling: round(N_full * N_scaling).
func (n *Network) NumNeurons() []int {
	out := make([]int, len(n.FullNumNeurons))
	for i, v := range n.FullNumNeurons {
		out[i] = int(RoundHalfEven(float64(v) * n.NScaling))
	}
	return out
}

// totalFromProb is the fixed-total-number synapse count that realises
// connection probability c between populations of sizes nSrc and nTgt.
// It is the reference implementation's formula while 1 - 1/(nSrc·nTgt)
// holds enough digits, and its log1p form for larger populations.
func totalFromProb(c, nSrc, nTgt float64) float64 {
	if c == 0 || nSrc < 1 || nTgt < 1 {
		return 0
	}
	if pairs := nSrc * nTgt; pairs > 1e12 {
		return math.Log1p(-c) / math.Log1p(-1/pairs)
	}
	return math.Log(1-c) / math.Log(1-1/(nSrc*nTgt))
}

// FullSynapses returns the full-scale synapse count Q[y][x] (not rounded)
// from source population x to target population y.
func (n *Network) FullSynapses() [NumPops][NumPops]float64 {
	var q [NumPops][NumPops]float64
	for y := 0; y < NumPops; y++ {
		for x := 0; x < NumPops; x++ {
			q[y][x] = totalFromProb(n.ConnProbs[y][x], float64(n.FullNumNeurons[x]), float64(n.FullNumNeurons[y]))
		}
	}
	return q
}

// NumSynapses returns the scaled synapse counts round(Q * N_scaling * K_scaling).
func (n *Network) NumSynapses() [NumPops][NumPops]int64 {
	q := n.FullSynapses()
	var out [NumPops][NumPops]int64
	for y := range q {
		for x := range q[y] {
			out[y][x] = RoundHalfEven(q[y][x] * n.NScaling * n.KScaling)
		}
	}
	return out
}

// TotalSynapses returns the number of recurrent synapses at the network's scale.
func (n *Network) TotalSynapses() int64 {
	var t int64
	for _, row := range n.NumSynapses() {
		for _, v := range row {
			t += v
		}
	}
	return t
}

// PSPMatrix returns the mean PSP amplitude (mV) from x to y, unscaled:
// PSPMatrixMean if set, else derived from PSPExcMean, G and L4EToL23EFactor.
func (n *Network) PSPMatrix() [NumPops][NumPops]float64 {
	if n.PSPMatrixMean != nil {
		return *n.PSPMatrixMean
	}
	var m [NumPops][NumPops]float64
	for y := 0; y < NumPops; y++ {
		for x := 0; x < NumPops; x++ {
			if Excitatory(x) {
				m[y][x] = n.PSPExcMean
			} else {
				m[y][x] = n.G * n.PSPExcMean
			}
		}
	}
	m[0][2] *= n.L4EToL23EFactor
	return m
}

// DelayMatrix returns the mean delay (ms) from x to y: DelayMatrixMean if
// set, else DelayExcMean for excitatory and DelayInhMean for inhibitory
// sources.
func (n *Network) DelayMatrix() [NumPops][NumPops]float64 {
	if n.DelayMatrixMean != nil {
		return *n.DelayMatrixMean
	}
	var m [NumPops][NumPops]float64
	for y := range m {
		for x := range m[y] {
			m[y][x] = n.DelayInhMean
			if Excitatory(x) {
				m[y][x] = n.DelayExcMean
			}
		}
	}
	return m
}

// pscFactor returns the PSC/PSP conversion for the channel a source of
// population x uses.
func (n *Network) pscFactor(excitatory bool) float64 {
	if excitatory {
		return PSCOverPSP(n.Neuron, n.Neuron.TauSynEx)
	}
	return PSCOverPSP(n.Neuron, n.Neuron.TauSynIn)
}

// FullMeanWeights returns the unscaled mean weights (pA) from x to y (an
// inhibitory, negative, entry converted with tau_syn_in).
func (n *Network) FullMeanWeights() [NumPops][NumPops]float64 {
	w := n.PSPMatrix()
	for y := range w {
		for x := range w[y] {
			w[y][x] *= n.pscFactor(w[y][x] >= 0)
		}
	}
	return w
}

// MeanWeights returns the mean weights (pA) from x to y, divided by
// sqrt(K_scaling).
func (n *Network) MeanWeights() [NumPops][NumPops]float64 {
	w := n.FullMeanWeights()
	s := math.Sqrt(n.KScaling)
	for y := range w {
		for x := range w[y] {
			w[y][x] /= s
		}
	}
	return w
}

// ExtWeightFull returns the unscaled external (background) weight w_ext in pA.
func (n *Network) ExtWeightFull() float64 {
	return n.PSPExcMean * n.pscFactor(true)
}

// ExtWeight returns the weight (pA) of the Poisson background input,
// w_ext / sqrt(K_scaling).
func (n *Network) ExtWeight() float64 {
	return n.ExtWeightFull() / math.Sqrt(n.KScaling)
}

// ExtInDegree returns the scaled external in-degree round(K_ext * K_scaling).
func (n *Network) ExtInDegree() []float64 {
	out := make([]float64, len(n.KExt))
	for i, k := range n.KExt {
		out[i] = float64(RoundHalfEven(k * n.KScaling))
	}
	return out
}

// PoissonRates returns the rate (spikes/s) of each population's Poisson
// background train: bg_rate * round(K_ext * K_scaling).
func (n *Network) PoissonRates() []float64 {
	k := n.ExtInDegree()
	for i := range k {
		k[i] *= n.BgRate
	}
	return k
}

// DCAmplitudes returns the constant current I_e (pA) of each population: the
// DC background (for bg_input dc) plus the compensation for K_scaling != 1.
func (n *Network) DCAmplitudes() []float64 {
	out := make([]float64, NumPops)
	tau := n.Neuron.TauSynEx
	wExt := n.ExtWeightFull()
	if n.BgInput == "dc" {
		for y := range out {
			out[y] = n.BgRate * n.KExt[y] * wExt * tau * 0.001
		}
	}
	if n.KScaling != 1 {
		q := n.FullSynapses()
		w := n.FullMeanWeights()
		f := 0.001 * tau * (1 - math.Sqrt(n.KScaling))
		for y := range out {
			var sum float64
			for x := 0; x < NumPops; x++ {
				sum += w[y][x] * (q[y][x] / float64(n.FullNumNeurons[y])) * n.FullMeanRates[x]
			}
			out[y] += f * sum
			if n.BgInput == "poisson" {
				out[y] += f * wExt * n.KExt[y] * n.BgRate
			}
		}
	}
	return out
}

// Rheobase returns the smallest constant current (pA) that makes the neuron fire.
func (nr Neuron) Rheobase() float64 {
	return nr.Cm * (nr.VTh - nr.EL) / nr.TauM
}

// Warnings returns the warnings a run with these parameters deserves, such as
// populations driven below rheobase by a DC background.
func (p *Params) Warnings() []string {
	var out []string
	n := &p.Network
	if n.BgInput == "dc" {
		rb := n.Neuron.Rheobase()
		dc := n.DCAmplitudes()
		for y, v := range dc {
			if v < rb {
				out = append(out, fmt.Sprintf("population %s: DC input %.3f pA is below the rheobase %.1f pA; it may not fire",
					n.Populations[y], v, rb))
			}
		}
	}
	return out
}

// ThSynapses returns the number of thalamic synapses onto each population:
// round(K_scaling * ln(1-C) / ln(1 - 1/(N_th * N_y,full))).
func (p *Params) ThSynapses() []int64 {
	out := make([]int64, NumPops)
	for y := range out {
		q := totalFromProb(p.Stimulus.ThConnProbs[y], float64(p.Stimulus.ThN), float64(p.Network.FullNumNeurons[y]))
		out[y] = RoundHalfEven(p.Network.KScaling * q)
	}
	return out
}

// ThWeight returns the mean thalamic weight (pA), scaled by 1/sqrt(K_scaling).
func (p *Params) ThWeight() float64 {
	return p.Stimulus.ThPSPMean * p.Network.pscFactor(true) / math.Sqrt(p.Network.KScaling)
}

// DCTransientAmplitudes returns the amplitude (pA) of the DC transient per population.
func (p *Params) DCTransientAmplitudes() []float64 {
	out := make([]float64, NumPops)
	for y := range out {
		out[y] = p.Stimulus.DCAmpPerKExt * p.Network.KExt[y]
	}
	return out
}

// Steps converts a time in ms to a whole number of steps of size h.
func Steps(t, h float64) int64 { return int64(math.Round(t / h)) }
