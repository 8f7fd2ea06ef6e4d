// Command microcircuit builds and simulates the Potjans & Diesmann (2014)
// cortical microcircuit and writes NEST-compatible results.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/pd14/microcircuit"
)

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

// Error returns the message of the wrapped error.
func (e *exitError) Error() string { return e.err.Error() }

// newRoot returns the command tree.
func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "microcircuit",
		Short:         "Simulate the Potjans & Diesmann (2014) cortical microcircuit",
		Version:       microcircuit.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(runCmd(), configCmd(), replayCmd(), analyzeCmd(), validateCmd(), benchCmd(), ensembleCmd())
	return root
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
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "microcircuit:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}
