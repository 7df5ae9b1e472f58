package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// startCPUProfile writes a CPU profile of the whole process (pprof
// format) to the file named by PETREL_CPUPROFILE, when it is set, until
// the returned function is called: the opt-in switch that
// docs/benchmarks.md's profiles come from (`go tool pprof petrel FILE`).
// A profile that cannot start is reported and the command runs without.
func startCPUProfile(stderr io.Writer) (stop func()) {
	path := os.Getenv("PETREL_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "petrel: PETREL_CPUPROFILE: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(stderr, "petrel: PETREL_CPUPROFILE: %v\n", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
