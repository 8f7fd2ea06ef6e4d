package engine

import (
	"fmt"
	"slices"
)

// Spikes returns the recorded spikes ordered by step, then neuron: step[i]
// is the step in which neuron id[i] (0-based) fired; its NEST time stamp is
// (step+1)·resolution.
func (s *Sim) Spikes() (step []int32, id []uint32) {
	total := 0
	for _, r := range s.recSteps {
		total += len(r)
	}
	step = make([]int32, 0, total)
	id = make([]uint32, 0, total)
	// Merge the workers' lists, which are each ordered by step; neurons of
	// lower workers have lower ids.
	pos := make([]int, s.w)
	for len(step) < total {
		best := -1
		for k := 0; k < s.w; k++ {
			if pos[k] < len(s.recSteps[k]) && (best < 0 || s.recSteps[k][pos[k]] < s.recSteps[best][pos[best]]) {
				best = k
			}
		}
		st := s.recSteps[best][pos[best]]
		for pos[best] < len(s.recSteps[best]) && s.recSteps[best][pos[best]] == st {
			step = append(step, st)
			id = append(id, s.recIDs[best][pos[best]])
			pos[best]++
		}
	}
	return step, id
}

// ClearSpikes drops the recorded spikes and membrane potentials.
func (s *Sim) ClearSpikes() {
	for k := range s.recSteps {
		s.recSteps[k] = s.recSteps[k][:0]
		s.recIDs[k] = s.recIDs[k][:0]
		s.vSteps[k] = s.vSteps[k][:0]
		s.vNeur[k] = s.vNeur[k][:0]
		s.vVals[k] = s.vVals[k][:0]
	}
}

// RecordSpikes sets whether recording runs keep spikes (the default).
func (s *Sim) RecordSpikes(on bool) { s.noSpikes = !on }

// RecordVoltage makes recording runs sample the membrane potential of the
// neurons ids (0-based) after every step whose end is a multiple of every
// steps, as NEST's voltmeter does; every = 0 turns it off.
func (s *Sim) RecordVoltage(ids []int, every int64) error {
	if every < 0 {
		return fmt.Errorf("voltage interval %d steps: must be >= 0", every)
	}
	s.vEvery = every
	for k := range s.vIDs {
		s.vIDs[k] = s.vIDs[k][:0]
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	for _, i := range slices.Compact(sorted) {
		if i < 0 || i >= s.n {
			return fmt.Errorf("voltage recording: neuron %d outside 0..%d", i, s.n-1)
		}
		k := s.owner(uint32(i))
		s.vIDs[k] = append(s.vIDs[k], uint32(i))
	}
	return nil
}

// Voltages returns the recorded membrane potentials ordered by step, then
// neuron: neuron id[i] (0-based) had v[i] mV at the end of step step[i]
// (NEST time stamp (step+1)·resolution).
func (s *Sim) Voltages() (step []int32, id []uint32, v []float64) {
	for k := range s.vSteps {
		step = append(step, s.vSteps[k]...)
		id = append(id, s.vNeur[k]...)
		v = append(v, s.vVals[k]...)
	}
	// Workers hold contiguous neuron ranges: order by step, then id.
	idx := make([]int, len(step))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if step[a] != step[b] {
			return int(step[a]) - int(step[b])
		}
		return int(id[a]) - int(id[b])
	})
	st2, id2, v2 := make([]int32, len(idx)), make([]uint32, len(idx)), make([]float64, len(idx))
	for j, i := range idx {
		st2[j], id2[j], v2[j] = step[i], id[i], v[i]
	}
	return st2, id2, v2
}

// V returns the membrane potential (mV) of neuron i.
func (s *Sim) V(i int) float64 { return s.v[i] + s.net.Neuron.EL }
