package half

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRoundTripAllHalves(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := ToFloat32Exact(uint16(h))
		if math.IsNaN(float64(f)) {
			continue
		}
		if g := FromFloat32(f); g != uint16(h) {
			t.Fatalf("half %#04x -> %v -> %#04x", h, f, g)
		}
		exp := (h >> 10) & 0x1f
		if exp != 0 && exp != 0x1f && ToFloat32(uint16(h)) != f {
			t.Fatalf("fast decode of %#04x = %v, want %v", h, ToFloat32(uint16(h)), f)
		}
	}
}

func TestNearestRounding(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		f := float32(r.NormFloat64() * 300)
		h := FromFloat32(f)
		got := ToFloat32Exact(h)
		// No other half is closer.
		for _, n := range []uint16{h - 1, h + 1} {
			alt := ToFloat32Exact(n)
			if math.Abs(float64(alt-f)) < math.Abs(float64(got-f)) {
				t.Fatalf("%v -> %v, but %v is closer", f, got, alt)
			}
		}
		if math.Abs(float64(got-f)) > math.Abs(float64(f))/2048 {
			t.Fatalf("%v -> %v: relative error above 2^-11", f, got)
		}
	}
}
