package engine

import (
	"fmt"
	"math"
)

// State is the dynamic state of a simulation at a step boundary, in a form
// that depends on neither the number of workers nor the split among ranks:
// neurons and targets are indices in the whole network. With the network
// it came from, it determines every later spike. SetState of a State taken
// from one Sim continues the run exactly, with any number of workers.
type State struct {
	// Step is the number of steps simulated.
	Step int64
	// V (relative to E_L), Iex, Iin and Refr of every neuron, by index in
	// the whole network.
	V, Iex, Iin, Refr []float64
	// BgRNG is every neuron's background stream; ExtRNG every external
	// source's; ExtNext the first of the given external spikes not yet
	// emitted.
	BgRNG   []uint64
	ExtRNG  []uint64
	ExtNext int
	// Queue[d] holds the synaptic events that arrive in step Step+d.
	Queue []SlotEvents
}

// SlotEvents are the events that arrive in one step, per kind in the order
// in which they are summed: packed excitatory and inhibitory events (a
// target and the bits of a half-precision weight magnitude), then general
// events with their weights.
type SlotEvents struct {
	ExTarget, InTarget []uint32
	ExWeight, InWeight []uint16
	Target             []uint32
	Weight             []float64
}

// State returns the dynamic state of the neurons this Sim holds; the
// entries of neurons it does not hold are zero (a rank's part: merge the
// parts with MergeState). Call it between runs.
func (s *Sim) State() *State {
	st := &State{
		Step: s.step,
		V:    make([]float64, s.total), Iex: make([]float64, s.total),
		Iin: make([]float64, s.total), Refr: make([]float64, s.total),
		ExtRNG:  append([]uint64(nil), s.inp.extRNG...),
		ExtNext: s.inp.next,
		Queue:   make([]SlotEvents, s.syn.slots),
	}
	if s.inp.bgRNG != nil {
		st.BgRNG = make([]uint64, s.total)
	}
	nr := &s.nrn
	for i := 0; i < s.n; i++ {
		g := s.global(i)
		st.V[g], st.Iex[g], st.Iin[g] = nr.v[i], nr.iex[i], nr.iin[i]
		st.Refr[g] = float64(s.refractoryLeft(i))
		if st.BgRNG != nil {
			st.BgRNG[g] = s.inp.bgRNG[i]
		}
	}
	const mask = 1<<packBits - 1
	for d := range st.Queue {
		slot := int((s.step + int64(d)) % int64(s.syn.slots))
		se := &st.Queue[d]
		for k := range s.wk {
			q := &s.wk[k].queues[slot]
			for _, e := range q.ex {
				se.ExTarget = append(se.ExTarget, uint32(s.global(int(e&mask))))
				se.ExWeight = append(se.ExWeight, s.syn.halfBits(e))
			}
			for _, e := range q.in {
				se.InTarget = append(se.InTarget, uint32(s.global(int(e&mask))))
				se.InWeight = append(se.InWeight, s.syn.halfBits(e))
			}
			for j, t := range q.tgt {
				se.Target = append(se.Target, uint32(s.global(int(t))))
				switch {
				case s.syn.fixed:
					se.Weight = append(se.Weight, float64(q.units[j])*s.syn.unit)
				case q.w64 != nil:
					se.Weight = append(se.Weight, q.w64[j])
				default:
					se.Weight = append(se.Weight, float64(q.w32[j]))
				}
			}
		}
	}
	return st
}

// refractoryLeft returns the number of refractory steps neuron i has left
// before step s.step.
func (s *Sim) refractoryLeft(i int) int32 {
	return max(s.nrn.until[i]-int32(uint32(s.step))+1, 0)
}

