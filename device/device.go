// Package device holds NEST 3.9's timing rules for stimulation devices
// (SPEC §5, "Device timing") on the simulation grid: in which steps a
// device is active, and in which steps what it sends reaches a neuron. The
// PD14 builder and the replay of NEST's networks both use it, so that
// generated and replayed inputs land in the steps NEST puts them in.
//
// Step s is the update from time s·h to (s+1)·h; a spike emitted in step s
// is stamped (s+1)·h. An event sent in step s over a connection of delay d
// steps arrives in step s+d: iaf_psc_exp adds arriving spikes to its
// synaptic currents at the end of that step, and an arriving current
// becomes I_0, which enters the membrane update of the next step only.
package device

import (
	"fmt"
	"math"
)

// Window is an inclusive range of steps, First .. Last; it is empty when
// First > Last.
type Window struct {
	First, Last int64
}

// Empty reports whether w holds no step.
func (w Window) Empty() bool { return w.First > w.Last }

// Contains reports whether step s lies in w.
func (w Window) Contains(s int64) bool { return s >= w.First && s <= w.Last }

// Shift returns w moved d steps later (a connection delay).
func (w Window) Shift(d int64) Window {
	if w.Last == math.MaxInt64 {
		return Window{w.First + d, w.Last}
	}
	return Window{w.First + d, w.Last + d}
}

// String returns "First..Last".
func (w Window) String() string { return fmt.Sprintf("%d..%d", w.First, w.Last) }

// Steps returns the number of steps of h in t ms, rounded to the nearest
// whole step (NEST keeps device times on the grid); +Inf gives
// math.MaxInt64.
func Steps(t, h float64) int64 {
	if math.IsInf(t, 1) {
		return math.MaxInt64
	}
	return int64(math.Round(t / h))
}

// limits returns NEST's t_min and t_max of a device, in steps.
func limits(origin, start, stop, h float64) (tMin, tMax int64) {
	return Steps(origin+start, h), Steps(origin+stop, h)
}

// SpikeGenerator returns the steps in which a spike generator
// (poisson_generator) with the given origin, start and stop (ms; stop may
// be +Inf) emits: t_min < s <= t_max.
func SpikeGenerator(origin, start, stop, h float64) Window {
	tMin, tMax := limits(origin, start, stop, h)
	return Window{tMin + 1, tMax}
}

// CurrentGenerator returns the steps in which a current generator
// (dc_generator) with the given origin, start and stop (ms) sends its
// current: t_min < s+2 <= t_max.
func CurrentGenerator(origin, start, stop, h float64) Window {
	tMin, tMax := limits(origin, start, stop, h)
	return Window{tMin - 1, tMax - 2}
}

// CurrentInput returns the steps whose membrane update a current generator
// (origin, start, stop in ms) drives as I_0 through a connection of delay
// steps: it arrives delay steps after it is sent and acts one step later.
func CurrentInput(origin, start, stop, h float64, delay int64) Window {
	return CurrentGenerator(origin, start, stop, h).Shift(delay + 1)
}

// RelayedSpikes returns the steps in which relay neurons (NEST's
// parrot_neuron, as the thalamic relays) emit the spikes that a spike
// generator (origin, start, stop in ms) sends them through connections of
// delay steps: a parrot emits in the step its input arrives.
func RelayedSpikes(origin, start, stop, h float64, delay int64) Window {
	return SpikeGenerator(origin, start, stop, h).Shift(delay)
}

// SpikeInput returns the steps in which the spikes of a spike generator
// (origin, start, stop in ms) sent to a neuron through a connection of
// delay steps arrive (enter its synaptic current at the end of the step).
func SpikeInput(origin, start, stop, h float64, delay int64) Window {
	return SpikeGenerator(origin, start, stop, h).Shift(delay)
}
