// Command microcircuit builds and simulates the Potjans & Diesmann (2014)
// cortical microcircuit and writes NEST-compatible results.
//
// Built with the mpi build tag and started by mpirun, the commands run,
// bench, replay and ensemble work across the ranks; the others run on rank
// 0 alone.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/pd14/microcircuit"
	"github.com/pd14/microcircuit/cluster"
)

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

// Error returns the message of the wrapped error.
func (e *exitError) Error() string { return e.err.Error() }

// Unwrap returns the wrapped error.
func (e *exitError) Unwrap() error { return e.err }

// world is the communicator of the processes started together: this
// process alone unless an MPI build was started by mpirun.
var world = cluster.Self()

// newRoot returns the command tree.
func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "microcircuit",
		Short:         "Simulate the Potjans & Diesmann (2014) cortical microcircuit",
		Version:       microcircuit.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(runCmd(), rootOnly(configCmd()), replayCmd(), rootOnly(analyzeCmd()), rootOnly(validateCmd()),
		benchCmd(), ensembleCmd())
	for _, c := range root.Commands() {
		if f := c.RunE; f != nil {
			c.RunE = func(c *cobra.Command, args []string) error {
				started = true
				return f(c, args)
			}
		}
	}
	return root
}

// started is set when a command's own code runs: errors before it (flags,
// arguments) are the same on every rank.
var started bool

// rootOnly makes cmd do its work on rank 0 alone when several ranks run.
func rootOnly(cmd *cobra.Command) *cobra.Command {
	f := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if world.Rank() != 0 {
			return nil
		}
		return f(c, args)
	}
	return cmd
}

func main() {
	// The network is a few huge arrays without pointers; the temporary
	// buffers of construction and the growth of event queues are garbage
	// best collected early. With the default GOGC of 100 the heap could grow
	// to twice the network before a collection; 10 keeps the peak within
	// 10 % of it, and collections are cheap because little needs scanning.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(10)
	}
	w, err := cluster.World()
	if err != nil {
		// Every rank refuses; one says why.
		if os.Getenv("OMPI_COMM_WORLD_RANK") == "" || os.Getenv("OMPI_COMM_WORLD_RANK") == "0" {
			fmt.Fprintln(os.Stderr, "microcircuit:", err)
		}
		os.Exit(1)
	}
	world = w
	code := 0
	if err := newRoot().Execute(); err != nil {
		code = 1
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		// Errors of several ranks are agreed on (every rank returns the
		// same one), so rank 0 reports them; an error that only one rank
		// met leaves the others waiting in a collective call: report it
		// and end them all.
		var agreed *cluster.AgreedError
		collective := world.Size() == 1 || !started || errors.As(err, &agreed) || errors.As(err, &ee)
		switch {
		case !collective:
			fmt.Fprintf(os.Stderr, "microcircuit: rank %d: %v\n", world.Rank(), err)
			world.Abort(code)
		case world.Rank() == 0:
			fmt.Fprintln(os.Stderr, "microcircuit:", err)
		}
	}
	if err := world.Finalize(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "microcircuit:", err)
		code = 1
	}
	os.Exit(code)
}
