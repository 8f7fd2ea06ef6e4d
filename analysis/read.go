// Package analysis computes the spike statistics by which simulators of the
// microcircuit are compared (Dasbach et al. 2021): single-neuron firing
// rates, ISI coefficients of variation and pairwise spike-count
// correlations per population, and two-sample Kolmogorov–Smirnov distances
// between their distributions. It reads any directory of NEST-format spike
// files, ours or NEST's own.
package analysis

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/pd14/microcircuit/internal/npy"
)

// DefaultPopulations are the PD14 population names, used when a data
// directory names none.
var DefaultPopulations = []string{"L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"}

// Spikes holds the spike trains of a network, grouped by neuron.
type Spikes struct {
	// Pops, FirstID and Sizes describe the populations by NEST node ids.
	Pops    []string
	FirstID []int
	Sizes   []int
	// The spike times (ms, ascending) of neuron i (0-based across all
	// populations, node id FirstID[0]+i) are Times[Start[i]:Start[i+1]].
	Start []int
	Times []float64
}

// N returns the number of neurons.
func (s *Spikes) N() int { return len(s.Start) - 1 }

// Train returns the spike times of the neuron with node id.
func (s *Spikes) Train(id int) []float64 {
	i := id - s.FirstID[0]
	return s.Times[s.Start[i]:s.Start[i+1]]
}

// Meta is what a data directory says about its run.
type Meta struct {
	TPresim, TSim float64 // ms; zero when unknown
	NScaling      float64 // zero when unknown
}

// ReadMeta reads sim_dict.json (ours or the reference package's) and
// net_dict.json if present.
func ReadMeta(dir string) Meta {
	var m Meta
	if b, err := os.ReadFile(filepath.Join(dir, "sim_dict.json")); err == nil {
		var d map[string]any
		if json.Unmarshal(b, &d) == nil {
			m.TPresim, _ = d["t_presim"].(float64)
			m.TSim, _ = d["t_sim"].(float64)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "net_dict.json")); err == nil {
		var d map[string]any
		if json.Unmarshal(b, &d) == nil {
			if p, ok := d["parameters"].(map[string]any); ok {
				d = p
			}
			m.NScaling, _ = d["N_scaling"].(float64)
		}
	}
	return m
}

var recorderFile = regexp.MustCompile(`^spike_recorder-\d+-\d+\.dat$`)

