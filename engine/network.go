// Package engine simulates a realised network of NEST iaf_psc_exp neurons
// with static synapses on a fixed time grid, with NEST's exact integration
// and update order. It knows nothing of how the network was made: the PD14
// builder and the replay loader both hand it a Network.
package engine

import (
	"fmt"
	"math"
	"runtime"
	"slices"

	"github.com/pd14/microcircuit/params"
)

// Network is one realised network: neurons, their synapses stored by source,
// and the inputs that are not synapses (Poisson background, external Poisson
// sources such as the thalamus, current pulses).
//
// The neurons of the whole network are numbered 0..Total()-1 (NEST node id
// - 1). Sources Total()..NumSources-1 are external Poisson spike sources;
// they have synapses but no dynamics.
//
// A Network may hold a part of the whole: the neurons of one rank of a
// distributed simulation, which are distributed round-robin as NEST
// distributes them (neuron g belongs to rank g mod Ranks), and the synapses
// onto them from every source. A single process holds the whole (Rank 0,
// Ranks 0 or 1).
type Network struct {
	// Neuron holds the parameters shared by every neuron.
	Neuron params.Neuron
	// PopNames and PopStart describe the populations of the whole
	// network: population p holds neurons PopStart[p] .. PopStart[p+1]-1.
	PopNames []string
	PopStart []int
	// Rank and Ranks say which part is held: neuron i held is neuron
	// Global(i) = Rank + i·Ranks of the whole network.
	Rank, Ranks int
	// V0 is the initial membrane potential (mV, absolute) of each neuron
	// held.
	V0 []float64
	// Ie is the constant input current (pA) of each neuron held.
	Ie []float64

	// NumSources is Total() plus the number of external spike sources.
	NumSources int
	// SrcStart indexes the synapse arrays: the synapses of source s onto
	// the neurons held are SrcStart[s] .. SrcStart[s+1]-1, in their
	// canonical order (a part keeps the order of the whole).
	SrcStart []int64
	// Syn packs each synapse's target (the index i of the neuron among
	// those held; the low TargetBits bits) and its delay in steps (the
	// bits above, >= 1); see Pack.
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
	// train of every neuron of each population; nil for none. The count
	// of a step is drawn for the step it arrives in, from BgFirst on
	// (NEST: a poisson_generator active from step 1, delay d, first
	// arrival in step d+1; see package device).
	BgRate []float64
	// BgWeight is the weight (pA) of a background spike.
	BgWeight float64
	// BgFirst is the first step whose arriving input holds background.
	BgFirst int64
	// BgSeed keys the background random streams (one per neuron).
	BgSeed uint64

	// ExtRate is the rate (spikes/s) of each external source, which
	// emits Poisson spikes (of any multiplicity) in steps ExtFirst ..
	// ExtLast (inclusive).
	ExtRate           float64
	ExtFirst, ExtLast int64
	// ExtSeed keys the external sources' random streams (one per source).
	ExtSeed uint64
	// ExtSpikes, if not nil, are the external sources' spikes instead:
	// given (as NEST recorded them), ordered by step, then source.
	ExtSpikes []ExtSpike

	// Pulses holds a current pulse per population (nil for none).
	Pulses []Pulse
}

// ExtSpike is a spike of an external source: Source (0 for the first
// external source, source Total()+Source of the network) emits it in step
// Step with multiplicity Mult (it acts as Mult spikes at once).
type ExtSpike struct {
	Step   int64
	Source int32
	Mult   int32
}

// Pulse is a current pulse: Amp (pA) is the I_0 of every neuron of a
// population in the membrane updates of steps First .. Last.
type Pulse struct {
	Amp         float64
	First, Last int64
}

// N returns the number of neurons held.
func (n *Network) N() int { return len(n.V0) }

// Total returns the number of neurons of the whole network.
func (n *Network) Total() int {
	if len(n.PopStart) == 0 {
		return 0
	}
	return n.PopStart[len(n.PopStart)-1]
}

