package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pd14/microcircuit/internal/testref"
	"github.com/pd14/microcircuit/results"
)

// The tests of this file run the program under OpenMPI's mpirun: they build
// it with the mpi tag (which needs Debian's libopenmpi-dev) and start it as
// several ranks. Without OpenMPI they are skipped, except under CI (the CI
// environment variable set), where OpenMPI must be installed (.ci/run
// installs it).

var (
	buildMu    sync.Mutex
	builtBins  = map[string]string{}
	mpiMissing error
	mpiChecked bool
)

// program returns the program built (once per test run) with the given
// build tags.
func program(t *testing.T, tags string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := builtBins[tags]; ok {
		return bin
	}
	dir, err := os.MkdirTemp("", "microcircuit-test-")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "microcircuit")
	args := []string{"build", "-o", bin}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}
	builtBins[tags] = bin
	return bin
}

// binaries returns the program built with and without the mpi tag, or
// skips the test (fails it under CI) when OpenMPI is missing.
func binaries(t *testing.T) (mpi, plain string) {
	t.Helper()
	if testing.Short() {
		t.Skip("MPI runs")
	}
	buildMu.Lock()
	if !mpiChecked {
		mpiChecked = true
		if _, err := exec.LookPath("mpirun"); err != nil {
			mpiMissing = fmt.Errorf("mpirun not found (apt-get install openmpi-bin libopenmpi-dev)")
		} else if err := exec.Command("pkg-config", "--exists", "ompi-c").Run(); err != nil {
			mpiMissing = fmt.Errorf("OpenMPI's ompi-c.pc not found (apt-get install libopenmpi-dev)")
		}
	}
	missing := mpiMissing
	buildMu.Unlock()
	switch {
	case missing != nil && os.Getenv("CI") != "":
		t.Fatalf("MPI tests cannot run under CI: %v", missing)
	case missing != nil:
		t.Skipf("skipping MPI tests: %v", missing)
	}
	return program(t, "mpi"), program(t, "")
}

// mpirun returns the command that starts bin as np ranks with args; extra
// are options of mpirun.
func mpirun(np int, extra []string, bin string, args ...string) *exec.Cmd {
	a := append([]string{"--oversubscribe", "-np", strconv.Itoa(np)}, extra...)
	cmd := exec.Command("mpirun", append(append(a, bin), args...)...)
	cmd.Env = append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
	return cmd
}

// runProc runs cmd and returns its exit code, stdout and stderr.
func runProc(t *testing.T, cmd *exec.Cmd) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	return code, out.String(), errb.String()
}

// resultFiles returns the contents of the spike and voltmeter files in dir.
func resultFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	return readFiles(t, dir, "spike_recorder-*.dat", "voltmeter-*.dat")
}

// sameFiles fails the test unless got holds exactly the files of want
// with the same contents; name labels the run, ref the reference run.
func sameFiles(t *testing.T, name string, got, want map[string]string, ref string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d files, want %d as the %s", name, len(got), len(want), ref)
	}
	for f, w := range want {
		if got[f] != w {
			t.Errorf("%s: %s differs from the %s", name, f, ref)
		}
	}
}

// readFiles returns the contents of the files in dir that match patterns,
// by name.
func readFiles(t *testing.T, dir string, patterns ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, pat := range patterns {
		files, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[filepath.Base(f)] = string(b)
		}
	}
	return out
}

// stimulusRun are the flags of the determinism runs: scale 0.1 with every
// random input on, spikes and membrane potentials recorded.
var stimulusRun = []string{"run", "-q", "--no-plots", "--scale", "0.1", "--bg", "poisson", "--thalamic", "--dc-transient",
	"--t-presim", "100", "--t-sim", "900", "--record", "spikes,voltage", "--v-neurons", "3"}

