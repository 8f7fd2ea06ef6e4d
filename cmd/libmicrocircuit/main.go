//go:build cgo

package main

/*
#include <stdint.h>
#include <stdlib.h>
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"unsafe"

	"github.com/pd14/microcircuit"
	"github.com/pd14/microcircuit/dropin"
)

// Status codes of the calls.
const (
	statusOK          = 0
	statusValue       = 1
	statusRuntime     = 2
	statusInterrupted = 3
)

// handle is a network and the cancellation of its running call.
type handle struct {
	call sync.Mutex // serialises the calls on the network
	net  *dropin.Network

	mu     sync.Mutex
	cancel context.CancelFunc // of the running call, nil between calls
}

var (
	mu      sync.Mutex
	handles = map[int64]*handle{}
	last    int64
)

func init() {
	// As the command line does: the network is a few huge pointer-free
	// arrays, and the garbage of construction is best collected early.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(10)
	}
}

func lookup(h C.int64_t) (*handle, error) {
	mu.Lock()
	defer mu.Unlock()
	hd, ok := handles[int64(h)]
	if !ok {
		return nil, fmt.Errorf("network handle %d is not open (freed, or never created)", int64(h))
	}
	return hd, nil
}

// status returns the status of err and stores its message in *msg.
func status(err error, msg **C.char) C.int {
	if err == nil {
		return statusOK
	}
	if msg != nil {
		*msg = C.CString(err.Error())
	}
	var ke *dropin.KeyError
	switch {
	case errors.As(err, &ke):
		return statusValue
	case errors.Is(err, context.Canceled):
		return statusInterrupted
	}
	return statusRuntime
}

// guard turns a panic into an error, so that a bug never takes the Python
// process down.
func guard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("internal error (please report): %v\n%s", r, debug.Stack())
	}
}

// run runs f on the network of h with a context that mc_interrupt cancels.
func run(h C.int64_t, msg **C.char, f func(ctx context.Context, n *dropin.Network) error) C.int {
	hd, err := lookup(h)
	if err != nil {
		return status(err, msg)
	}
	hd.call.Lock()
	defer hd.call.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	hd.mu.Lock()
	hd.cancel = cancel
	hd.mu.Unlock()
	defer func() {
		hd.mu.Lock()
		hd.cancel = nil
		hd.mu.Unlock()
		cancel()
	}()
	err = func() (err error) {
		defer guard(&err)
		return f(ctx, hd.net)
	}()
	return status(err, msg)
}

//export mc_version
func mc_version() *C.char { return C.CString(microcircuit.Version) }

//export mc_free_string
func mc_free_string(s *C.char) { C.free(unsafe.Pointer(s)) }

//export mc_new
func mc_new(sim, net, stim *C.char, out *C.int64_t, msg **C.char) C.int {
	var n *dropin.Network
	err := func() (err error) {
		defer guard(&err)
		s, err := dropin.Parse([]byte(C.GoString(sim)), []byte(C.GoString(net)), []byte(C.GoString(stim)))
		if err != nil {
			return err
		}
		n, err = dropin.New(s)
		if err != nil {
			return err
		}
		n.Out = os.Stdout
		return nil
	}()
	if err != nil {
		return status(err, msg)
	}
	mu.Lock()
	last++
	handles[last] = &handle{net: n}
	*out = C.int64_t(last)
	mu.Unlock()
	return statusOK
}

//export mc_info
func mc_info(h C.int64_t, out **C.char) C.int {
	return run(h, out, func(_ context.Context, n *dropin.Network) error {
		b, err := json.Marshal(n.Info())
		if err != nil {
			return err
		}
		*out = C.CString(string(b))
		return nil
	})
}

//export mc_create
func mc_create(h C.int64_t, msg **C.char) C.int {
	return run(h, msg, func(_ context.Context, n *dropin.Network) error { return n.Create() })
}

//export mc_connect
func mc_connect(h C.int64_t, msg **C.char) C.int {
	return run(h, msg, func(ctx context.Context, n *dropin.Network) error { return n.Connect(ctx) })
}

//export mc_simulate
func mc_simulate(h C.int64_t, t C.double, msg **C.char) C.int {
	return run(h, msg, func(ctx context.Context, n *dropin.Network) error { return n.Simulate(ctx, float64(t)) })
}

//export mc_interrupt
func mc_interrupt(h C.int64_t) {
	hd, err := lookup(h)
	if err != nil {
		return
	}
	hd.mu.Lock()
	if hd.cancel != nil {
		hd.cancel()
	}
	hd.mu.Unlock()
}

//export mc_time
func mc_time(h C.int64_t) C.double {
	var t float64
	run(h, nil, func(_ context.Context, n *dropin.Network) error {
		t = n.Time()
		return nil
	})
	return C.double(t)
}

//export mc_spike_count
func mc_spike_count(h C.int64_t) C.int64_t {
	var c int
	run(h, nil, func(_ context.Context, n *dropin.Network) error {
		s, _ := n.Spikes()
		c = len(s)
		return nil
	})
	return C.int64_t(c)
}

//export mc_spikes
func mc_spikes(h C.int64_t, senders *C.int32_t, times *C.double, count C.int64_t, msg **C.char) C.int {
	return run(h, msg, func(_ context.Context, n *dropin.Network) error {
		s, t := n.Spikes()
		if int64(count) != int64(len(s)) {
			return fmt.Errorf("room for %d spikes given; there are %d", int64(count), len(s))
		}
		if len(s) == 0 {
			return nil
		}
		copy(unsafe.Slice((*int32)(unsafe.Pointer(senders)), len(s)), s)
		copy(unsafe.Slice((*float64)(unsafe.Pointer(times)), len(t)), t)
		return nil
	})
}

//export mc_free
func mc_free(h C.int64_t) {
	mu.Lock()
	hd, ok := handles[int64(h)]
	delete(handles, int64(h))
	mu.Unlock()
	if ok {
		// A running call ends; then the network goes, and its memory
		// back to the system.
		hd.mu.Lock()
		if hd.cancel != nil {
			hd.cancel()
		}
		hd.mu.Unlock()
		hd.call.Lock()
		hd.net = nil
		hd.call.Unlock()
		debug.FreeOSMemory()
	}
}

func main() {}
