package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pd14/microcircuit/params"
)

var errStop = errors.New("stopped before any work")

// FuzzCommandLine gives every command arbitrary arguments: each command
// line must end, within seconds, in an error that says what is wrong, or in
// parameters that pass validation (where the fuzz stops the command before
// it builds or writes anything), never in a panic or a hang.
func FuzzCommandLine(f *testing.F) {
	for _, seed := range []string{
		"run --scale 0.5 --bg poisson --thalamic --dc-transient",
		"run --t-sim NaN", "run --t-sim 1e400", "run --resolution 0 --t-sim 10",
		"run --record spikes,voltage --v-neurons all --v-interval 0.3",
		"run --threads -5", "run --config missing.yaml", "run --v0 random --seed 18446744073709551615",
		"bench --repeat 0", "bench --scale 1 --repeat 3", "ensemble --seeds 1", "ensemble --seed-list 1,x",
		"ensemble --seed-list 1,1 --cc-neurons 1", "config --k-scaling 11",
		"analyze nodir --t-min 5 --t-max 1", "analyze nodir --cc-bin -1", "validate nodir",
		"validate nodir --reference noref --cc-neurons 0", "replay nodir --t-sim -3", "replay",
		"--help", "run --help", "nosuchcommand", "run extra-argument",
	} {
		f.Add(seed)
	}
	beforeWork = func(*params.Params) error { return errStop }
	defer func() { beforeWork = nil }()
	f.Chdir(f.TempDir())
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		if len(args) > 40 || strings.ContainsAny(line, "/\\\\") {
			return // paths stay inside the temporary directory
		}
		done := make(chan error, 1)
		go func() { done <- execute(args...) }()
		select {
		case err := <-done:
			if err != nil && err != errStop && strings.TrimSpace(err.Error()) == "" {
				t.Fatalf("%q: an error without a message", line)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%q: no result after 10 s", line)
		}
	})
}
