package engine

import (
	"fmt"
	"slices"
)

// recording is what one worker recorded: spikes, and membrane potentials of
// the neurons chosen for it.
type recording struct {
	steps []int32  // step of each recorded spike
	ids   []uint32 // its neuron (index in the whole network)

	vIDs []uint32 // neurons sampled (indices within the Sim)
	// vAhead, when not nil, holds the potentials of vIDs to record instead
	// of the state's (see work2), in vBuf.
	vAhead, vBuf []float64
	vSteps       []int32
	vNeur        []uint32 // index in the whole network
	vVals        []float64
}

// voltageConfig says what recording runs keep: membrane potentials are
// sampled after every step t with (t+1) % every == 0.
type voltageConfig struct {
	every    int64
	noSpikes bool // recording runs keep no spikes
}

// record keeps what worker wk recorded in step t, in which the neurons spk
// spiked.
func (s *Sim) record(wk *worker, t int64, spk []uint32) {
	r := &wk.rec
	if s.vc.every > 0 && (t+1)%s.vc.every == 0 {
		el := s.net.Neuron.EL
		for j, i := range r.vIDs {
			v := s.nrn.v[i]
			if r.vAhead != nil {
				v = r.vAhead[j]
			}
			r.vSteps = append(r.vSteps, int32(t))
			r.vNeur = append(r.vNeur, uint32(s.global(int(i))))
			r.vVals = append(r.vVals, v+el)
		}
	}
	if !s.vc.noSpikes {
		for _, i := range spk {
			r.steps = append(r.steps, int32(t))
			r.ids = append(r.ids, i)
		}
	}
}

// Spikes returns the recorded spikes of the neurons held, ordered by step,
// then neuron: step[i] is the step in which neuron id[i] (0-based index in
// the whole network) fired; its NEST time stamp is (step+1)·resolution.
func (s *Sim) Spikes() (step []int32, id []uint32) {
	total := 0
	for k := range s.wk {
		total += len(s.wk[k].rec.steps)
	}
	step = make([]int32, 0, total)
	id = make([]uint32, 0, total)
	// Merge the workers' lists, which are each ordered by step; neurons of
	// lower workers have lower ids.
	pos := make([]int, s.w)
	for len(step) < total {
		best := -1
		for k := range s.wk {
			r := &s.wk[k].rec
			if pos[k] < len(r.steps) && (best < 0 || r.steps[pos[k]] < s.wk[best].rec.steps[pos[best]]) {
				best = k
			}
		}
		r := &s.wk[best].rec
		st := r.steps[pos[best]]
		for pos[best] < len(r.steps) && r.steps[pos[best]] == st {
			step = append(step, st)
			id = append(id, r.ids[pos[best]])
			pos[best]++
		}
	}
	return step, id
}

// ClearSpikes drops the recorded spikes and membrane potentials.
func (s *Sim) ClearSpikes() {
	for k := range s.wk {
		r := &s.wk[k].rec
		r.steps, r.ids = r.steps[:0], r.ids[:0]
		r.vSteps, r.vNeur, r.vVals = r.vSteps[:0], r.vNeur[:0], r.vVals[:0]
	}
}

// RecordSpikes sets whether recording runs keep spikes (the default).
func (s *Sim) RecordSpikes(on bool) { s.vc.noSpikes = !on }

// RecordVoltage makes recording runs sample the membrane potential of the
// neurons ids (0-based indices in the whole network; those the Sim does not
// hold are left to the Sims that do) after every step whose end is a
// multiple of every steps, as NEST's voltmeter does; every = 0 turns it off.
func (s *Sim) RecordVoltage(ids []int, every int64) error {
	if every < 0 {
		return fmt.Errorf("voltage interval %d steps: must be >= 0", every)
	}
	s.vc.every = every
	for k := range s.wk {
		s.wk[k].rec.vIDs = s.wk[k].rec.vIDs[:0]
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	for _, i := range slices.Compact(sorted) {
		if i < 0 || i >= s.total {
			return fmt.Errorf("voltage recording: neuron %d outside 0..%d", i, s.total-1)
		}
		if (i-s.rank)%s.ranks != 0 || i < s.rank {
			continue
		}
		j := (i - s.rank) / s.ranks
		r := &s.wk[s.owner(uint32(j))].rec
		r.vIDs = append(r.vIDs, uint32(j))
	}
	return nil
}

// Voltages returns the recorded membrane potentials ordered by step, then
// neuron: neuron id[i] (0-based index in the whole network) had v[i] mV at
// the end of step step[i] (NEST time stamp (step+1)·resolution).
func (s *Sim) Voltages() (step []int32, id []uint32, v []float64) {
	for k := range s.wk {
		r := &s.wk[k].rec
		step = append(step, r.vSteps...)
		id = append(id, r.vNeur...)
		v = append(v, r.vVals...)
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

// V returns the membrane potential (mV) of neuron i (0-based index in the
// whole network), which the Sim must hold.
func (s *Sim) V(i int) float64 { return s.nrn.v[(i-s.rank)/s.ranks] + s.net.Neuron.EL }
