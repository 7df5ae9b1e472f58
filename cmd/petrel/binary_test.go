package main

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/testkit"
)

// demoHTTP is the demo's HTTP listener.
var demoHTTP = config.Default().Listen.HTTP[0]

// buildPetrel builds the binary into a temporary directory.
func buildPetrel(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "petrel")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// binaryRun is a process started by startBinary: its output, and exited,
// closed when it has ended with err.
type binaryRun struct {
	log    testkit.LogBuffer
	exited chan struct{}
	err    error
}

// startBinary starts cmd with its output in the returned log; a process
// still running when the test ends is killed.
func startBinary(t *testing.T, cmd *exec.Cmd) *binaryRun {
	t.Helper()
	r := &binaryRun{exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &r.log, &r.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.err = cmd.Wait(); close(r.exited) }()
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			cmd.Process.Kill()
			<-r.exited
		}
	})
	return r
}

// waitHealthy polls url until it answers 200 or the process exits.
func waitHealthy(t *testing.T, url string, exited <-chan struct{}, log *testkit.LogBuffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("petrel serve exited early:\n%s", log.String())
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy:\n%s", url, log.String())
}

// waitDemoStarted waits until the demo server logs that it started, that
// is, that it holds every listener itself (a /healthz answer alone could
// come from another demo). A demo address taken by another process between
// the test's check and the server's bind skips the test.
func waitDemoStarted(t *testing.T, exited <-chan struct{}, log *testkit.LogBuffer) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(log.String(), "msg=\"petrel started\"") {
			return
		}
		select {
		case <-exited:
			out := log.String()
			if strings.Contains(out, "address already in use") {
				for addr := range demoListeners() {
					if strings.Contains(out, "cannot listen on "+addr+":") {
						t.Skipf("the demo's address %s was taken while the server started:\n%s", addr, out)
					}
				}
			}
			t.Fatalf("petrel serve exited early:\n%s", out)
		default:
		}
	}
	t.Fatalf("petrel serve did not start within 60s:\n%s", log.String())
}

// TestBinaryDemo runs the built binary as a new user would: `petrel serve`
// in an empty directory, then `petrel user add` while it runs, then SIGTERM.
func TestBinaryDemo(t *testing.T) {
	// The demo listens on fixed ports (config.Default) by design; a demo
	// server, or this test in another run, may hold them. The test checks
	// the demo, not the ports: it is skipped rather than failed then.
	for addr := range demoListeners() {
		if l, err := net.Listen("tcp", addr); err != nil {
			t.Skipf("the demo's address %s is in use (a demo server running?): %v", addr, err)
		} else {
			l.Close()
		}
	}
	bin := buildPetrel(t)
	dir := t.TempDir()
	srv := exec.Command(bin, "serve")
	srv.Dir = dir
	run := startBinary(t, srv)
	log, exited := &run.log, run.exited
	waitDemoStarted(t, exited, log)
	waitHealthy(t, "http://"+demoHTTP+"/healthz", exited, log)

	pwFile := filepath.Join(dir, "petrel-data", initialPassword)
	fi, err := os.Stat(pwFile)
	if err != nil {
		t.Fatalf("initial password: %v\n%s", err, log.String())
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", pwFile, fi.Mode().Perm())
	}
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	if p := strings.TrimSpace(string(pw)); p == "" || strings.Contains(log.String(), p) {
		t.Errorf("password %q is empty or appears in the log", p)
	}
	if !strings.Contains(log.String(), initialPassword) {
		t.Errorf("the log does not name the password file:\n%s", log.String())
	}

	cli := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Stdin = dir, strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("petrel %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	cli("x-secret-pass\n", "user", "add", "x@localhost", "--password-stdin")
	if got := cli("", "user", "list"); got != "postmaster@localhost\nx@localhost\n" {
		t.Errorf("user list = %q", got)
	}

	start := time.Now()
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if run.err != nil {
			t.Errorf("petrel serve after SIGTERM: %v\n%s", run.err, log.String())
		}
		t.Logf("stopped %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(15 * time.Second):
		t.Fatalf("petrel serve still running 15s after SIGTERM:\n%s", log.String())
	}
}
