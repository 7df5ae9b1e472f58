package main

// Scenario tests of DKIM signing (issue 7): the outbound world of
// e2e_outbound_test.go (a.test sends, b.test receives, dnstest answers),
// with keys made by `petrel dkim generate` while the sender runs and their
// records published in dnstest. The copies received by b.test and the
// bounces alice gets are verified by internal/dkim's Verify and, when
// Debian's python3-dkim is installed, by dkimpy.

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dkim"
	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// debianPython is Debian's python3, which has dkimpy (python3-dkim); the
// first python3 on PATH may be another install without it.
const debianPython = "/usr/bin/python3"

// dkimpyScript is internal/dkim's dkimpy driver (verify MESSAGE KEYS.json).
var dkimpyScript = filepath.Join("..", "..", "internal", "dkim", "testdata", "dkimpy.py")

// publishKey runs `petrel dkim generate domain [args]` on the site and
// publishes the printed record in the world's DNS; it returns the record
// name and text (for dkimpy).
func (w *outWorld) publishKey(t *testing.T, domain string, args ...string) (string, string) {
	t.Helper()
	out := w.sender.cli("", append([]string{"dkim", "generate", domain}, args...)...)
	w.dns.Add(t, strings.TrimSpace(out))
	sel, d, txt := recordText(t, out)
	return sel + "._domainkey." + d, txt
}

