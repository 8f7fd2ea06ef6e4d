// Package cluster connects the processes (ranks) that simulate one network
// together. A Comm is MPI's world when the program was built with the mpi
// build tag and started by mpirun; a single process otherwise; or, for
// tests, ranks that are goroutines of one process (InProcess).
//
// The collectives are few: the per-step spike exchange of the engine
// (ExchangeSpikes), gathering arrays of plain numbers in rank order
// (Allgather), agreeing on errors (Agree), a barrier, abort and finalize.
// Every rank must make the same collective calls in the same order.
package cluster

import (
	"errors"
	"fmt"
	"math/bits"
	"os"
	"slices"
	"strconv"
	"unsafe"
)

// Comm is a group of ranks. Its methods are not safe for concurrent use: a
// rank makes one collective call at a time.
type Comm struct {
	rank, size int
	local      int       // ranks on this machine
	t          transport // nil for a single rank

	x spikeExchange
}

// spikeExchange is the state of ExchangeSpikes. Every rank sends a fixed
// block of capacity+1 words per step, a header (spike count and stop flag)
// and up to capacity spikes, in one allgather; only spikes beyond the
// capacity take a second round. The capacity adapts to the largest count
// of recent steps, alike on every rank since every rank sees every count.
type spikeExchange struct {
	capacity int
	peak     int // largest count since the last shrink check
	steps    int // exchanges since then
	send     []uint32
	recv     []uint32
	counts   []int // bytes of the overflow round, per rank
	displs   []int
	over     []uint32
}

const (
	minCapacity = 16
	maxCapacity = 1 << 16
	shrinkEvery = 1024 // exchanges between checks whether to shrink
)

// transport moves bytes between the ranks of a Comm of more than one rank.
type transport interface {
	// allgather gathers len(send) bytes of every rank into recv, in rank
	// order.
	allgather(send, recv []byte)
	// allgatherv gathers counts[r] bytes of rank r into recv[displs[r]:].
	allgatherv(send, recv []byte, counts, displs []int)
	barrier()
	abort(code int)
	finalize() error
}

func newComm(rank, size, local int, t transport) *Comm {
	return &Comm{
		rank: rank, size: size, local: max(local, 1), t: t,
		x: spikeExchange{capacity: 64, counts: make([]int, size), displs: make([]int, size)},
	}
}

// Self returns a Comm of one rank: this process alone.
func Self() *Comm { return newComm(0, 1, 1, nil) }

// Rank returns this process's rank, 0 .. Size()-1.
func (c *Comm) Rank() int { return c.rank }

// Size returns the number of ranks.
func (c *Comm) Size() int { return c.size }

// LocalSize returns the number of ranks on this machine (that share its
// cores and memory), as the MPI launcher reports it; 1 if unknown.
func (c *Comm) LocalSize() int { return c.local }

// Barrier returns when every rank has called it.
func (c *Comm) Barrier() {
	if c.t != nil {
		c.t.barrier()
	}
}

// Abort ends every rank at once with the exit code; it does not return.
// Use it where ranks may be waiting for one another in a collective call
// that a failing rank will never make.
func (c *Comm) Abort(code int) {
	if c.t != nil {
		c.t.abort(code)
	}
	os.Exit(code)
}

// Finalize ends the use of MPI; no collective call may follow.
func (c *Comm) Finalize() error {
	if c.t == nil {
		return nil
	}
	return c.t.finalize()
}

// ExchangeSpikes implements the engine's Exchanger: it gathers every rank's
// spikes of a step (in rank order) and the logical or of the stop requests.
func (c *Comm) ExchangeSpikes(local []uint32, stop bool, all []uint32) ([]uint32, bool) {
	if c.t == nil {
		return append(all[:0], local...), stop
	}
	x := &c.x
	w := x.capacity + 1
	x.send = slices.Grow(x.send[:0], w)[:w]
	x.recv = slices.Grow(x.recv[:0], w*c.size)[:w*c.size]
	x.send[0] = uint32(len(local)) << 1
	if stop {
		x.send[0] |= 1
	}
	clear(x.send[1+copy(x.send[1:], local):])
	c.t.allgather(bytesOf(x.send), bytesOf(x.recv))
	anyStop, largest, over := false, 0, 0
	for r := 0; r < c.size; r++ {
		h := x.recv[r*w]
		n := int(h >> 1)
		anyStop = anyStop || h&1 != 0
		largest = max(largest, n)
		m := max(n-x.capacity, 0)
		x.counts[r], x.displs[r] = 4*m, 4*over
		over += m
	}
	if over > 0 {
		x.over = slices.Grow(x.over[:0], over)[:over]
		c.t.allgatherv(bytesOf(local[min(len(local), x.capacity):]), bytesOf(x.over), x.counts, x.displs)
	}
	all = all[:0]
	for r := 0; r < c.size; r++ {
		n := int(x.recv[r*w] >> 1)
		all = append(all, x.recv[r*w+1:r*w+1+min(n, x.capacity)]...)
		all = append(all, x.over[x.displs[r]/4:(x.displs[r]+x.counts[r])/4]...)
	}
	x.adapt(largest)
	return all, anyStop
}

