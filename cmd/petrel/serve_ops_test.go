package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/testkit"
)

// offListeners is a [listen] table with one HTTP listener on its own port
// and every mail listener off.
func offListeners(t *testing.T) string {
	return fmt.Sprintf("[listen]\nhttp = [%q]\nsmtp = []\nsubmission = []\nsubmissions = []\n"+
		"imap = []\nimaps = []\npop3 = []\npop3s = []\nlmtp = []\n", testkit.FreeAddr(t))
}

// startServe runs `petrel serve` in-process until the test ends and
// returns once it serves.
func startServe(t *testing.T, e *env) (stderr *testkit.LogBuffer, done <-chan int) {
	t.Helper()
	ready := make(chan []net.Addr, 1)
	stderr = &testkit.LogBuffer{}
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr,
		onReady: func(addrs []net.Addr) { ready <- addrs }}
	ctx, cancel := context.WithCancel(context.Background())
	d := make(chan int, 1)
	go func() { d <- a.run(ctx, []string{"serve", "--config", e.config}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-d:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	select {
	case <-ready:
	case code := <-d:
		t.Fatalf("serve exited with %d:\n%s", code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start:\n%s", stderr.String())
	}
	return stderr, d
}

// Issue 13: a second serve on the same data directory is refused with a
// clear message; the CLI still works beside the running server.
func TestServeRefusesSecondServeOnSameDataDir(t *testing.T) {
	e := newEnv(t, offListeners(t))
	noDemoListeners(t, e.config)
	startServe(t, e)

	second := newEnv(t, offListeners(t)) // other ports, same data directory
	second.dataDir = e.dataDir
	body := "hostname = \"mail.example.org\"\ndata_dir = \"" + e.dataDir + "\"\n" + offListeners(t)
	if err := os.WriteFile(second.config, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() { done <- second.run("", "serve") }()
	select {
	case r := <-done:
		if r.code != exitFail {
			t.Errorf("second serve: exit %d, want %d", r.code, exitFail)
		}
		if !strings.Contains(r.stderr, "another petrel serve is already running on the data directory "+e.dataDir) {
			t.Errorf("second serve: stderr lacks a clear message:\n%s", r.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a second serve on the same data directory kept running")
	}
	e.ok("", "domain", "add", "example.org")
}
