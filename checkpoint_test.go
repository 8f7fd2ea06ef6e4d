package microcircuit_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/pd14/microcircuit"
	"github.com/pd14/microcircuit/network"
	"github.com/pd14/microcircuit/params"
)

// collector is a Sink that keeps what it is handed.
type collector struct {
	sender []int
	times  []float64
	blocks int
}

func (c *collector) Spikes(sender []int, times []float64) error {
	c.sender = append(c.sender, sender...)
	c.times = append(c.times, times...)
	c.blocks++
	return nil
}

func (c *collector) Voltages(sender []int, times, v []float64) error { return nil }

// TestCheckpointResumesExactly interrupts a run at an arbitrary step,
// encodes its checkpoint, builds the model again with another thread count
// and continues: the spikes (streamed in blocks) and rates must be those of
// the uninterrupted run (scale 0.1, Poisson background, thalamic pulse and
// DC transient on).
func TestCheckpointResumesExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("network run")
	}
	p := params.Default()
	p.SetScale(0.1)
	p.Network.BgInput = "poisson"
	p.Stimulus.Thalamic, p.Stimulus.DCTransient = true, true
	p.Simulation.Threads = 2
	ctx := context.Background()
	run := func(m *microcircuit.Model, c *collector, presim, sim float64) {
		if presim > 0 {
			if err := m.Simulate(ctx, presim, false, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Simulate(ctx, sim, true, nil); err != nil {
			t.Fatal(err)
		}
	}
	build := func(q params.Params) *microcircuit.Model {
		m, err := microcircuit.Build(&q)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// Uninterrupted: 500 ms warm-up, 400 ms recorded (the stimuli at 650
	// and 700 ms fall in it).
	whole, wc := build(p), &collector{}
	whole.StreamTo(wc, 100)
	run(whole, wc, 500, 400)
	if wc.blocks < 4 || len(wc.sender) < 10000 {
		t.Fatalf("%d blocks, %d spikes streamed", wc.blocks, len(wc.sender))
	}

	// Interrupted at 736.3 ms (step 7363), resumed with 1 thread.
	first, fc := build(p), &collector{}
	first.StreamTo(fc, 100)
	run(first, fc, 500, 236.3)
	cp, err := first.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := cp.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	t.Logf("checkpoint of %d bytes at scale 0.1", buf.Len())
	cp2, err := microcircuit.DecodeCheckpoint(&buf)
	if err != nil {
		t.Fatal(err)
	}
	q, err := microcircuit.CheckpointParams(cp2)
	if err != nil {
		t.Fatal(err)
	}
	q.Simulation.Threads = 1
	second, sc := build(q), &collector{}
	second.StreamTo(sc, 100)
	if err := second.Restore(cp2); err != nil {
		t.Fatal(err)
	}
	if err := second.Simulate(ctx, 163.7, true, nil); err != nil {
		t.Fatal(err)
	}
	got := &collector{sender: append(fc.sender, sc.sender...), times: append(fc.times, sc.times...)}
	if !reflect.DeepEqual(got.sender, wc.sender) || !reflect.DeepEqual(got.times, wc.times) {
		t.Fatalf("resumed run: %d spikes, uninterrupted %d; they differ", len(got.sender), len(wc.sender))
	}
	if !reflect.DeepEqual(second.Rates(), whole.Rates()) {
		t.Fatal("the rates of the resumed run differ")
	}

	// Another seed's network is refused.
	q.Simulation.Seed++
	if err := build(q).Restore(cp2); err == nil {
		t.Fatal("a checkpoint was restored into a model of other parameters")
	}
}

// TestCheckpointChecksum checks that a checkpoint carries the realised
// network's checksum (computed from the model's own synapses, after the
// build) and that a checkpoint of another network is refused.
func TestCheckpointChecksum(t *testing.T) {
	p := params.Default()
	p.SetScale(0.02)
	p.Simulation.Threads = 2
	net, err := network.Build(&p, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := net.Checksum(2)
	m, err := microcircuit.Build(&p)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Simulate(context.Background(), 10, false, nil); err != nil {
		t.Fatal(err)
	}
	cp, err := m.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	if cp.Checksum != want {
		t.Fatalf("checkpoint checksum %x, the network's %x", cp.Checksum, want)
	}
	cp.Checksum ^= 1
	if err := m.Restore(cp); err == nil || !strings.Contains(err.Error(), "another network") {
		t.Fatalf("restoring another network's checkpoint: %v", err)
	}
}
