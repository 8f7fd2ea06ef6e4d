package analysis

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// Source says what a set of metrics was computed from: the spike files (a
// SHA-256 digest of their names and contents), the analysis window and the
// correlation options. Metrics computed from other spikes or with other
// options are stale and must be computed again.
type Source struct {
	SpikeFiles string  `json:"spike_files_sha256"`
	TMin       float64 `json:"t_min_ms"`
	TMax       float64 `json:"t_max_ms"`
	CCNeurons  int     `json:"cc_neurons"`
	CCBin      float64 `json:"cc_bin_ms"`
	CCSeed     uint32  `json:"cc_seed"`
}

// Window returns the analysis window of the source.
func (s Source) Window() Window { return Window{TMin: s.TMin, TMax: s.TMax} }

// SourceOf returns the source of the metrics of dir's spike files analysed
// with o (defaults filled in as Compute fills them).
func SourceOf(dir string, o Options) (Source, error) {
	digest, err := SpikeDigest(dir)
	if err != nil {
		return Source{}, err
	}
	o = o.withDefaults()
	return Source{SpikeFiles: digest, TMin: o.Window.TMin, TMax: o.Window.TMax,
		CCNeurons: o.CCNeurons, CCBin: o.CCBin, CCSeed: o.CCSeed}, nil
}

// SpikeDigest returns the SHA-256 digest of the names and contents of the
// spike recorder files of dir (ASCII or .npy), in name order.
func SpikeDigest(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if recorderFile.MatchString(e.Name()) || npyRecorderFile.MatchString(e.Name()) || npyTimesFile.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return "", fmt.Errorf("%s: no spike_recorder-*.dat or spike_recorder-*.senders.npy files", dir)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\n", n)
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", filepath.Join(dir, n), err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Current reports whether m was computed from src (false for metrics that
// do not record their source).
func (m *Metrics) Current(src Source) bool {
	return m.Source != nil && *m.Source == src
}

// readSource returns the source recorded in dir's statistics.json, or nil.
func readSource(dir string) *Source {
	b, err := os.ReadFile(filepath.Join(dir, "statistics.json"))
	if err != nil {
		return nil
	}
	var s struct {
		Source *Source `json:"source"`
	}
	if json.Unmarshal(b, &s) != nil {
		return nil
	}
	return s.Source
}

// windowOf returns the analysis window of the data set in dir as far as it
// says: the source of its metrics, the reference's interval_ms in
// summary.json, or the recorded phase of sim_dict.json; ok is false when
// nothing says.
func windowOf(dir string) (w Window, ok bool) {
	if s := readSource(dir); s != nil {
		return s.Window(), true
	}
	if b, err := os.ReadFile(filepath.Join(dir, "summary.json")); err == nil {
		var s struct {
			Interval []float64 `json:"interval_ms"`
		}
		if json.Unmarshal(b, &s) == nil && len(s.Interval) == 2 {
			return Window{TMin: s.Interval[0], TMax: s.Interval[1]}, true
		}
	}
	if m := ReadMeta(dir); m.TSim > 0 {
		return Window{TMin: m.TPresim, TMax: m.TPresim + m.TSim}, true
	}
	return Window{}, false
}

// sameLength reports whether two windows are equally long (to 1 µs).
func sameLength(a, b Window) bool { return math.Abs(a.Length()-b.Length()) < 1e-3 }
