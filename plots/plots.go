// Package plots draws the figures of a run in the style of the reference
// PyNEST package: a spike raster and a box plot of firing rates, and the
// distributions of the spike statistics.
package plots

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The reference's colours: excitatory and inhibitory populations.
var (
	ExcColor = color.RGBA{0x59, 0x52, 0x89, 0xff}
	InhColor = color.RGBA{0xaf, 0x14, 0x3c, 0xff}
)

// popColor returns the colour of population p (even = excitatory).
func popColor(p int) color.Color {
	if p%2 == 0 {
		return ExcColor
	}
	return InhColor
}

// Populations describes populations by node ids.
type Populations struct {
	Names   []string
	FirstID []int
	Sizes   []int
}

// RasterStep returns the thinning of the reference: every step-th spike is
// drawn, step = int(10 * N_scaling) above scale 0.1, else 1.
func RasterStep(nScaling float64) int {
	if nScaling > 0.1 {
		return max(1, int(10*nScaling))
	}
	return 1
}

// Raster draws the spikes with t0 <= time <= t1, every step-th spike of each
// population, layers top to bottom, and writes a 4 × 3 inch PNG at 300 dpi
// to out.
func Raster(out io.Writer, pops Populations, sender []int, times []float64, t0, t1 float64, step int) error {
	p := plot.New()
	p.X.Label.Text = "time (ms)"
	p.Y.Label.Text = "neuron id"
	last := pops.FirstID[len(pops.FirstID)-1] + pops.Sizes[len(pops.Sizes)-1] - 1
	flip := func(id int) float64 { return float64(last - id + 1) }
	pts := make([]plotter.XYs, len(pops.Names))
	counts := make([]int, len(pops.Names))
	for i, id := range sender {
		if times[i] < t0 || times[i] > t1 {
			continue
		}
		k := popOf(pops, id)
		if k < 0 {
			continue
		}
		if counts[k]%step == 0 {
			pts[k] = append(pts[k], plotter.XY{X: times[i], Y: flip(id)})
		}
		counts[k]++
	}
	// Layer boundaries and labels.
	var ticks []plot.Tick
	for l := 0; l+1 < len(pops.Names); l += 2 {
		top := flip(pops.FirstID[l])
		bottom := flip(pops.FirstID[l+1] + pops.Sizes[l+1] - 1)
		line, err := plotter.NewLine(plotter.XYs{{X: t0, Y: top}, {X: t1, Y: top}})
		if err != nil {
			return err
		}
		line.Color = color.Gray{0xcc}
		p.Add(line)
		ticks = append(ticks, plot.Tick{Value: (top + bottom) / 2, Label: layerName(pops.Names[l])})
	}
	for k, xy := range pts {
		if len(xy) == 0 {
			continue
		}
		s, err := plotter.NewScatter(xy)
		if err != nil {
			return err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: popColor(k), Radius: vg.Points(0.6), Shape: draw.CircleGlyph{}}
		p.Add(s)
	}
	p.X.Min, p.X.Max = t0, t1
	p.Y.Min, p.Y.Max = 1, float64(last-pops.FirstID[0]+1)
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	return save(p, out, 4*vg.Inch, 3*vg.Inch)
}

// layerName turns "L23E" into "L2/3".
func layerName(pop string) string {
	s := strings.TrimRight(pop, "EI")
	return strings.Replace(s, "23", "2/3", 1)
}

func popOf(pops Populations, id int) int {
	for k := len(pops.FirstID) - 1; k >= 0; k-- {
		if id >= pops.FirstID[k] {
			if id < pops.FirstID[k]+pops.Sizes[k] {
				return k
			}
			return -1
		}
	}
	return -1
}

