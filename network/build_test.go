package network

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/pd14/microcircuit/engine"
	"github.com/pd14/microcircuit/internal/half"
	"github.com/pd14/microcircuit/internal/rng"
	"github.com/pd14/microcircuit/params"
)

func build(t *testing.T, scale float64, threads int, mut func(*params.Params)) (*params.Params, [params.NumPops][params.NumPops]stats, *testNet) {
	t.Helper()
	p := params.Default()
	p.SetScale(scale)
	if mut != nil {
		mut(&p)
	}
	net, err := Build(&p, threads)
	if err != nil {
		t.Fatal(err)
	}
	var st [params.NumPops][params.NumPops]stats
	pop := func(i int) int {
		for k := 0; k < params.NumPops; k++ {
			if i < net.PopStart[k+1] {
				return k
			}
		}
		return -1
	}
	tn := unpack(net)
	for s := 0; s < net.N(); s++ {
		x := pop(s)
		for k := net.SrcStart[s]; k < net.SrcStart[s+1]; k++ {
			y := pop(int(tn.target[k]))
			st[y][x].add(float64(tn.w[k]), float64(tn.d[k]))
		}
	}
	return &p, st, tn
}

type testNet struct {
	srcStart []int64
	target   []uint32
	w        []float32
	d        []int
	v0       []float64
}

// unpack returns the synapses of net as plain arrays.
func unpack(net *engine.Network) *testNet {
	tn := &testNet{srcStart: net.SrcStart, v0: net.V0}
	for k, syn := range net.Syn {
		t, d := net.Unpack(syn)
		tn.target = append(tn.target, t)
		tn.d = append(tn.d, d)
		if net.Weight16 != nil {
			tn.w = append(tn.w, half.ToFloat32(net.Weight16[k]))
		} else {
			tn.w = append(tn.w, net.Weight32[k])
		}
	}
	return tn
}

type stats struct {
	n                    int64
	wSum, wSq, dSum, dSq float64
	wrongSign            int64
	minDelay             float64
}

func (s *stats) add(w, d float64) {
	if s.n == 0 {
		s.minDelay = d
	}
	s.n++
	s.wSum += w
	s.wSq += w * w
	s.dSum += d
	s.dSq += d * d
	s.minDelay = math.Min(s.minDelay, d)
}

// roundedNormalMean returns the mean and sd, in steps, of round(d/h) for d
// normal(mean, sd) redrawn until >= h/2, by numerical integration.
func roundedNormalMean(mean, sd, h float64) (float64, float64) {
	var z, m1, m2 float64
	for k := 1; k < 2000; k++ {
		lo, hi := (float64(k)-0.5)*h, (float64(k)+0.5)*h
		pr := 0.5 * (math.Erf((hi-mean)/(sd*math.Sqrt2)) - math.Erf((lo-mean)/(sd*math.Sqrt2)))
		z += pr
		m1 += pr * float64(k)
		m2 += pr * float64(k*k)
	}
	m1 /= z
	return m1, math.Sqrt(m2/z - m1*m1)
}

// truncNormalMean returns the mean and sd of a normal(mean, sd) restricted
// to the side of zero that has the sign of mean.
func truncNormalMean(mean, sd float64) (float64, float64) {
	a := -math.Abs(mean) / sd
	phi := math.Exp(-a*a/2) / math.Sqrt(2*math.Pi)
	Z := 1 - 0.5*(1+math.Erf(a/math.Sqrt2))
	lam := phi / Z
	m := math.Abs(mean) + sd*lam
	v := sd * sd * (1 + a*lam - lam*lam)
	return math.Copysign(m, mean), math.Sqrt(v)
}

