//go:build !mpi

package cluster

import "fmt"

// MPI reports whether the program was built with MPI support (the mpi
// build tag).
const MPI = false

// World returns the Comm of all processes started together: without MPI
// support, this process alone. A process that an MPI launcher started as
// one of several ranks gets an error instead, so that R copies of the
// program do not each simulate the whole network into the same directory.
func World() (*Comm, error) {
	rank, size, _ := launched()
	if size > 1 {
		return nil, fmt.Errorf("started as rank %d of %d by an MPI launcher, but this binary was built without MPI support; "+
			"build it with 'go build -tags mpi ./cmd/microcircuit' (needs Debian's libopenmpi-dev) or run it without mpirun", rank, size)
	}
	return Self(), nil
}
