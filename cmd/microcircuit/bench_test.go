package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/pd14/microcircuit/internal/calibration"
)

// TestBenchCalibration checks what bench writes of the machine: the
// calibration before and after the runs and their mean, the times per c,
// the caches, and a peak memory that does not count the calibration's
// arrays.
func TestBenchCalibration(t *testing.T) {
	if testing.Short() {
		t.Skip("calibration kernel")
	}
	dir := t.TempDir()
	if err := execute("bench", "--scale", "0.02", "--t-presim", "100", "--t-sim", "200", "--threads", "2", "--data-path", dir); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	var b Bench
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	for _, c := range []float64{b.CalibrationBefore, b.CalibrationAfter} {
		if !(c > 0.05 && c < 100) {
			t.Errorf("calibration %v ns per event: implausible", c)
		}
	}
	if math.Abs(b.Calibration-(b.CalibrationBefore+b.CalibrationAfter)/2) > 1e-12 ||
		math.Abs(b.RTFPerC-b.RTF/b.Calibration) > 1e-12 || math.Abs(b.BuildPerC-b.BuildS/b.Calibration) > 1e-12 {
		t.Errorf("calibration %v (before %v, after %v), RTF/c %v (RTF %v), build/c %v (build %v): inconsistent",
			b.Calibration, b.CalibrationBefore, b.CalibrationAfter, b.RTFPerC, b.RTF, b.BuildPerC, b.BuildS)
	}
	if b.Kernel != "scalar" && b.Kernel != "avx2" && b.Kernel != "avx512" {
		t.Errorf("kernel %q: want scalar, avx2 or avx512", b.Kernel)
	}
	if b.ArrivalSums != "fixed" && b.ArrivalSums != "float64" {
		t.Errorf("arrival sums %q: want fixed or float64", b.ArrivalSums)
	}
	if b.StepsPerPass != 1 && b.StepsPerPass != 2 || b.StepsPerPass == 2 && b.ArrivalSums != "fixed" {
		t.Errorf("%d steps per pass with %s sums: want 1, or 2 with fixed-point sums", b.StepsPerPass, b.ArrivalSums)
	}
	if runtime.GOOS == "linux" {
		if len(b.Caches) == 0 || b.Caches[0].Level != 1 || b.Caches[0].Bytes <= 0 {
			t.Errorf("caches %+v: want the CPU's, from level 1", b.Caches)
		}
		// Two cores' kernel arrays are 2 × 129 MiB; the tiny model and
		// the test binary need far less.
		if arrays := int64(2 * (4*calibration.Events + 8*calibration.Entries)); b.PeakRSS >= arrays {
			t.Errorf("peak memory %d bytes: the calibration's %d bytes of arrays were counted", b.PeakRSS, arrays)
		}
	}
}
