package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pd14/microcircuit/internal/testref"
	"github.com/pd14/microcircuit/params"
)

// execute runs the command line with args and returns its error.
func execute(args ...string) error {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	return root.Execute()
}

// small are flags for a quick run.
func small(dir string) []string {
	return []string{"run", "-q", "--scale", "0.02", "--t-presim", "100", "--t-sim", "200", "--data-path", dir}
}

func TestBadInputNamesParameter(t *testing.T) {
	tmp := t.TempDir()
	badYAML := filepath.Join(tmp, "bad.yaml")
	os.WriteFile(badYAML, []byte("network:\n  n_scalin: 0.2\n"), 0o644)
	wrongType := filepath.Join(tmp, "type.yaml")
	os.WriteFile(wrongType, []byte("simulation:\n  t_sim_ms: long\n"), 0o644)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--scale", "0"}, []string{"n_scaling", "0", "> 0"}},
		{[]string{"--scale", "-0.5"}, []string{"n_scaling", "-0.5", "> 0"}},
		{[]string{"--k-scaling", "0"}, []string{"k_scaling", "> 0"}},
		{[]string{"--t-sim", "0"}, []string{"t_sim_ms", "> 0"}},
		{[]string{"--t-sim", "-10"}, []string{"t_sim_ms", "-10"}},
		{[]string{"--resolution", "0"}, []string{"resolution_ms", "> 0"}},
		{[]string{"--bg", "noise"}, []string{"bg_input", "noise", "dc, poisson"}},
		{[]string{"--v0", "random"}, []string{"v0_type", "random", "optimized, original"}},
		{[]string{"--record", "volts"}, []string{"--record", "volts", "spikes, voltage"}},
		{[]string{"--threads", "-1"}, []string{"threads = -1", "0 (all cores) to 4096", "--threads"}},
		{[]string{"--config", badYAML}, []string{"n_scalin", "not found"}},
		{[]string{"--config", wrongType}, []string{"simulation.t_sim_ms", "long"}},
		{[]string{"--config", filepath.Join(tmp, "missing.yaml")}, []string{"missing.yaml"}},
		{[]string{"--data-path", "/proc/no/such/dir"}, []string{"data-path", "/proc/no/such/dir"}},
	}
	for _, c := range cases {
		dir := filepath.Join(tmp, "out")
		args := append([]string{"run", "-q", "--data-path", dir}, c.args...)
		err := execute(args...)
		if err == nil {
			t.Errorf("%v: no error", c.args)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Errorf("%v: error has several lines: %q", c.args, msg)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%v: error %q does not mention %q", c.args, msg, w)
			}
		}
		if _, err := os.Stat(dir); err == nil && !strings.Contains(strings.Join(c.args, " "), "data-path") {
			t.Errorf("%v: the data directory was created before the error", c.args)
		}
	}
}

// readAll returns the contents of the eight spike files in dir.
func readAll(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, c := range resultFiles(t, dir) {
		if strings.HasPrefix(name, "spike_recorder-") {
			out[name] = c
		}
	}
	if len(out) != 8 {
		t.Fatalf("%s: %d spike files, want 8", dir, len(out))
	}
	return out
}

func TestConfigRoundTripGivesSameRun(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	tmp := t.TempDir()
	flags := []string{"--scale", "0.02", "--t-presim", "100", "--t-sim", "200", "--bg", "poisson", "--seed", "9", "--thalamic"}
	// Print the configuration to a file.
	cfg := filepath.Join(tmp, "run.yaml")
	f, _ := os.Create(cfg)
	root := newRoot()
	root.SetArgs(append([]string{"config"}, flags...))
	root.SetOut(f)
	err := root.Execute()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	p, err := params.Load(cfg)
	if err != nil {
		t.Fatalf("config output not accepted back: %v", err)
	}
	if p.Network.NScaling != 0.02 || p.Network.BgInput != "poisson" || p.Simulation.Seed != 9 || !p.Stimulus.Thalamic {
		t.Fatalf("config lost flags: %+v", p.Network)
	}
	a, b := filepath.Join(tmp, "a"), filepath.Join(tmp, "b")
	if err := execute(append([]string{"run", "-q", "--data-path", a}, flags...)...); err != nil {
		t.Fatal(err)
	}
	if err := execute("run", "-q", "--config", cfg, "--data-path", b); err != nil {
		t.Fatal(err)
	}
	ra, rb := readAll(t, a), readAll(t, b)
	n := 0
	for name, content := range ra {
		if rb[name] != content {
			t.Fatalf("%s differs between the flag run and the config run", name)
		}
		n += strings.Count(content, "\n") - 3
	}
	if n == 0 {
		t.Fatal("no spikes recorded")
	}
}

