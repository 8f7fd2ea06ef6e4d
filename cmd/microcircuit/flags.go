package main

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pd14/microcircuit/internal/sysinfo"
	"github.com/pd14/microcircuit/network"
	"github.com/pd14/microcircuit/params"
)

// paramFlags are the flags that set model parameters; a flag given on the
// command line overrides the config file.
type paramFlags struct {
	config      string
	scale       float64
	nScaling    float64
	kScaling    float64
	tPresim     float64
	tSim        float64
	resolution  float64
	seed        uint64
	threads     int
	bg          string
	thalamic    bool
	dcTransient bool
	v0          string
	record      string
	format      string
	vInterval   float64
	vNeurons    string
	dataPath    string
}

func addParamFlags(cmd *cobra.Command, f *paramFlags) {
	d := params.Default()
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "YAML parameter file (as printed by 'microcircuit config'); flags override it")
	fl.Float64Var(&f.scale, "scale", d.Network.NScaling, "scale of neuron numbers and in-degrees (sets --n-scaling and --k-scaling), > 0")
	fl.Float64Var(&f.nScaling, "n-scaling", d.Network.NScaling, "scaling of the neuron numbers, > 0")
	fl.Float64Var(&f.kScaling, "k-scaling", d.Network.KScaling, "scaling of the in-degrees, > 0")
	fl.Float64Var(&f.tPresim, "t-presim", d.Simulation.TPresim, "warm-up time in ms, not recorded")
	fl.Float64Var(&f.tSim, "t-sim", d.Simulation.TSim, "recorded simulation time in ms, > 0")
	fl.Float64Var(&f.resolution, "resolution", d.Simulation.Resolution, "time step in ms, > 0")
	fl.Uint64Var(&f.seed, "seed", d.Simulation.Seed, "random seed")
	fl.IntVar(&f.threads, "threads", 0, "worker threads per process; 0 = all cores (shared by the ranks on a machine)")
	fl.StringVar(&f.bg, "bg", d.Network.BgInput, "background input: dc or poisson")
	fl.BoolVar(&f.thalamic, "thalamic", false, "add the thalamic pulse input")
	fl.BoolVar(&f.dcTransient, "dc-transient", false, "add the DC transient input")
	fl.StringVar(&f.v0, "v0", d.Network.V0Type, "initial membrane potentials: optimized or original")
	fl.StringVar(&f.record, "record", "spikes", "what to record: spikes, voltage, both as spikes,voltage, or none")
	fl.StringVar(&f.format, "format", d.Simulation.Format, "format of the recorded data: ascii (NEST's files) or npy (NumPy arrays)")
	fl.Float64Var(&f.vInterval, "v-interval", d.Simulation.VInterval, "membrane potential sampling interval in ms")
	fl.StringVar(&f.vNeurons, "v-neurons", "10", "neurons per population whose membrane potential is recorded, or all")
	fl.StringVar(&f.dataPath, "data-path", d.Simulation.DataPath, "directory for the results")
}

// resolve returns the effective parameters: defaults, then the config file,
// then the flags given on the command line. The result is validated.
func (f *paramFlags) resolve(cmd *cobra.Command) (params.Params, error) {
	return f.resolveFrom(cmd, params.Default())
}

