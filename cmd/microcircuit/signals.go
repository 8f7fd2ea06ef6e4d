package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// interrupted is the cause of a context cancelled by a signal.
type interrupted struct {
	sig  os.Signal
	code int // the shell's exit code for it: 128 + signal number
}

func (e *interrupted) Error() string { return fmt.Sprintf("interrupted by %v", e.sig) }

// signalContext returns a context that the first SIGINT or SIGTERM cancels
// (with an *interrupted cause): the work stops at its next check, within a
// second in every phase. A second signal ends the program at once with
// the signal's exit code. stop releases the signals.
func signalContext() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		first := true
		for {
			select {
			case s := <-ch:
				code := 130
				if s == syscall.SIGTERM {
					code = 143
				}
				if !first {
					fmt.Fprintf(os.Stderr, "\nmicrocircuit: second %v: stopping at once\n", s)
					runCleanups()
					os.Exit(code)
				}
				first = false
				cancel(&interrupted{sig: s, code: code})
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

var (
	cleanupMu sync.Mutex
	cleanups  = map[int]func(){}
	cleanupID int
)

// onHardExit registers f to run if a second signal ends the program at
// once (to remove a staging directory); the returned function unregisters
// it.
func onHardExit(f func()) (unregister func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanupID++
	id := cleanupID
	cleanups[id] = f
	return func() {
		cleanupMu.Lock()
		delete(cleanups, id)
		cleanupMu.Unlock()
	}
}

func runCleanups() {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	for _, f := range cleanups {
		f()
	}
}

// interruptCode returns the exit code of the signal that cancelled ctx:
// 130 for SIGINT, 143 for SIGTERM, and 130 when the work stopped for another
// reason of cancellation (another rank's signal, a test).
func interruptCode(ctx context.Context) int {
	var in *interrupted
	if errors.As(context.Cause(ctx), &in) {
		return in.code
	}
	return 130
}
