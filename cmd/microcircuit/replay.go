package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/pd14/microcircuit"
	"github.com/pd14/microcircuit/cluster"
	"github.com/pd14/microcircuit/engine"
	"github.com/pd14/microcircuit/internal/npy"
	"github.com/pd14/microcircuit/params"
	"github.com/pd14/microcircuit/replay"
	"github.com/pd14/microcircuit/results"
)

func replayCmd() *cobra.Command {
	var dataPath string
	var tSim float64
	var threads int
	var overwrite bool
	cmd := &cobra.Command{
		Use:   "replay DIR",
		Short: "Simulate a network realised by NEST (SPEC §10 exchange format) and compare spikes",
		Long: `Load a realised network (conn_*.npy, neuron_*.npy, network.json), simulate it
with the engine in float64 and write its spikes as NEST-format files and as
spike_sender.npy / spike_time_ms.npy. If DIR holds NEST's spikes, compare them
one for one and exit non-zero on any difference.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if cmd.Flags().Changed("t-sim") && !(tSim > 0) {
				err = fmt.Errorf("--t-sim = %v: must be > 0", tSim)
			} else if threads < 0 || threads > 4096 {
				err = fmt.Errorf("--threads = %d: must be 0 (all cores) to 4096", threads)
			}
			if err = world.Agree(err); err != nil {
				return err
			}
			root := world.Rank() == 0
			var dir *results.Dir
			if root {
				dir, err = results.Prepare(dataPath, overwrite)
			}
			if err = world.Agree(err); err != nil {
				return err
			}
			if root {
				defer dir.Abort()
			}
			net, info, err := replay.Load(args[0])
			var want *replay.Spikes
			if err == nil {
				want, err = replay.LoadSpikes(args[0])
			}
			if err = world.Agree(err); err != nil {
				return err
			}
			if !cmd.Flags().Changed("t-sim") {
				tSim = info.TSim
			}
			h := info.Resolution
			steps := params.Steps(tSim, h)
			pops := results.Populations{Names: info.Populations}
			for k := range net.PopNames {
				pops.FirstID = append(pops.FirstID, net.PopStart[k]+1)
				pops.Sizes = append(pops.Sizes, net.PopStart[k+1]-net.PopStart[k])
			}
			out := io.Writer(os.Stdout)
			if !root {
				out = io.Discard
			}
			fmt.Fprintf(out, "replay %s: %d neurons, %d connections, %g ms\n", args[0], net.N(), net.NumSynapses(), tSim)
			o := engine.Options{Workers: threads}
			if world.Size() > 1 {
				// Neurons are distributed round-robin, as NEST does.
				net, err = net.Part(world.Rank(), world.Size())
				o.Exchanger = world
				if threads == 0 {
					o.Workers = max(1, runtime.GOMAXPROCS(0)/world.LocalSize())
				}
				o.Oversubscribed = world.LocalSize()*o.Workers > runtime.NumCPU()
				fmt.Fprintf(out, "%d ranks × %d threads\n", world.Size(), o.Workers)
			}
			var sim *engine.Sim
			if err == nil {
				sim, err = engine.New(net, o)
			}
			if err = world.Agree(err); err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			t0 := time.Now()
			runErr := sim.Run(ctx, steps, true, nil)
			fmt.Fprintf(out, "simulated %g ms in %.2f s\n", float64(sim.Step())*h, time.Since(t0).Seconds())
			got := gatherSpikes(sim, h)
			if root {
				err = writeReplay(dir, pops, got)
			}
			if err = world.Agree(err); err != nil {
				return err
			}
			fmt.Fprintf(out, "%d spikes written to %s\n", len(got.Sender), filepath.Clean(dataPath))
			if runErr != nil {
				return &exitError{code: interruptCode(ctx), err: fmt.Errorf("interrupted: %w", runErr)}
			}
			if want == nil {
				return nil
			}
			// Compare where both recorded: the simulated time, and what
			// NEST recorded (t_sim_ms of network.json).
			end := float64(steps) * h
			if info.TSim > 0 && info.TSim < end {
				fmt.Fprintf(out, "NEST recorded %g ms: comparing the spikes of the first %g ms\n", info.TSim, info.TSim)
				end = info.TSim
			}
			clip := func(sp *replay.Spikes) *replay.Spikes {
				in := &replay.Spikes{}
				for i, t := range sp.Time {
					if t <= end+h/2 {
						in.Sender = append(in.Sender, sp.Sender[i])
						in.Time = append(in.Time, t)
					}
				}
				return in
			}
			inWindow := clip(want)
			got = clip(got)
			onlyOurs, onlyNEST, first := replay.Diff(got, inWindow, h)
			if onlyOurs == 0 && onlyNEST == 0 {
				fmt.Fprintf(out, "identical to NEST: all %d spikes, same neurons, same steps\n", len(inWindow.Sender))
				return nil
			}
			return fmt.Errorf("differs from NEST: %d spikes only ours, %d only NEST's (NEST has %d); first: %s",
				onlyOurs, onlyNEST, len(inWindow.Sender), first)
		},
	}
	cmd.Flags().StringVar(&dataPath, "data-path", "data", "directory for the results")
	cmd.Flags().Float64Var(&tSim, "t-sim", 0, "simulation time in ms (default: t_sim_ms of network.json)")
	cmd.Flags().IntVar(&threads, "threads", 0, "worker threads; 0 = all cores (shared by the ranks on a machine)")
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace earlier results in --data-path")
	return cmd
}

// gatherSpikes returns the spikes of every rank's part, ordered by time,
// then sender; collective.
func gatherSpikes(sim *engine.Sim, h float64) *replay.Spikes {
	st, id := sim.Spikes()
	st, _ = cluster.Allgather(world, st)
	id, _ = cluster.Allgather(world, id)
	idx := make([]int, len(st))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Or(cmp.Compare(st[a], st[b]), cmp.Compare(id[a], id[b])) })
	sp := &replay.Spikes{Sender: make([]uint32, len(id)), Time: make([]float64, len(id))}
	for j, i := range idx {
		sp.Sender[j] = id[i] + 1
		sp.Time[j] = float64(st[i]+1) * h
	}
	return sp
}

// writeReplay writes the spikes of a replay as NEST's files and as .npy
// arrays and commits dir.
func writeReplay(dir *results.Dir, pops results.Populations, got *replay.Spikes) error {
	sender := make([]int, len(got.Sender))
	for i, s := range got.Sender {
		sender[i] = int(s)
	}
	if err := results.WriteSpikes(dir, pops, sender, got.Time, microcircuit.Version); err != nil {
		return err
	}
	if err := results.WriteNodes(dir, pops); err != nil {
		return err
	}
	if err := dir.Write("spike_sender.npy", func(w io.Writer) error { return npy.WriteUint32(w, got.Sender) }); err != nil {
		return err
	}
	if err := dir.Write("spike_time_ms.npy", func(w io.Writer) error { return npy.WriteFloat64(w, got.Time) }); err != nil {
		return err
	}
	return dir.Commit(microcircuit.Version)
}