func TestNoOverwrite(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := execute(small(dir)...); err != nil {
		t.Fatal(err)
	}
	before := readAll(t, dir)
	sum1, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
	// A second run with another seed must refuse and leave the results.
	err := execute(append(small(dir), "--seed", "1")...)
	if err == nil || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("second run: %v, want a refusal that mentions --overwrite", err)
	}
	after := readAll(t, dir)
	for k := range before {
		if before[k] != after[k] {
			t.Fatalf("%s changed without --overwrite", k)
		}
	}
	if sum2, _ := os.ReadFile(filepath.Join(dir, "summary.json")); !bytes.Equal(sum1, sum2) {
		t.Fatal("summary.json changed without --overwrite")
	}
	// With --overwrite the new run replaces them.
	if err := execute(append(small(dir), "--seed", "1", "--overwrite")...); err != nil {
		t.Fatal(err)
	}
	var s Summary
	b, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err := json.Unmarshal(b, &s); err != nil || s.Seed != 1 {
		t.Fatalf("after --overwrite: seed %d, %v", s.Seed, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".staging-*")); len(left) != 0 {
		t.Fatalf("staging left behind: %v", left)
	}
}

func TestSummaryAndFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := execute(small(dir)...); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "n_scaling", "k_scaling", "seed", "threads", "bg_input", "neurons",
		"synapses", "times_s", "rtf", "peak_rss_bytes", "spikes", "rates_hz"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("summary.json lacks %q", k)
		}
	}
	for _, k := range []string{"build", "presim", "sim", "total"} {
		if _, ok := raw["times_s"].(map[string]any)[k]; !ok {
			t.Errorf("summary.json times_s lacks %q", k)
		}
	}
	var meta map[string]any
	mb, _ := os.ReadFile(filepath.Join(dir, "metadata.json"))
	if err := json.Unmarshal(mb, &meta); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "go_version", "modules", "cpu", "cores", "command_line"} {
		if meta[k] == nil || meta[k] == "" {
			t.Errorf("metadata.json lacks %q", k)
		}
	}
	// The spike count and rates agree with the files.
	files := readAll(t, dir)
	lines := 0
	for _, c := range files {
		ls := strings.Split(strings.TrimSpace(c), "\n")
		if ls[0] != "# NEST version: microcircuit 0.1.0" || ls[2] != "sender\ttime_ms" {
			t.Fatalf("header %q", ls[:3])
		}
		lines += len(ls) - 3
	}
	if int(raw["spikes"].(float64)) != lines {
		t.Errorf("summary spikes %v, files hold %d", raw["spikes"], lines)
	}
	for _, name := range []string{"population_nodeids.dat", "nodes.json", "sim_dict.json", "net_dict.json", "stim_dict.json",
		"raster_plot.png", "box_plot.png", "metadata.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s", name)
		}
	}
	// rate<i>.dat: one rate per neuron, mean as in summary.json.
	rates := raw["rates_hz"].(map[string]any)
	for i, pop := range params.Default().Network.Populations {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("rate%d.dat", i)))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Fields(string(b))
		var sum float64
		for _, l := range lines {
			v, _ := strconv.ParseFloat(l, 64)
			sum += v
		}
		want := int(float64(params.Default().Network.FullNumNeurons[i])*0.02 + 0.5)
		if len(lines) != want || math.Abs(sum/float64(len(lines))-rates[pop].(float64)) > 1e-9 {
			t.Errorf("rate%d.dat: %d lines (want %d), mean %v (summary %v)", i, len(lines), want, sum/float64(len(lines)), rates[pop])
		}
	}
}

