package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startRun starts the program (built without MPI) with args and returns the
// command and its stderr.
func startRun(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(program(t, ""), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

// waitExit waits up to limit for cmd to end and returns its exit code and
// how long it took.
func waitExit(t *testing.T, cmd *exec.Cmd, limit time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode(), time.Since(start)
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running %v after the signal", limit)
	}
	return 0, 0
}

// TestSignalDuringConstruction sends SIGTERM and SIGINT while a full-scale
// network is being built (about 15 s): the program must stop within a
// second with 143 or 130, and the results of an earlier run in the data
// directory must stay as they were. Two signals in a row end it at once.
func TestSignalDuringConstruction(t *testing.T) {
	if testing.Short() {
		t.Skip("starts full-scale construction")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := execute(small(dir)...); err != nil {
		t.Fatal(err)
	}
	before := readAll(t, dir)
	for _, c := range []struct {
		sigs []syscall.Signal
		code int
	}{
		{[]syscall.Signal{syscall.SIGTERM}, 143},
		{[]syscall.Signal{syscall.SIGINT}, 130},
	} {
		cmd, stderr := startRun(t, "run", "--scale", "1", "--t-sim", "100", "--overwrite", "--data-path", dir)
		// Wait until construction is under way (the staging directory
		// is made just before).
		for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
			if stage, _ := filepath.Glob(filepath.Join(dir, ".staging-*")); len(stage) > 0 {
				break
			}
		}
		time.Sleep(1500 * time.Millisecond)
		cmd.Process.Signal(c.sigs[0])
		code, took := waitExit(t, cmd, 10*time.Second)
		if code != c.code || took > 1500*time.Millisecond {
			t.Errorf("%v: exit %d after %v, want %d within a second\n%s", c.sigs, code, took, c.code, stderr.String())
		}
		after := readAll(t, dir)
		for name, content := range before {
			if after[name] != content {
				t.Errorf("%v: %s of the earlier run changed", c.sigs, name)
			}
		}
		if stage, _ := filepath.Glob(filepath.Join(dir, ".staging-*")); len(stage) != 0 {
			t.Errorf("%v: staging left behind: %v", c.sigs, stage)
		}
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
}

// TestSecondSignal runs this test binary as a helper that takes a signal
// and then never finishes stopping: a second signal must end it at once,
// with the signal's exit code, after the registered clean-ups.
func TestSecondSignal(t *testing.T) {
	if dir := os.Getenv("MICROCIRCUIT_SIGNAL_HELPER"); dir != "" {
		ctx, stop := signalContext()
		defer stop()
		onHardExit(func() { os.WriteFile(filepath.Join(dir, "cleaned"), nil, 0o644) })
		os.WriteFile(filepath.Join(dir, "ready"), nil, 0o644)
		<-ctx.Done()
		select {} // a stop that never ends
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run", "^TestSecondSignal$")
		cmd.Env = append(os.Environ(), "MICROCIRCUIT_SIGNAL_HELPER="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
				break
			}
		}
		cmd.Process.Signal(sig)
		time.Sleep(200 * time.Millisecond)
		if cmd.ProcessState != nil {
			t.Fatalf("%v: the helper ended after the first signal", sig)
		}
		cmd.Process.Signal(sig)
		code, took := waitExit(t, cmd, 5*time.Second)
		want := map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143}[sig]
		if _, err := os.Stat(filepath.Join(dir, "cleaned")); code != want || took > time.Second || err != nil ||
			!strings.Contains(stderr.String(), "stopping at once") {
			t.Errorf("%v twice: exit %d after %v (want %d at once), clean-up %v\n%s", sig, code, took, want, err, stderr.String())
		}
	}
}
