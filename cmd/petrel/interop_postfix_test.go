package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/testkit"
)

// postfixInstance is a private Postfix instance on loopback, with its own
// configuration, queue and data directories, that relays the test domains
// to Petrel and nothing anywhere else.
type postfixInstance struct {
	t       *testing.T
	dir     string // everything of the instance is below it
	confDir string
	smtp    string // the address its smtpd listens on
	logFile string
	pid     int // the master process
}

// interopTool returns the path of a program the interop tests need; its
// absence is a failure (README.md, "Tests").
func interopTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/usr/lib/postfix/sbin"} {
			if _, serr := os.Stat(filepath.Join(dir, name)); serr == nil {
				return filepath.Join(dir, name)
			}
		}
		t.Fatalf("%s is not installed (Debian package %s; .ci/run installs it): %v", name, map[string]string{
			"postfix": "postfix", "postqueue": "postfix", "swaks": "swaks", "sieve-connect": "sieve-connect"}[name], err)
	}
	return p
}

// startPostfix starts Postfix with example.org routed over SMTP to
// petrelSMTP (STARTTLS when offered) and lmtp.example over LMTP to
// petrelLMTP. Anything else goes to the error transport. It is stopped at
// the end of the test.
func startPostfix(t *testing.T, petrelSMTP, petrelLMTP string) *postfixInstance {
	t.Helper()
	host, port := hostPort(t, petrelSMTP)
	return startPostfixConf(t, fmt.Sprintf("example.org\tsmtp:[%s]:%s\nlmtp.example\tlmtp:inet:%s\n", host, port, petrelLMTP),
		func(string) (string, string) { return "", "" })
}

// startPostfixConf starts Postfix with a transport table; extra returns
// lines appended to main.cf (they override the ones above) and to
// master.cf, given the instance's directory.
func startPostfixConf(t *testing.T, transport string, extra func(dir string) (mainCF, masterCF string)) *postfixInstance {
	t.Helper()
	return startPostfixCmd(t, transport, extra, exec.Command)
}

