//go:build soak

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSoak runs the model at scale 0.2 for 10 minutes of model time with
// spikes recorded (go test -tags soak -run Soak -timeout 60m
// ./cmd/microcircuit): every spike simulated is written, and the peak
// memory is within 10 % of a 1-minute run's plus what the extra spikes
// take (recording and writing them, bytesPerSpike each).
func TestSoak(t *testing.T) {
	const bytesPerSpike = 40 // recorded (8), gathered (8), as node ids and times (16), their lines' buffer (8)
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
	one := run("60000")
	ten := run("600000")
	allowed := 1.1 * (float64(one.PeakRSS) + float64(ten.Spikes-one.Spikes)*bytesPerSpike)
	t.Logf("10 minutes: peak %.0f MB, allowed %.0f MB (1 minute's %.0f MB + %d spikes × %d bytes, + 10 %%)",
		float64(ten.PeakRSS)/1e6, allowed/1e6, float64(one.PeakRSS)/1e6, ten.Spikes-one.Spikes, bytesPerSpike)
	if float64(ten.PeakRSS) > allowed {
		t.Fatalf("peak memory %.0f MB after 10 minutes, more than %.0f MB", float64(ten.PeakRSS)/1e6, allowed/1e6)
	}
}