func TestConnectivityStatistics(t *testing.T) {
	p, st, _ := build(t, 0.1, 2, nil)
	counts := p.Network.NumSynapses()
	wm := p.Network.MeanWeights()
	h := p.Simulation.Resolution
	for y := 0; y < params.NumPops; y++ {
		for x := 0; x < params.NumPops; x++ {
			s := st[y][x]
			if s.n != counts[y][x] {
				t.Errorf("%d→%d: %d synapses, want %d", x, y, s.n, counts[y][x])
			}
			if s.n < 100 {
				continue
			}
			n := float64(s.n)
			mean := s.wSum / n
			sd := math.Sqrt(s.wSq/n - mean*mean)
			em, esd := truncNormalMean(wm[y][x], 0.1*math.Abs(wm[y][x]))
			if math.Abs(mean-em) > 5*esd/math.Sqrt(n) {
				t.Errorf("%d→%d: weight mean %.4f, want %.4f ± %.4f", x, y, mean, em, 5*esd/math.Sqrt(n))
			}
			if math.Abs(sd-esd) > 0.05*esd+5*esd/math.Sqrt(n) {
				t.Errorf("%d→%d: weight sd %.4f, want %.4f", x, y, sd, esd)
			}
			dm := p.Network.DelayExcMean
			if !params.Excitatory(x) {
				dm = p.Network.DelayInhMean
			}
			edm, edsd := roundedNormalMean(dm, 0.5*dm, h)
			dmean := s.dSum / n
			if math.Abs(dmean-edm) > 5*edsd/math.Sqrt(n) {
				t.Errorf("%d→%d: delay mean %.3f steps, want %.3f ± %.3f", x, y, dmean, edm, 5*edsd/math.Sqrt(n))
			}
			if s.minDelay < 1 {
				t.Errorf("%d→%d: delay %v steps < 1", x, y, s.minDelay)
			}
		}
	}
}

func TestNoWrongSign(t *testing.T) {
	// With a 100 % weight sd, about 16 % of the draws have the wrong sign
	// and must be redrawn.
	p := params.Default()
	p.SetScale(0.05)
	p.Network.WeightRelSD = 1
	net, err := Build(&p, 2)
	if err != nil {
		t.Fatal(err)
	}
	tn := unpack(net)
	for x := 0; x < params.NumPops; x++ {
		for s := net.PopStart[x]; s < net.PopStart[x+1]; s++ {
			for k := net.SrcStart[s]; k < net.SrcStart[s+1]; k++ {
				w := tn.w[k]
				if (params.Excitatory(x) && w < 0) || (!params.Excitatory(x) && w > 0) {
					t.Fatalf("source %d of population %d has weight %v", s, x, w)
				}
			}
		}
	}
}

func TestBuildIndependentOfThreads(t *testing.T) {
	_, _, a := build(t, 0.02, 1, nil)
	_, _, b := build(t, 0.02, 3, nil)
	if len(a.target) != len(b.target) {
		t.Fatalf("%d vs %d synapses", len(a.target), len(b.target))
	}
	for k := range a.target {
		if a.target[k] != b.target[k] || a.w[k] != b.w[k] || a.d[k] != b.d[k] {
			t.Fatalf("synapse %d differs between 1 and 3 threads", k)
		}
	}
	for i := range a.v0 {
		if a.v0[i] != b.v0[i] {
			t.Fatalf("V0[%d] differs", i)
		}
	}
}

func TestSeedChangesNetwork(t *testing.T) {
	_, _, a := build(t, 0.02, 2, nil)
	_, _, b := build(t, 0.02, 2, func(p *params.Params) { p.Simulation.Seed = 56 })
	same := 0
	for k := range a.target {
		if a.target[k] == b.target[k] {
			same++
		}
	}
	if same > len(a.target)/10 {
		t.Fatalf("seeds 55 and 56 share %d of %d targets", same, len(a.target))
	}
}

func TestV0Distribution(t *testing.T) {
	p, _, net := build(t, 0.2, 2, nil)
	sizes := p.Network.NumNeurons()
	start := 0
	for pop, n := range sizes {
		var s, sq float64
		for _, v := range net.v0[start : start+n] {
			s += v
			sq += v * v
		}
		mean := s / float64(n)
		sd := math.Sqrt(sq/float64(n) - mean*mean)
		wm, wsd := p.Network.V0MeanOptimized[pop], p.Network.V0SDOptimized[pop]
		if math.Abs(mean-wm) > 5*wsd/math.Sqrt(float64(n)) || math.Abs(sd-wsd) > 0.1*wsd {
			t.Errorf("pop %d: V0 mean %.2f sd %.2f, want %.2f, %.2f", pop, mean, sd, wm, wsd)
		}
		start += n
	}
}