func TestInterruptKeepsSpikes(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	dir := filepath.Join(t.TempDir(), "data")
	p := params.Default()
	p.SetScale(0.05)
	p.Simulation.TPresim = 0
	p.Simulation.TSim = 1e7 // far longer than the test waits
	p.Simulation.Threads = 2
	p.Simulation.DataPath = dir
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel (as Ctrl-C does) a while after the run has started.
	go func() {
		for {
			if _, err := os.Stat(dir); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(1500 * time.Millisecond)
		cancel()
	}()
	err := run(ctx, &p, world, runOptions{}, io.Discard, io.Discard)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 130 {
		t.Fatalf("interrupted run returned %v, want exit code 130", err)
	}
	var s Summary
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &s)
	if !s.Interrupted || s.RecordedTo >= 1e7 || s.RecordedTo <= 0 || s.Spikes == 0 {
		t.Fatalf("summary: interrupted %v, recorded to %v ms", s.Interrupted, s.RecordedTo)
	}
	// The real-time factor is of the time simulated, not of the time planned.
	if want := s.Times["sim"] / ((s.RecordedTo - s.RecordedFrom) / 1000); math.Abs(s.RTF-want) > 1e-9*want {
		t.Fatalf("summary: RTF %v of an interrupted run; its wall time over the simulated time gives %v", s.RTF, want)
	}
	files := readAll(t, dir)
	n := 0
	for name, c := range files {
		for i, l := range strings.Split(strings.TrimSpace(c), "\n")[3:] {
			if len(strings.Split(l, "\t")) != 2 {
				t.Fatalf("%s line %d malformed: %q", name, i+4, l)
			}
			n++
		}
	}
	if n != s.Spikes {
		t.Fatalf("files hold %d spikes, summary says %d", n, s.Spikes)
	}
}

func TestAnalyzeNESTDirectory(t *testing.T) {
	dir := testref.Dir(t, "nest-spikes-s0.1-poisson")
	out := t.TempDir()
	if err := execute("analyze", dir, "--out", out, "--t-min", "500", "--t-max", "1500"); err != nil {
		t.Fatal(err)
	}
	var rates map[string][]float64
	b, err := os.ReadFile(filepath.Join(out, "rates.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rates); err != nil {
		t.Fatal(err)
	}
	if len(rates["L4E"]) != 2192 {
		t.Fatalf("L4E has %d rates, want 2192", len(rates["L4E"]))
	}
	var sum float64
	for _, r := range rates["L4E"] {
		sum += r
	}
	if m := sum / 2192; m < 3.958 || m > 3.960 {
		t.Fatalf("L4E mean rate %.4f, NEST reported 3.959", m)
	}
	for _, f := range []string{"spike_cvs.json", "spike_ccs.json", "statistics.json", "statistics.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	// A second analysis into the same place must not overwrite silently.
	if err := execute("analyze", dir, "--out", out); err == nil || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("second analyze: %v", err)
	}
}

func TestValidateCommand(t *testing.T) {
	src := testref.Dir(t, "scale0.2_dc")
	tmp := t.TempDir()
	copyMetrics := func(from, to string, scale float64) {
		os.MkdirAll(to, 0o755)
		for _, f := range []string{"rates.json", "spike_cvs.json", "spike_ccs.json"} {
			b, err := os.ReadFile(filepath.Join(from, f))
			if err != nil {
				t.Fatal(err)
			}
			if scale != 1 {
				var m map[string][]*float64
				json.Unmarshal(b, &m)
				for _, list := range m {
					for _, v := range list {
						if v != nil {
							*v *= scale
						}
					}
				}
				b, _ = json.Marshal(m)
			}
			os.WriteFile(filepath.Join(to, f), b, 0o644)
		}
	}
	ref := filepath.Join(tmp, "ref")
	for _, s := range []string{"seed123451", "seed123452", "seed123453", "seed123454"} {
		copyMetrics(filepath.Join(src, s), filepath.Join(ref, s), 1)
	}
	good := filepath.Join(tmp, "good")
	copyMetrics(filepath.Join(src, "seed123450"), good, 1)
	if err := execute("validate", good, "--reference", ref); err != nil {
		t.Fatalf("NEST seed against four other NEST seeds: %v", err)
	}
	var rep struct {
		Pass bool             `json:"pass"`
		Rows []map[string]any `json:"rows"`
	}
	b, _ := os.ReadFile(filepath.Join(good, "validation.json"))
	if err := json.Unmarshal(b, &rep); err != nil || !rep.Pass || len(rep.Rows) != 24 {
		t.Fatalf("validation.json: pass %v, %d rows, %v", rep.Pass, len(rep.Rows), err)
	}
	bad := filepath.Join(tmp, "bad")
	copyMetrics(filepath.Join(src, "seed123450"), bad, 1.5)
	err := execute("validate", bad, "--reference", ref)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("statistics 1.5 times NEST's: %v, want exit status 1", err)
	}
}

