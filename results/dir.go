// Package results writes the files of a run in the formats of NEST and the
// reference PyNEST package: spike recorder files, node ids, parameter
// dictionaries and a summary. Files are staged and moved into place only
// when complete, a manifest records what a run wrote, and existing results
// are never replaced unless asked (and then exactly the files of the
// earlier run's manifest are).
package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ManifestName is the file in which a run lists the files it wrote.
const ManifestName = "manifest.json"

// Manifest is the content of manifest.json.
type Manifest struct {
	Program string   `json:"program"`
	Version string   `json:"version"`
	Written string   `json:"written"` // RFC 3339
	Files   []string `json:"files"`   // names in the data directory, manifest.json included
}

// legacyPatterns are the file names that runs without a manifest (earlier
// versions) wrote; a directory holding any of them may hold results.
var legacyPatterns = []string{
	"spike_recorder-*.dat", "voltmeter-*.dat", "summary.json", "sim_dict.json", "net_dict.json",
	"stim_dict.json", "nodes.json", "population_nodeids.dat", "rate*.dat", "*.png",
	"spike_sender.npy", "spike_time_ms.npy", "bench.json", "metadata.json",
}

// ReadManifest returns the manifest of dir, or nil if it has none.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestName), err)
	}
	for _, f := range m.Files {
		if f == "" || f != filepath.Base(f) || strings.HasPrefix(f, ".") {
			return nil, fmt.Errorf("%s: %q is not a file name of the directory", filepath.Join(dir, ManifestName), f)
		}
	}
	return &m, nil
}