func TestThalamicSynapses(t *testing.T) {
	p := params.Default()
	p.SetScale(0.1)
	p.Stimulus.Thalamic = true
	net, err := Build(&p, 2)
	if err != nil {
		t.Fatal(err)
	}
	N := net.N()
	if net.NumSources != N+902 {
		t.Fatalf("%d sources, want %d", net.NumSources, N+902)
	}
	var total int64
	for _, c := range p.ThSynapses() {
		total += c
	}
	got := net.SrcStart[net.NumSources] - net.SrcStart[N]
	if got != total || total == 0 {
		t.Fatalf("%d thalamic synapses, want %d", got, total)
	}
	tn := unpack(net)
	for k := net.SrcStart[N]; k < net.SrcStart[net.NumSources]; k++ {
		if tn.w[k] < 0 {
			t.Fatalf("thalamic weight %v < 0", tn.w[k])
		}
	}
	// NEST: the generator is active in steps 7001..7100 (t_min = 7000 <
	// s <= t_max = 7100); the relays emit 10 steps (1 ms) later, stamped
	// 701.2..711.1 ms.
	if net.ExtFirst != 7011 || net.ExtLast != 7110 {
		t.Fatalf("thalamic emission steps %d..%d, want 7011..7110 (times 701.2..711.1 ms)", net.ExtFirst, net.ExtLast)
	}
}

// TestPartsMatchWhole builds a network whole and in parts for 2, 3 and 7
// ranks: every part must hold exactly the whole network's neurons and
// synapses onto them, in the same order.
func TestPartsMatchWhole(t *testing.T) {
	p := params.Default()
	p.SetScale(0.05)
	p.Stimulus.Thalamic = true
	whole, err := Build(&p, 2)
	if err != nil {
		t.Fatal(err)
	}
	N := whole.N()
	tw := unpack(whole)
	for _, ranks := range []int{2, 3, 7} {
		for r := 0; r < ranks; r++ {
			part, err := BuildPart(context.Background(), &p, 3, r, ranks)
			if err != nil {
				t.Fatal(err)
			}
			if part.Rank != r || part.Ranks != ranks || part.N() != engine.HeldBy(N, r, ranks) || part.NumSources != whole.NumSources {
				t.Fatalf("rank %d of %d: %d neurons, %d sources", r, ranks, part.N(), part.NumSources)
			}
			for i := range part.V0 {
				g := part.Global(i)
				if part.V0[i] != whole.V0[g] || part.Ie[i] != whole.Ie[g] {
					t.Fatalf("rank %d of %d: neuron %d differs", r, ranks, g)
				}
			}
			tp := unpack(part)
			for s := 0; s < whole.NumSources; s++ {
				k := part.SrcStart[s]
				for j := whole.SrcStart[s]; j < whole.SrcStart[s+1]; j++ {
					tg := int(tw.target[j])
					if tg%ranks != r {
						continue
					}
					if k >= part.SrcStart[s+1] || part.Global(int(tp.target[k])) != tg || tp.w[k] != tw.w[j] || tp.d[k] != tw.d[j] {
						t.Fatalf("rank %d of %d: synapse %d of source %d differs from the whole network's", r, ranks, k-part.SrcStart[s], s)
					}
					k++
				}
				if k != part.SrcStart[s+1] {
					t.Fatalf("rank %d of %d: source %d has %d synapses more than in the whole network", r, ranks, s, part.SrcStart[s+1]-k)
				}
			}
		}
	}
}

