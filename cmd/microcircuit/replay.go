package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pd14/microcircuit"
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
			if cmd.Flags().Changed("t-sim") && !(tSim > 0) {
				return fmt.Errorf("--t-sim = %v: must be > 0", tSim)
			}
			if threads < 0 {
				return fmt.Errorf("--threads = %d: must be >= 1", threads)
			}
			dir, err := results.Prepare(dataPath, overwrite)
			if err != nil {
				return err
			}
			defer dir.Abort()
			net, info, err := replay.Load(args[0])
			if err != nil {
				return err
			}
			want, err := replay.LoadSpikes(args[0])
			if err != nil {
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
			fmt.Printf("replay %s: %d neurons, %d connections, %g ms\n", args[0], net.N(), net.NumSynapses(), tSim)
			sim, err := engine.New(net, threads)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			t0 := time.Now()
			runErr := sim.Run(ctx, steps, true, nil)
			fmt.Printf("simulated %g ms in %.2f s\n", float64(sim.Step())*h, time.Since(t0).Seconds())
			got := replay.FromSim(sim, h)
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
			if err := writeNPY(dir.File("spike_sender.npy"), func(f *os.File) error { return npy.WriteUint32(f, got.Sender) }); err != nil {
				return err
			}
			if err := writeNPY(dir.File("spike_time_ms.npy"), func(f *os.File) error { return npy.WriteFloat64(f, got.Time) }); err != nil {
				return err
			}
			if err := dir.Commit(); err != nil {
				return err
			}
			fmt.Printf("%d spikes written to %s\n", len(sender), filepath.Clean(dir.Path()))
			if runErr != nil {
				return &exitError{code: 130, err: fmt.Errorf("interrupted: %w", runErr)}
			}
			if want == nil {
				return nil
			}
			// Compare within the simulated window.
			end := float64(steps)*h + h/2
			inWindow := &replay.Spikes{}
			for i, t := range want.Time {
				if t <= end {
					inWindow.Sender = append(inWindow.Sender, want.Sender[i])
					inWindow.Time = append(inWindow.Time, t)
				}
			}
			onlyOurs, onlyNEST, first := replay.Diff(got, inWindow, h)
			if onlyOurs == 0 && onlyNEST == 0 {
				fmt.Printf("identical to NEST: all %d spikes, same neurons, same steps\n", len(inWindow.Sender))
				return nil
			}
			return fmt.Errorf("differs from NEST: %d spikes only ours, %d only NEST's (NEST has %d); first: %s",
				onlyOurs, onlyNEST, len(inWindow.Sender), first)
		},
	}
	cmd.Flags().StringVar(&dataPath, "data-path", "data", "directory for the results")
	cmd.Flags().Float64Var(&tSim, "t-sim", 0, "simulation time in ms (default: t_sim_ms of network.json)")
	cmd.Flags().IntVar(&threads, "threads", 0, "worker threads (default: all cores)")
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace earlier results in --data-path")
	return cmd
}

func writeNPY(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
