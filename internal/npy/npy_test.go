package npy

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	f64 := []float64{1.5, -2.25, 3e-300, 0}
	u32 := []uint32{0, 1, 4294967295}
	p1, p2 := filepath.Join(dir, "a.npy"), filepath.Join(dir, "b.npy")
	f, _ := os.Create(p1)
	if err := WriteFloat64(f, f64); err != nil {
		t.Fatal(err)
	}
	f.Close()
	f, _ = os.Create(p2)
	if err := WriteUint32(f, u32); err != nil {
		t.Fatal(err)
	}
	f.Close()
	g, err := ReadFloat64(p1)
	if err != nil || len(g) != len(f64) {
		t.Fatalf("%v %v", g, err)
	}
	for i := range g {
		if g[i] != f64[i] {
			t.Fatalf("float64 %d: %v, want %v", i, g[i], f64[i])
		}
	}
	h, err := ReadUint32(p2)
	if err != nil || len(h) != 3 || h[2] != 4294967295 {
		t.Fatalf("%v %v", h, err)
	}
	// Header padding: the data start is a multiple of 64.
	b, _ := os.ReadFile(p1)
	if (len(b)-8*len(f64))%64 != 0 {
		t.Fatalf("header of %d bytes", len(b)-8*len(f64))
	}
	if _, err := ReadUint32(p1); err == nil {
		t.Fatal("a float64 array read as integers")
	}
	os.WriteFile(p1, []byte("not numpy"), 0o644)
	if _, err := ReadFloat64(p1); err == nil {
		t.Fatal("garbage accepted")
	}
}
