package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// startPostfixMailbox starts Postfix as the MX of b.test: STARTTLS with
// the snakeoil certificate, bob@b.test delivered by the virtual agent into
// the maildir it returns.
func startPostfixMailbox(t *testing.T) (*postfixInstance, string) {
	t.Helper()
	return startPostfixMailboxCert(t, "/etc/ssl/certs/ssl-cert-snakeoil.pem", "/etc/ssl/private/ssl-cert-snakeoil.key")
}

// startPostfixMailboxCert is startPostfixMailbox with the certificate
// and key in the PEM files cert and key.
func startPostfixMailboxCert(t *testing.T, cert, key string) (*postfixInstance, string) {
	t.Helper()
	pw, err := user.Lookup("postfix")
	if err != nil {
		t.Fatalf("no postfix user (is the postfix package installed?): %v", err)
	}
	for _, f := range []string{cert, key} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%v (Debian package ssl-cert)", err)
		}
	}
	var maildir string
	p := startPostfixConf(t, "", func(dir string) (string, string) {
		base := filepath.Join(dir, "mail")
		maildir = filepath.Join(base, "b.test", "bob")
		if err := os.MkdirAll(base, 0o755); err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(pw.Uid)
		gid, _ := strconv.Atoi(pw.Gid)
		if err := os.Chown(base, uid, gid); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "etc", "vmailbox"), []byte("bob@b.test b.test/bob/\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf(`virtual_mailbox_domains = b.test
virtual_mailbox_base = %[1]s
virtual_mailbox_maps = texthash:%[2]s/etc/vmailbox
virtual_minimum_uid = 1
virtual_uid_maps = static:%[3]s
virtual_gid_maps = static:%[4]s
smtpd_tls_security_level = may
smtpd_tls_cert_file = %[5]s
smtpd_tls_key_file = %[6]s
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
`, base, dir, pw.Uid, pw.Gid, cert, key), "virtual   unix  - n n -  - virtual\n"
	})
	return p, maildir
}

// maildirMessages returns the messages delivered into a maildir's new/.
func maildirMessages(t *testing.T, maildir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(maildir, "new"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(maildir, "new", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// TestPetrelDeliversToPostfix: mail submitted to Petrel with swaks (AUTH
// PLAIN over STARTTLS) and Python's smtplib goes out through Petrel's
// queue to a real Postfix, the MX of b.test in the test's DNS server,
// over STARTTLS, and lands in bob's maildir.
func TestPetrelDeliversToPostfix(t *testing.T) {
	requireEnv(t, "PETREL_INTEROP")
	py := interopTool(t, "python3")
	pf, maildir := startPostfixMailbox(t)
	_, pfPort := hostPort(t, pf.smtp)

	dns := dnstest.Start(t)
	dns.Add(t, "b.test. MX 10 mx.b.test.", "mx.b.test. A 127.0.0.1")
	sender := newOutSite(t, "a.test", "", dns.Addr, pfPort, "", "alice@a.test")
	sender.start()

	code, out := runSwaks(t, sender.sub, "--from", "alice@a.test", "--to", "bob@b.test", "--tls",
		"--auth", "PLAIN", "--auth-user", "alice@a.test", "--auth-password", outPassword,
		"--header", "From: <alice@a.test>", "--header", "Subject: via swaks")
	if code != 0 {
		t.Fatalf("swaks exited with %d:\n%s", code, out)
	}
	host, port, _ := net.SplitHostPort(sender.sub)
	pyOut, err := exec.Command(py, "-c", smtplibOutbound, host, port, outPassword).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, pyOut)
	}

	var msgs []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if msgs = maildirMessages(t, maildir); len(msgs) >= 2 {
			break
		}
	}
	if len(msgs) != 2 {
		t.Fatalf("%d message(s) in bob's maildir, want 2\nqueue:\n%s\npetrel log:\n%s\n%s",
			len(msgs), sender.cli("", "queue", "list"), sender.log.String(), pf.logText())
	}
	subjects := map[string]bool{}
	for _, m := range msgs {
		for _, want := range []string{"Return-Path: <alice@a.test>", "from mx.a.test", "by postfix.test", "with ESMTPS",
			"by mx.a.test", "with ESMTPSA"} {
			if !strings.Contains(strings.Join(strings.Fields(m), " "), want) {
				t.Errorf("message lacks %q:\n%s", want, m)
			}
		}
		for _, s := range []string{"via swaks", "via smtplib"} {
			if strings.Contains(m, "Subject: "+s) {
				subjects[s] = true
			}
		}
	}
	if len(subjects) != 2 {
		t.Errorf("subjects %v, want both:\n%s", subjects, strings.Join(msgs, "\n----\n"))
	}
	if log := pf.logText(); !strings.Contains(log, "TLS connection established from") {
		t.Errorf("the Postfix log shows no TLS connection from Petrel:\n%s", log)
	}
	waitQueue(t, sender, "queue is empty", 10*time.Second)
}

const smtplibOutbound = `
import smtplib, ssl, sys
host, port, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP(host, port, timeout=10)
s.starttls(context=ctx)
s.login("alice@a.test", pw)
s.sendmail("alice@a.test", ["bob@b.test"], b"From: Alice <alice@a.test>\r\nTo: bob@b.test\r\nSubject: via smtplib\r\n\r\nhello from python\r\n")
s.quit()
`

// swaksToBob has swaks submit a message from alice@a.test to bob@b.test
// with subject through the site's submission listener (STARTTLS, AUTH).
func (s *outSite) swaksToBob(subject string) {
	s.t.Helper()
	code, out := runSwaks(s.t, s.sub, "--from", "alice@a.test", "--to", "bob@b.test", "--tls",
		"--auth", "PLAIN", "--auth-user", "alice@a.test", "--auth-password", outPassword,
		"--header", "From: <alice@a.test>", "--header", "Subject: "+subject)
	if code != 0 {
		s.t.Fatalf("swaks exited with %d:\n%s", code, out)
	}
}

// waitMaildir waits (bounded) for a message in the maildir and returns
// what is there.
func waitMaildir(t *testing.T, maildir string, timeout time.Duration) []string {
	t.Helper()
	var msgs []string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline) && len(msgs) == 0; time.Sleep(200 * time.Millisecond) {
		msgs = maildirMessages(t, maildir)
	}
	return msgs
}
