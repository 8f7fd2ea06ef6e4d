// Package engine simulates a realised network of NEST iaf_psc_exp neurons
// with static synapses on a fixed time grid, with NEST's exact integration
// and update order. It knows nothing of how the network was made: the PD14
// builder and the replay loader both hand it a Network.
package engine

import (
	"fmt"
	"math"

	"github.com/pd14/microcircuit/params"
)

// Network is one realised network: neurons, their synapses stored by source,
// and the inputs that are not synapses (Poisson background, external Poisson
// sources such as the thalamus, current pulses).
//
// Neurons are numbered 0..N-1 (NEST node id - 1). Sources N..NumSources-1
// are external Poisson spike sources; they have synapses but no dynamics.
type Network struct {
	// Neuron holds the parameters shared by every neuron.
	Neuron params.Neuron
	// PopNames and PopStart describe the populations: population p holds
	// neurons PopStart[p] .. PopStart[p+1]-1.
	PopNames []string
	PopStart []int
	// V0 is the initial membrane potential (mV, absolute) of each neuron.
	V0 []float64
	// Ie is the constant input current (pA) of each neuron.
	Ie []float64

	// NumSources is N plus the number of external spike sources.
	NumSources int
	// SrcStart indexes the synapse arrays: the synapses of source s are
	// SrcStart[s] .. SrcStart[s+1]-1, in their canonical order.
	SrcStart []int64
	// Syn packs each synapse's target neuron (the low TargetBits bits) and
	// its delay in steps (the bits above, >= 1); see Pack.
	Syn        []uint32
	TargetBits uint
	// Exactly one of the weight arrays is set: the weight (pA) of each
	// synapse; a negative weight feeds the inhibitory channel. Weight16
	// holds IEEE half-precision numbers (package half), all normal.
	Weight16 []uint16
	Weight32 []float32
	Weight64 []float64

	// Resolution is the time step in ms.
	Resolution float64

	// BgRate is the rate (spikes/s) of the independent Poisson background
	// train of every neuron of each population; nil for none.
	BgRate []float64
	// BgWeight is the weight (pA) of a background spike.
	BgWeight float64
	// BgDelay is the delay of the background input in steps.
	BgDelay int
	// BgSeed keys the background random streams (one per neuron).
	BgSeed uint64

	// ExtRate is the rate (spikes/s) of each external source, active for
	// emission steps ExtFirst..ExtLast (inclusive).
	ExtRate           float64
	ExtFirst, ExtLast int64
	// ExtSeed keys the external sources' random streams (one per source).
	ExtSeed uint64

	// PulseAmp is the amplitude (pA) of a current pulse per population (nil
	// for none); it is the neuron's I_0 in steps PulseFirst..PulseLast.
	PulseAmp              []float64
	PulseFirst, PulseLast int64
}

// N returns the number of neurons.
func (n *Network) N() int { return len(n.V0) }

// NumSynapses returns the number of synapses.
func (n *Network) NumSynapses() int64 { return int64(len(n.Syn)) }

// TargetBitsFor returns the number of bits that hold neuron indices 0..n-1.
func TargetBitsFor(n int) uint {
	b := uint(1)
	for n-1 >= 1<<b {
		b++
	}
	return b
}

// MaxDelay returns the largest delay (steps) that Syn can hold.
func (n *Network) MaxDelay() int { return 1<<(32-n.TargetBits) - 1 }

// Pack returns the packed synapse of target t with delay d (steps).
func (n *Network) Pack(t uint32, d int) uint32 { return t | uint32(d)<<n.TargetBits }

// Unpack returns the target and delay (steps) of a packed synapse.
func (n *Network) Unpack(syn uint32) (target uint32, delay int) {
	return syn & (1<<n.TargetBits - 1), int(syn >> n.TargetBits)
}

// weights returns the number of weights stored.
func (n *Network) weights() int { return len(n.Weight16) + len(n.Weight32) + len(n.Weight64) }

// Check verifies that the network is consistent and returns an error that
// says what is wrong.
func (n *Network) Check() error {
	N := n.N()
	if N == 0 {
		return fmt.Errorf("network has no neurons")
	}
	if len(n.Ie) != N {
		return fmt.Errorf("network: %d I_e values for %d neurons", len(n.Ie), N)
	}
	if len(n.PopStart) != len(n.PopNames)+1 || n.PopStart[0] != 0 || n.PopStart[len(n.PopNames)] != N {
		return fmt.Errorf("network: population boundaries %v do not cover %d neurons", n.PopStart, N)
	}
	if n.NumSources < N || N > math.MaxUint32 {
		return fmt.Errorf("network: %d sources for %d neurons", n.NumSources, N)
	}
	if n.TargetBits < TargetBitsFor(N) || n.TargetBits > 31 {
		return fmt.Errorf("network: %d target bits cannot hold %d neurons", n.TargetBits, N)
	}
	if len(n.SrcStart) != n.NumSources+1 || n.SrcStart[n.NumSources] != int64(len(n.Syn)) {
		return fmt.Errorf("network: synapse index does not match %d synapses", len(n.Syn))
	}
	set := 0
	for _, l := range []int{len(n.Weight16), len(n.Weight32), len(n.Weight64)} {
		if l > 0 {
			set++
		}
	}
	if len(n.Syn) > 0 && (set != 1 || n.weights() != len(n.Syn)) {
		return fmt.Errorf("network: %d synapses need exactly one weight array of that length", len(n.Syn))
	}
	for i, syn := range n.Syn {
		t, d := n.Unpack(syn)
		if int(t) >= N {
			return fmt.Errorf("network: synapse %d targets neuron %d, beyond %d neurons", i, t, N)
		}
		if d < 1 {
			return fmt.Errorf("network: synapse %d has delay %d steps; the minimum is 1", i, d)
		}
	}
	if !(n.Resolution > 0) {
		return fmt.Errorf("network: resolution %v ms must be > 0", n.Resolution)
	}
	if n.BgRate != nil && len(n.BgRate) != len(n.PopNames) {
		return fmt.Errorf("network: %d background rates for %d populations", len(n.BgRate), len(n.PopNames))
	}
	if n.BgRate != nil && n.BgDelay < 1 {
		return fmt.Errorf("network: background delay %d steps; the minimum is 1", n.BgDelay)
	}
	if n.PulseAmp != nil && len(n.PulseAmp) != len(n.PopNames) {
		return fmt.Errorf("network: %d pulse amplitudes for %d populations", len(n.PulseAmp), len(n.PopNames))
	}
	return nil
}
