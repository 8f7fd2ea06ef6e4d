// Package results writes the files of a run in the formats of NEST and the
// reference PyNEST package: spike recorder files, node ids, parameter
// dictionaries and a summary. Files are staged and moved into place only
// when complete, and existing results are never replaced unless asked.
package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// resultPatterns are the file names a run writes; a directory holding any
// of them holds results.
var resultPatterns = []string{
	"spike_recorder-*.dat", "voltmeter-*.dat", "summary.json", "sim_dict.json", "net_dict.json",
	"stim_dict.json", "nodes.json", "population_nodeids.dat", "rate*.dat", "*.png",
	"spike_sender.npy", "spike_time_ms.npy", "bench.json", "metadata.json",
}

// Existing returns the result files already in dir (none if dir is absent).
func Existing(dir string) ([]string, error) {
	var out []string
	for _, p := range resultPatterns {
		m, err := filepath.Glob(filepath.Join(dir, p))
		if err != nil {
			return nil, err
		}
		out = append(out, m...)
	}
	return out, nil
}

// Dir is a data directory being written. Files go to a staging directory
// inside it and are moved into place by Commit.
type Dir struct {
	final     string
	stage     string
	overwrite bool
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
	return &Dir{final: dir, stage: stage, overwrite: overwrite}, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Path returns the final directory.
func (d *Dir) Path() string { return d.final }

// Stage returns the staging directory files are written to.
func (d *Dir) Stage() string { return d.stage }

// File returns the staging path of a file name.
func (d *Dir) File(name string) string { return filepath.Join(d.stage, name) }

// Commit moves the staged files into the data directory, replacing the
// results of an earlier run only if overwrite was given.
func (d *Dir) Commit() error {
	old, err := Existing(d.final)
	if err != nil {
		return err
	}
	if len(old) > 0 && !d.overwrite {
		return fmt.Errorf("data-path %s: results appeared during the run; new results are kept in %s", d.final, d.stage)
	}
	staged, err := os.ReadDir(d.stage)
	if err != nil {
		return err
	}
	newNames := map[string]bool{}
	for _, e := range staged {
		newNames[e.Name()] = true
	}
	for _, f := range old {
		if !newNames[filepath.Base(f)] {
			if err := os.Remove(f); err != nil {
				return fmt.Errorf("removing old result %s: %w", f, err)
			}
		}
	}
	for _, e := range staged {
		if err := os.Rename(filepath.Join(d.stage, e.Name()), filepath.Join(d.final, e.Name())); err != nil {
			return fmt.Errorf("moving %s into %s: %w", e.Name(), d.final, err)
		}
	}
	return os.Remove(d.stage)
}

// Abort removes the staging directory and everything in it.
func (d *Dir) Abort() {
	if d != nil && strings.Contains(filepath.Base(d.stage), ".staging-") {
		os.RemoveAll(d.stage)
	}
}