// Global returns the index in the whole network of neuron i held.
func (n *Network) Global(i int) int { return n.Rank + i*max(n.Ranks, 1) }

// HeldBy returns the number of the total neurons that rank holds when the
// neurons are distributed round-robin over ranks ranks.
func HeldBy(total, rank, ranks int) int {
	return max(0, (total-rank+ranks-1)/ranks)
}

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
	_, err := n.check(false)
	return err
}

// extMultMax returns the largest multiplicity of an external source's
// spike: of the given spikes, or the largest count the sources' Poisson
// sampler returns; 0 without external sources.
func (n *Network) extMultMax() int {
	if n.NumSources == n.Total() {
		return 0
	}
	if n.ExtSpikes != nil {
		m := 0
		for _, e := range n.ExtSpikes {
			m = max(m, int(e.Mult))
		}
		return m
	}
	if n.ExtRate > 0 {
		return len(newPoisson(n.ExtRate*n.Resolution*1e-3).cdf) - 1
	}
	return 0
}

// facts are what check finds in its scan of the synapses.
type facts struct {
	maxDelay int // the largest delay (0 for none)
	// With weights asked for: expMin, expMax are the smallest and largest
	// exponent field of the half-precision weights (0, 0 for none); maxIn
	// is the largest number of synapses onto one neuron, counted only
	// where some neuron may have more than fixedMaxIn of them.
	expMin, expMax int
	maxIn          int
}

