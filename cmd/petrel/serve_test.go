package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/store/sqlite"
	"github.com/petrelmail/petrel/internal/testkit"
)

// demoListeners is every address the local demo listens on
// (config.Default): the ports a demo server, or another test run's
// TestBinaryDemo, may hold while these tests run.
func demoListeners() map[string]bool {
	l := config.Default().Listen
	m := map[string]bool{}
	for _, list := range [][]string{l.SMTP, l.Submission, l.Submissions, l.IMAP, l.IMAPS, l.POP3, l.POP3S, l.HTTP, l.LMTP} {
		for _, a := range list {
			m[a] = true
		}
	}
	return m
}

// noDemoListeners fails the test when the configuration at path would have
// `petrel serve` listen on one of the demo's fixed addresses (a [listen]
// key left at its default): such a test fails whenever a demo runs.
func noDemoListeners(tb testing.TB, path string) {
	tb.Helper()
	cfg, errs := config.Load(path)
	if len(errs) > 0 {
		tb.Fatalf("%s: %v", path, errs)
	}
	demo := demoListeners()
	l := cfg.Listen
	for key, list := range map[string][]string{"smtp": l.SMTP, "submission": l.Submission, "submissions": l.Submissions,
		"imap": l.IMAP, "imaps": l.IMAPS, "pop3": l.POP3, "pop3s": l.POP3S, "http": l.HTTP, "lmtp": l.LMTP} {
		for _, a := range list {
			if demo[a] {
				tb.Fatalf("%s: listen.%s uses the demo's address %s; give the test its own port or turn it off ([])", path, key, a)
			}
		}
	}
}

