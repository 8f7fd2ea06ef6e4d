package engine

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pd14/microcircuit/internal/half"
)

// randomNet returns n neurons, each with k synapses to random targets,
// delays 1..maxDelay steps, and a constant current that makes them fire at
// a few spikes per second.
func randomNet(n, k, maxDelay int, ie float64) *Network {
	net := tiny(n, 0.1)
	r := rand.New(rand.NewPCG(1, 2))
	net.Weight64 = nil
	for s := 0; s < n; s++ {
		for j := 0; j < k; j++ {
			d := 1 + r.IntN(maxDelay)
			net.Syn = append(net.Syn, net.Pack(uint32(r.IntN(n)), d))
			w := math.Abs(20 + 5*r.NormFloat64()) // one sign per source
			if s%5 == 0 {
				w = -4 * w
			}
			net.Weight16 = append(net.Weight16, half.FromFloat32(float32(w)))
		}
		net.SrcStart[s+1] = int64(len(net.Syn))
		net.V0[s] = -65 + 15*r.Float64()
		net.Ie[s] = ie
	}
	return net
}

// BenchmarkUpdate measures the neuron update: 20,000 neurons without
// synapses, per neuron and step.
func BenchmarkUpdate(b *testing.B) {
	benchSteps(b, randomNet(20000, 0, 1, 380), 1)
}

// benchSteps simulates net, whose neurons have no synapses, on workers
// goroutines for about b.N neuron-steps and reports the time per neuron and
// step.
// Each kernel level the machine has is a sub-benchmark.
func benchSteps(b *testing.B, net *Network, workers int) {
	for level := kernelScalar; level <= bestKernel; level++ {
		b.Run(level.String(), func(b *testing.B) { benchStepsAt(b, net, workers, level) })
	}
}

func benchStepsAt(b *testing.B, net *Network, workers int, level kernelLevel) {
	// New spends the network's synapse arrays: simulate a copy.
	cp := *net
	sim, err := New(&cp, Options{Workers: workers})
	if err != nil {
		b.Fatal(err)
	}
	sim.kernel = level
	b.ResetTimer()
	n := int64(net.N())
	steps := int64(b.N)/n + 1
	if err := sim.Run(context.Background(), steps, false, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(steps*n), "ns/neuron-step")
}

// BenchmarkDeliver measures spike delivery: 20,000 neurons with 1,000
// synapses each, per synaptic event (the update is included).
func BenchmarkDeliver(b *testing.B) {
	net := randomNet(20000, 1000, 40, 500)
	sim, err := New(net, Options{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	if err := sim.Run(context.Background(), 200, false, nil); err != nil {
		b.Fatal(err)
	}
	_, e0 := sim.Counts()
	b.ResetTimer()
	for b.Loop() {
		if err := sim.Run(context.Background(), 10, false, nil); err != nil {
			b.Fatal(err)
		}
	}
	_, e1 := sim.Counts()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(e1-e0), "ns/event")
}

// BenchmarkUpdatePoisson measures the neuron update with a Poisson
// background of mean 1.6 counts per step (about PD14's drive: 8 spikes/s from
// some 2000 external inputs), per neuron and step. Its weight keeps the mean
// input below threshold, as recurrent inhibition keeps the model's: with
// PD14's 87.8 pA these neurons, alone, would fire at hundreds of spikes/s
// and the figure would be that of spiking.
func BenchmarkUpdatePoisson(b *testing.B) {
	benchSteps(b, withBenchBackground(randomNet(20000, 0, 1, 0)), 1)
}

// withBenchBackground gives net BenchmarkUpdatePoisson's background.
func withBenchBackground(net *Network) *Network {
	net.BgRate = []float64{16000}
	net.BgWeight = 30
	net.BgFirst = 2
	net.BgSeed = 7
	return net
}

// BenchmarkUpdateFullScale measures the neuron update of 77,169 neurons on
// two workers, per neuron and step: the state no longer fits one core's L2.
func BenchmarkUpdateFullScale(b *testing.B) {
	benchSteps(b, randomNet(77169, 0, 1, 380), 2)
}

// BenchmarkUpdateFixed measures the neuron update with fixed-point arrival
// sums (the model's form) in single steps and in two-step passes: 20,000
// neurons with one weak synapse each (fixed-point sums need packed
// synapses), per neuron and step.
func BenchmarkUpdateFixed(b *testing.B) {
	benchFixed(b, randomNet(20000, 1, 1, 380))
}

// BenchmarkUpdatePoissonFixed is BenchmarkUpdateFixed with
// BenchmarkUpdatePoisson's background.
func BenchmarkUpdatePoissonFixed(b *testing.B) {
	benchFixed(b, withBenchBackground(randomNet(20000, 1, 1, 0)))
}

// BenchmarkUpdatePoissonFixedLow is BenchmarkUpdatePoissonFixed with the
// background of PD14 at scale 0.2 (in-degrees scaled: 0.3 counts per step,
// the same mean input), where the AVX-512 two-step kernel counts against
// thresholds (poisson.chain) rather than gathering table entries.
func BenchmarkUpdatePoissonFixedLow(b *testing.B) {
	net := withBenchBackground(randomNet(20000, 1, 1, 0))
	net.BgRate[0], net.BgWeight = 3000, 160
	benchFixed(b, net)
	if bestKernel >= kernelAVX512 {
		b.Run("avx512/two-step-table", func(b *testing.B) {
			fixedChoice, noChain = fixedAlways, true
			defer func() { fixedChoice, noChain = fixedAuto, false }()
			benchStepsAt(b, net, 1, kernelAVX512)
		})
	}
}

func benchFixed(b *testing.B, net *Network) {
	for i := range net.Weight16 {
		net.Weight16[i] = half.FromFloat32(1)
	}
	for level := kernelAVX2; level <= bestKernel; level++ {
		for _, two := range []bool{false, true} {
			if two && level < twoStepLevel {
				continue
			}
			name := level.String() + "/single"
			if two {
				name = level.String() + "/two-step"
			}
			b.Run(name, func(b *testing.B) {
				fixedChoice = fixedAlways
				if !two {
					twoStepChoice = twoStepNever
				}
				defer func() { fixedChoice, twoStepChoice = fixedAuto, twoStepAuto }()
				benchStepsAt(b, net, 1, level)
			})
		}
	}
}