// ReadDir reads every spike_recorder-*.dat file of dir and the population
// layout from population_nodeids.dat or nodes.json.
func ReadDir(dir string) (*Spikes, error) {
	pops, first, sizes, err := readPopulations(dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	var files, npys []string
	for _, e := range entries {
		if recorderFile.MatchString(e.Name()) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
		if m := npyRecorderFile.FindStringSubmatch(e.Name()); m != nil {
			npys = append(npys, filepath.Join(dir, m[1]))
		}
	}
	if len(files) > 0 && len(npys) > 0 {
		return nil, fmt.Errorf("%s: holds spike files of both formats, spike_recorder-*.dat and spike_recorder-*.npy", dir)
	}
	if len(npys) > 0 {
		return readNPY(pops, first, sizes, npys)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no spike_recorder-*.dat or spike_recorder-*.senders.npy files", dir)
	}
	// Parse the files in parallel.
	type part struct {
		ids   []int32
		times []float64
		err   error
	}
	parts := make([]part, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, f := range files {
		wg.Add(1)
		go func(i int, f string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			parts[i].ids, parts[i].times, parts[i].err = parseSpikeFile(f)
		}(i, f)
	}
	wg.Wait()
	ids := make([][]int32, len(parts))
	times := make([][]float64, len(parts))
	for i, p := range parts {
		if p.err != nil {
			return nil, p.err
		}
		ids[i], times[i] = p.ids, p.times
	}
	sp, err := group(pops, first, sizes, ids, times)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return sp, nil
}

// npyRecorderFile matches the senders array of a spike recorder written as
// .npy (its stem is submatch 1; the times are stem.times_ms.npy).
var (
	npyRecorderFile = regexp.MustCompile(`^(spike_recorder-\d+-\d+)\.senders\.npy$`)
	npyTimesFile    = regexp.MustCompile(`^spike_recorder-\d+-\d+\.time_ms\.npy$`)
)

// readNPY reads spike recorders written as .npy arrays (stem.senders.npy,
// stem.time_ms.npy) in two passes, so that only one recorder's arrays are
// in memory besides the result: the senders to count each neuron's
// spikes, then both arrays to place the times.
func readNPY(pops []string, first, sizes []int, stems []string) (*Spikes, error) {
	n := 0
	for _, sz := range sizes {
		n += sz
	}
	lo := first[0]
	s := &Spikes{Pops: pops, FirstID: first, Sizes: sizes, Start: make([]int, n+1)}
	for _, stem := range stems {
		ids, err := npy.ReadUint32(stem + ".senders.npy")
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			i := int(id) - lo
			if i < 0 || i >= n {
				return nil, fmt.Errorf("%s.senders.npy: spike of node %d outside the populations %d..%d", stem, id, lo, lo+n-1)
			}
			s.Start[i+1]++
		}
	}
	for i := 1; i <= n; i++ {
		s.Start[i] += s.Start[i-1]
	}
	s.Times = make([]float64, s.Start[n])
	pos := append([]int(nil), s.Start[:n]...)
	for _, stem := range stems {
		ids, err := npy.ReadUint32(stem + ".senders.npy")
		if err != nil {
			return nil, err
		}
		times, err := npy.ReadFloat64(stem + ".time_ms.npy")
		if err != nil {
			return nil, err
		}
		if len(times) != len(ids) {
			return nil, fmt.Errorf("%s: %d senders but %d times", stem, len(ids), len(times))
		}
		for j, id := range ids {
			i := int(id) - lo
			if i < 0 || i >= n || pos[i] >= s.Start[i+1] {
				return nil, fmt.Errorf("%s: its senders changed while being read", stem)
			}
			t := times[j]
			if math.IsNaN(t) || math.IsInf(t, 0) {
				return nil, fmt.Errorf("%s.time_ms.npy: element %d = %v is not a time", stem, j, t)
			}
			s.Times[pos[i]] = t
			pos[i]++
		}
	}
	s.sortTrains()
	return s, nil
}

// sortTrains sorts each neuron's spike times.
func (s *Spikes) sortTrains() {
	for i := 0; i+1 < len(s.Start); i++ {
		tr := s.Times[s.Start[i]:s.Start[i+1]]
		if !sort.Float64sAreSorted(tr) {
			sort.Float64s(tr)
		}
	}
}

// NewSpikes groups spikes (sender node ids and times) by neuron.
func NewSpikes(pops []string, firstID, sizes []int, sender []int, times []float64) (*Spikes, error) {
	ids := make([]int32, len(sender))
	for i, s := range sender {
		ids[i] = int32(s)
	}
	return group(pops, firstID, sizes, [][]int32{ids}, [][]float64{times})
}

// group sorts spikes, given in parts, by neuron with a counting sort.
func group(pops []string, first, sizes []int, ids [][]int32, times [][]float64) (*Spikes, error) {
	if len(first) == 0 || len(first) != len(sizes) || len(pops) != len(sizes) {
		return nil, fmt.Errorf("%d populations with %d first ids and %d sizes", len(pops), len(first), len(sizes))
	}
	n := 0
	for _, s := range sizes {
		n += s
	}
	s := &Spikes{Pops: pops, FirstID: first, Sizes: sizes, Start: make([]int, n+1)}
	lo := first[0]
	for _, part := range ids {
		for _, id := range part {
			i := int(id) - lo
			if i < 0 || i >= n {
				return nil, fmt.Errorf("spike of node %d outside the populations %d..%d", id, lo, lo+n-1)
			}
			s.Start[i+1]++
		}
	}
	for i := 1; i <= n; i++ {
		s.Start[i] += s.Start[i-1]
	}
	s.Times = make([]float64, s.Start[n])
	pos := append([]int(nil), s.Start[:n]...)
	for k, part := range ids {
		for j, id := range part {
			i := int(id) - lo
			s.Times[pos[i]] = times[k][j]
			pos[i]++
		}
	}
	s.sortTrains()
	return s, nil
}

// maxNeurons bounds the neurons a population file may describe: the
// analysis allocates per neuron, and a file claiming more is taken for
// garbage rather than trusted with the memory.
const maxNeurons = 100_000_000

// parseSpikeFile reads a NEST ASCII spike file.
func parseSpikeFile(path string) ([]int32, []float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return parseSpikes(data, path)
}

// parseSpikes reads the content of a NEST ASCII spike file (named name in
// messages): header lines starting with '#' and the column line "sender
// time_ms", then one spike per line, a node id >= 1 and a finite time.
func parseSpikes(data []byte, name string) ([]int32, []float64, error) {
	n := bytes.Count(data, []byte{'\n'}) + 1
	ids := make([]int32, 0, n)
	times := make([]float64, 0, n)
	line := 0
	for len(data) > 0 {
		line++
		end := bytes.IndexByte(data, '\n')
		var l []byte
		if end < 0 {
			l, data = data, nil
		} else {
			l, data = data[:end], data[end+1:]
		}
		l = bytes.TrimRight(l, "\r ")
		if len(l) == 0 || l[0] == '#' || bytes.HasPrefix(l, []byte("sender")) {
			continue
		}
		tab := bytes.IndexAny(l, "\t ")
		if tab <= 0 {
			return nil, nil, fmt.Errorf("%s:%d: want 'sender time', found %q", name, line, l)
		}
		id, err := strconv.Atoi(unsafe.String(&l[0], tab))
		rest := bytes.TrimLeft(l[tab+1:], "\t ")
		if err != nil || id < 1 || id > math.MaxInt32 || len(rest) == 0 {
			return nil, nil, fmt.Errorf("%s:%d: bad sender in %q (a node id from 1 to %d)", name, line, l, math.MaxInt32)
		}
		t, err := strconv.ParseFloat(unsafe.String(&rest[0], len(rest)), 64)
		if err != nil || math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, nil, fmt.Errorf("%s:%d: bad time in %q (a finite number of ms)", name, line, l)
		}
		ids = append(ids, int32(id))
		times = append(times, t)
	}
	return ids, times, nil
}