// Existing returns the result files of an earlier run in dir (none if dir
// is absent): those its manifest lists, or, without a manifest, the files
// named as runs name theirs.
func Existing(dir string) ([]string, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	if m != nil {
		for _, f := range m.Files {
			p := filepath.Join(dir, f)
			if _, err := os.Lstat(p); err == nil {
				out = append(out, p)
			}
		}
		return out, nil
	}
	for _, p := range legacyPatterns {
		found, err := filepath.Glob(filepath.Join(dir, p))
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// Dir is a data directory being written. Files go to a staging directory
// inside it and are moved into place by Commit.
type Dir struct {
	final     string
	stage     string
	overwrite bool
	// CreateFile creates a file for writing; Create uses it. Tests
	// replace it to inject write failures (a full disk).
	CreateFile func(path string) (File, error)
	rename     func(from, to string) error // os.Rename; tests make it fail
}

// Prepare checks that dir can hold the results of a new run and creates
// it and a staging directory in it. Without overwrite, a directory that
// already holds results is an error. Nothing existing is changed.
func Prepare(dir string, overwrite bool) (*Dir, error) {
	if dir == "" {
		return nil, errors.New("data-path is empty: give a directory")
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("data-path %s: exists and is not a directory", dir)
	}
	old, err := Existing(dir)
	if err != nil {
		return nil, fmt.Errorf("data-path %s: %w", dir, err)
	}
	if len(old) > 0 && !overwrite {
		return nil, fmt.Errorf("data-path %s: holds results of an earlier run (%s); use --overwrite to replace them or choose another --data-path",
			dir, filepath.Base(old[0]))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data-path %s: cannot create: %w", dir, unwrapPath(err))
	}
	stage, err := os.MkdirTemp(dir, ".staging-")
	if err != nil {
		return nil, fmt.Errorf("data-path %s: cannot write: %w", dir, unwrapPath(err))
	}
	return newDir(dir, stage, overwrite), nil
}

func newDir(dir, stage string, overwrite bool) *Dir {
	return &Dir{final: dir, stage: stage, overwrite: overwrite, rename: os.Rename,
		CreateFile: func(path string) (File, error) { return os.Create(path) }}
}

// RunStage is the staging directory of a run that can be resumed: a fixed
// name, so that an interrupted run finds it again.
const RunStage = ".run"

// PrepareResumable is Prepare with the staging directory RunStage, which
// must not exist yet (it would hold an interrupted run to resume).
func PrepareResumable(dir string, overwrite bool) (*Dir, error) {
	if _, err := os.Stat(filepath.Join(dir, RunStage)); err == nil {
		return nil, fmt.Errorf("data-path %s: %s holds an interrupted run; continue it with --resume %s, or remove %s",
			dir, RunStage, dir, filepath.Join(dir, RunStage))
	}
	d, err := Prepare(dir, overwrite)
	if err != nil {
		return nil, err
	}
	stage := filepath.Join(dir, RunStage)
	if err := os.Rename(d.stage, stage); err != nil {
		d.Abort()
		return nil, fmt.Errorf("data-path %s: %w", dir, unwrapPath(err))
	}
	d.stage = stage
	return d, nil
}

// Reopen returns the Dir of the interrupted run whose staging directory
// RunStage is in dir; overwrite is the interrupted run's.
func Reopen(dir string, overwrite bool) (*Dir, error) {
	stage := filepath.Join(dir, RunStage)
	if fi, err := os.Stat(stage); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("data-path %s: no interrupted run to resume (no %s)", dir, stage)
	}
	return newDir(dir, stage, overwrite), nil
}

// Stage returns the staging directory.
func (d *Dir) Stage() string { return d.stage }

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Path returns the final directory.
func (d *Dir) Path() string { return d.final }

// File returns the staging path of a file name.
func (d *Dir) File(name string) string { return filepath.Join(d.stage, name) }

// Create creates the staged file name for writing.
func (d *Dir) Create(name string) (File, error) {
	return d.CreateFile(d.File(name))
}

// Reopen opens the staged file name to write after its first size bytes,
// cutting off the rest.
func (d *Dir) Reopen(name string, size int64) (File, error) {
	return openForAppend(d.File(name), size)
}

// WriteFile writes data to the staged file name.
func (d *Dir) WriteFile(name string, data []byte) error {
	return d.Write(name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write creates the staged file name and lets write fill it.
func (d *Dir) Write(name string, write func(io.Writer) error) error {
	f, err := d.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// Commit writes the manifest of the staged files and moves them into the
// data directory. With overwrite, the files of the earlier run (those its
// manifest lists; without one, those of the same names) are replaced, and
// no other file is touched. If a move fails, everything is put back as it
// was and the staging directory is kept for Abort.
func (d *Dir) Commit(version string) error {
	old, err := Existing(d.final)
	if err != nil {
		return err
	}
	prev, _ := ReadManifest(d.final)
	if len(old) > 0 && !d.overwrite {
		return fmt.Errorf("data-path %s: results appeared during the run; new results are kept in %s", d.final, d.stage)
	}
	entries, err := os.ReadDir(d.stage)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		if e.Name() != ManifestName {
			names = append(names, e.Name())
		}
	}
	m := Manifest{Program: "microcircuit", Version: version, Written: time.Now().UTC().Format(time.RFC3339),
		Files: append(slices.Clone(names), ManifestName)}
	data, _ := json.MarshalIndent(m, "", "  ")
	if err := d.WriteFile(ManifestName, append(data, '\n')); err != nil {
		return err
	}
	names = append(names, ManifestName)

	// The files to move aside: the earlier run's, and any of the names
	// being written.
	aside := map[string]bool{}
	if prev != nil {
		for _, p := range old {
			aside[filepath.Base(p)] = true
		}
	}
	for _, n := range names {
		if _, err := os.Lstat(filepath.Join(d.final, n)); err == nil {
			aside[n] = true
		}
	}
	backup, err := os.MkdirTemp(d.final, ".previous-")
	if err != nil {
		return fmt.Errorf("data-path %s: %w", d.final, unwrapPath(err))
	}
	var movedAside, movedIn []string
	undo := func(cause error) error {
		for _, n := range movedIn {
			os.Rename(filepath.Join(d.final, n), filepath.Join(d.stage, n))
		}
		for _, n := range movedAside {
			os.Rename(filepath.Join(backup, n), filepath.Join(d.final, n))
		}
		os.Remove(backup)
		return fmt.Errorf("moving results into %s: %w; the earlier results are as they were", d.final, cause)
	}
	for n := range aside {
		if err := d.rename(filepath.Join(d.final, n), filepath.Join(backup, n)); err != nil {
			return undo(err)
		}
		movedAside = append(movedAside, n)
	}
	for _, n := range names {
		if err := d.rename(filepath.Join(d.stage, n), filepath.Join(d.final, n)); err != nil {
			return undo(err)
		}
		movedIn = append(movedIn, n)
	}
	os.RemoveAll(backup)
	return os.Remove(d.stage)
}

// Abort removes the staging directory and everything in it.
func (d *Dir) Abort() {
	if d != nil && (strings.Contains(filepath.Base(d.stage), ".staging-") || filepath.Base(d.stage) == RunStage) {
		os.RemoveAll(d.stage)
	}
}