// TestInDegrees checks the multinomial split of a block's synapses among
// its targets: the in-degrees add up, and their spread is that of the
// multinomial, a binomial(K, 1/N) variance (chi-square within 5 sd of its
// mean); the parts of 3 ranks hold the whole's in-degrees.
func TestInDegrees(t *testing.T) {
	b := &block{tgtFirst: 100, tgtCount: 20683, count: 2_000_000, key: 9, held: 100}
	deg := inDegrees(context.Background(), b, 0, 1, b.tgtCount)
	var sum int64
	var chi2 float64
	e := float64(b.count) / float64(b.tgtCount)
	for _, d := range deg {
		sum += int64(d)
		chi2 += (float64(d) - e) * (float64(d) - e) / e
	}
	if sum != b.count {
		t.Fatalf("in-degrees add up to %d of %d", sum, b.count)
	}
	dof := float64(b.tgtCount - 1)
	if math.Abs(chi2-dof) > 5*math.Sqrt(2*dof) {
		t.Fatalf("chi-square of the in-degrees %.1f for %v degrees of freedom", chi2, dof)
	}
	for r := 0; r < 3; r++ {
		b.held = (b.tgtFirst - r + 2) / 3 // first held target (tgtFirst > r)
		n := (b.tgtFirst+b.tgtCount-r+2)/3 - b.held
		part := inDegrees(context.Background(), b, r, 3, n)
		for j, d := range part {
			if g := r + (b.held+j)*3; d != deg[g-b.tgtFirst] {
				t.Fatalf("rank %d of 3: target %d has in-degree %d, the whole %d", r, g, d, deg[g-b.tgtFirst])
			}
		}
	}
}

// TestEstimateParts checks that a part of two ranks is estimated at about
// half the whole network.
func TestEstimateParts(t *testing.T) {
	p := params.Default()
	p.SetScale(1)
	one, two := float64(EstimatePartBytes(&p, 1, 1)), float64(EstimatePartBytes(&p, 1, 2))
	if two > 0.56*one || two < 0.45*one {
		t.Fatalf("a part of two ranks estimated at %.2f GB, the whole at %.2f GB", two/1e9, one/1e9)
	}
}

// TestInputWindows pins the steps of every input of a generated network to
// those NEST's rules give for the same parameters (worked out by hand; see
// package device): the first background arrival, the thalamic relays'
// emissions and the DC transient's membrane updates, for the default times
// and for times that are not multiples of 1 ms.
func TestInputWindows(t *testing.T) {
	cases := []struct {
		name                  string
		set                   func(*params.Params)
		bgFirst               int64
		extFirst, extLast     int64
		pulseFirst, pulseLast int64
	}{
		{"defaults", func(*params.Params) {}, 16, 7011, 7110, 6510, 7509},
		{"off the ms grid", func(p *params.Params) {
			p.Network.PoissonDelay = 1.2
			p.Stimulus.ThStart, p.Stimulus.ThDuration = 700.3, 10.4
			p.Stimulus.DCStart, p.Stimulus.DCDuration = 650.7, 99.9
		}, 13, 7014, 7117, 6517, 7515},
	}
	for _, c := range cases {
		p := params.Default()
		p.SetScale(0.02)
		p.Network.BgInput = "poisson"
		p.Stimulus.Thalamic, p.Stimulus.DCTransient = true, true
		c.set(&p)
		net, err := Build(&p, 2)
		if err != nil {
			t.Fatal(err)
		}
		if net.BgFirst != c.bgFirst || net.ExtFirst != c.extFirst || net.ExtLast != c.extLast {
			t.Errorf("%s: background from step %d, relays in %d..%d; want %d, %d..%d",
				c.name, net.BgFirst, net.ExtFirst, net.ExtLast, c.bgFirst, c.extFirst, c.extLast)
		}
		amps := p.DCTransientAmplitudes()
		for k, pl := range net.Pulses {
			if pl.First != c.pulseFirst || pl.Last != c.pulseLast || pl.Amp != amps[k] {
				t.Errorf("%s: population %d: pulse of %v pA in %d..%d, want %v pA in %d..%d",
					c.name, k, pl.Amp, pl.First, pl.Last, amps[k], c.pulseFirst, c.pulseLast)
			}
		}
		if len(net.Pulses) != params.NumPops {
			t.Errorf("%s: %d pulses", c.name, len(net.Pulses))
		}
	}
}

