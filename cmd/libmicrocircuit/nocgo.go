//go:build !cgo

package main

import (
	"fmt"
	"os"
)

// Without cgo there is no C interface: say how to build the library.
func main() {
	fmt.Fprintln(os.Stderr, "libmicrocircuit is a C shared library: go build -buildmode=c-shared -o python/microcircuit/libmicrocircuit.so ./cmd/libmicrocircuit (needs cgo and a C compiler)")
	os.Exit(2)
}
