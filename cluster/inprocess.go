package cluster

import (
	"fmt"
	"sync"
)

// InProcess returns n Comms whose ranks are goroutines of this process:
// rank r must use comms[r] from its own goroutine. It lets tests run a
// distributed simulation without MPI; Abort panics.
func InProcess(n int) []*Comm {
	h := &hub{n: n, slots: make([][]byte, n)}
	h.cond.L = &h.mu
	comms := make([]*Comm, n)
	for r := range comms {
		comms[r] = newComm(r, n, n, &memTransport{h: h, rank: r})
	}
	return comms
}

// hub is the shared memory of the in-process ranks.
type hub struct {
	n     int
	mu    sync.Mutex
	cond  sync.Cond
	count int
	gen   uint64
	slots [][]byte // what each rank sends in the current collective
}

// wait returns when all n ranks have called it.
func (h *hub) wait() {
	h.mu.Lock()
	g := h.gen
	h.count++
	if h.count == h.n {
		h.count = 0
		h.gen++
		h.cond.Broadcast()
	} else {
		for g == h.gen {
			h.cond.Wait()
		}
	}
	h.mu.Unlock()
}

type memTransport struct {
	h    *hub
	rank int
}

func (m *memTransport) allgather(send, recv []byte) {
	m.h.slots[m.rank] = send
	m.h.wait()
	for r, b := range m.h.slots {
		copy(recv[r*len(send):(r+1)*len(send)], b)
	}
	m.h.wait()
}

func (m *memTransport) allgatherv(send, recv []byte, counts, displs []int) {
	m.h.slots[m.rank] = send
	m.h.wait()
	for r, b := range m.h.slots {
		copy(recv[displs[r]:displs[r]+counts[r]], b[:counts[r]])
	}
	m.h.wait()
}

func (m *memTransport) barrier() { m.h.wait() }

func (m *memTransport) abort(code int) {
	panic(fmt.Sprintf("cluster: rank %d aborted with code %d", m.rank, code))
}

func (m *memTransport) finalize() error { return nil }