// TestMPISameSpikes requires byte-identical spike and voltmeter files from
// one process and from 1×2, 2×1 and 2×2 (ranks × threads, oversubscribed)
// under mpirun, over shared memory and over TCP.
func TestMPISameSpikes(t *testing.T) {
	bin, _ := binaries(t)
	tmp := t.TempDir()
	ref := filepath.Join(tmp, "one")
	if code, _, stderr := runProc(t, exec.Command(bin, append(stimulusRun, "--threads", "1", "--data-path", ref)...)); code != 0 {
		t.Fatalf("one process: exit %d: %s", code, stderr)
	}
	want := resultFiles(t, ref)
	spikes := 0
	for name, c := range want {
		if strings.HasPrefix(name, "spike_recorder") {
			spikes += strings.Count(c, "\n") - 3
		}
	}
	if len(want) != 16 || spikes < 10000 {
		t.Fatalf("one process wrote %d files with %d spikes", len(want), spikes)
	}
	for _, c := range []struct {
		ranks, threads int
		mca            []string
	}{
		{1, 2, nil}, {2, 1, nil}, {2, 2, nil}, {2, 1, []string{"--mca", "btl", "tcp,self"}},
	} {
		name := fmt.Sprintf("%dx%d%s", c.ranks, c.threads, strings.Join(c.mca, "-"))
		dir := filepath.Join(tmp, name)
		cmd := mpirun(c.ranks, c.mca, bin, append(stimulusRun, "--threads", strconv.Itoa(c.threads), "--data-path", dir)...)
		if code, _, stderr := runProc(t, cmd); code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		sameFiles(t, name, resultFiles(t, dir), want, "single process's")
		var s Summary
		b, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
		if err := json.Unmarshal(b, &s); err != nil || s.Ranks != c.ranks || s.Threads != c.threads || s.Spikes != spikes {
			t.Errorf("%s: summary ranks %d threads %d spikes %d (%v)", name, s.Ranks, s.Threads, s.Spikes, err)
		}
		var m struct {
			Ranks   int `json:"ranks"`
			Threads int `json:"threads_per_rank"`
		}
		b, _ = os.ReadFile(filepath.Join(dir, "metadata.json"))
		if err := json.Unmarshal(b, &m); err != nil || m.Ranks != c.ranks || m.Threads != c.threads {
			t.Errorf("%s: metadata ranks %d threads per rank %d (%v)", name, m.Ranks, m.Threads, err)
		}
	}
}

// TestMPIReplay replays NEST's networks on two ranks: every NEST spike.
func TestMPIReplay(t *testing.T) {
	bin, _ := binaries(t)
	for name, spikes := range map[string]int{"net_s0.05_seed11": 32339, "stim_s0.05_seed21": 74490} {
		net := testref.Dir(t, "exact/"+name)
		code, stdout, stderr := runProc(t, mpirun(2, nil, bin, "replay", net, "--data-path", filepath.Join(t.TempDir(), name)))
		if code != 0 || !strings.Contains(stdout, fmt.Sprintf("identical to NEST: all %d spikes", spikes)) {
			t.Fatalf("%s: exit %d\n%s%s", name, code, stdout, stderr)
		}
	}
}

// ourErrors returns the lines of stderr that the program wrote (mpirun
// adds its own).
func ourErrors(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "microcircuit:") {
			out = append(out, l)
		}
	}
	return out
}

// TestMPIFaults checks that bad input, an unwritable data path and a rank
// that fails alone end every rank with one message and a non-zero exit,
// leaving nothing behind, and that a binary without MPI support refuses
// to run as several ranks.
func TestMPIFaults(t *testing.T) {
	bin, plain := binaries(t)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "data")
	small := []string{"run", "-q", "--scale", "0.05", "--t-presim", "50", "--t-sim", "100", "--data-path", dir}
	cases := []struct {
		name string
		cmd  *exec.Cmd
		want string
	}{
		{"bad input", mpirun(2, nil, bin, append(small, "--bg", "noise")...), `bg_input = "noise": allowed values are dc, poisson`},
		{"unwritable", mpirun(2, nil, bin, append(small, "--data-path", "/proc/no/such")...), "data-path /proc/no/such"},
		{"rank 1 fails", mpirun(2, []string{"-x", "MICROCIRCUIT_FAILPOINT=memory@1"}, bin, small...), "rank 1: injected failure"},
		{"too large", mpirun(2, nil, bin, append(small, "--scale", "9")...), "largest scale that fits"},
		{"no MPI support", mpirun(2, nil, plain, small...), "built without MPI support; build it with 'go build -tags mpi"},
	}
	for _, c := range cases {
		start := time.Now()
		code, _, stderr := runProc(t, c.cmd)
		msgs := ourErrors(stderr)
		if code == 0 || len(msgs) != 1 || !strings.Contains(msgs[0], c.want) {
			t.Errorf("%s: exit %d, messages %q; want one that says %q", c.name, code, msgs, c.want)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%s: took %v", c.name, d)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s: %s was created", c.name, dir)
		}
	}
}

