package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestProfilingLoopbackOnly: the pprof listener is refused on an address
// that is not loopback, and serves the profiles on one that is.
func TestProfilingLoopbackOnly(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:6060", "localhost:0"} {
		t.Setenv(envPprof, addr)
		stop, err := startProfiling(log)
		stop()
		if err == nil {
			t.Errorf("%s=%s accepted", envPprof, addr)
		}
	}
	t.Setenv(envPprof, "127.0.0.1:0")
	t.Setenv(envPprofRate, "x")
	if stop, err := startProfiling(log); err == nil {
		stop()
		t.Errorf("%s=x accepted", envPprofRate)
	}
	t.Setenv(envPprofRate, "")
	// A free port of our own: the listener's address is not returned.
	port := freeLoopbackPort(t)
	t.Setenv(envPprof, port)
	stop, err := startProfiling(log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + port + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "goroutine") {
		t.Fatalf("pprof index: %d %q", resp.StatusCode, body)
	}
}

// freeLoopbackPort is a loopback address whose port was free a moment ago.
func freeLoopbackPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
