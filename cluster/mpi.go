//go:build mpi

package cluster

/*
#cgo pkg-config: ompi-c
#include <mpi.h>

static int mc_init(int *rank, int *size) {
	int provided = 0;
	int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
	if (rc != MPI_SUCCESS) {
		return rc;
	}
	if (provided < MPI_THREAD_SERIALIZED) {
		return -1;
	}
	MPI_Comm_rank(MPI_COMM_WORLD, rank);
	MPI_Comm_size(MPI_COMM_WORLD, size);
	return MPI_SUCCESS;
}

static int mc_allgather(void *send, int n, void *recv) {
	return MPI_Allgather(send, n, MPI_BYTE, recv, n, MPI_BYTE, MPI_COMM_WORLD);
}

static int mc_allgatherv(void *send, int n, void *recv, int *counts, int *displs) {
	return MPI_Allgatherv(send, n, MPI_BYTE, recv, counts, displs, MPI_BYTE, MPI_COMM_WORLD);
}

static int mc_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static int mc_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
static int mc_finalize(void) { return MPI_Finalize(); }
*/
import "C"

import (
	"fmt"
	"os"
	"sync"
	"unsafe"
)

// MPI reports whether the program was built with MPI support (the mpi
// build tag).
const MPI = true

var (
	worldOnce sync.Once
	world     *Comm
	worldErr  error
)

// World returns the Comm of all processes started together: MPI's world
// when an MPI launcher started this process, this process alone otherwise.
// It initialises MPI (once) with MPI_THREAD_SERIALIZED: collective calls
// may come from any goroutine, one at a time.
func World() (*Comm, error) {
	worldOnce.Do(func() {
		_, size, local := launched()
		if size == 0 {
			world = Self()
			return
		}
		// OpenMPI's handlers for SIGSEGV, SIGBUS and the like would take
		// over signals that the Go runtime handles itself (nil pointers
		// become panics); leave them to Go unless the user says otherwise.
		if _, ok := os.LookupEnv("OMPI_MCA_opal_signal"); !ok {
			os.Setenv("OMPI_MCA_opal_signal", "")
		}
		var rank, n C.int
		if rc := C.mc_init(&rank, &n); rc != C.MPI_SUCCESS {
			worldErr = fmt.Errorf("MPI_Init_thread with MPI_THREAD_SERIALIZED failed (code %d)", int(rc))
			return
		}
		world = newComm(int(rank), int(n), local, &mpiTransport{
			counts: make([]C.int, int(n)), displs: make([]C.int, int(n)),
		})
	})
	return world, worldErr
}

// mpiTransport moves bytes with MPI collectives on MPI_COMM_WORLD. MPI's
// default error handler aborts the job on a failed call (a rank that died),
// so the calls return no errors.
type mpiTransport struct {
	counts, displs []C.int
}

func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

func (m *mpiTransport) allgather(send, recv []byte) {
	C.mc_allgather(ptr(send), C.int(len(send)), ptr(recv))
}

func (m *mpiTransport) allgatherv(send, recv []byte, counts, displs []int) {
	for r := range counts {
		m.counts[r], m.displs[r] = C.int(counts[r]), C.int(displs[r])
	}
	var dummy byte
	rp := ptr(recv)
	if rp == nil {
		rp = unsafe.Pointer(&dummy)
	}
	C.mc_allgatherv(ptr(send), C.int(len(send)), rp, &m.counts[0], &m.displs[0])
}

func (m *mpiTransport) barrier() { C.mc_barrier() }

func (m *mpiTransport) abort(code int) { C.mc_abort(C.int(code)) }

func (m *mpiTransport) finalize() error {
	if rc := C.mc_finalize(); rc != C.MPI_SUCCESS {
		return fmt.Errorf("MPI_Finalize failed (code %d)", int(rc))
	}
	return nil
}