// resolveFrom is resolve with other defaults.
func (f *paramFlags) resolveFrom(cmd *cobra.Command, p params.Params) (params.Params, error) {
	if f.config != "" {
		var err error
		if p, err = params.LoadOver(p, f.config); err != nil {
			return p, err
		}
	}
	ch := cmd.Flags().Changed
	if ch("scale") {
		p.SetScale(f.scale)
	}
	set := func(name string, apply func()) {
		if ch(name) {
			apply()
		}
	}
	set("n-scaling", func() { p.Network.NScaling = f.nScaling })
	set("k-scaling", func() { p.Network.KScaling = f.kScaling })
	set("t-presim", func() { p.Simulation.TPresim = f.tPresim })
	set("t-sim", func() { p.Simulation.TSim = f.tSim })
	set("resolution", func() { p.Simulation.Resolution = f.resolution })
	set("seed", func() { p.Simulation.Seed = f.seed })
	set("threads", func() { p.Simulation.Threads = f.threads })
	set("bg", func() { p.Network.BgInput = f.bg })
	set("thalamic", func() { p.Stimulus.Thalamic = f.thalamic })
	set("dc-transient", func() { p.Stimulus.DCTransient = f.dcTransient })
	set("v0", func() { p.Network.V0Type = f.v0 })
	set("data-path", func() { p.Simulation.DataPath = f.dataPath })
	set("format", func() { p.Simulation.Format = f.format })
	if ch("record") {
		p.Simulation.Record = []string{}
		for _, r := range strings.Split(f.record, ",") {
			switch r = strings.TrimSpace(r); r {
			case "spikes", "voltage":
				p.Simulation.Record = append(p.Simulation.Record, r)
			case "none", "":
			default:
				return p, fmt.Errorf("--record = %q: allowed values are spikes, voltage, spikes,voltage, none", f.record)
			}
		}
	}
	set("v-interval", func() { p.Simulation.VInterval = f.vInterval })
	if ch("v-neurons") {
		if f.vNeurons == "all" {
			p.Simulation.VNeurons = params.All
		} else if k, err := strconv.Atoi(f.vNeurons); err == nil && k >= 0 {
			p.Simulation.VNeurons = params.NeuronCount(k)
		} else {
			return p, fmt.Errorf("--v-neurons = %q: allowed are a number >= 0 or all", f.vNeurons)
		}
	}
	if p.Simulation.Threads == 0 {
		// The cores this process may use, shared with the other ranks on
		// this machine.
		p.Simulation.Threads = max(1, runtime.GOMAXPROCS(0)/world.LocalSize())
	}
	if err := p.Validate(); err != nil {
		return p, flagName(err)
	}
	if beforeWork != nil {
		return p, beforeWork(&p)
	}
	return p, nil
}

// beforeWork, if not nil, is called with the resolved and validated
// parameters before a command builds, simulates or writes anything; its
// error ends the command. The tests that fuzz the command line use it to
// stop there.
var beforeWork func(p *params.Params) error

// flagOf maps parameter names to the flags that set them.
var flagOf = map[string]string{
	"n_scaling": "--scale/--n-scaling", "k_scaling": "--scale/--k-scaling",
	"t_presim_ms": "--t-presim", "t_sim_ms": "--t-sim", "resolution_ms": "--resolution",
	"bg_input": "--bg", "v0_type": "--v0", "threads": "--threads", "data_path": "--data-path",
	"v_interval_ms": "--v-interval", "v_neurons": "--v-neurons", "record": "--record", "format": "--format",
}

// flagName adds the flag that sets the parameter a validation error names.
func flagName(err error) error {
	msg := err.Error()
	for key, flag := range flagOf {
		if strings.HasPrefix(msg, key+" ") {
			return fmt.Errorf("%s (%s)", msg, flag)
		}
	}
	return err
}

// checkMemory stops a run whose estimated memory exceeds what the machine
// has available, naming the estimate and the largest scale that fits. The
// network is split among parts ranks (1 for a single process), and local
// processes on this machine hold one part each.
func checkMemory(p *params.Params, parts, local int) error {
	return checkMemoryWith(p, sysinfo.AvailableMemory(), parts, local)
}

func checkMemoryWith(p *params.Params, avail int64, parts, local int) error {
	if avail == 0 {
		return nil
	}
	threads := p.Simulation.Threads
	need := network.EstimatePartBytes(p, threads, parts) * int64(local)
	if need <= avail {
		return nil
	}
	fits := network.LargestScale(*p, threads, parts, avail/int64(local))
	who := ""
	if local > 1 {
		who = fmt.Sprintf(" (%d processes on this machine, each holding 1/%d of the network)", local, parts)
	}
	return fmt.Errorf("the network needs about %.1f GB of memory%s, %.1f GB are available; the largest scale that fits is about %g (--scale)",
		float64(need)/1e9, who, float64(avail)/1e9, fits)
}
