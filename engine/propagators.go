package engine

import (
	"math"

	"github.com/pd14/microcircuit/params"
)

// Propagators are the exact-integration coefficients of iaf_psc_exp for one
// time step, evaluated as NEST evaluates them.
type Propagators struct {
	P11ex, P11in float64 // synaptic current decay
	P22          float64 // membrane decay
	P21ex, P21in float64 // current to membrane potential
	P20          float64 // constant current to membrane potential
}

// membrane returns the membrane potential one step makes of v with the
// currents iex and iin and the constant current's term (I_e·P20): left to
// right, each product rounded (no fused multiply-add), as the vector
// kernels compute it.
func (p *Propagators) membrane(v, iex, iin, term float64) float64 {
	return float64(float64(float64(v*p.P22)+float64(iex*p.P21ex))+float64(iin*p.P21in)) + term
}

// NewPropagators returns the propagators of neuron n for step h (ms).
func NewPropagators(n params.Neuron, h float64) Propagators {
	p22 := math.Exp(-h / n.TauM)
	return Propagators{
		P11ex: math.Exp(-h / n.TauSynEx),
		P11in: math.Exp(-h / n.TauSynIn),
		P22:   p22,
		P21ex: propagator32(n.TauSynEx, n.TauM, n.Cm, h),
		P21in: propagator32(n.TauSynIn, n.TauM, n.Cm, h),
		P20:   n.TauM / n.Cm * (1 - p22),
	}
}

// propagator32 is the coefficient from a synaptic current with time constant
// tauSyn to the membrane potential, evaluated in the numerically stable form;
// it falls back to the limit tauSyn = tauM where that form is not a normal
// positive number.
func propagator32(tauSyn, tauM, cm, h float64) float64 {
	gamma := (tauSyn * tauM / (tauM - tauSyn)) / cm
	invBeta := (tauM - tauSyn) / (tauSyn * tauM)
	p := float64(gamma*math.Exp(-h/tauSyn)) * math.Expm1(h*invBeta)
	if math.IsNaN(p) || math.IsInf(p, 0) || p < 0x1p-1022 {
		return h / cm * math.Exp(-h/tauM)
	}
	return p
}
