package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"time"
)

// Opt-in profiling of petrel serve (docs/benchmarks.md §SMTP intake profile
// (issue 21)), for measuring, never on by default:
//
//	PETREL_PPROF=127.0.0.1:PORT   Go's pprof handlers (/debug/pprof/) on a
//	                              loopback listener of their own
//	PETREL_PPROF_RATE=N           with it: the block profile samples about
//	                              one blocking event per N ns blocked and the
//	                              mutex profile 1 in N contentions (both
//	                              off when unset)
//
// PETREL_CPUPROFILE=FILE, a CPU profile of any petrel command, is
// main's (cpuprofile.go).
const (
	envPprof     = "PETREL_PPROF"
	envPprofRate = "PETREL_PPROF_RATE"
)

// startProfiling starts what the environment asks for and returns the
// function that stops it (closes the listener).
func startProfiling(log *slog.Logger) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	addr := os.Getenv(envPprof)
	if addr == "" {
		return stop, nil
	}
	if err := loopbackOnly(addr); err != nil {
		stop()
		return func() {}, err
	}
	if v := os.Getenv(envPprofRate); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			stop()
			return func() {}, fmt.Errorf("%s: want a positive number, got %q", envPprofRate, v)
		}
		runtime.SetBlockProfileRate(n)
		runtime.SetMutexProfileFraction(n)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		stop()
		return func() {}, fmt.Errorf("%s: %w", envPprof, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	log.Warn("serving pprof", "addr", ln.Addr().String())
	stops = append(stops, func() { srv.Close() })
	return stop, nil
}

// loopbackOnly refuses a pprof address that is not a loopback IP: the
// profiles show the process's internals.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s: %w", envPprof, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return errors.New(envPprof + ": want a loopback address such as 127.0.0.1:6060, got " + strconv.Quote(addr))
	}
	return nil
}