// wantDKIM verifies msg with Verify against the world's DNS and requires
// one pass for d=a.test per algorithm in want ("rsa-sha256", ...), and a
// signature below the sender's Received field.
func (w *outWorld) wantDKIM(t *testing.T, what string, msg []byte, want ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := dkim.Verify(ctx, dnsr.New([]string{w.dns.Addr}, time.Second), bytes.NewReader(msg), 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res {
		if r.Status != dkim.Pass || r.Domain != "a.test" {
			t.Errorf("%s: signature %+v, want pass for a.test", what, r)
		}
		got = append(got, r.Algorithm)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s: signatures %v, want %v:\n%s", what, got, want, msg)
	}
	if sig, rcvd := bytes.Index(msg, []byte("DKIM-Signature:")), bytes.Index(msg, []byte("by mx.a.test")); sig < rcvd {
		t.Errorf("%s: the signature is not below the sender's Received field:\n%s", what, msg)
	}
}

// dkimpyVerdicts has dkimpy verify every signature of msg with records
// (name -> TXT text) and returns its verdicts, space-separated; "" when
// dkimpy is not installed (a failure with PETREL_INTEROP=1).
func dkimpyVerdicts(t *testing.T, msg []byte, records map[string]string) string {
	t.Helper()
	if err := exec.Command(debianPython, "-c", "import dkim, nacl").Run(); err != nil {
		if os.Getenv("PETREL_INTEROP") == "1" {
			t.Fatalf("%s with dkimpy (python3-dkim) is required with PETREL_INTEROP=1: %v", debianPython, err)
		}
		t.Logf("dkimpy not available (%v): only Petrel's Verify checked the signatures", err)
		return ""
	}
	dir := t.TempDir()
	js, _ := json.Marshal(records)
	msgFile, keysFile := filepath.Join(dir, "msg.eml"), filepath.Join(dir, "keys.json")
	must(t, os.WriteFile(msgFile, msg, 0o600))
	must(t, os.WriteFile(keysFile, js, 0o600))
	out, err := exec.Command(debianPython, dkimpyScript, "verify", msgFile, keysFile).CombinedOutput()
	if err != nil {
		t.Fatalf("dkimpy: %v\n%s", err, out)
	}
	var verdicts []string
	for line := range strings.Lines(string(out)) {
		verdicts = append(verdicts, strings.TrimSpace(line))
	}
	return strings.Join(verdicts, " ")
}

// TestOutboundDKIMSigned: a key made while the server runs signs alice's
// submitted message, which reaches bob through the queue with a
// signature that verifies, and the bounce for a refused recipient
// (from MAILER-DAEMON@mx.a.test, signed by a.test).
func TestOutboundDKIMSigned(t *testing.T) {
	t.Parallel()
	w := newOutWorld(t, "", "")
	w.remote.start()
	w.sender.start()
	name, txt := w.publishKey(t, "a.test")
	to := []string{"bob@b.test", "nobody@b.test"}
	must(t, w.sender.submit("alice@a.test", outPassword, to, outMessage("alice@a.test", "signed", to...)))
	got := w.remote.waitInbox("bob@b.test", 1, 20*time.Second)[0].raw
	bounce := w.sender.waitInbox("alice@a.test", 1, 20*time.Second)[0].raw
	w.wantDKIM(t, "received copy", got, "rsa-sha256")
	wantBounce(t, bounce, "Final-Recipient: rfc822; nobody@b.test", "Status: 5.1.1")
	res, err := dkim.Verify(context.Background(), dnsr.New([]string{w.dns.Addr}, time.Second), bytes.NewReader(bounce), 0)
	if err != nil || len(res) != 1 || res[0].Status != dkim.Pass || res[0].Domain != "a.test" {
		t.Errorf("bounce: Verify = %+v, %v; want one pass for a.test:\n%s", res, err, bounce)
	}
	records := map[string]string{name: txt}
	if v := dkimpyVerdicts(t, got, records); v != "" && v != "pass" {
		t.Errorf("dkimpy on the received copy: %q, want pass:\n%s", v, got)
	}
	if v := dkimpyVerdicts(t, bounce, records); v != "" && v != "pass" {
		t.Errorf("dkimpy on the bounce: %q, want pass:\n%s", v, bounce)
	}
}

// TestOutboundDKIMKeyAddedWhileRunning: mail sent before the domain has
// a key goes out unsigned; keys made afterwards (RSA and Ed25519) sign
// the next message without a restart, once the signer has looked again
// (at most every 3 s).
func TestOutboundDKIMKeyAddedWhileRunning(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	t.Parallel()
	w := newOutWorld(t, "", "")
	w.remote.start()
	w.sender.start()
	must(t, w.sender.submit("alice@a.test", outPassword, []string{"bob@b.test"}, outMessage("alice@a.test", "before", "bob@b.test")))
	first := w.remote.waitInbox("bob@b.test", 1, 20*time.Second)[0].raw
	if bytes.Contains(first, []byte("DKIM-Signature:")) {
		t.Fatalf("signed without a key:\n%s", first)
	}
	rsaName, rsaTXT := w.publishKey(t, "a.test")
	edName, edTXT := w.publishKey(t, "a.test", "--algorithm", "ed25519")
	time.Sleep(3500 * time.Millisecond) // dkim's reload interval is 3 s
	must(t, w.sender.submit("alice@a.test", outPassword, []string{"bob@b.test"}, outMessage("alice@a.test", "after", "bob@b.test")))
	second := w.remote.waitInbox("bob@b.test", 2, 20*time.Second)[1].raw
	w.wantDKIM(t, "message after the keys", second, "rsa-sha256", "ed25519-sha256")
	records := map[string]string{rsaName: rsaTXT, edName: edTXT}
	if v := dkimpyVerdicts(t, second, records); v != "" && v != "pass pass" {
		t.Errorf("dkimpy: %q, want pass pass:\n%s", v, second)
	}
}

// TestPetrelSignedToPostfix: a message submitted with Python's smtplib
// (8-bit UTF-8 body, a leading dot, trailing white space) is signed, goes
// out through the queue to a real Postfix (8BITMIME offered: no
// conversion) and still verifies in bob's maildir, with Verify and with
// dkimpy (the maildir's LF line ends read back as CRLF, as a mail reader
// does).
func TestPetrelSignedToPostfix(t *testing.T) {
	requireEnv(t, "PETREL_INTEROP")
	py := interopTool(t, "python3")
	pf, maildir := startPostfixMailbox(t)
	_, pfPort := hostPort(t, pf.smtp)
	w := &outWorld{dns: dnstest.Start(t)}
	w.dns.Add(t, "b.test. MX 10 mx.b.test.", "mx.b.test. A 127.0.0.1")
	w.sender = newOutSite(t, "a.test", "", w.dns.Addr, pfPort, "", "alice@a.test")
	w.sender.start()
	name, txt := w.publishKey(t, "a.test")
	host, port, _ := net.SplitHostPort(w.sender.sub)
	if out, err := exec.Command(py, "-c", smtplibSigned, host, port, outPassword).CombinedOutput(); err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	var msgs []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && len(msgs) == 0; time.Sleep(200 * time.Millisecond) {
		msgs = maildirMessages(t, maildir)
	}
	if len(msgs) != 1 {
		t.Fatalf("%d message(s) in bob's maildir, want 1\npetrel log:\n%s\n%s", len(msgs), w.sender.log.String(), pf.logText())
	}
	got := []byte(strings.ReplaceAll(msgs[0], "\n", "\r\n"))
	if !bytes.Contains(got, []byte("Grüße aus Zürich")) || !bytes.Contains(got, []byte("\r\n.a line with a leading dot")) {
		t.Errorf("body changed on the way:\n%s", got)
	}
	w.wantDKIM(t, "copy received by Postfix", got, "rsa-sha256")
	if v := dkimpyVerdicts(t, got, map[string]string{name: txt}); v != "pass" {
		t.Errorf("dkimpy: %q, want pass:\n%s", v, got)
	}
}

const smtplibSigned = `
import smtplib, ssl, sys
host, port, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
msg = ("From: Alice <alice@a.test>\r\nTo: bob@b.test\r\nSubject: signed via smtplib\r\n"
       "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
       "Grüße aus Zürich   \r\n.a line with a leading dot\r\n\r\n\r\n").encode()
s = smtplib.SMTP(host, port, timeout=10)
s.starttls(context=ctx)
s.login("alice@a.test", pw)
s.sendmail("alice@a.test", ["bob@b.test"], msg, mail_options=["BODY=8BITMIME"])
s.quit()
`

// TestNewSignerFollowsConfig: dkim.sign = false gives no signer (an
// untyped nil, so that delivery and the queue see none).
func TestNewSignerFollowsConfig(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	log := slog.New(slog.DiscardHandler)
	if s := newSigner(cfg, nil, log); s == nil {
		t.Fatal("dkim.sign = true: no signer")
	}
	cfg.DKIM.Sign = false
	if s := newSigner(cfg, nil, log); s != nil {
		t.Fatalf("dkim.sign = false: signer %T", s)
	}
}
