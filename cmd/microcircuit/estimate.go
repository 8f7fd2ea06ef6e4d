package main

import (
	"fmt"
	"time"

	"github.com/pd14/microcircuit/params"
)

// Costs measured on the development machine (one core of an Intel Xeon,
// model 207; see docs/scaling.md): construction per synapse, the neuron
// update per neuron and step (the Poisson draw adds to it), and a
// synaptic event (queued at delivery, summed at arrival).
// They are in nanoseconds.
const (
	costSynapse    = 80.0
	costNeuronStep = 1.7
	costPoisson    = 1.5
	costEvent      = 3.6
)

// estimateRun estimates the wall time of building and simulating p with
// its threads, from the network's size and the synaptic events its
// populations' expected rates (full_mean_rates) produce.
func estimateRun(p *params.Params) (build time.Duration, rtf float64) {
	nw := &p.Network
	threads := float64(max(p.Simulation.Threads, 1))
	var neurons float64
	for _, n := range nw.NumNeurons() {
		neurons += float64(n)
	}
	var events float64 // per second of model time
	for _, row := range nw.NumSynapses() {
		for x, k := range row {
			events += float64(k) * nw.FullMeanRates[x]
		}
	}
	build = time.Duration(float64(nw.TotalSynapses()) * costSynapse / threads)
	perNeuron := costNeuronStep
	if nw.BgInput == "poisson" {
		perNeuron += costPoisson
	}
	stepsPerS := 1000 / p.Simulation.Resolution
	perModelSecond := neurons*stepsPerS*perNeuron + events*costEvent // ns
	return build, perModelSecond / threads / 1e9
}

// wallTime formats a duration for people: hours and minutes, or seconds.
func wallTime(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%.0fs", d.Seconds())
}