// readPopulations reads population_nodeids.dat, or else nodes.json.
func readPopulations(dir string) (names []string, first, sizes []int, err error) {
	if b, err := os.ReadFile(filepath.Join(dir, "population_nodeids.dat")); err == nil {
		first, sizes, err := parseNodeIDs(b)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s/population_nodeids.dat: %w", dir, err)
		}
		return nodeNames(dir, len(first)), first, sizes, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, "nodes.json"))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: neither population_nodeids.dat nor nodes.json", dir)
	}
	names, first, sizes, err = parseNodesJSON(b)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s/nodes.json: %w", dir, err)
	}
	return names, first, sizes, nil
}

// parseNodeIDs reads population_nodeids.dat: a line "first last" (NEST
// node ids) per population, contiguous and ascending from id 1 or more.
func parseNodeIDs(data []byte) (first, sizes []int, err error) {
	total := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, nil, fmt.Errorf("want 'first last', found %q", sc.Text())
		}
		a, e1 := strconv.Atoi(f[0])
		z, e2 := strconv.Atoi(f[1])
		if e1 != nil || e2 != nil || a < 1 || z < a-1 || z-a+1 > maxNeurons-total {
			return nil, nil, fmt.Errorf("bad line %q (ids from 1, at most %d neurons in all)", sc.Text(), maxNeurons)
		}
		if len(first) > 0 && a != first[len(first)-1]+sizes[len(sizes)-1] {
			return nil, nil, fmt.Errorf("populations are not contiguous at %q", sc.Text())
		}
		first = append(first, a)
		sizes = append(sizes, z-a+1)
		total += z - a + 1
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	if len(first) == 0 {
		return nil, nil, errors.New("no populations")
	}
	return first, sizes, nil
}

// parseNodesJSON reads nodes.json: population name → its node ids (the
// spike recorders' and voltmeters' entries aside), contiguous populations.
func parseNodesJSON(data []byte) (names []string, first, sizes []int, err error) {
	var nodes map[string][]int
	if err := json.Unmarshal(data, &nodes); err != nil {
		return nil, nil, nil, err
	}
	for name, ids := range nodes {
		if strings.HasPrefix(name, "spike_recorder") || strings.HasPrefix(name, "voltmeter") || len(ids) == 0 {
			continue
		}
		names = append(names, name)
	}
	sort.Slice(names, func(a, b int) bool { return nodes[names[a]][0] < nodes[names[b]][0] })
	total := 0
	for _, name := range names {
		ids := nodes[name]
		for i, id := range ids {
			if id != ids[0]+i || ids[0] < 1 {
				return nil, nil, nil, fmt.Errorf("population %s is not an ascending, contiguous range of node ids from 1 or more", name)
			}
		}
		if len(first) > 0 && ids[0] != first[len(first)-1]+sizes[len(sizes)-1] {
			return nil, nil, nil, fmt.Errorf("population %s does not follow the previous one", name)
		}
		if total += len(ids); total > maxNeurons {
			return nil, nil, nil, fmt.Errorf("more than %d neurons", maxNeurons)
		}
		first = append(first, ids[0])
		sizes = append(sizes, len(ids))
	}
	if len(names) == 0 {
		return nil, nil, nil, errors.New("no populations")
	}
	return names, first, sizes, nil
}

// nodeNames returns population names from nodes.json if it agrees in
// number, else the PD14 names for 8 populations, else pop0, pop1, ...
func nodeNames(dir string, n int) []string {
	if b, err := os.ReadFile(filepath.Join(dir, "nodes.json")); err == nil {
		var nodes map[string]json.RawMessage
		if json.Unmarshal(b, &nodes) == nil {
			var names []string
			for _, p := range DefaultPopulations {
				if _, ok := nodes[p]; ok {
					names = append(names, p)
				}
			}
			if len(names) == n {
				return names
			}
		}
	}
	if n == len(DefaultPopulations) {
		return DefaultPopulations
	}
	out := make([]string, n)
	for i := range out {
		out[i] = "pop" + strconv.Itoa(i)
	}
	return out
}
