package plots

import (
	"bytes"
	"image/png"
	"math"
	"testing"
)

// pngSize returns the size of the PNG in b.
func pngSize(t *testing.T, b *bytes.Buffer) (int, int) {
	t.Helper()
	c, err := png.DecodeConfig(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return c.Width, c.Height
}

func TestRasterAndBoxPlot(t *testing.T) {
	pops := Populations{
		Names:   []string{"L23E", "L23I", "L4E", "L4I"},
		FirstID: []int{1, 101, 131, 231},
		Sizes:   []int{100, 30, 100, 30},
	}
	var sender []int
	var times []float64
	for i := 0; i < 2000; i++ {
		sender = append(sender, 1+(i*37)%260)
		times = append(times, 600+float64(i)*0.1)
	}
	var raster bytes.Buffer
	if err := Raster(&raster, pops, sender, times, 600, 800, 2); err != nil {
		t.Fatal(err)
	}
	if w, h := pngSize(t, &raster); w != 1200 || h != 900 {
		t.Fatalf("raster %d×%d px, want 1200×900 (4×3 in at 300 dpi)", w, h)
	}
	rates := [][]float64{{1, 2, 3}, {4, 5, 6}, {0, 0, 1}, {7, 8, 20}}
	var box bytes.Buffer
	if err := BoxPlot(&box, pops.Names, rates); err != nil {
		t.Fatal(err)
	}
	if w, h := pngSize(t, &box); w != 1200 || h != 900 {
		t.Fatalf("box plot %d×%d px", w, h)
	}
}

func TestDistributionsWithEmptyAndNaN(t *testing.T) {
	vals := map[string][][]float64{
		"a": {{1, 2, 3, 4}, {}},
		"b": {{math.NaN(), 0.5, 0.7}, {1, 1, 1}},
	}
	var d bytes.Buffer
	if err := Distributions(&d, []string{"P", "Q"}, []string{"a", "b"}, []string{"A", "B"}, vals, vals); err != nil {
		t.Fatal(err)
	}
	if w, h := pngSize(t, &d); w != 900 || h != 390 {
		t.Fatalf("distributions %d×%d px", w, h)
	}
}

func TestRasterStep(t *testing.T) {
	for _, c := range []struct {
		scale float64
		want  int
	}{{0.05, 1}, {0.1, 1}, {0.2, 2}, {0.5, 5}, {1, 10}} {
		if got := RasterStep(c.scale); got != c.want {
			t.Errorf("RasterStep(%v) = %d, want %d", c.scale, got, c.want)
		}
	}
}
