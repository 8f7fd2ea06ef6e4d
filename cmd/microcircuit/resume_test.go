package main

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pd14/microcircuit"
	"github.com/pd14/microcircuit/results"
)

// resumeRun are the flags of the resume tests: scale 0.1 with Poisson
// background, thalamic pulse and DC transient, spikes and membrane
// potentials recorded, 4 s of model time.
var resumeRun = []string{"run", "-q", "--no-plots", "--scale", "0.1", "--bg", "poisson", "--thalamic", "--dc-transient",
	"--t-presim", "500", "--t-sim", "3500", "--record", "spikes,voltage", "--v-neurons", "2"}

// allFiles returns the recorded data files of dir (ASCII or .npy).
func allFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	return readFiles(t, dir, "spike_recorder-*", "voltmeter-*")
}

// interruptAt starts the run, waits until the file wait (in the run's
// staging directory) has existed for the given time, and sends sig.
func interruptAt(t *testing.T, dir, wait string, after time.Duration, sig syscall.Signal, args ...string) (int, string) {
	t.Helper()
	cmd, stderr := startRun(t, args...)
	for start := time.Now(); time.Since(start) < 20*time.Second; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, results.RunStage, wait)); err == nil {
			break
		}
	}
	time.Sleep(after)
	cmd.Process.Signal(sig)
	code, _ := waitExit(t, cmd, 20*time.Second)
	return code, stderr.String()
}

// TestResumeGivesSameSpikes interrupts runs that write checkpoints, by
// SIGINT (a checkpoint at the step it stops at) and by SIGKILL (the last
// periodic checkpoint; the files hold more, which the resumed run cuts
// off), and continues them with another thread count: the spike and
// voltmeter files must be those of an uninterrupted run, in both formats.
func TestResumeGivesSameSpikes(t *testing.T) {
	if testing.Short() {
		t.Skip("network runs")
	}
	tmp := t.TempDir()
	for _, c := range []struct {
		format string
		sig    syscall.Signal
	}{{"ascii", syscall.SIGINT}, {"npy", syscall.SIGKILL}} {
		ref := filepath.Join(tmp, "ref-"+c.format)
		if code, _, stderr := runProc(t, exec.Command(program(t, ""), append(resumeRun, "--format", c.format, "--threads", "2", "--data-path", ref)...)); code != 0 {
			t.Fatalf("uninterrupted run: %s", stderr)
		}
		want := allFiles(t, ref)
		if len(want) < 16 {
			t.Fatalf("%s: %d files", c.format, len(want))
		}
		resumed := 0
		for _, after := range []time.Duration{50 * time.Millisecond, 250 * time.Millisecond} {
			dir := filepath.Join(tmp, c.format+after.String())
			// SIGINT any time; SIGKILL after a checkpoint, when the files
			// hold more than it.
			wait := ""
			if c.sig == syscall.SIGKILL {
				wait = checkpointFile
			} else {
				after += 400 * time.Millisecond // past construction
			}
			code, stderr := interruptAt(t, dir, wait, after, c.sig, append(resumeRun, "--format", c.format, "--threads", "2",
				"--checkpoint-every", "1ns", "--data-path", dir)...)
			if code == 0 || strings.Contains(stderr, "while building") {
				t.Logf("%s: the signal came before or after the simulation; nothing to resume", dir)
				continue
			}
			if c.sig == syscall.SIGINT && (code != 130 || !strings.Contains(stderr, "continue with: microcircuit run --resume")) {
				t.Fatalf("SIGINT: exit %d\n%s", code, stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, results.RunStage, checkpointFile)); err != nil {
				t.Logf("%s: interrupted before the first checkpoint", dir)
				continue
			}
			if code, _, stderr := runProc(t, exec.Command(program(t, ""), "run", "-q", "--resume", dir, "--threads", "1")); code != 0 {
				t.Fatalf("--resume %s: exit %d\n%s", dir, code, stderr)
			}
			sameFiles(t, dir, allFiles(t, dir), want, "uninterrupted run's")
			if _, err := os.Stat(filepath.Join(dir, results.RunStage)); err == nil {
				t.Errorf("%s: the staging directory is left after the resumed run ended", dir)
			}
			var s Summary
			b, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
			if err := jsonUnmarshal(b, &s); err != nil || s.Resumed < 1 || s.Interrupted {
				t.Errorf("%s: summary resumed %d, interrupted %v (%v)", dir, s.Resumed, s.Interrupted, err)
			}
			resumed++
		}
		if resumed == 0 {
			t.Fatalf("%s: no run was interrupted in its simulation; nothing was resumed", c.format)
		}
	}
}

