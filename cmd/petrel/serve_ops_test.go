package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/certs"
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

// selfSignedPair makes a certificate for host with internal/certs and
// returns its PEM files.
func selfSignedPair(t *testing.T, host string) (cert, key []byte) {
	t.Helper()
	dir := t.TempDir()
	if _, err := certs.Load(certs.Options{Hostname: host, DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	cert, err := os.ReadFile(filepath.Join(certs.Dir(dir), certs.CertFile))
	if err != nil {
		t.Fatal(err)
	}
	key, err = os.ReadFile(filepath.Join(certs.Dir(dir), certs.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// peerName dials addr with TLS and returns the certificate's common name.
func peerName(t *testing.T, addr string) (*tls.Conn, string) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	return c, c.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// waitLog waits until the log contains want or the process exits.
func waitLog(t *testing.T, log *testkit.LogBuffer, want string, exited <-chan struct{}) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(log.String(), want) {
			return
		}
		select {
		case <-exited:
			t.Fatalf("petrel serve exited while waiting for %q:\n%s", want, log.String())
		default:
		}
	}
	t.Fatalf("log never showed %q:\n%s", want, log.String())
}

// Issue 13: SIGHUP reloads [tls] cert and key instead of killing the
// server; a connection made before keeps working; a broken file keeps the
// old certificate.
func TestBinarySIGHUPReloadsCertificate(t *testing.T) {
	bin := buildPetrel(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	c1, k1 := selfSignedPair(t, "one.example")
	os.WriteFile(certFile, c1, 0o600)
	os.WriteFile(keyFile, k1, 0o600)
	imaps, httpAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	e := newEnv(t, fmt.Sprintf("[listen]\nhttp = [%q]\nsmtp = []\nsubmission = []\nsubmissions = []\n"+
		"imap = []\nimaps = [%q]\npop3 = []\npop3s = []\nlmtp = []\n[tls]\ncert = %q\nkey = %q\n",
		httpAddr, imaps, certFile, keyFile))
	noDemoListeners(t, e.config)
	srv := exec.Command(bin, "serve", "--config", e.config)
	run := startBinary(t, srv)
	log, exited := &run.log, run.exited
	waitHealthy(t, "http://"+httpAddr+"/healthz", exited, log)

	old, name := peerName(t, imaps)
	defer old.Close()
	if name != "one.example" {
		t.Fatalf("served %q, want one.example", name)
	}
	old.SetDeadline(time.Now().Add(10 * time.Second))
	oldr := bufio.NewReader(old)
	if line, err := oldr.ReadString('\n'); err != nil || !strings.HasPrefix(line, "* OK") {
		t.Fatalf("greeting %q, %v", line, err)
	}

	c2, k2 := selfSignedPair(t, "two.example")
	os.WriteFile(certFile, c2, 0o600)
	os.WriteFile(keyFile, k2, 0o600)
	srv.Process.Signal(syscall.SIGHUP)
	waitLog(t, log, "TLS certificate reloaded", exited)
	if c, name := peerName(t, imaps); name != "two.example" {
		t.Errorf("after SIGHUP a new connection got %q, want two.example", name)
	} else {
		c.Close()
	}
	// The connection made before the reload still works.
	if _, err := old.Write([]byte("a1 NOOP\r\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := oldr.ReadString('\n'); err != nil || !strings.HasPrefix(line, "a1 OK") {
		t.Errorf("old connection after SIGHUP: %q, %v", line, err)
	}

	os.WriteFile(certFile, []byte("broken"), 0o600)
	srv.Process.Signal(syscall.SIGHUP)
	waitLog(t, log, "TLS certificate not reloaded", exited)
	if c, name := peerName(t, imaps); name != "two.example" {
		t.Errorf("after a broken file a new connection got %q, want two.example kept", name)
	} else {
		c.Close()
	}

	srv.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		if run.err != nil || !strings.Contains(log.String(), "shutting down") {
			t.Errorf("petrel serve after SIGTERM: %v\n%s", run.err, log.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("petrel serve still running 15s after SIGTERM:\n%s", log.String())
	}
}
