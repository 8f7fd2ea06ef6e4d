package microcircuit

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"io"

	"github.com/pd14/microcircuit/cluster"
	"github.com/pd14/microcircuit/engine"
	"github.com/pd14/microcircuit/params"
)

// Checkpoint is a model's dynamic state at a step boundary: with the
// parameters it records, from which the same network is built again, it
// continues the simulation exactly, with any number of threads (and
// ranks). It holds no synapses: megabytes at full scale.
type Checkpoint struct {
	// Version is the program version that wrote it; another version may
	// build another network or simulate it otherwise, and is refused.
	Version string
	// Params is the YAML of the parameters (threads and data path left
	// out: they do not change the network or the spikes).
	Params []byte
	// Checksum is the realised network's (engine.Network.Checksum).
	Checksum uint64
	// State is the simulation's state.
	State *engine.State
	// RecFrom and RecSteps are the recorded phase: its first step and its
	// steps so far; Streamed the spikes of each neuron handed to a sink in
	// it.
	RecFrom, RecSteps int64
	Streamed          []int32
}

// modelParams returns the YAML of p without what does not change the
// model (threads, data path).
func modelParams(p params.Params) ([]byte, error) {
	p.Simulation.Threads = 0
	p.Simulation.DataPath = "."
	return p.YAML()
}

// Checkpoint returns the model's state; collective under MPI (every rank
// gets the whole state). Call it between calls of Simulate; data that a
// sink has not been handed yet (spikes recorded without a sink) is not
// part of it.
func (m *Model) Checkpoint() (*Checkpoint, error) {
	sum := m.checksum()
	yml, err := modelParams(m.Params)
	if err != nil {
		return nil, err
	}
	st := m.sim.State()
	if m.comm.Size() > 1 {
		var b bytes.Buffer
		err := gob.NewEncoder(&b).Encode(st)
		all, counts := cluster.Allgather(m.comm, b.Bytes())
		if err = m.comm.Agree(err); err != nil {
			return nil, err
		}
		parts := make([]*engine.State, len(counts))
		off := 0
		for r, n := range counts {
			parts[r] = new(engine.State)
			if err := gob.NewDecoder(bytes.NewReader(all[off : off+n])).Decode(parts[r]); err != nil {
				return nil, fmt.Errorf("state of rank %d: %w", r, err)
			}
			off += n
		}
		if st, err = engine.MergeState(parts); err != nil {
			return nil, err
		}
	}
	return &Checkpoint{
		Version: Version, Params: yml, Checksum: sum, State: st,
		RecFrom: m.recFrom, RecSteps: m.recSteps, Streamed: append([]int32(nil), m.stream.counts...),
	}, nil
}

// Restore puts the model, built from the checkpoint's parameters, into the
// checkpoint's state. It refuses a checkpoint of another program version,
// other parameters or another network.
func (m *Model) Restore(cp *Checkpoint) error {
	sum := m.checksum()
	if cp.Version != Version {
		return fmt.Errorf("checkpoint of microcircuit %s; this is %s, which may build or simulate the network otherwise", cp.Version, Version)
	}
	yml, err := modelParams(m.Params)
	if err != nil {
		return err
	}
	if !bytes.Equal(yml, cp.Params) {
		return fmt.Errorf("checkpoint of other parameters than the model's")
	}
	if cp.Checksum != sum {
		return fmt.Errorf("checkpoint of another network (checksum %016x, the model's %016x)", cp.Checksum, sum)
	}
	if cp.State == nil {
		return fmt.Errorf("checkpoint without a state")
	}
	if err := m.sim.SetState(cp.State); err != nil {
		return fmt.Errorf("restoring the checkpoint: %w", err)
	}
	m.sim.ClearSpikes()
	m.recFrom, m.recSteps = cp.RecFrom, cp.RecSteps
	if cp.Streamed != nil {
		if len(cp.Streamed) != m.Neurons() {
			return fmt.Errorf("checkpoint with spike counts of %d neurons for %d", len(cp.Streamed), m.Neurons())
		}
		m.stream.counts = append([]int32(nil), cp.Streamed...)
	}
	return nil
}

// Encode writes cp to w.
func (cp *Checkpoint) Encode(w io.Writer) error {
	return gob.NewEncoder(w).Encode(cp)
}

// DecodeCheckpoint reads a checkpoint written by Encode.
func DecodeCheckpoint(r io.Reader) (*Checkpoint, error) {
	var cp Checkpoint
	if err := gob.NewDecoder(r).Decode(&cp); err != nil {
		return nil, fmt.Errorf("reading checkpoint: %w", err)
	}
	return &cp, nil
}

// CheckpointParams returns the parameters a checkpoint was made with.
func CheckpointParams(cp *Checkpoint) (params.Params, error) {
	return params.Parse(cp.Params)
}
