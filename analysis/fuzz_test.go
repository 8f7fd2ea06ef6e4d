package analysis

import (
	"math"
	"testing"
)

// FuzzSpikeFile feeds the NEST spike-file reader arbitrary content: it must
// return spikes of valid ids and finite times, or an error.
func FuzzSpikeFile(f *testing.F) {
	f.Add([]byte("# NEST version: 3.9.0\n# RecordingBackendASCII version: 2\nsender\ttime_ms\n1\t0.100\n7\t5.300\n"))
	f.Add([]byte("sender time_ms\n3 1e2\r\n4    2.5\n"))
	f.Add([]byte("1\tNaN\n"))
	f.Add([]byte("4294967297\t1.0\n"))
	f.Add([]byte("-1\t1\n\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ids, times, err := parseSpikes(data, "fuzz")
		if err != nil {
			return
		}
		if len(ids) != len(times) {
			t.Fatalf("%d ids, %d times", len(ids), len(times))
		}
		for i := range ids {
			if ids[i] < 1 || math.IsNaN(times[i]) || math.IsInf(times[i], 0) {
				t.Fatalf("spike %d: id %d, time %v accepted", i, ids[i], times[i])
			}
		}
	})
}

// FuzzPopulationFiles feeds the population files (population_nodeids.dat,
// nodes.json) and a spike file arbitrary content: each either parses into
// contiguous, bounded populations that the spikes are grouped into, or
// gives an error.
func FuzzPopulationFiles(f *testing.F) {
	f.Add([]byte("1 10\n11 20\n"), []byte(`{"A": [1, 2, 3], "B": [4, 5], "spike_recorder_A": [6]}`), []byte("3 1.0\n12 2.0\n"))
	f.Add([]byte("1 100000000000\n"), []byte(`{"A": [5, 5, 7]}`), []byte(""))
	f.Add([]byte("0 3\n"), []byte(`{"A": [2, 3], "B": [1]}`), []byte("2 1\n"))
	f.Add([]byte(""), []byte(`[]`), []byte("1 1"))
	f.Fuzz(func(t *testing.T, nodeIDs, nodesJSON, spikes []byte) {
		ids, times, spikeErr := parseSpikes(spikes, "fuzz")
		check := func(names []string, first, sizes []int) {
			total := 0
			for k := range first {
				if first[k] < 1 || sizes[k] < 0 || (k > 0 && first[k] != first[k-1]+sizes[k-1]) {
					t.Fatalf("populations %v %v accepted", first, sizes)
				}
				total += sizes[k]
			}
			if total > maxNeurons {
				t.Fatalf("%d neurons accepted", total)
			}
			if spikeErr != nil || total > 1_000_000 {
				return // grouping allocates per neuron: keep fuzzing fast
			}
			s, err := group(names, first, sizes, [][]int32{ids}, [][]float64{times})
			if err == nil && len(s.Times) != len(ids) {
				t.Fatalf("%d spikes grouped of %d", len(s.Times), len(ids))
			}
		}
		if first, sizes, err := parseNodeIDs(nodeIDs); err == nil {
			names := make([]string, len(first))
			check(names, first, sizes)
		}
		if names, first, sizes, err := parseNodesJSON(nodesJSON); err == nil {
			check(names, first, sizes)
		}
	})
}