// startPostfixCmd is startPostfixConf with the command that runs
// "postfix start" made by command (the master and its daemons run in
// whatever it sets up: a mount namespace, interop_dane_test.go).
func startPostfixCmd(t *testing.T, transport string, extra func(dir string) (mainCF, masterCF string),
	command func(name string, args ...string) *exec.Cmd) *postfixInstance {
	t.Helper()
	bin := interopTool(t, "postfix")
	pw, err := user.Lookup("postfix")
	if err != nil {
		t.Fatalf("no postfix user (is the postfix package installed?): %v", err)
	}
	uid, _ := strconv.Atoi(pw.Uid)
	gid, _ := strconv.Atoi(pw.Gid)

	dir := t.TempDir()
	// Postfix daemons run as user postfix: they must reach the directories.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := &postfixInstance{t: t, dir: dir, confDir: filepath.Join(dir, "etc"), smtp: testkit.FreeAddr(t),
		logFile: filepath.Join(dir, "log", "postfix.log")}
	for _, d := range []string{"etc", "queue", "data", "log"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(filepath.Join(dir, "data"), uid, gid); err != nil {
		t.Fatal(err)
	}
	mainCF := fmt.Sprintf(`# private Postfix of a Petrel interop test: loopback only
compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
mail_owner = postfix
syslog_name = postfix-petrel-test
maillog_file = %[1]s/log/postfix.log
maillog_file_prefixes = %[1]s/log
myhostname = postfix.test
mydomain = postfix.test
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
alias_maps =
alias_database =
local_recipient_maps =
biff = no
notify_classes =
# only the test domains go anywhere, and only to Petrel on loopback
relay_domains = example.org, lmtp.example
transport_maps = texthash:%[1]s/etc/transport
relayhost =
default_transport = error:this test instance delivers nowhere else
relay_transport = error:this test instance delivers nowhere else
local_transport = error:no local delivery
smtp_dns_support_level = disabled
smtp_tls_security_level = may
smtp_tls_loglevel = 1
# retry soon if a first attempt fails
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
`, dir)
	listen := p.smtp
	masterCF := listen + ` inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
lmtp      unix  - - n -  - lmtp
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
`
	moreMain, moreMaster := extra(dir)
	mainCF, masterCF = mainCF+moreMain, masterCF+moreMaster
	for name, text := range map[string]string{"main.cf": mainCF, "master.cf": masterCF, "transport": transport} {
		if err := os.WriteFile(filepath.Join(p.confDir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := command(bin, "-c", p.confDir, "start").CombinedOutput()
	if err != nil {
		t.Fatalf("postfix start: %v\n%s\n%s", err, out, p.logText())
	}
	t.Cleanup(p.stop)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if p.pid == 0 {
			p.pid = p.masterPID()
		}
		if p.pid != 0 && e2eGreets(p.smtp) == nil {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("postfix did not come up on %s (master pid %d):\n%s\n%s", p.smtp, p.pid, out, p.logText())
		}
	}
}

// masterPID reads the master's PID from its lock file; 0 if none yet.
func (p *postfixInstance) masterPID() int {
	b, err := os.ReadFile(filepath.Join(p.dir, "data", "master.lock"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}

// pidAlive tells whether pid runs (a zombie does not).
func pidAlive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) S ...: the state follows the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// stop stops the instance and waits for its master to exit (15 s, then
// SIGKILL).
func (p *postfixInstance) stop() {
	if p.pid == 0 {
		p.pid = p.masterPID()
	}
	if p.pid == 0 || !pidAlive(p.pid) {
		return
	}
	// Bounded: a stuck "postfix stop" (its master -t check) once hung a
	// whole test run; past 30 s the master is signalled instead.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, interopTool(p.t, "postfix"), "-c", p.confDir, "stop").CombinedOutput(); err != nil {
		p.t.Logf("postfix stop: %v\n%s", err, out)
		syscall.Kill(p.pid, syscall.SIGTERM)
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if !pidAlive(p.pid) {
			return
		}
	}
	p.t.Errorf("postfix master %d still running 15 s after stop; killing it", p.pid)
	syscall.Kill(p.pid, syscall.SIGKILL)
}

// logText is the instance's log and queue, for failure messages.
func (p *postfixInstance) logText() string {
	b, _ := os.ReadFile(p.logFile)
	// Bounded: a Postfix whose services hang (seen once: its log daemon
	// gone, every process blocked on the log socket) must fail the test
	// with this text, not hang it until the test binary's timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q, _ := exec.CommandContext(ctx, "postqueue", "-c", p.confDir, "-p").CombinedOutput()
	return fmt.Sprintf("--- postfix log\n%s--- postqueue -p\n%s", b, q)
}

// flushQueue asks Postfix to retry its deferred mail now (postqueue
// -f), bounded like logText: a test that changed what made a delivery
// fail need not wait for Postfix's own retry, which its queue manager
// may put off further after a failure (a destination it marked dead).
func (p *postfixInstance) flushQueue() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	exec.CommandContext(ctx, "postqueue", "-c", p.confDir, "-f").Run()
}

// hostPort splits a host:port address that testkit.FreeAddr made.
func hostPort(t *testing.T, addr string) (host, port string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

// runSwaks runs swaks against addr and returns its exit status and transcript.
func runSwaks(t *testing.T, addr string, args ...string) (int, string) {
	t.Helper()
	bin := interopTool(t, "swaks")
	host, port := hostPort(t, addr)
	args = append([]string{"--server", host, "--port", port, "--helo", "client.test",
		"--from", "sender@client.test", "--timeout", "30"}, args...)
	out, err := exec.Command(bin, args...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("swaks: %v\n%s", err, out)
	return 0, ""
}

// messageCount is the number of messages of an account, from
// `petrel user quota`.
func (s *e2eServer) messageCount(addr string) int {
	s.t.Helper()
	for _, line := range strings.Split(s.cli("", "user", "quota", addr), "\n") {
		f := strings.Split(line, "\t")
		if len(f) >= 2 && f[0] == "messages" {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				s.t.Fatalf("user quota %s: %q", addr, line)
			}
			return n
		}
	}
	s.t.Fatalf("user quota %s: no messages line", addr)
	return 0
}

// TestPostfixRelaysToPetrel: a real Postfix relays one message to Petrel
// over SMTP (with STARTTLS) and one over LMTP, and swaks talks to both.
func TestPostfixRelaysToPetrel(t *testing.T) {
	requireEnv(t, "PETREL_INTEROP")
	interopTool(t, "postfix")
	interopTool(t, "swaks")
	srv := newE2EServer(t, buildPetrel(t), true)
	srv.cli("", "domain", "add", "example.org")
	srv.cli("", "domain", "add", "lmtp.example")
	srv.addUsers("alice@example.org", "carol@example.org", "dave@example.org", "bob@lmtp.example")
	srv.start()

	// swaks straight to Petrel: the RCPT checks.
	t.Run("swaks to Petrel", func(t *testing.T) {
		code, out := runSwaks(t, srv.smtp, "--to", "dave@example.org", "--header", "Message-Id: <direct@client.test>")
		if code != 0 || !strings.Contains(out, "\n<-  250") || strings.Contains(out, "<** ") {
			t.Errorf("good recipient: exit %d\n%s", code, out)
		}
		for _, tc := range []struct{ rcpt, reply string }{
			{"nobody@example.org", "<** 550 5.1.1"},
			{"someone@elsewhere.example", "<** 554 5.7.1"},
		} {
			code, out := runSwaks(t, srv.smtp, "--to", tc.rcpt)
			if code != 24 || !strings.Contains(out, tc.reply) {
				t.Errorf("RCPT %s: exit %d (want 24, no recipient accepted), want %q:\n%s", tc.rcpt, code, tc.reply, out)
			}
		}
	})

	pf := startPostfix(t, srv.smtp, srv.lmtp)
	type sent struct{ rcpt, id, text, hop string }
	msgs := []sent{
		{"alice@example.org", "via-postfix-smtp@client.test", "relayed by Postfix over SMTP", "with ESMTPS"},
		{"bob@lmtp.example", "via-postfix-lmtp@client.test", "relayed by Postfix over LMTP", "with LMTP"},
	}
	for _, m := range msgs {
		msg := fmt.Sprintf("From: <sender@client.test>\r\nTo: <%s>\r\nSubject: interop\r\nMessage-ID: <%s>\r\n\r\n%s\r\n",
			m.rcpt, m.id, m.text)
		if err := e2eSend(pf.smtp, "client.test", "sender@client.test", []string{m.rcpt}, []byte(msg)); err != nil {
			t.Fatalf("sending to %s through Postfix: %v\n%s", m.rcpt, err, pf.logText())
		}
	}
	viaSwaks := sent{"carol@example.org", "via-postfix-swaks@client.test", "sent by swaks through Postfix", "with ESMTPS"}
	if code, out := runSwaks(t, pf.smtp, "--to", viaSwaks.rcpt, "--header", "Message-Id: <"+viaSwaks.id+">",
		"--body", viaSwaks.text); code != 0 {
		t.Fatalf("swaks into Postfix: exit %d\n%s", code, out)
	}
	msgs = append(msgs, viaSwaks)

	// Postfix delivers in the background: wait (bounded) for each message.
	for _, m := range msgs {
		for deadline := time.Now().Add(30 * time.Second); srv.messageCount(m.rcpt) < 1; time.Sleep(250 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s not delivered to %s within 30 s\n%s\n--- petrel log\n%s", m.id, m.rcpt, pf.logText(), srv.log.String())
			}
		}
	}
	pf.stop()
	srv.stop()

	inboxes := e2eReadInboxes(t, srv.dataDir, []string{"alice@example.org", "bob@lmtp.example", "carol@example.org", "dave@example.org"})
	if got := inboxes["dave@example.org"]; len(got) != 1 || got[0].messageID != "<direct@client.test>" {
		t.Errorf("dave's INBOX (swaks direct): %d messages, want the one from swaks", len(got))
	}
	for _, m := range msgs {
		got := inboxes[m.rcpt]
		if len(got) != 1 {
			t.Errorf("%s has %d messages, want 1", m.rcpt, len(got))
			continue
		}
		raw := string(got[0].raw)
		if got[0].messageID != "<"+m.id+">" {
			t.Errorf("%s: Message-ID %q, want <%s>", m.rcpt, got[0].messageID, m.id)
		}
		trace, rest, err := e2eSplitTrace(got[0].raw)
		if err != nil {
			t.Errorf("%s: %v\n%s", m.rcpt, err, raw)
			continue
		}
		// Petrel's Received names Postfix's EHLO/LHLO and the hop's protocol;
		// Postfix's own Received follows.
		if !strings.HasPrefix(trace, "Return-Path: <sender@client.test>\r\n") ||
			!strings.Contains(trace, "Received: from postfix.test (") ||
			!strings.Contains(trace, "by mail.example.org (Petrel) "+m.hop+" id ") ||
			!strings.Contains(trace, "for <"+m.rcpt+">") {
			t.Errorf("%s: Petrel's trace fields want %q from postfix.test:\n%s", m.rcpt, m.hop, trace)
		}
		if m.hop == "with ESMTPS" && !strings.Contains(trace, "(TLS 1.") {
			t.Errorf("%s: no TLS version and cipher in Petrel's Received:\n%s", m.rcpt, trace)
		}
		if !strings.HasPrefix(string(rest), "Received: from client.test (") ||
			!strings.Contains(string(rest), "by postfix.test (Postfix) with ESMTP id ") {
			t.Errorf("%s: no Postfix Received field after Petrel's:\n%s", m.rcpt, raw)
		}
		if !strings.Contains(string(rest), m.text+"\r\n") {
			t.Errorf("%s: the body %q is not in the stored message:\n%s", m.rcpt, m.text, raw)
		}
	}
	if t.Failed() {
		t.Logf("%s\n--- petrel log\n%s", pf.logText(), srv.log.String())
	}
}
