//go:build soak

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSoak runs the model at scale 0.2 for 10 s, 60 s and 10 minutes of
// model time with spikes recorded (go test -tags soak -run Soak -timeout
// 60m ./cmd/microcircuit): every spike simulated must be written, and the
// longer runs' peak memory must stay within 10 % of the 10 s run's (the
// spikes go to disk as they are recorded).
func TestSoak(t *testing.T) {
	run := func(tSim string) Summary {
		dir := filepath.Join(t.TempDir(), "soak"+tSim)
		cmd, stderr := startRun(t, "run", "-q", "--no-plots", "--t-sim", tSim, "--data-path", dir)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("t_sim %s: %v\n%s", tSim, err, stderr.String())
		}
		var s Summary
		b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(b, &s)
		written := 0
		for name, c := range resultFiles(t, dir) {
			if strings.HasPrefix(name, "spike_recorder-") {
				written += strings.Count(c, "\n") - 3
			}
		}
		t.Logf("t_sim %s ms: %d spikes simulated, %d written, peak %.0f MB, RTF %.3f, wall %.0f s",
			tSim, s.Spikes, written, float64(s.PeakRSS)/1e6, s.RTF, s.Times["total"])
		if written != s.Spikes || s.Interrupted {
			t.Fatalf("t_sim %s: %d spikes in the files, summary.json says %d", tSim, written, s.Spikes)
		}
		return s
	}
	base := run("10000")
	for _, tSim := range []string{"60000", "600000"} {
		s := run(tSim)
		if float64(s.PeakRSS) > 1.1*float64(base.PeakRSS) {
			t.Errorf("t_sim %s: peak memory %.0f MB, more than 10 %% above the 10 s run's %.0f MB",
				tSim, float64(s.PeakRSS)/1e6, float64(base.PeakRSS)/1e6)
		}
	}
}
