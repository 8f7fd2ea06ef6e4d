package results

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Populations describes the node ids of a network's populations.
type Populations struct {
	Names   []string
	FirstID []int // NEST node id of each population's first neuron
	Sizes   []int
}

// Total returns the number of neurons.
func (p Populations) Total() int {
	n := 0
	for _, s := range p.Sizes {
		n += s
	}
	return n
}

// RecorderID returns the NEST node id of population k's spike recorder:
// recorders are created after all neurons, one per population.
func (p Populations) RecorderID(k int) int { return p.Total() + 1 + k }

// VoltmeterID returns the NEST node id of population k's voltmeter: the
// voltmeters are created after the spike recorders, if there are any.
func (p Populations) VoltmeterID(k int, spikeRecorders bool) int {
	if spikeRecorders {
		return p.Total() + 1 + len(p.Sizes) + k
	}
	return p.Total() + 1 + k
}

// Of returns the population index of a node id, or -1.
func (p Populations) Of(id int) int {
	for k := len(p.FirstID) - 1; k >= 0; k-- {
		if id >= p.FirstID[k] {
			if id < p.FirstID[k]+p.Sizes[k] {
				return k
			}
			return -1
		}
	}
	return -1
}

// WriteSpikes writes one NEST ASCII spike file per population,
// spike_recorder-<recorder id>-0.dat, from spikes sorted by time.
func WriteSpikes(d *Dir, pops Populations, sender []int, time []float64, version string) error {
	return writeAll(d, pops, SpikeRecorders(pops), version, sender, time)
}

// WriteVoltages writes one NEST ASCII voltmeter file per population,
// voltmeter-<id>-0.dat with columns sender, time_ms, V_m, from samples
// sorted by time.
func WriteVoltages(d *Dir, pops Populations, spikeRecorders bool, sender []int, time, v []float64, version string) error {
	return writeAll(d, pops, Voltmeters(pops, spikeRecorders), version, sender, time, v)
}

func writeAll(d *Dir, pops Populations, dv Device, version string, sender []int, cols ...[]float64) error {
	w, err := NewDeviceWriter(d, pops, dv, ASCII, version)
	if err != nil {
		return err
	}
	if err := w.Append(sender, cols...); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// WriteNodes writes population_nodeids.dat and nodes.json, listing the
// spike recorders.
func WriteNodes(d *Dir, pops Populations) error { return WriteNodesWith(d, pops, true, false) }

// WriteNodesWith is WriteNodes with the recording devices named:
// spikeRecorders tells whether the spike recorders exist (and so come
// first), voltmeters whether voltmeter ids are listed.
func WriteNodesWith(d *Dir, pops Populations, spikeRecorders, voltmeters bool) error {
	err := d.Write("population_nodeids.dat", func(w io.Writer) error {
		b := bufio.NewWriter(w)
		for k, n := range pops.Sizes {
			fmt.Fprintf(b, "%d %d\n", pops.FirstID[k], pops.FirstID[k]+n-1)
		}
		return b.Flush()
	})
	if err != nil {
		return err
	}
	// nodes.json: population → node ids, spike_recorder_<pop> → [id].
	return d.Write("nodes.json", func(w io.Writer) error {
		nw := bufio.NewWriter(w)
		nw.WriteString("{")
		for k, name := range pops.Names {
			if k > 0 {
				nw.WriteString(", ")
			}
			fmt.Fprintf(nw, "%q: [", name)
			for i := 0; i < pops.Sizes[k]; i++ {
				if i > 0 {
					nw.WriteString(", ")
				}
				nw.WriteString(strconv.Itoa(pops.FirstID[k] + i))
			}
			nw.WriteString("]")
		}
		for k, name := range pops.Names {
			if spikeRecorders {
				fmt.Fprintf(nw, ", %q: [%d]", "spike_recorder_"+name, pops.RecorderID(k))
			}
			if voltmeters {
				fmt.Fprintf(nw, ", %q: [%d]", "voltmeter_"+name, pops.VoltmeterID(k, spikeRecorders))
			}
		}
		nw.WriteString("}\n")
		return nw.Flush()
	})
}

// WriteJSON writes v as indented JSON to the staged file name.
func WriteJSON(d *Dir, name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", name, err)
	}
	return d.WriteFile(name, append(data, '\n'))
}