func TestMemoryCheck(t *testing.T) {
	p := params.Default()
	p.SetScale(1)
	p.Simulation.Threads = 2
	err := checkMemoryWith(&p, 1<<30, 1, 1)
	if err == nil || !strings.Contains(err.Error(), "largest scale that fits is about 0.") {
		t.Fatalf("full scale in 1 GiB: %v", err)
	}
	if err := checkMemoryWith(&p, 24<<30, 1, 1); err != nil {
		t.Fatalf("full scale in 24 GiB: %v", err)
	}
}

func TestVoltmeterFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	dir := filepath.Join(t.TempDir(), "data")
	args := append(small(dir), "--record", "spikes,voltage", "--v-neurons", "2", "--v-interval", "2")
	if err := execute(args...); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "voltmeter-*-0.dat"))
	if len(files) != 8 {
		t.Fatalf("%d voltmeter files, want 8", len(files))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if lines[2] != "sender\ttime_ms\tV_m" || len(lines) != 3+2*100 {
			t.Fatalf("%s: header %q, %d lines (want 3 + 2 neurons × 100 samples)", f, lines[2], len(lines))
		}
	}
	if err := execute(append(small(filepath.Join(t.TempDir(), "x")), "--v-neurons", "some")...); err == nil ||
		!strings.Contains(err.Error(), "--v-neurons") {
		t.Fatalf("--v-neurons some: %v", err)
	}
}

func TestEnsembleAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	root := filepath.Join(t.TempDir(), "ens")
	args := []string{"ensemble", "--seeds", "2", "--scale", "0.05", "--bg", "poisson", "--t-presim", "100", "--t-sim", "300",
		"--data-path", root, "--cc-neurons", "10"}
	if err := execute(args...); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"rate_ks_distances.json", "spike_cvs_ks_distances.json", "spike_ccs_ks_distances.json",
		"ensemble.png", "ks_distances.png", "seed55/rates.json", "seed56/spike_ccs.json"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	var ks struct {
		Pairs     [][2]string          `json:"pairs"`
		Distances map[string][]float64 `json:"distances"`
	}
	b, _ := os.ReadFile(filepath.Join(root, "rate_ks_distances.json"))
	if err := json.Unmarshal(b, &ks); err != nil || len(ks.Pairs) != 1 || len(ks.Distances["L4E"]) != 1 {
		t.Fatalf("rate_ks_distances.json: %+v, %v", ks, err)
	}
	if d := ks.Distances["L4E"][0]; !(d > 0 && d < 0.5) {
		t.Fatalf("L4E rate distance between seeds %v", d)
	}
	// Resuming runs nothing again: the seed directories stay as they are.
	st, _ := os.Stat(filepath.Join(root, "seed55", "summary.json"))
	if err := execute(args...); err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(filepath.Join(root, "seed55", "summary.json"))
	if !st.ModTime().Equal(st2.ModTime()) {
		t.Fatal("a complete seed was run again")
	}
	// A third seed is added to the ensemble without redoing the others.
	if err := execute(append(args[:2], append([]string{"3"}, args[3:]...)...)...); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(filepath.Join(root, "rate_ks_distances.json"))
	json.Unmarshal(b, &ks)
	if len(ks.Pairs) != 3 {
		t.Fatalf("%d pairs for 3 seeds", len(ks.Pairs))
	}
	// The ensemble serves as a reference for validate.
	out := t.TempDir()
	err := execute("validate", filepath.Join(root, "seed55"), "--reference", root, "--out", out, "--cc-neurons", "10")
	if err != nil {
		t.Fatalf("validate a member against its ensemble: %v", err)
	}
	if err := execute("ensemble", "--seed-list", "1,1"); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("--seed-list 1,1: %v", err)
	}
}

// TestRecordVoltageOnly records membrane potentials without spikes: the
// voltmeter files hold every sample, and there are no spike files.
func TestRecordVoltageOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	dir := filepath.Join(t.TempDir(), "v")
	if err := execute("run", "-q", "--no-plots", "--scale", "0.02", "--t-presim", "100", "--t-sim", "200",
		"--record", "voltage", "--v-neurons", "3", "--data-path", dir); err != nil {
		t.Fatal(err)
	}
	files := resultFiles(t, dir)
	if len(files) != 8 {
		t.Fatalf("%d result files, want 8 voltmeter files and no spike files", len(files))
	}
	for name, c := range files {
		// 3 neurons × 200 samples (every 1 ms of 200 ms) and 3 header lines.
		if !strings.HasPrefix(name, "voltmeter-") || strings.Count(c, "\n") != 3+3*200 {
			t.Errorf("%s has %d lines, want %d", name, strings.Count(c, "\n"), 3+3*200)
		}
	}
}

// TestThreadsZero: --threads 0 means all cores, on the command line as in
// a config file.
func TestThreadsZero(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "t.yaml")
	os.WriteFile(cfg, []byte("simulation:\n  threads: 0\n"), 0o644)
	for _, args := range [][]string{{"--threads", "0"}, {"--config", cfg}} {
		dir := filepath.Join(tmp, strings.Join(args, ""))
		if err := execute(append(small(dir), args...)...); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		var s Summary
		b, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
		if json.Unmarshal(b, &s); s.Threads < 1 {
			t.Fatalf("%v: %d threads", args, s.Threads)
		}
	}
}

// TestReplayLongerThanNEST simulates past NEST's recording: the comparison
// covers what NEST recorded, without spurious differences.
func TestReplayLongerThanNEST(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	net := testref.Dir(t, filepath.Join("exact", "net_s0.05_seed11"))
	if err := execute("replay", net, "--t-sim", "700", "--data-path", filepath.Join(t.TempDir(), "r")); err != nil {
		t.Fatalf("replay of 700 ms (NEST recorded 500): %v", err)
	}
}

// TestThreadsDefaultIsGOMAXPROCS: without --threads a process uses the
// cores it may use (GOMAXPROCS, as a CPU-limited container sets it), not
// the machine's CPUs.
func TestThreadsDefaultIsGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var got int
	beforeWork = func(p *params.Params) error { got = p.Simulation.Threads; return errStop }
	defer func() { beforeWork = nil }()
	if err := execute("run", "--data-path", t.TempDir()); err != errStop {
		t.Fatal(err)
	}
	if got != 1 {
		t.Fatalf("%d threads with GOMAXPROCS 1", got)
	}
}
