package main

// Interop (PETREL_INTEROP=1): fetchmail and getmail6, from Debian, download
// a mailbox of 200 messages from pop3s and leave the INBOX empty;
// fetchmail --keep leaves it intact.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/certs"
)

const pop3InteropMessages = 200

// subjectsIn counts the distinct "Subject: pop3 test N" lines of a
// mailbox file, and all of them.
func subjectsIn(t *testing.T, path string) (distinct, total int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^Subject: pop3 test (\d+)\r?$`).FindAllSubmatch(data, -1) {
		seen[string(m[1])] = true
		total++
	}
	return len(seen), total
}

// runTool runs an interop client with a bounded time.
func runTool(t *testing.T, dir string, name string, args ...string) {
	t.Helper()
	if out, err := runToolErr(t, dir, name, args...); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

// runToolErr runs an interop client with a bounded time, and returns its
// output and how it ended.
func runToolErr(t *testing.T, dir string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, interopTool(t, name), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// fetchmailRC writes a fetchmail configuration that polls host on pop3s
// once, checking the certificate with tlsOpts (README "Trusting the
// self-signed certificate") and delivering every message to mbox through
// a shell MDA; keep leaves the messages on the server.
func (s *pop3Server) fetchmailRC(t *testing.T, dir, host, tlsOpts, mbox string, keep bool) string {
	_, port := hostPort(t, s.pop3s)
	keepOpt := "nokeep"
	if keep {
		keepOpt = "keep"
	}
	rc := filepath.Join(dir, "fetchmailrc")
	conf := fmt.Sprintf(`set no syslog
poll %s protocol pop3 port %s timeout 60
  user "%s" there with password "%s" is "nobody" here
  ssl %s
  fetchall %s
  mda "/bin/sh -c 'cat >> %s; echo >> %s'"
`, host, port, pop3User, pop3Password, tlsOpts, keepOpt, mbox, mbox)
	if err := os.WriteFile(rc, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return rc
}

// fetchmail runs fetchmail once against pop3s at localhost, trusting the
// server's certificate file.
func (s *pop3Server) fetchmail(t *testing.T, dir, mbox string, keep bool) {
	rc := s.fetchmailRC(t, dir, "localhost", s.trustCert(), mbox, keep)
	runTool(t, dir, "fetchmail", "--nodetach", "--silent", "-f", rc)
}

// trustCert are the fetchmail options of README "Trusting the self-signed
// certificate": verify, with the server's certificate as the trust anchor.
func (s *pop3Server) trustCert() string {
	return fmt.Sprintf(`sslcertck sslcertfile "%s"`, filepath.Join(certs.Dir(s.dataDir), certs.CertFile))
}

func (s *pop3Server) inboxCount(t *testing.T) int {
	p := s.dialTLS()
	l := p.Ask("STAT", "+OK")
	p.Ask("QUIT", "+OK")
	var n, size int
	fmt.Sscanf(l, "+OK %d %d", &n, &size)
	return n
}

func TestPOP3Fetchmail(t *testing.T) {
	requireEnv(t, "PETREL_INTEROP")
	interopTool(t, "fetchmail")
	s := newPOP3Server(t)
	s.start()
	s.deliver(pop3InteropMessages)
	dir := t.TempDir()

	kept := filepath.Join(dir, "kept.mbox")
	s.fetchmail(t, dir, kept, true)
	if d, n := subjectsIn(t, kept); d != pop3InteropMessages || n != pop3InteropMessages {
		t.Fatalf("fetchmail --keep got %d distinct messages (%d in all), want %d", d, n, pop3InteropMessages)
	}
	if n := s.inboxCount(t); n != pop3InteropMessages {
		t.Fatalf("after fetchmail --keep: %d messages in the INBOX, want %d", n, pop3InteropMessages)
	}

	// Issue 13: fetchmail (6.4) matches the certificate's DNS names only,
	// not its IP addresses; polling 127.0.0.1 needs the name it should
	// carry (README). The check is real: another self-signed certificate
	// of the same name is refused.
	byIP := filepath.Join(dir, "by-ip.mbox")
	rc := s.fetchmailRC(t, dir, "127.0.0.1", s.trustCert()+` sslcommonname "localhost"`, byIP, true)
	runTool(t, dir, "fetchmail", "--nodetach", "--silent", "-f", rc)
	if d, _ := subjectsIn(t, byIP); d != pop3InteropMessages {
		t.Fatalf("fetchmail polling 127.0.0.1 got %d distinct messages, want %d", d, pop3InteropMessages)
	}
	other, err := certs.Load(certs.Options{Hostname: "localhost", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rc = s.fetchmailRC(t, dir, "localhost", fmt.Sprintf(`sslcertck sslcertfile "%s"`, other.CertPath), filepath.Join(dir, "refused.mbox"), true)
	if out, err := runToolErr(t, dir, "fetchmail", "--nodetach", "-f", rc); err == nil || !strings.Contains(out, "certificate verif") {
		t.Fatalf("fetchmail trusting another certificate: %v\n%s", err, out)
	}

	got := filepath.Join(dir, "fetched.mbox")
	s.fetchmail(t, dir, got, false)
	if d, n := subjectsIn(t, got); d != pop3InteropMessages || n != pop3InteropMessages {
		t.Fatalf("fetchmail got %d distinct messages (%d in all), want %d", d, n, pop3InteropMessages)
	}
	if n := s.inboxCount(t); n != 0 {
		t.Fatalf("after fetchmail: %d messages left in the INBOX", n)
	}
	s.stop()
}

func TestPOP3Getmail(t *testing.T) {
	requireEnv(t, "PETREL_INTEROP")
	interopTool(t, "getmail")
	s := newPOP3Server(t)
	s.start()
	s.deliver(pop3InteropMessages)
	dir := t.TempDir()
	mbox := filepath.Join(dir, "getmail.mbox")
	if err := os.WriteFile(mbox, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, port := hostPort(t, s.pop3s)
	rc := filepath.Join(dir, "getmailrc")
	conf := fmt.Sprintf(`[retriever]
type = SimplePOP3SSLRetriever
server = localhost
port = %s
username = %s
password = %s
ca_certs = %s

[destination]
# Mboxrd and Maildir refuse to deliver as root, which CI runs as.
type = MDA_external
path = /bin/sh
arguments = ("-c", "cat >> %s; echo >> %s")
allow_root_commands = true

[options]
read_all = true
delete = true
verbose = 0
`, port, pop3User, pop3Password, filepath.Join(certs.Dir(s.dataDir), certs.CertFile), mbox, mbox)
	if err := os.WriteFile(rc, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	runTool(t, dir, "getmail", "--getmaildir", dir, "--rcfile", rc)
	if d, n := subjectsIn(t, mbox); d != pop3InteropMessages || n != pop3InteropMessages {
		t.Fatalf("getmail got %d distinct messages (%d in all), want %d", d, n, pop3InteropMessages)
	}
	if n := s.inboxCount(t); n != 0 {
		t.Fatalf("after getmail: %d messages left in the INBOX", n)
	}
	s.stop()
}