// check is Check that also returns the facts found in its scan, those of
// the weights only if weights is set (they cost the scan a third more).
func (n *Network) check(weights bool) (f facts, err error) {
	N := n.N()
	if N == 0 {
		return facts{}, fmt.Errorf("network has no neurons")
	}
	if len(n.Ie) != N {
		return facts{}, fmt.Errorf("network: %d I_e values for %d neurons", len(n.Ie), N)
	}
	if len(n.PopStart) != len(n.PopNames)+1 || n.PopStart[0] != 0 || !slices.IsSorted(n.PopStart) {
		return facts{}, fmt.Errorf("network: population boundaries %v are not ascending from 0", n.PopStart)
	}
	total := n.Total()
	if ranks := max(n.Ranks, 1); n.Rank < 0 || n.Rank >= ranks || N != HeldBy(total, n.Rank, ranks) {
		return facts{}, fmt.Errorf("network: rank %d of %d holds %d neurons; of %d neurons it holds %d",
			n.Rank, ranks, N, total, HeldBy(total, n.Rank, ranks))
	}
	if n.NumSources < total || n.NumSources > math.MaxUint32 {
		return facts{}, fmt.Errorf("network: %d sources for %d neurons", n.NumSources, total)
	}
	if n.TargetBits < TargetBitsFor(N) || n.TargetBits > 31 {
		return facts{}, fmt.Errorf("network: %d target bits cannot hold %d neurons", n.TargetBits, N)
	}
	if len(n.SrcStart) != n.NumSources+1 || n.SrcStart[n.NumSources] != int64(len(n.Syn)) {
		return facts{}, fmt.Errorf("network: synapse index does not match %d synapses", len(n.Syn))
	}
	set := 0
	for _, l := range []int{len(n.Weight16), len(n.Weight32), len(n.Weight64)} {
		if l > 0 {
			set++
		}
	}
	if len(n.Syn) > 0 && (set != 1 || n.weights() != len(n.Syn)) {
		return facts{}, fmt.Errorf("network: %d synapses need exactly one weight array of that length", len(n.Syn))
	}
	// The synapses in parallel chunks; the error names the first bad one.
	bad := make([]error, runtime.GOMAXPROCS(0))
	maxes := make([]int, len(bad))
	// Each chunk's smallest and largest half-precision magnitude; chunks
	// that do not run (fewer synapses than chunks) leave them as they are.
	lo16, hi16 := make([]uint16, len(bad)), make([]uint16, len(bad))
	for c := range lo16 {
		lo16[c] = 0x7fff
	}
	// Events to a neuron in one step can only overflow the fixed-point sums
	// (see synapses.fixed) with more than fixedMaxIn synapses onto it.
	var inDeg [][]uint32
	if weights && len(n.Syn) > fixedMaxIn {
		inDeg = make([][]uint32, len(bad))
	}
	inChunks(len(n.Syn), len(bad), func(c, lo, hi int) {
		var mx uint32
		defer func() { maxes[c] = int(mx >> n.TargetBits) }()
		// The half-precision magnitudes' range, in the same pass.
		var w16 []uint16
		if weights && n.Weight16 != nil {
			w16 = n.Weight16[lo:hi]
		}
		wlo, whi := uint16(0x7fff), uint16(0)
		defer func() { lo16[c], hi16[c] = wlo, whi }()
		var deg []uint32
		if inDeg != nil {
			deg = make([]uint32, N)
			inDeg[c] = deg
		}
		for i, syn := range n.Syn[lo:hi] {
			mx = max(mx, syn)
			t, d := n.Unpack(syn)
			if int(t) >= N {
				bad[c] = fmt.Errorf("network: synapse %d targets neuron %d, beyond %d neurons", lo+i, t, N)
				return
			}
			if d < 1 {
				bad[c] = fmt.Errorf("network: synapse %d has delay %d steps; the minimum is 1", lo+i, d)
				return
			}
			if deg != nil {
				deg[t]++
			}
			if w16 != nil {
				h := w16[i] & 0x7fff
				wlo, whi = min(wlo, h), max(whi, h)
			}
		}
	})
	for _, err := range bad {
		if err != nil {
			return facts{}, err
		}
	}
	f.maxDelay = slices.Max(maxes)
	if weights && n.Weight16 != nil && len(n.Syn) > 0 {
		f.expMin, f.expMax = int(slices.Min(lo16)>>10), int(slices.Max(hi16)>>10)
	}
	if inDeg != nil {
		// Chunk 0 always runs; the others add theirs to it.
		total := inDeg[0]
		for _, deg := range inDeg[1:] {
			for t, d := range deg {
				total[t] += d
			}
		}
		f.maxIn = int(slices.Max(total))
	}
	if !(n.Resolution > 0) {
		return facts{}, fmt.Errorf("network: resolution %v ms must be > 0", n.Resolution)
	}
	if n.BgRate != nil && len(n.BgRate) != len(n.PopNames) {
		return facts{}, fmt.Errorf("network: %d background rates for %d populations", len(n.BgRate), len(n.PopNames))
	}
	if n.BgRate != nil && n.BgFirst < 1 {
		return facts{}, fmt.Errorf("network: background from step %d; the first arrival can be step 1", n.BgFirst)
	}
	if n.Pulses != nil && len(n.Pulses) != len(n.PopNames) {
		return facts{}, fmt.Errorf("network: %d current pulses for %d populations", len(n.Pulses), len(n.PopNames))
	}
	nExt := int32(n.NumSources - total)
	for i, e := range n.ExtSpikes {
		if e.Source < 0 || e.Source >= nExt || e.Mult < 1 || e.Step < 0 {
			return facts{}, fmt.Errorf("network: external spike %d (source %d, step %d, multiplicity %d) outside %d sources",
				i, e.Source, e.Step, e.Mult, nExt)
		}
		if i > 0 && (e.Step < n.ExtSpikes[i-1].Step || (e.Step == n.ExtSpikes[i-1].Step && e.Source <= n.ExtSpikes[i-1].Source)) {
			return facts{}, fmt.Errorf("network: external spikes not ordered by step, then source, at spike %d", i)
		}
	}
	return f, nil
}

