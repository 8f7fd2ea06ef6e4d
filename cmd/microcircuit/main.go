// Command microcircuit builds and simulates the Potjans & Diesmann (2014)
// cortical microcircuit and writes NEST-compatible results.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/pd14/microcircuit"
)

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

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
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "microcircuit:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}