// BoxPlot draws horizontal box plots of the per-neuron rates of every
// population (first population on top), with the median as a solid black
// line and the mean as a dashed grey line, and writes a 4 × 3 inch PNG to
// out.
func BoxPlot(out io.Writer, names []string, rates [][]float64) error {
	p := plot.New()
	p.X.Label.Text = "firing rate (spikes/s)"
	p.Y.Label.Text = "neuron population"
	n := len(names)
	var ticks []plot.Tick
	width := vg.Points(14)
	for k, r := range rates {
		loc := float64(n - k)
		if len(r) == 0 {
			continue
		}
		b, err := plotter.NewBoxPlot(width, loc, plotter.Values(r))
		if err != nil {
			return fmt.Errorf("box plot of %s: %w", names[k], err)
		}
		b.Horizontal = true
		b.FillColor = popColor(k)
		b.MedianStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(2)}
		b.GlyphStyle = draw.GlyphStyle{Color: color.RGBA{0xff, 0, 0, 0xff}, Radius: vg.Points(1.5), Shape: draw.CrossGlyph{}}
		p.Add(b)
		var sum float64
		for _, v := range r {
			sum += v
		}
		p.Add(meanMark{x: sum / float64(len(r)), y: loc, width: width})
		ticks = append(ticks, plot.Tick{Value: loc, Label: strings.Replace(names[k], "23", "2/3", 1)})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Min, p.Y.Max = 0.4, float64(n)+0.6
	p.X.Min = 0
	return save(p, out, 4*vg.Inch, 3*vg.Inch)
}

// meanMark draws a dashed vertical line across a horizontal box at x.
type meanMark struct {
	x, y  float64
	width vg.Length
}

// Plot draws the mark (plot.Plotter).
func (m meanMark) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	x, y := trX(m.x), trY(m.y)
	c.StrokeLines(draw.LineStyle{Color: color.Gray{0xd3}, Width: vg.Points(2), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}},
		[]vg.Point{{X: x, Y: y - m.width/2}, {X: x, Y: y + m.width/2}})
}

// DataRange is the mark's point (plot.DataRanger).
func (m meanMark) DataRange() (xmin, xmax, ymin, ymax float64) { return m.x, m.x, m.y, m.y }

// Distributions draws, for every population (rows) and metric (columns),
// a histogram of the values; ref, if not nil, is overlaid as a line (the
// reference's first data set); it writes a PNG to out.
func Distributions(out io.Writer, names []string, metrics []string, labels []string, values map[string][][]float64, ref map[string][][]float64) error {
	plots, err := grid(names, metrics, labels, func(p *plot.Plot, r int, metric string) error {
		vals := finite(values[metric][r])
		lo, hi := rangeOf(vals)
		var refVals []float64
		if ref != nil && r < len(ref[metric]) {
			refVals = finite(ref[metric][r])
			l2, h2 := rangeOf(refVals)
			lo, hi = math.Min(lo, l2), math.Max(hi, h2)
		}
		if len(vals) == 0 || !(hi > lo) {
			return nil
		}
		h := histogram(vals, lo, hi, 30)
		h.FillColor = popColor(r)
		h.LineStyle.Width = 0
		p.Add(h)
		if len(refVals) > 0 {
			return addStep(p, histogram(refVals, lo, hi, 30), color.Black)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tile(out, plots, 3*vg.Inch, 1.3*vg.Inch)
}

// grid makes one plot per population (rows) and metric (columns), titled
// by metric and labelled by population, filled by panel.
func grid(names, metrics, labels []string, panel func(p *plot.Plot, r int, metric string) error) ([][]*plot.Plot, error) {
	plots := make([][]*plot.Plot, len(names))
	for r := range plots {
		plots[r] = make([]*plot.Plot, len(metrics))
		for c, metric := range metrics {
			p := plot.New()
			if err := panel(p, r, metric); err != nil {
				return nil, err
			}
			if r == 0 {
				p.Title.Text = labels[c]
			}
			if c == 0 {
				p.Y.Label.Text = names[r]
			}
			plots[r][c] = p
		}
	}
	return plots, nil
}

// addStep draws histogram h as a step line.
func addStep(p *plot.Plot, h *plotter.Histogram, c color.Color) error {
	line, err := plotter.NewLine(stepXYs(h))
	if err != nil {
		return err
	}
	line.Color = c
	p.Add(line)
	return nil
}

func finite(x []float64) []float64 {
	out := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, v)
		}
	}
	return out
}