// Part returns the part of the whole network n that rank holds when the
// neurons are distributed round-robin over ranks ranks, with the synapses
// onto them in their order in n. The part shares no memory with n.
func (n *Network) Part(rank, ranks int) (*Network, error) {
	if max(n.Ranks, 1) != 1 {
		return nil, fmt.Errorf("network: only a whole network can be split, not a part")
	}
	if ranks < 1 || rank < 0 || rank >= ranks || rank >= n.N() {
		return nil, fmt.Errorf("network: rank %d of %d: a part must hold at least one of the %d neurons", rank, ranks, n.N())
	}
	held := HeldBy(n.N(), rank, ranks)
	p := *n
	p.PopNames = slices.Clone(n.PopNames)
	p.PopStart = slices.Clone(n.PopStart)
	p.Rank, p.Ranks = rank, ranks
	p.V0 = make([]float64, held)
	p.Ie = make([]float64, held)
	for i := range p.V0 {
		p.V0[i], p.Ie[i] = n.V0[p.Global(i)], n.Ie[p.Global(i)]
	}
	p.BgRate = slices.Clone(n.BgRate)
	p.Pulses = slices.Clone(n.Pulses)
	p.ExtSpikes = slices.Clone(n.ExtSpikes)
	p.TargetBits = TargetBitsFor(held)
	p.SrcStart = make([]int64, n.NumSources+1)
	p.Syn, p.Weight16, p.Weight32, p.Weight64 = nil, nil, nil, nil
	for s := 0; s < n.NumSources; s++ {
		for k := n.SrcStart[s]; k < n.SrcStart[s+1]; k++ {
			t, d := n.Unpack(n.Syn[k])
			if int(t)%ranks != rank {
				continue
			}
			p.Syn = append(p.Syn, p.Pack(t/uint32(ranks), d))
			switch {
			case n.Weight16 != nil:
				p.Weight16 = append(p.Weight16, n.Weight16[k])
			case n.Weight32 != nil:
				p.Weight32 = append(p.Weight32, n.Weight32[k])
			default:
				p.Weight64 = append(p.Weight64, n.Weight64[k])
			}
		}
		p.SrcStart[s+1] = int64(len(p.Syn))
	}
	if p.Weight64 == nil && n.Weight64 != nil {
		p.Weight64 = []float64{}
	}
	return &p, nil
}

// Checksum returns a digest of the network's neurons (initial potential
// and current) and synapses (source, target, weight, delay) that does not
// depend on how they are stored or split among ranks: a sum of
// per-element hashes, so the checksums of the parts of a network add up
// (mod 2^64) to the whole's. It uses up to threads goroutines.
func (n *Network) Checksum(threads int) uint64 {
	sum := n.neuronChecksum()
	threads = max(threads, 1)
	sums := make([]uint64, threads)
	inChunks(n.NumSources, threads, func(c, s0, s1 int) {
		var s uint64
		for src := s0; src < s1; src++ {
			for k := n.SrcStart[src]; k < n.SrcStart[src+1]; k++ {
				t, d := n.Unpack(n.Syn[k])
				s += synapseHash(src, n.Global(int(t)), weightBits(n.Weight16, n.Weight32, n.Weight64, k), d)
			}
		}
		sums[c] = s
	})
	for _, s := range sums {
		sum += s
	}
	return sum
}

// neuronChecksum is the neurons' part of Checksum.
func (n *Network) neuronChecksum() uint64 {
	var sum uint64
	for i := range n.V0 {
		g := uint64(n.Global(i))
		sum += mix64(g ^ mix64(math.Float64bits(n.V0[i])) ^ mix64(math.Float64bits(n.Ie[i])+0x51))
	}
	return sum
}

// weightBits returns the bits, as stored, of weight k of whichever of the
// arrays holds the weights (w16, else w32, else w64).
func weightBits(w16 []uint16, w32 []float32, w64 []float64, k int64) uint64 {
	switch {
	case w16 != nil:
		return uint64(w16[k])
	case w32 != nil:
		return uint64(math.Float32bits(w32[k]))
	}
	return math.Float64bits(w64[k])
}

// synapseHash is a synapse's term of Checksum: source and target (indices
// in the whole network), the weight's bits as stored and the delay.
func synapseHash(src, tgt int, w uint64, d int) uint64 {
	pair := uint64(src)<<32 | uint64(tgt)
	return mix64(mix64(pair) ^ (w<<16 | uint64(d)))
}

// mix64 is the SplitMix64 finaliser.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