// TestEqualTimeConstantsBuild builds a network whose synaptic time
// constants equal the membrane's (NEST accepts it): its weights are those
// of the limit C_m·e/tau_m pA per mV of PSP.
func TestEqualTimeConstantsBuild(t *testing.T) {
	p, st, _ := build(t, 0.02, 2, func(p *params.Params) {
		p.Network.Neuron.TauSynEx = p.Network.Neuron.TauM
		p.Network.Neuron.TauSynIn = p.Network.Neuron.TauM
	})
	nr := p.Network.Neuron
	// L23E → L23E, weights scaled by 1/sqrt(K_scaling) (SPEC §6).
	want := p.Network.PSPExcMean * nr.Cm * math.E / nr.TauM / math.Sqrt(p.Network.KScaling)
	s := st[0][0]
	if mean := s.wSum / float64(s.n); s.n < 1000 || math.Abs(mean-want) > 0.01*want {
		t.Fatalf("L23E → L23E: %d synapses of mean weight %.4f pA, want %.4f", s.n, mean, want)
	}
}

// TestMatrixOverrides checks that full PSP and delay matrices equal to the
// derived ones give the same network, and that a changed entry changes
// exactly its pair's weights and delays.
func TestMatrixOverrides(t *testing.T) {
	p := params.Default()
	p.SetScale(0.02)
	ref, err := Build(&p, 2)
	if err != nil {
		t.Fatal(err)
	}
	psp := params.Matrix(p.Network.PSPMatrix())
	del := params.Matrix(p.Network.DelayMatrix())
	q := p
	q.Network.PSPMatrixMean, q.Network.DelayMatrixMean = &psp, &del
	same, err := Build(&q, 2)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Checksum(2) != same.Checksum(2) {
		t.Fatal("matrices equal to the derived ones changed the network")
	}

	// L23I -> L4E made excitatory (+0.6 mV) with 3 ms delays.
	psp2, del2 := psp, del
	psp2[2][1], del2[2][1] = 0.6, 3
	q.Network.PSPMatrixMean, q.Network.DelayMatrixMean = &psp2, &del2
	_, st, _ := build(t, 0.02, 2, func(p *params.Params) {
		p.Network.PSPMatrixMean, p.Network.DelayMatrixMean = &psp2, &del2
	})
	_, st0, _ := build(t, 0.02, 2, nil)
	w := q.Network.MeanWeights()
	h := p.Simulation.Resolution
	for y := 0; y < params.NumPops; y++ {
		for x := 0; x < params.NumPops; x++ {
			s, s0 := st[y][x], st0[y][x]
			if s.n == 0 {
				continue
			}
			mw, md := s.wSum/float64(s.n), s.dSum/float64(s.n)*h
			if y == 2 && x == 1 {
				if math.Abs(mw-w[2][1]) > 0.05*w[2][1] {
					t.Errorf("L23I->L4E mean weight %.4g, want %.4g", mw, w[2][1])
				}
				want, sd := roundedNormalMean(3, 1.5, h)
				if se := sd * h / math.Sqrt(float64(s.n)); math.Abs(md-want*h) > 4*se {
					t.Errorf("L23I->L4E mean delay %.3f ms, want %.3f ± %.3f", md, want*h, 4*se)
				}
				continue
			}
			if s != s0 {
				t.Errorf("pair %d<-%d changed: %+v, was %+v", y, x, s, s0)
			}
		}
	}
}