// TestResumeRefuses: a checkpoint of another version, a --resume with
// other parameters, and a directory without a checkpoint are refused.
func TestResumeRefuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if err := execute("run", "--resume", dir); err == nil || !strings.Contains(err.Error(), "no checkpoint to continue from") {
		t.Fatalf("nothing to resume: %v", err)
	}
	if err := execute("run", "--resume", dir, "--scale", "0.5"); err == nil || !strings.Contains(err.Error(), "--scale with --resume") {
		t.Fatalf("--scale with --resume: %v", err)
	}
	os.MkdirAll(filepath.Join(dir, results.RunStage), 0o755)
	var b bytes.Buffer
	gob.NewEncoder(&b).Encode(&runState{Model: &microcircuit.Checkpoint{Version: "0.0.1"}})
	os.WriteFile(filepath.Join(dir, results.RunStage, checkpointFile), b.Bytes(), 0o644)
	if err := execute("run", "--resume", dir); err == nil || !strings.Contains(err.Error(), "written by microcircuit 0.0.1") {
		t.Fatalf("another version's checkpoint: %v", err)
	}
	// A new run in a directory with an interrupted one says how to go on.
	if err := execute(append(small(dir), "--checkpoint-every", "1m")...); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("a new run over an interrupted one: %v", err)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// TestNPYLoadsWithNumPy writes spikes and membrane potentials as .npy and
// loads them with a bare numpy.load (Debian's python3-numpy; skipped
// without it, except under CI): every spike, the values the ASCII files
// hold.
func TestNPYLoadsWithNumPy(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import numpy").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("NumPy missing under CI (apt-get install python3-numpy)")
		}
		t.Skip("no NumPy for /usr/bin/python3")
	}
	tmp := t.TempDir()
	args := append(small(""), "--record", "spikes,voltage", "--v-neurons", "2", "--bg", "poisson", "--scale", "0.05")
	ascii, npy := filepath.Join(tmp, "ascii"), filepath.Join(tmp, "npy")
	if err := execute(append(args, "--data-path", ascii)...); err != nil {
		t.Fatal(err)
	}
	if err := execute(append(args, "--data-path", npy, "--format", "npy")...); err != nil {
		t.Fatal(err)
	}
	script := `
import numpy as np, glob, sys
d = sys.argv[1]
for kind, cols in (("spike_recorder", ["time_ms"]), ("voltmeter", ["time_ms", "V_m"])):
    for f in sorted(glob.glob(d + "/" + kind + "-*.senders.npy")):
        stem = f[:-len(".senders.npy")]
        s = np.load(f)
        assert s.dtype == np.uint32 and s.ndim == 1, (f, s.dtype)
        print(stem.split("/")[-1], *[" ".join(f"{v:.6f}" for v in np.load(stem + "." + c + ".npy")) for c in cols],
              " ".join(str(v) for v in s))
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, npy).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy.load: %v\n%s", err, out)
	}
	// The same numbers as the ASCII files'.
	var want strings.Builder
	for _, kind := range []string{"spike_recorder", "voltmeter"} {
		files, _ := filepath.Glob(filepath.Join(ascii, kind+"-*.dat"))
		slices.Sort(files)
		for _, f := range files {
			b, _ := os.ReadFile(f)
			var cols [3][]string
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n")[3:] {
				fl := strings.Fields(l)
				for c := 1; c < len(fl); c++ {
					v, _ := strconv.ParseFloat(fl[c], 64)
					cols[c] = append(cols[c], strconv.FormatFloat(v, 'f', 6, 64))
				}
				cols[0] = append(cols[0], fl[0])
			}
			want.WriteString(strings.TrimSuffix(filepath.Base(f), ".dat"))
			for c := 1; c < 3; c++ {
				if cols[c] != nil {
					want.WriteString(" " + strings.Join(cols[c], " "))
				}
			}
			want.WriteString(" " + strings.Join(cols[0], " ") + "\n")
		}
	}
	if string(out) != want.String() {
		t.Fatalf("numpy.load gives\n%.300s\nthe ASCII files\n%.300s", out, want.String())
	}
}

// TestAnalyzeReadsBothFormats: the statistics of a run written as .npy are
// those of the same run written as ASCII.
func TestAnalyzeReadsBothFormats(t *testing.T) {
	if testing.Short() {
		t.Skip("network runs")
	}
	tmp := t.TempDir()
	args := append(small(""), "--bg", "poisson", "--scale", "0.05", "--no-plots")
	for _, f := range []string{"ascii", "npy"} {
		dir := filepath.Join(tmp, f)
		if err := execute(append(args, "--format", f, "--data-path", dir)...); err != nil {
			t.Fatal(err)
		}
		if err := execute("analyze", dir, "--no-plots", "--cc-neurons", "20"); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"rates.json", "spike_cvs.json", "spike_ccs.json"} {
		a, _ := os.ReadFile(filepath.Join(tmp, "ascii", name))
		b, _ := os.ReadFile(filepath.Join(tmp, "npy", name))
		if len(a) < 100 || string(a) != string(b) {
			t.Errorf("%s: %d bytes from ASCII, %d from .npy; they differ", name, len(a), len(b))
		}
	}
}