// rangeOf returns the range from the 0.5th to the 99.5th percentile of x,
// so that a few outliers do not squeeze a histogram.
func rangeOf(x []float64) (float64, float64) {
	if len(x) == 0 {
		return math.Inf(1), math.Inf(-1)
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	lo, hi := s[len(s)*5/1000], s[(len(s)-1)*995/1000]
	if hi <= lo {
		lo, hi = s[0], s[len(s)-1]
	}
	return lo, hi
}

// histogram returns a density histogram of x with n bins over [lo, hi].
func histogram(x []float64, lo, hi float64, n int) *plotter.Histogram {
	bins := make([]plotter.HistogramBin, n)
	w := (hi - lo) / float64(n)
	for i := range bins {
		bins[i].Min, bins[i].Max = lo+float64(i)*w, lo+float64(i+1)*w
	}
	for _, v := range x {
		if v < lo || v > hi {
			continue
		}
		i := min(int((v-lo)/w), n-1)
		bins[i].Weight++
	}
	for i := range bins {
		bins[i].Weight /= float64(len(x)) * w
	}
	return &plotter.Histogram{Bins: bins, Width: w, FillColor: color.Gray{0x80}, LineStyle: plotter.DefaultLineStyle}
}

func stepXYs(h *plotter.Histogram) plotter.XYs {
	var xy plotter.XYs
	for _, b := range h.Bins {
		xy = append(xy, plotter.XY{X: b.Min, Y: b.Weight}, plotter.XY{X: b.Max, Y: b.Weight})
	}
	return xy
}

// save writes p to out as a PNG of the given size at 300 dpi.
func save(p *plot.Plot, out io.Writer, w, h vg.Length) error {
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(300))
	p.Draw(draw.New(img))
	_, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(out)
	return err
}

// seedColor returns a colour for data set i of an ensemble.
func seedColor(i int) color.Color {
	palette := []color.RGBA{
		{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
		{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	}
	return palette[i%len(palette)]
}

// Ensemble draws, for every population (rows) and metric (columns), the
// distribution of each data set of an ensemble as a line, as a PNG to out.
func Ensemble(out io.Writer, names, metrics, labels []string, sets []map[string][][]float64) error {
	plots, err := grid(names, metrics, labels, func(p *plot.Plot, r int, metric string) error {
		var all []float64
		for _, set := range sets {
			all = append(all, finite(set[metric][r])...)
		}
		lo, hi := rangeOf(all)
		if !(hi > lo) {
			return nil
		}
		for i, set := range sets {
			if vals := finite(set[metric][r]); len(vals) > 0 {
				if err := addStep(p, histogram(vals, lo, hi, 30), seedColor(i)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tile(out, plots, 3*vg.Inch, 1.3*vg.Inch)
}

// KSDistances draws, per metric, the KS distances between the pairs of an
// ensemble's data sets for each population, as a PNG to out.
func KSDistances(out io.Writer, names, labels []string, dist [][][]float64) error {
	plots := [][]*plot.Plot{make([]*plot.Plot, len(labels))}
	for c, label := range labels {
		p := plot.New()
		p.Title.Text = label
		p.Y.Label.Text = "KS distance"
		var ticks []plot.Tick
		for r, name := range names {
			var xy plotter.XYs
			for j, d := range dist[c][r] {
				if !math.IsNaN(d) {
					xy = append(xy, plotter.XY{X: float64(r) + 0.3*(float64(j)/float64(max(1, len(dist[c][r])))-0.5), Y: d})
				}
			}
			if len(xy) > 0 {
				s, err := plotter.NewScatter(xy)
				if err != nil {
					return err
				}
				s.GlyphStyle = draw.GlyphStyle{Color: popColor(r), Radius: vg.Points(2), Shape: draw.CircleGlyph{}}
				p.Add(s)
			}
			ticks = append(ticks, plot.Tick{Value: float64(r), Label: name})
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
		p.Y.Min = 0
		plots[0][c] = p
	}
	return tile(out, plots, 3.5*vg.Inch, 3*vg.Inch)
}

// tile draws a grid of plots, each w × h, into a PNG at 150 dpi.
func tile(out io.Writer, plots [][]*plot.Plot, w, h vg.Length) error {
	rows, cols := len(plots), len(plots[0])
	img := vgimg.NewWith(vgimg.UseWH(vg.Length(cols)*w, vg.Length(rows)*h), vgimg.UseDPI(150))
	dc := draw.New(img)
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter,
		PadTop: vg.Points(2), PadBottom: vg.Points(2), PadLeft: vg.Points(2), PadRight: vg.Points(2)}
	canvases := plot.Align(plots, t, dc)
	for r := range plots {
		for c := range plots[r] {
			plots[r][c].Draw(canvases[r][c])
		}
	}
	_, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(out)
	return err
}