// SetState puts the Sim into state st, which must come from a Sim of the
// same network (any number of workers or ranks; see MergeState). The Sim
// takes from st only its own neurons and the events that reach them.
func (s *Sim) SetState(st *State) error {
	if len(st.V) != s.total || len(st.Iex) != s.total || len(st.Iin) != s.total || len(st.Refr) != s.total {
		return fmt.Errorf("state of %d neurons for a network of %d", len(st.V), s.total)
	}
	if (st.BgRNG != nil) != (s.inp.bgRNG != nil) || (st.BgRNG != nil && len(st.BgRNG) != s.total) ||
		len(st.ExtRNG) != len(s.inp.extRNG) {
		return fmt.Errorf("state of other inputs (background or external sources) than the network's")
	}
	for g, r := range st.Refr {
		if !(r >= 0 && r <= 1<<30 && r == math.Trunc(r)) {
			return fmt.Errorf("state: neuron %d has %v refractory steps left; want a whole number in [0, 2^30]", g, r)
		}
	}
	nr := &s.nrn
	last := int32(uint32(st.Step - 1)) // the last step simulated
	for i := 0; i < s.n; i++ {
		g := s.global(i)
		nr.v[i], nr.iex[i], nr.iin[i] = st.V[g], st.Iex[g], st.Iin[g]
		nr.until[i] = last + int32(st.Refr[g])
		if st.BgRNG != nil {
			s.inp.bgRNG[i] = st.BgRNG[g]
		}
	}
	copy(s.inp.extRNG, st.ExtRNG)
	s.inp.next = st.ExtNext
	for k := range s.wk {
		for slot := range s.wk[k].queues {
			q := &s.wk[k].queues[slot]
			q.ex, q.in, q.tgt, q.units = q.ex[:0], q.in[:0], q.tgt[:0], q.units[:0]
			if q.w32 != nil {
				q.w32 = q.w32[:0]
			}
			if q.w64 != nil {
				q.w64 = q.w64[:0]
			}
		}
	}
	// local returns the Sim's index of neuron g and its worker, or -1.
	local := func(g uint32) (int, int) {
		if int(g) >= s.total || (int(g)-s.rank)%s.ranks != 0 || int(g) < s.rank {
			return -1, -1
		}
		i := (int(g) - s.rank) / s.ranks
		return i, s.owner(uint32(i))
	}
	double := s.syn.w64 != nil
	for d, se := range st.Queue {
		if len(se.ExTarget) != len(se.ExWeight) || len(se.InTarget) != len(se.InWeight) || len(se.Target) != len(se.Weight) {
			return fmt.Errorf("state: events of step +%d have targets and weights of different counts", d)
		}
		if (len(se.ExTarget) > 0 || len(se.InTarget) > 0) && !s.syn.packed {
			return fmt.Errorf("state: packed events for a network whose events are not packed")
		}
		// A part's delays may reach less far than the whole network's:
		// events further ahead must then be for other parts' neurons.
		far := d >= s.syn.slots
		slot := int((st.Step + int64(d)) % int64(s.syn.slots))
		for _, list := range [][]uint32{se.ExTarget, se.InTarget, se.Target} {
			for _, g := range list {
				if i, _ := local(g); far && i >= 0 {
					return fmt.Errorf("state: an event for neuron %d arrives %d steps ahead; this network's delays reach %d", g, d, s.syn.slots-1)
				}
			}
		}
		if far {
			continue
		}
		for j, g := range se.ExTarget {
			if i, k := local(g); i >= 0 {
				q := &s.wk[k].queues[slot]
				e, err := s.syn.word(uint32(i), se.ExWeight[j])
				if err != nil {
					return fmt.Errorf("state: event of step +%d: %w", d, err)
				}
				q.ex = append(q.ex, e)
			}
		}
		for j, g := range se.InTarget {
			if i, k := local(g); i >= 0 {
				q := &s.wk[k].queues[slot]
				e, err := s.syn.word(uint32(i), se.InWeight[j])
				if err != nil {
					return fmt.Errorf("state: event of step +%d: %w", d, err)
				}
				q.in = append(q.in, e)
			}
		}
		for j, g := range se.Target {
			if i, k := local(g); i >= 0 {
				q := &s.wk[k].queues[slot]
				if s.syn.fixed {
					// As a word where it is a weight of the network's,
					// else (a spike of multiplicity m > 1: m times one)
					// in units.
					w := se.Weight[j]
					if e, ok := s.syn.fixedWord(uint32(i), math.Abs(w)); ok {
						if w < 0 {
							q.in = append(q.in, e)
						} else {
							q.ex = append(q.ex, e)
						}
						continue
					}
					u := w / s.syn.unit
					if u != math.Trunc(u) || math.Abs(u) >= 1<<31 {
						return fmt.Errorf("state: event of step +%d has weight %v, not a multiple of this network's unit %v", d, w, s.syn.unit)
					}
					q.tgt = append(q.tgt, uint32(i))
					q.units = append(q.units, int32(u))
					continue
				}
				at := q.extend(1, double)
				q.tgt[at] = uint32(i)
				if double {
					q.w64[at] = se.Weight[j]
				} else {
					w := float32(se.Weight[j])
					if float64(w) != se.Weight[j] && !math.IsNaN(se.Weight[j]) {
						return fmt.Errorf("state: weight %v of a network of single-precision weights", se.Weight[j])
					}
					q.w32[at] = w
				}
			}
		}
	}
	s.step = st.Step
	return nil
}

// MergeState merges the states of the parts of one network held by
// ranks (each from State): neurons from the rank that holds them, events
// in rank order (each target's events come from one rank, so their order
// is kept).
func MergeState(parts []*State) (*State, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("no states to merge")
	}
	out := *parts[0]
	ranks := len(parts)
	out.V, out.Iex, out.Iin, out.Refr = make([]float64, len(out.V)), make([]float64, len(out.V)),
		make([]float64, len(out.V)), make([]float64, len(out.V))
	if out.BgRNG != nil {
		out.BgRNG = make([]uint64, len(out.V))
	}
	slots := 0 // a part's delays may reach less far than another's
	for _, p := range parts {
		slots = max(slots, len(p.Queue))
	}
	out.Queue = make([]SlotEvents, slots)
	for r, p := range parts {
		if p.Step != out.Step || len(p.V) != len(out.V) {
			return nil, fmt.Errorf("state of rank %d is of another step or network", r)
		}
		for g := r; g < len(out.V); g += ranks {
			out.V[g], out.Iex[g], out.Iin[g], out.Refr[g] = p.V[g], p.Iex[g], p.Iin[g], p.Refr[g]
			if out.BgRNG != nil {
				out.BgRNG[g] = p.BgRNG[g]
			}
		}
		for d, se := range p.Queue {
			o := &out.Queue[d]
			o.ExTarget, o.ExWeight = append(o.ExTarget, se.ExTarget...), append(o.ExWeight, se.ExWeight...)
			o.InTarget, o.InWeight = append(o.InTarget, se.InTarget...), append(o.InWeight, se.InWeight...)
			o.Target, o.Weight = append(o.Target, se.Target...), append(o.Weight, se.Weight...)
		}
	}
	return &out, nil
}
