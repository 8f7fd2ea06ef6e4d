package microcircuit

// Sink receives recorded data as the simulation proceeds, in blocks of
// increasing time: spikes ordered by time, then sender (NEST node ids,
// times in ms), and membrane potentials ordered likewise. Under MPI every
// rank's sink gets the whole network's data.
type Sink interface {
	Spikes(sender []int, times []float64) error
	Voltages(sender []int, times, v []float64) error
}

// stream is a Model's streaming of recorded data.
type stream struct {
	sink   Sink
	block  int64   // steps per block
	counts []int32 // spikes of each neuron (node id - 1) handed to the sink
}

// reset starts a new recorded phase.
func (s *stream) reset(neurons int) {
	if s.sink != nil {
		s.counts = make([]int32, neurons)
	}
}

// StreamTo makes recorded phases hand their spikes and membrane potentials
// to sink in blocks of blockMS ms of model time (ending at multiples of
// it) instead of keeping them: memory stays bounded however long the run.
// Spikes and Voltages then return only what was not handed on yet, and
// Rates counts every spike handed on. nil turns streaming off.
func (m *Model) StreamTo(sink Sink, blockMS float64) {
	m.stream.sink = sink
	m.stream.block = max(1, int64(blockMS/m.h+0.5))
	m.stream.reset(m.Neurons())
}

// flush hands what was recorded since the last block to the sink and drops
// it from memory; collective under MPI.
func (m *Model) flush() error {
	sender, times := m.Spikes()
	var vs []int
	var vt, vv []float64
	if m.Params.RecordVoltage() {
		vs, vt, vv = m.Voltages()
	}
	m.sim.ClearSpikes()
	for _, id := range sender {
		m.stream.counts[id-1]++
	}
	err := m.stream.sink.Spikes(sender, times)
	if err == nil && vs != nil {
		err = m.stream.sink.Voltages(vs, vt, vv)
	}
	return m.comm.Agree(err)
}

// Streamed returns the number of spikes of each neuron (by node id - 1)
// handed to the sink in the current recorded phase; nil without a sink.
func (m *Model) Streamed() []int32 { return m.stream.counts }