// waitFor polls until path exists or the timeout passes.
func waitFor(t *testing.T, path string, timeout time.Duration) {
	t.Helper()
	for start := time.Now(); time.Since(start) < timeout; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s did not appear in %v", path, timeout)
}

// TestMPISignals sends SIGTERM to mpirun during a run: every rank stops at
// the same step and the spikes recorded so far are written. Killing one
// rank ends the job within seconds.
func TestMPISignals(t *testing.T) {
	bin, _ := binaries(t)
	tmp := t.TempDir()
	long := []string{"run", "-q", "--no-plots", "--scale", "0.1", "--bg", "poisson", "--t-presim", "0", "--t-sim", "1e7", "--threads", "1"}

	dir := filepath.Join(tmp, "term")
	cmd := mpirun(2, nil, bin, append(long, "--data-path", dir)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, dir, 30*time.Second)
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if err == nil {
		t.Fatal("mpirun exited 0 after SIGTERM")
	}
	var s Summary
	b, rerr := os.ReadFile(filepath.Join(dir, "summary.json"))
	if rerr != nil {
		t.Fatalf("no summary after SIGTERM: %v\n%s", rerr, stderr.String())
	}
	json.Unmarshal(b, &s)
	if !s.Interrupted || s.Spikes == 0 || s.RecordedTo <= 0 || s.RecordedTo >= 1e7 || s.Ranks != 2 {
		t.Fatalf("summary after SIGTERM: %+v", s)
	}
	n := 0
	for _, c := range resultFiles(t, dir) {
		n += strings.Count(c, "\n") - 3
	}
	if n != s.Spikes {
		t.Fatalf("files hold %d spikes, summary.json %d", n, s.Spikes)
	}

	// Kill one rank: mpirun must end the other.
	dir = filepath.Join(tmp, "kill")
	cmd = mpirun(2, nil, bin, append(long, "--data-path", dir)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, dir, 30*time.Second)
	time.Sleep(500 * time.Millisecond)
	out, err := exec.Command("pgrep", "-P", strconv.Itoa(cmd.Process.Pid)).Output()
	pids := strings.Fields(string(out))
	if err != nil || len(pids) != 2 {
		cmd.Process.Kill()
		t.Fatalf("ranks of mpirun %d: %q (%v)", cmd.Process.Pid, pids, err)
	}
	pid, _ := strconv.Atoi(pids[1])
	syscall.Kill(pid, syscall.SIGKILL)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("mpirun exited 0 after a rank was killed")
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the job still ran 20 s after a rank was killed")
	}
	if files := resultFiles(t, dir); len(files) != 0 {
		t.Fatalf("a killed job left %d result files", len(files))
	}
}

// TestMPIEnsemble runs an ensemble of three seeds on two ranks: each seed's
// spikes are those of a single-process run, the distances are written, and
// running it again resumes without simulating anything.
func TestMPIEnsemble(t *testing.T) {
	bin, _ := binaries(t)
	tmp := t.TempDir()
	args := []string{"ensemble", "--no-plots", "--scale", "0.05", "--bg", "poisson", "--t-presim", "100", "--t-sim", "400", "--seeds", "3", "--threads", "1"}
	dir := filepath.Join(tmp, "ens")
	code, stdout, stderr := runProc(t, mpirun(2, nil, bin, append(args, "--data-path", dir)...))
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, f := range []string{"rate_ks_distances.json", "spike_cvs_ks_distances.json", "spike_ccs_ks_distances.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	for _, seed := range []string{"55", "56", "57"} {
		one := filepath.Join(tmp, "one"+seed)
		runArgs := []string{"run", "-q", "--no-plots", "--scale", "0.05", "--bg", "poisson", "--t-presim", "100", "--t-sim", "400",
			"--seed", seed, "--threads", "1", "--data-path", one}
		if code, _, stderr := runProc(t, exec.Command(bin, runArgs...)); code != 0 {
			t.Fatalf("seed %s alone: %s", seed, stderr)
		}
		want, got := resultFiles(t, one), resultFiles(t, filepath.Join(dir, "seed"+seed))
		if len(want) != 8 || len(got) != 8 {
			t.Fatalf("seed %s: %d and %d spike files", seed, len(want), len(got))
		}
		for f := range want {
			if want[f] != got[f] {
				t.Errorf("seed %s: %s of the ensemble differs from a single run's", seed, f)
			}
		}
	}
	before, _ := os.Stat(filepath.Join(dir, "seed56", "summary.json"))
	code, stdout, stderr = runProc(t, mpirun(2, nil, bin, append(args, "--data-path", dir)...))
	after, _ := os.Stat(filepath.Join(dir, "seed56", "summary.json"))
	if code != 0 || before == nil || after == nil || !after.ModTime().Equal(before.ModTime()) {
		t.Fatalf("resumed ensemble: exit %d, seed56 rerun %v\n%s%s", code, before != nil && after != nil && !after.ModTime().Equal(before.ModTime()), stdout, stderr)
	}
}

