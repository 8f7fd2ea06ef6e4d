package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pd14/microcircuit/analysis"
	"github.com/pd14/microcircuit/internal/testref"
	"github.com/pd14/microcircuit/results"
)

// fullDisk creates files that accept budget bytes in all and then fail as
// a full disk does.
type fullDisk struct{ budget int64 }

type diskFile struct {
	f    *os.File
	disk *fullDisk
}

func (d *fullDisk) create(path string) (results.File, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &diskFile{f, d}, nil
}

func (f *diskFile) Write(p []byte) (int, error) {
	if int64(len(p)) > f.disk.budget {
		n, _ := f.f.Write(p[:f.disk.budget])
		f.disk.budget = 0
		return n, &os.PathError{Op: "write", Path: f.f.Name(), Err: syscall.ENOSPC}
	}
	f.disk.budget -= int64(len(p))
	return f.f.Write(p)
}

func (f *diskFile) WriteAt(p []byte, off int64) (int, error) {
	if int64(len(p)) > f.disk.budget {
		f.disk.budget = 0
		return 0, &os.PathError{Op: "write", Path: f.f.Name(), Err: syscall.ENOSPC}
	}
	f.disk.budget -= int64(len(p))
	return f.f.WriteAt(p, off)
}

func (f *diskFile) Close() error { return f.f.Close() }

// TestFullDiskWhileWriting lets the disk fill up at several points while a
// run writes its results over an earlier run's: each must end with an
// error that says so, the earlier results as they were, and no staging
// directory left behind.
func TestFullDiskWhileWriting(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := execute(small(dir)...); err != nil {
		t.Fatal(err)
	}
	before := map[string]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		before[e.Name()] = string(b)
	}
	defer func() { prepareResults = results.Prepare }()
	for _, budget := range []int64{0, 100, 5000, 20000, 50000} {
		disk := &fullDisk{budget: budget}
		prepareResults = func(path string, overwrite bool) (*results.Dir, error) {
			d, err := results.Prepare(path, overwrite)
			if d != nil {
				d.CreateFile = disk.create
			}
			return d, err
		}
		err := execute(append(small(dir), "--overwrite", "--seed", "7")...)
		if err == nil || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "writing") {
			t.Errorf("disk full after %d bytes: %v", budget, err)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != len(before) {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("disk full after %d bytes: the directory holds %v", budget, names)
		}
		for name, content := range before {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != content {
				t.Errorf("disk full after %d bytes: %s of the earlier run changed (%v)", budget, name, err)
			}
		}
	}
}

// TestOverwriteReplacesExactlyTheRun checks that --overwrite replaces the
// files the earlier run wrote (its manifest) and nothing else: a user's
// files stay, files of the earlier run that the new one does not write go.
func TestOverwriteReplacesExactlyTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := execute(append(small(dir), "--record", "spikes,voltage")...); err != nil {
		t.Fatal(err)
	}
	mine := map[string]string{"my_figure.png": "mine", "rate_notes.dat": "mine too"}
	for name, c := range mine {
		os.WriteFile(filepath.Join(dir, name), []byte(c), 0o644)
	}
	if err := execute(append(small(dir), "--overwrite", "--no-plots")...); err != nil {
		t.Fatal(err)
	}
	for name, c := range mine {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != c {
			t.Errorf("the user's %s was touched: %v", name, err)
		}
	}
	for _, gone := range []string{"raster_plot.png", "box_plot.png", "voltmeter-*.dat"} {
		if m, _ := filepath.Glob(filepath.Join(dir, gone)); len(m) != 0 {
			t.Errorf("%s of the earlier run is still there", gone)
		}
	}
	m, err := results.ReadManifest(dir)
	if err != nil || m == nil {
		t.Fatalf("manifest: %v", err)
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		listed[f] = true
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("manifest lists %s, which is missing", f)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !listed[e.Name()] && mine[e.Name()] == "" {
			t.Errorf("%s is neither the run's nor the user's", e.Name())
		}
	}
}

// TestStaleStatistics: statistics computed from an earlier run's spikes
// (or with other options) are not reused after --overwrite: validate
// computes them again from the spike files in the directory.
func TestStaleStatistics(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "data")
	if err := execute(small(dir)...); err != nil {
		t.Fatal(err)
	}
	if err := execute("analyze", dir, "--no-plots"); err != nil {
		t.Fatal(err)
	}
	// The reference: the same statistics, copied.
	ref := filepath.Join(tmp, "ref")
	os.MkdirAll(ref, 0o755)
	for _, f := range []string{"rates.json", "spike_cvs.json", "spike_ccs.json", "statistics.json"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		os.WriteFile(filepath.Join(ref, f), b, 0o644)
	}
	// Other spikes in the same directory.
	if err := execute(append(small(dir), "--overwrite", "--seed", "99")...); err != nil {
		t.Fatal(err)
	}
	if err := execute("validate", dir, "--reference", ref, "--overwrite"); err != nil {
		var ee *exitError
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
	}
	var v struct {
		Source analysisSource `json:"source"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "validation.json"))
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	digest, _ := analysis.SpikeDigest(dir)
	if v.Source.SpikeFiles != digest || v.Source.TMin != 100 || v.Source.TMax != 300 {
		t.Fatalf("validate used statistics of %+v; the spike files are %s", v.Source, digest)
	}
}

type analysisSource = analysis.Source

// TestValidateRefusesOtherWindow: a run analysed over another length of
// time than the reference is refused with a message that says so.
func TestValidateRefusesOtherWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	ref := testref.Dir(t, "scale0.2_dc")
	dir := filepath.Join(t.TempDir(), "data")
	if err := execute(small(dir)...); err != nil {
		t.Fatal(err)
	}
	err := execute("validate", dir, "--reference", ref)
	if err == nil || !strings.Contains(err.Error(), "[500, 10500] ms (10 s)") || !strings.Contains(err.Error(), "different lengths") {
		t.Fatalf("a 200 ms run against the 10 s reference: %v", err)
	}
}

// TestEnsembleRefusesOtherParameters: resuming an ensemble whose seed
// directories hold runs of other parameters is refused, naming the
// difference, and --overwrite runs them again.
func TestEnsembleRefusesOtherParameters(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	root := filepath.Join(t.TempDir(), "ens")
	args := []string{"ensemble", "--seeds", "2", "--scale", "0.02", "--t-presim", "100", "--t-sim", "200",
		"--no-plots", "--cc-neurons", "10", "--data-path", root}
	if err := execute(args...); err != nil {
		t.Fatal(err)
	}
	other := append(args[:len(args):len(args)], "--bg", "poisson")
	err := execute(other...)
	if err == nil || !strings.Contains(err.Error(), "bg_input: dc there, bg_input: poisson asked") {
		t.Fatalf("resume with another background: %v", err)
	}
	if err := execute(append(other, "--overwrite")...); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(root, "seed56", "summary.json"))
	var s Summary
	if json.Unmarshal(b, &s); s.BgInput != "poisson" {
		t.Fatalf("after --overwrite seed56 has %q background", s.BgInput)
	}
	if err := execute(append(other, "--threads", "1")...); err != nil {
		t.Fatalf("another thread count is not another model: %v", err)
	}
}
