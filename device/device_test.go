package device

import (
	"math"
	"testing"
)

// The expected windows are worked out by hand from NEST 3.9's rules (SPEC
// §5): a spike generator is active in steps t_min < s <= t_max, a current
// generator in t_min < s+2 <= t_max, with t_min = (origin+start)/h and
// t_max = (origin+stop)/h; an event sent in step s over delay d arrives in
// step s+d; an arriving current drives the membrane update one step later.
func TestWindows(t *testing.T) {
	cases := []struct {
		name string
		got  Window
		want Window
	}{
		// PD14's defaults at h = 0.1 ms.
		{"Poisson background, delay 1.5 ms", SpikeInput(0, 0, math.Inf(1), 0.1, 15), Window{16, math.MaxInt64}},
		{"thalamic generator", SpikeGenerator(0, 700, 710, 0.1), Window{7001, 7100}},
		{"thalamic relays, 1 ms", RelayedSpikes(0, 700, 710, 0.1, 10), Window{7011, 7110}},
		{"DC transient sent", CurrentGenerator(0, 650, 750, 0.1), Window{6499, 7498}},
		{"DC transient on V, 1 ms", CurrentInput(0, 650, 750, 0.1, 10), Window{6510, 7509}},
		// Times that are not multiples of 1 ms.
		{"thalamic relays at 700.3 for 10.4 ms", RelayedSpikes(0, 700.3, 710.7, 0.1, 10), Window{7014, 7117}},
		{"DC at 650.7 for 99.9 ms", CurrentInput(0, 650.7, 750.6, 0.1, 10), Window{6517, 7515}},
		{"background, delay 1.2 ms", SpikeInput(0, 0, math.Inf(1), 0.1, 12), Window{13, math.MaxInt64}},
		{"origin 100.5 ms", SpikeGenerator(100.5, 0.2, 10, 0.1), Window{1008, 1105}},
		// Another resolution: h = 0.25 ms, delay 1 ms = 4 steps.
		{"thalamic relays, h 0.25", RelayedSpikes(0, 700, 710, 0.25, 4), Window{2805, 2844}},
		{"DC on V, h 0.25", CurrentInput(0, 650, 750, 0.25, 4), Window{2604, 3003}},
		// A current generator shorter than two steps never sends.
		{"DC of one step", CurrentGenerator(0, 10, 10.1, 0.1), Window{99, 99}},
		{"DC of no time", CurrentGenerator(0, 10, 10, 0.1), Window{99, 98}},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: steps %v, want %v", c.name, c.got, c.want)
		}
	}
	if !(Window{99, 98}).Empty() || (Window{5, 5}).Empty() || !(Window{5, 7}).Contains(7) || (Window{5, 7}).Contains(8) {
		t.Error("Empty or Contains is wrong")
	}
}

func TestSteps(t *testing.T) {
	for _, c := range []struct {
		ms, h float64
		want  int64
	}{{700.3, 0.1, 7003}, {0.3, 0.1, 3}, {1.5, 0.1, 15}, {650, 0.25, 2600}, {math.Inf(1), 0.1, math.MaxInt64}} {
		if got := Steps(c.ms, c.h); got != c.want {
			t.Errorf("Steps(%v, %v) = %d, want %d", c.ms, c.h, got, c.want)
		}
	}
}