// TestMPIBench checks the figures bench adds under MPI.
func TestMPIBench(t *testing.T) {
	bin, _ := binaries(t)
	dir := t.TempDir()
	code, stdout, stderr := runProc(t, mpirun(2, nil, bin, "bench", "--scale", "0.05", "--t-presim", "100", "--t-sim", "500",
		"--threads", "1", "--data-path", dir))
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	var b Bench
	raw, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	if b.Ranks != 2 || b.Threads != 1 || b.PeakRSSPerRank <= 0 || b.PeakRSS <= b.PeakRSSPerRank ||
		b.ExchangeS <= 0 || b.ExchangeS > b.SimS || b.Imbalance < 1 || b.Imbalance > 2 || len(b.ComputeEachRank) != 2 ||
		!(b.Calibration > 0) || !(b.CalibrationBefore > 0) || !(b.CalibrationAfter > 0) {
		t.Fatalf("bench.json under MPI: %s", raw)
	}
}

// TestMPIResume continues on two ranks a run that one process began and
// interrupted (the checkpoint does not depend on ranks or threads): the
// files are those of the uninterrupted run.
func TestMPIResume(t *testing.T) {
	bin, _ := binaries(t)
	tmp := t.TempDir()
	ref := filepath.Join(tmp, "ref")
	if code, _, stderr := runProc(t, exec.Command(bin, append(resumeRun, "--threads", "2", "--data-path", ref)...)); code != 0 {
		t.Fatalf("uninterrupted run: %s", stderr)
	}
	dir := filepath.Join(tmp, "cut")
	cmd := exec.Command(bin, append(resumeRun, "--threads", "2", "--checkpoint-every", "1ns", "--data-path", dir)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, filepath.Join(dir, results.RunStage, checkpointFile), 30*time.Second)
	cmd.Process.Signal(syscall.SIGINT)
	if code, _ := waitExit(t, cmd, 20*time.Second); code != 130 {
		t.Fatalf("interrupted run: exit %d", code)
	}
	if code, _, stderr := runProc(t, mpirun(2, nil, bin, "run", "-q", "--resume", dir, "--threads", "1")); code != 0 {
		t.Fatalf("resumed on 2 ranks: exit %d\n%s", code, stderr)
	}
	want := allFiles(t, ref)
	same := func(dir string) { sameFiles(t, dir, allFiles(t, dir), want, "uninterrupted run's") }
	same(dir)

	// And the other way round: two ranks interrupted (SIGTERM to both),
	// one process continues.
	dir = filepath.Join(tmp, "cut2")
	cmd = mpirun(2, nil, bin, append(resumeRun, "--threads", "1", "--checkpoint-every", "1ns", "--data-path", dir)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, filepath.Join(dir, results.RunStage, checkpointFile), 30*time.Second)
	out, _ := exec.Command("pgrep", "-P", strconv.Itoa(cmd.Process.Pid)).Output()
	for _, pid := range strings.Fields(string(out)) {
		n, _ := strconv.Atoi(pid)
		syscall.Kill(n, syscall.SIGTERM)
	}
	waitExit(t, cmd, 20*time.Second)
	if code, _, stderr := runProc(t, exec.Command(bin, "run", "-q", "--resume", dir, "--threads", "2")); code != 0 {
		t.Fatalf("resumed in one process: exit %d\n%s", code, stderr)
	}
	same(dir)
}