// TestDelayTable checks the delay tables against the reference's way of
// drawing delays (normal, redrawn until >= h/2, rounded as NEST rounds,
// floor(d/h + 0.5)): two million draws of each, compared step by step.
func TestDelayTable(t *testing.T) {
	const n = 2_000_000
	const h = 0.1
	r := rand.New(rand.NewPCG(5, 6))
	var src rng.SplitMix
	for _, c := range []struct{ mean, sd float64 }{{1.5, 0.75}, {0.75, 0.375}, {0.02, 0.5}, {1.5, 0}, {0.3, 0.01}} {
		tab, err := newDelayTable(c.mean, c.sd, h, 10000)
		if err != nil {
			t.Fatal(err)
		}
		got, want := map[int]float64{}, map[int]float64{}
		for range n {
			got[tab.draw(&src)]++
			for {
				d := c.mean + c.sd*r.NormFloat64()
				if d >= h/2 {
					want[int(math.Floor(d/h+0.5))]++
					break
				}
			}
		}
		for k := range got {
			if k < 1 || want[k] == 0 && got[k] > 25 {
				t.Errorf("mean %v sd %v: step %d drawn %v times, the reference way %v", c.mean, c.sd, k, got[k], want[k])
			}
		}
		for k, w := range want {
			if math.Abs(got[k]-w) > 5*math.Sqrt(2*w)+5 {
				t.Errorf("mean %v sd %v: step %d drawn %v times, the reference way %v", c.mean, c.sd, k, got[k], w)
			}
		}
	}
	for _, c := range []struct {
		mean, sd float64
		max      int
		msg      string
	}{{0.04, 0, 100, "half a step"}, {0.01, 0.001, 100, "half a step"}, {5, 1, 60, "more than 60 steps"}} {
		if _, err := newDelayTable(c.mean, c.sd, h, c.max); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("mean %v sd %v: got %v, want an error with %q", c.mean, c.sd, err, c.msg)
		}
	}
}

// TestWeightTable checks the weight tables: every half-precision weight's
// interval of float64 weights (halfFloor) is the set that toHalf rounds to
// it, and draws agree with the reference's way (normal, redrawn until it
// has its sign, rounded to half precision) in a two-sample
// Kolmogorov–Smirnov test of two million draws each.
func TestWeightTable(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 1_000_000 {
		w := math.Abs(400 * r.NormFloat64())
		v := toHalf(w)
		if !(halfFloor(v) <= w && (v == 0x7bff || w < halfFloor(v+1))) {
			t.Fatalf("w = %v rounds to %#x, outside [%v, %v)", w, v, halfFloor(v), halfFloor(v+1))
		}
	}
	const n = 2_000_000
	var src rng.SplitMix
	for _, c := range []struct{ mean, sd float64 }{{87.8, 8.78}, {-351.2, 35.12}, {0.5, 2}, {-3, 0}} {
		tab := newWeightTable(c.mean, c.sd)
		got, want := make([]float64, n), make([]float64, n)
		for i := range n {
			got[i] = float64(half.ToFloat32(tab.draw(&src)))
			want[i] = float64(half.ToFloat32(toHalf(drawReference(r, c.mean, c.sd))))
		}
		slices.Sort(got)
		slices.Sort(want)
		if got[0]*want[0] <= 0 && c.mean != 0 {
			t.Errorf("mean %v sd %v: smallest %v and %v: a weight of the wrong sign", c.mean, c.sd, got[0], want[0])
		}
		if d := ks(got, want); d > 1.63*math.Sqrt(2.0/n) {
			t.Errorf("mean %v sd %v: KS distance %.5f to the reference's draws", c.mean, c.sd, d)
		}
	}
}

// drawReference draws a weight as the reference does: normal, redrawn until
// it has the sign of mean.
func drawReference(r *rand.Rand, mean, sd float64) float64 {
	for {
		w := mean + sd*r.NormFloat64()
		if (mean >= 0 && w >= 0) || (mean < 0 && w <= 0) {
			return w
		}
	}
}

// ks returns the two-sample Kolmogorov–Smirnov distance of sorted a and b.
func ks(a, b []float64) float64 {
	var i, j int
	d := 0.0
	for i < len(a) && j < len(b) {
		x := min(a[i], b[j])
		for i < len(a) && a[i] == x {
			i++
		}
		for j < len(b) && b[j] == x {
			j++
		}
		d = max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}