func TestServeLifecycle(t *testing.T) {
	smtpAddr := testkit.FreeAddr(t)
	// submission listens too (STARTTLS + AUTH, submission.go).
	e := newEnv(t, fmt.Sprintf("[listen]\nhttp = [%q, %q]\nsmtp = [%q]\nsubmission = [%q]\n"+
		"submissions = []\nimap = []\nimaps = []\npop3 = []\npop3s = []\n",
		testkit.FreeAddr(t), testkit.FreeAddr(t), smtpAddr, testkit.FreeAddr(t)))
	noDemoListeners(t, e.config)
	// A DKIM key file of an earlier version, imported at start-up.
	keyData, err := os.ReadFile(filepath.Join(dnsFixtureKeys, "example.org", "rsa-202601.pem"))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(e.dataDir, "dkim", "example.org", "rsa-202601.pem")
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyData, 0o600); err != nil {
		t.Fatal(err)
	}
	ready := make(chan []net.Addr, 1)
	var stderr testkit.LogBuffer
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &stderr,
		onReady: func(addrs []net.Addr) { ready <- addrs }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- a.run(ctx, []string{"serve", "--config", e.config}) }()

	var addrs []net.Addr
	select {
	case addrs = <-ready:
	case code := <-done:
		t.Fatalf("serve exited with %d:\n%s", code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start:\n%s", stderr.String())
	}
	if len(addrs) != 2 {
		t.Fatalf("listening on %v, want two HTTP addresses", addrs)
	}
	for _, addr := range addrs {
		if code, body := testkit.HTTPGet(t, "http://"+addr.String()+"/healthz"); code != 200 || body != "ok" {
			t.Errorf("%s /healthz: %d %q", addr, code, body)
		}
	}
	if code, _ := testkit.HTTPGet(t, "http://"+addrs[0].String()+"/metrics"); code != 200 {
		t.Errorf("/metrics: %d", code)
	}
	// The MX listener greets.
	if c, err := net.DialTimeout("tcp", smtpAddr, 5*time.Second); err != nil {
		t.Errorf("smtp listener: %v", err)
	} else {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		line := make([]byte, 512)
		n, _ := c.Read(line)
		if !strings.HasPrefix(string(line[:n]), "220 mail.example.org ESMTP") {
			t.Errorf("smtp greeting %q", line[:n])
		}
		c.Close()
	}
	// The CLI works on the same data directory while the server runs.
	e.ok("", "domain", "add", "example.org")
	if _, err := os.Stat(keyFile + ".imported"); err != nil {
		t.Errorf("the DKIM key file was not imported at start-up: %v", err)
	}
	if r := e.run("", "dkim", "export", "example.org", "rsa-202601"); r.stdout != string(keyData) || r.stderr != "" {
		t.Errorf("the imported key is not in the store: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(certs.Dir(e.dataDir), certs.CertFile)); err != nil {
		t.Errorf("no self-signed certificate: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.dataDir, initialPassword)); !os.IsNotExist(err) {
		t.Errorf("initial-password written outside demo mode (stat: %v)", err)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited with %d after shutdown:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15s of the shutdown request")
	}
	if _, err := net.Dial("tcp", addrs[0].String()); err == nil {
		t.Error("HTTP listener still accepts after shutdown")
	}
	log := stderr.String()
	for _, want := range []string{"listener=submission addr=127.0.0.1:", "listener=smtp addr=" + smtpAddr, "shutting down", "store closed"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, " imap=") {
		t.Errorf("log mentions imap, which is configured off:\n%s", log)
	}
}

func TestServeBindError(t *testing.T) {
	busy := testkit.Listen(t)
	// Every other listener is off: the demo's default ports may be taken
	// (a demo server running), and the error must be the busy HTTP one.
	e := newEnv(t, fmt.Sprintf("[listen]\nhttp = [%q, %q]\nsmtp = []\nsubmission = []\nsubmissions = []\n"+
		"imap = []\nimaps = []\npop3 = []\npop3s = []\nlmtp = []\n", testkit.FreeAddr(t), busy.Addr().String()))
	noDemoListeners(t, e.config)
	done := make(chan result, 1)
	go func() { done <- e.run("", "serve") }()
	select {
	case r := <-done:
		if r.code != exitFail {
			t.Errorf("exit %d, want 1", r.code)
		}
		if !strings.Contains(r.stderr, "listen.http: cannot listen on "+busy.Addr().String()) {
			t.Errorf("stderr lacks a clear bind error:\n%s", r.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve kept running although it could not bind")
	}
}

func TestEnsureDemo(t *testing.T) {
	dir := t.TempDir()
	var logBuf testkit.LogBuffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	st, err := sqlite.Open(context.Background(), sqlite.Options{Dir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := config.Default()
	cfg.DataDir = dir
	ctx := context.Background()
	if err := ensureDemo(ctx, cfg, st, log); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, initialPassword)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pw := strings.TrimSpace(string(first))
	if len(pw) < 20 {
		t.Errorf("password %q is too short", pw)
	}
	if strings.Contains(logBuf.String(), pw) {
		t.Error("the log contains the password")
	}
	if !strings.Contains(logBuf.String(), path) {
		t.Errorf("the log does not name %s:\n%s", path, logBuf.String())
	}
	if ok, err := st.HasDomain(ctx, demoDomain); err != nil || !ok {
		t.Errorf("HasDomain(%s) = %v, %v", demoDomain, ok, err)
	}
	id, err := st.LookupAddress(ctx, demoAccount)
	if err != nil {
		t.Fatalf("demo account: %v", err)
	}
	acct, err := st.Account(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if acct.PasswordHash == "" || strings.Contains(acct.PasswordHash, pw) {
		t.Errorf("password hash %q is empty or holds the password", acct.PasswordHash)
	}

	// A second start keeps the account and the file as they are.
	if err := ensureDemo(ctx, cfg, st, log); err != nil {
		t.Fatal(err)
	}
	again, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(again, first) {
		t.Errorf("second start changed %s (err %v)", path, err)
	}
	if id2, err := st.LookupAddress(ctx, demoAccount); err != nil || id2 != id {
		t.Errorf("second start: account %v, %v; want %v", id2, err, id)
	}
	if accts, err := st.Accounts(ctx); err != nil || len(accts) != 1 {
		t.Errorf("accounts after two starts: %d, %v; want 1", len(accts), err)
	}
}

// TestServeDKIMImportFails: when the key files of an earlier version
// cannot be imported into the store (here <data_dir>/dkim cannot be read
// as a directory), serve does not start: it would send those domains'
// mail unsigned (found in review).
func TestServeDKIMImportFails(t *testing.T) {
	e := newEnv(t, "[listen]\nhttp = []\nsmtp = []\nsubmission = []\nsubmissions = []\n"+
		"imap = []\nimaps = []\npop3 = []\npop3s = []\nlmtp = []\n")
	noDemoListeners(t, e.config)
	if err := os.MkdirAll(e.dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.dataDir, "dkim"), []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() { done <- e.run("", "serve") }()
	select {
	case r := <-done:
		if r.code != exitFail || !strings.Contains(r.stderr, "importing the DKIM key files") {
			t.Errorf("exit %d, stderr:\n%s\nwant 1 and the import error", r.code, r.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve started although the DKIM key files could not be imported")
	}
}
