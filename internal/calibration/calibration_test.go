package calibration

import (
	"math"
	"testing"

	"github.com/pd14/microcircuit/internal/half"
)

// TestWeightIsTheHalf checks the kernel's decoding against package half
// for every normal magnitude.
func TestWeightIsTheHalf(t *testing.T) {
	for h := uint32(1 << 10); h < 31<<10; h++ {
		if got, want := Weight(h<<17), half.ToFloat32(uint16(h)); got != want {
			t.Fatalf("half %#x: %v, want %v", h, got, want)
		}
	}
}

// TestApply checks the scatter-add against a plain sum per target.
func TestApply(t *testing.T) {
	ev := Generate(3, 100000)
	var buf [Entries]float64
	Apply(ev, &buf)
	want := make([]float64, Entries)
	for _, e := range ev {
		tg := e & (Entries - 1)
		if tg >= Targets {
			t.Fatalf("target %d outside [0, %d)", tg, Targets)
		}
		w := float64(half.ToFloat32(uint16(e >> 17)))
		if w < 0.25 || w >= 512 {
			t.Fatalf("weight %v outside [2^-2, 2^9)", w)
		}
		want[tg] += w
	}
	for i := range want {
		if math.Abs(buf[i]-want[i]) > 1e-9*want[i] {
			t.Fatalf("entry %d: %v, want %v", i, buf[i], want[i])
		}
	}
}

func BenchmarkApply(b *testing.B) {
	ev := Generate(1, 1<<22)
	var buf [Entries]float64
	b.ResetTimer()
	for range b.N {
		Apply(ev, &buf)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(ev)), "ns/event")
}
