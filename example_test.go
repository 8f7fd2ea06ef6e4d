package microcircuit_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/pd14/microcircuit"
	"github.com/pd14/microcircuit/analysis"
	"github.com/pd14/microcircuit/cluster"
	"github.com/pd14/microcircuit/params"
)

// The equivalent of the reference package's example script: the model at
// scale 0.2 with DC background, 500 ms warm-up, then 1 s simulated and
// recorded, and the mean firing rate of every population.
func Example() {
	p := params.Default() // scale 0.2, DC background, seed 55
	m, err := microcircuit.Build(&p)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d neurons, %d synapses\n", m.Neurons(), m.Synapses)
	ctx := context.Background()
	if err := m.Simulate(ctx, p.Simulation.TPresim, false, nil); err != nil { // warm-up
		fmt.Println(err)
		return
	}
	if err := m.Simulate(ctx, p.Simulation.TSim, true, nil); err != nil {
		fmt.Println(err)
		return
	}
	for k, rate := range m.MeanRates() {
		// NEST's rates lie between 0.5 and 11.5 spikes/s at this scale.
		fmt.Printf("%-4s fires at 0.5-12 spikes/s: %v\n", p.Network.Populations[k], rate > 0.5 && rate < 12)
	}
	// Output:
	// 15435 neurons, 11955239 synapses
	// L23E fires at 0.5-12 spikes/s: true
	// L23I fires at 0.5-12 spikes/s: true
	// L4E  fires at 0.5-12 spikes/s: true
	// L4I  fires at 0.5-12 spikes/s: true
	// L5E  fires at 0.5-12 spikes/s: true
	// L5I  fires at 0.5-12 spikes/s: true
	// L6E  fires at 0.5-12 spikes/s: true
	// L6I  fires at 0.5-12 spikes/s: true
}

// Spikes and membrane potentials are read from memory after a recorded
// phase; here a small network with Poisson background.
func ExampleModel_Voltages() {
	p := params.Default()
	p.SetScale(0.05)
	p.Network.BgInput = "poisson"
	p.Simulation.Record = []string{"spikes", "voltage"}
	p.Simulation.VNeurons = 2   // the first two neurons of each population
	p.Simulation.VInterval = 10 // ms
	m, err := microcircuit.Build(&p)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := m.Simulate(context.Background(), 100, true, nil); err != nil {
		fmt.Println(err)
		return
	}
	sender, times, v := m.Voltages()
	fmt.Printf("%d samples; first: node %d at %.1f ms, below threshold: %v\n", len(v), sender[0], times[0], v[0] < -50)
	spikers, _ := m.Spikes()
	fmt.Println("spikes recorded:", len(spikers) > 0)
	// Output:
	// 160 samples; first: node 1 at 10.0 ms, below threshold: true
	// spikes recorded: true
}

// The spike statistics of a run, computed in memory and compared with the
// Kolmogorov–Smirnov distance.
func ExampleModel_Spikes() {
	p := params.Default()
	p.SetScale(0.05)
	p.Network.BgInput = "poisson"
	stats := func(seed uint64) (*analysis.Metrics, error) {
		p.Simulation.Seed = seed
		m, err := microcircuit.Build(&p)
		if err != nil {
			return nil, err
		}
		if err := m.Simulate(context.Background(), 200, false, nil); err != nil {
			return nil, err
		}
		if err := m.Simulate(context.Background(), 1000, true, nil); err != nil {
			return nil, err
		}
		sender, times := m.Spikes()
		s, err := analysis.NewSpikes(p.Network.Populations, m.FirstID, m.Sizes, sender, times)
		if err != nil {
			return nil, err
		}
		return analysis.Compute(s, analysis.Options{Window: analysis.Window{TMin: 200, TMax: 1200}}), nil
	}
	a, err := stats(1)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := stats(2)
	if err != nil {
		fmt.Println(err)
		return
	}
	d := analysis.KS(a.Values[analysis.MetricRates][2], b.Values[analysis.MetricRates][2])
	fmt.Printf("L4E rate distributions of two seeds differ by a KS distance below 0.15: %v\n", d < 0.15)
	// Output:
	// L4E rate distributions of two seeds differ by a KS distance below 0.15: true
}

// A model distributed over ranks gives the spikes of a single process. Here
// the ranks are goroutines (cluster.InProcess); under mpirun each rank is a
// process and the communicator is cluster.World().
func ExampleBuildOn() {
	p := params.Default()
	p.SetScale(0.05)
	p.Network.BgInput = "poisson"
	p.Simulation.Threads = 1
	spikes := func(comm *cluster.Comm) int {
		m, err := microcircuit.BuildOn(context.Background(), &p, comm)
		if err != nil {
			return -1
		}
		if err := m.Simulate(context.Background(), 300, true, nil); err != nil {
			return -1
		}
		sender, _ := m.Spikes() // collective: every rank gets all spikes
		return len(sender)
	}
	alone := spikes(cluster.Self())
	comms := cluster.InProcess(3)
	counts := make([]int, len(comms))
	var wg sync.WaitGroup
	for r, c := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[r] = spikes(c)
		}()
	}
	wg.Wait()
	fmt.Println("one process and every rank of three see the same spikes:",
		alone > 0 && counts[0] == alone && counts[1] == alone && counts[2] == alone)
	// Output:
	// one process and every rank of three see the same spikes: true
}
