package engine

import (
	"slices"
	"time"
)

// Exchanger hands the spikes of one step of every rank to every rank: the
// seam between the engine and the processes (ranks) that simulate parts of
// one network.
type Exchanger interface {
	// ExchangeSpikes sends this rank's spikes of a step (neuron indices in
	// the whole network, ascending) and whether this rank asks to stop,
	// and returns the spikes of all ranks in rank order (reusing all's
	// memory) and whether any rank asked to stop. Every rank calls it once
	// at the start of each Run (with no spikes: the stop request is then a
	// vote against two-step passes), and then once per step, or once per
	// pass of two steps whose second step's neurons have bit 31 set.
	ExchangeSpikes(local []uint32, stop bool, all []uint32) ([]uint32, bool)
}

// exchange is the Sim's side of the seam: the spikes of the current step of
// all ranks, and where worker 0's time went.
type exchange struct {
	x     Exchanger // nil: the Sim holds the whole network
	local []uint32  // this rank's spikes of the step
	all   []uint32  // every rank's spikes of the step
	// pass are every rank's spikes of the two steps of a pass (see
	// exchangePass), slices of all.
	pass [2][]uint32

	compute time.Duration // worker 0 outside the exchange
	wait    time.Duration // worker 0 inside it
	mark    time.Time
}

// start marks the beginning of a Run.
func (x *exchange) start() { x.mark = time.Now() }

// exchangeSpikes gathers the spikes of step t (parity par) of the workers
// of this Sim, exchanges them with the other ranks and, on a step where the
// workers check for a stop, sets the stop flag if any rank asked to stop.
// Worker 0 calls it between the two barriers of the step.
func (s *Sim) exchangeSpikes(par int64, check bool) {
	x := &s.xch
	local := x.local[:0]
	for k := range s.wk {
		local = append(local, s.wk[k].spk[par]...)
	}
	s.exchangeLocal(local, check)
}

// exchangePass is exchangeSpikes for the n steps (1 or 2) of a two-step
// pass whose spike lists have parity b (see work2): the neurons of the
// second step travel with bit 31 set, so that every rank's list stays
// ascending and the sorted whole splits by step into x.pass.
func (s *Sim) exchangePass(b, n int, check bool) {
	x := &s.xch
	local := x.local[:0]
	for i := range n {
		for k := range s.wk {
			for _, id := range s.wk[k].spk2[b][i] {
				local = append(local, id|uint32(i)<<31)
			}
		}
	}
	s.exchangeLocal(local, check)
	i, _ := slices.BinarySearch(x.all, 1<<31)
	second := x.all[i:]
	for j := range second {
		second[j] &^= 1 << 31
	}
	x.pass = [2][]uint32{x.all[:i], second}
}

// exchangeLocal exchanges local, this rank's spikes, with the other ranks
// into x.all, sorted; on a step where the workers check for a stop it sets
// the stop flag if any rank asked to stop.
func (s *Sim) exchangeLocal(local []uint32, check bool) {
	x := &s.xch
	x.local = local
	stop := check && s.stop.Load()
	t0 := time.Now()
	var any bool
	x.all, any = x.x.ExchangeSpikes(local, stop, x.all)
	if s.ranks > 1 {
		// Each rank's spikes are ascending; neurons are distributed
		// round-robin, so the ranks' lists interleave.
		slices.Sort(x.all)
	}
	if check {
		s.stop.Store(any)
	}
	t1 := time.Now()
	x.compute += t0.Sub(x.mark)
	x.wait += t1.Sub(t0)
	x.mark = t1
}

// agreeTwoStep tells whether every rank can take two-step passes in the Run
// that starts (each rank says whether it can, as the stop request of one
// exchange without spikes): all ranks must exchange alike.
func (s *Sim) agreeTwoStep(two bool) bool {
	var veto bool
	s.xch.all, veto = s.xch.x.ExchangeSpikes(s.xch.local[:0], !two, s.xch.all)
	return !veto
}

// ExchangeTimes returns the wall time worker 0 spent outside and inside the
// spike exchange since the start: computing (including waiting for this
// rank's other workers) and exchanging (including waiting for other ranks).
// Both are zero without an exchanger.
func (s *Sim) ExchangeTimes() (compute, exchange time.Duration) {
	return s.xch.compute, s.xch.wait
}