// adapt sets the capacity for the next exchange from the largest count of
// this one: grown at once to hold it, and shrunk to twice the largest count
// of a stretch of steps that used less than a quarter of it.
func (x *spikeExchange) adapt(largest int) {
	x.peak = max(x.peak, largest)
	x.steps++
	switch {
	case largest > x.capacity:
		x.capacity = min(maxCapacity, max(minCapacity, 1<<bits.Len(uint(largest))))
		x.peak, x.steps = 0, 0
	case x.steps >= shrinkEvery:
		if x.peak < x.capacity/4 {
			x.capacity = max(minCapacity, 1<<bits.Len(uint(2*x.peak)))
		}
		x.peak, x.steps = 0, 0
	}
}

// Plain is the element types Allgather moves: numbers without pointers.
type Plain interface {
	~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~uint32 | ~int64 | ~uint64 | ~float32 | ~float64
}

func bytesOf[T Plain](x []T) []byte {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), len(x)*int(unsafe.Sizeof(x[0])))
}

// maxRound is the most bytes that one round of Allgather receives; MPI
// counts are 32-bit. (A variable so that tests can make rounds small.)
var maxRound = 1 << 30

// Allgather returns, on every rank, the concatenation of every rank's local
// slice in rank order, and the length of each rank's slice.
func Allgather[T Plain](c *Comm, local []T) (all []T, counts []int) {
	if c.t == nil {
		return slices.Clone(local), []int{len(local)}
	}
	lens := make([]int64, c.size)
	c.t.allgather(bytesOf([]int64{int64(len(local))}), bytesOf(lens))
	counts = make([]int, c.size)
	start := make([]int, c.size) // of each rank's slice in all
	total := 0
	for r, n := range lens {
		counts[r], start[r] = int(n), total
		total += int(n)
	}
	all = make([]T, total)
	var zero T
	size := int(unsafe.Sizeof(zero))
	// Rounds of at most maxRound/c.size bytes from every rank.
	per := max(maxRound/c.size/size, 1)
	bc, bd := make([]int, c.size), make([]int, c.size)
	for done := 0; ; done += per {
		n := 0
		for r := range counts {
			m := min(max(counts[r]-done, 0), per)
			bc[r], bd[r] = m*size, n*size
			n += m
		}
		if n == 0 {
			break
		}
		buf := make([]T, n)
		mine := local[min(done, len(local)):min(done+per, len(local))]
		c.t.allgatherv(bytesOf(mine), bytesOf(buf), bc, bd)
		for r := range counts {
			copy(all[start[r]+done:], buf[bd[r]/size:(bd[r]+bc[r])/size])
		}
	}
	return all, counts
}

// AgreedError is an error that every rank returns alike: that of the
// lowest rank that failed.
type AgreedError struct {
	Rank int // the rank that failed
	Err  error
}

// Error returns the failing rank's message, prefixed by its rank unless it
// is rank 0.
func (e *AgreedError) Error() string {
	if e.Rank == 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("rank %d: %v", e.Rank, e.Err)
}

// Unwrap returns the failing rank's error (on other ranks, its message).
func (e *AgreedError) Unwrap() error { return e.Err }

// Agree is collective: it returns nil on every rank if err is nil on every
// rank, and otherwise, on every rank, an *AgreedError with the error of the
// lowest rank whose err is not nil. With one rank it returns err.
func (c *Comm) Agree(err error) error {
	if c.t == nil {
		return err
	}
	var msg []byte
	if err != nil {
		msg = append([]byte{1}, err.Error()...)
	}
	all, counts := Allgather(c, msg)
	off := 0
	for r, n := range counts {
		if n > 0 {
			if r == c.rank {
				return &AgreedError{Rank: r, Err: err}
			}
			return &AgreedError{Rank: r, Err: errors.New(string(all[off+1 : off+n]))}
		}
		off += n
	}
	return nil
}

// launched returns this process's rank and the number of ranks that an MPI
// launcher (OpenMPI's mpirun, or a PMI launcher such as MPICH's or Slurm's)
// started, and the number on this machine; size is 0 when no launcher
// started the process.
func launched() (rank, size, local int) {
	get := func(names ...string) int {
		for _, n := range names {
			if v, err := strconv.Atoi(os.Getenv(n)); err == nil {
				return v
			}
		}
		return -1
	}
	size = get("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE")
	if size < 0 {
		return 0, 0, 1
	}
	rank = max(get("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"), 0)
	local = get("OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS")
	if local < 1 {
		local = 1
	}
	return rank, size, local
}
