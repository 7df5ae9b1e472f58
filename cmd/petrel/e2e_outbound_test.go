package main

// Scenario tests of submission and outbound delivery (issue 4): two Petrel
// servers run in this process on loopback, a sender for a.test and a
// "remote" for b.test, with a dnstest server answering the MX and address
// queries of the sender's outbound client (dns.servers) and every MX on the
// remote's SMTP port (delivery.remote_port). Most of them wait for queue
// retries and run with PETREL_HEAVY=1.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/certs"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/testkit"
)

const outPassword = "outbound-secret"

// outSite is one Petrel server run in-process by `petrel serve`: MX and
// submission listeners on loopback, a short retry schedule, dns.servers
// pointing at the test's DNS server.
type outSite struct {
	t               *testing.T
	domain          string
	config, dataDir string
	smtp, sub, http string
	log             *testkit.LogBuffer
	cancel          context.CancelFunc
	done            chan int
}

// newOutSite writes the configuration of a site for domain, whose MX
// listens on smtpAddr (testkit.FreeAddr when ""), with delivery.remote_port
// remotePort; delivery is appended to the [delivery] table (it may open
// [delivery.routes] last). The domain and users are created; the server is
// not started.
func newOutSite(t *testing.T, domain, smtpAddr, dnsAddr, remotePort, delivery string, users ...string) *outSite {
	t.Helper()
	if smtpAddr == "" {
		smtpAddr = testkit.FreeAddr(t)
	}
	dir := t.TempDir()
	s := &outSite{t: t, domain: domain, config: filepath.Join(dir, "petrel.toml"), dataDir: filepath.Join(dir, "data"),
		smtp: smtpAddr, sub: testkit.FreeAddr(t), http: testkit.FreeAddr(t), log: &testkit.LogBuffer{}}
	cfg := fmt.Sprintf(`hostname = "mx.%s"
data_dir = %q
[listen]
smtp = [%q]
submission = [%q]
submissions = []
imap = []
imaps = []
pop3 = []
pop3s = []
http = [%q]
[dns]
servers = [%q]
[log]
level = "info"
[delivery]
remote_port = %s
retry = ["1s"]
%s
`, domain, s.dataDir, s.smtp, s.sub, s.http, dnsAddr, remotePort, delivery)
	if err := os.WriteFile(s.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s.cli("", "domain", "add", domain)
	for _, u := range users {
		if !strings.HasSuffix(u, "@"+domain) {
			s.cli("", "domain", "add", u[strings.IndexByte(u, '@')+1:])
		}
		s.cli(outPassword+"\n", "user", "add", u, "--password-stdin")
	}
	t.Cleanup(s.stop)
	return s
}

// cli runs a command of the binary on the site's configuration, which must
// succeed, and returns its standard output.
func (s *outSite) cli(stdin string, args ...string) string {
	s.t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), append(args, "--config", s.config), strings.NewReader(stdin), &out, &errb); code != 0 {
		s.t.Fatalf("petrel %s (%s): exit %d\n%s", strings.Join(args, " "), s.domain, code, errb.String())
	}
	return out.String()
}

// start runs `petrel serve` until stop and waits for its listeners.
func (s *outSite) start() {
	s.t.Helper()
	noDemoListeners(s.t, s.config)
	ready := make(chan struct{}, 1)
	a := &app{stdin: strings.NewReader(""), stdout: s.log, stderr: s.log,
		onReady: func([]net.Addr) { ready <- struct{}{} }}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan int, 1)
	go func(done chan int) { done <- a.run(ctx, []string{"serve", "--config", s.config}) }(s.done)
	select {
	case <-ready:
	case code := <-s.done:
		s.cancel = nil
		s.t.Fatalf("serve (%s) exited with %d:\n%s", s.domain, code, s.log.String())
	case <-time.After(30 * time.Second):
		s.t.Fatalf("serve (%s) did not start:\n%s", s.domain, s.log.String())
	}
}

// stop shuts the server down (a no-op when it does not run).
func (s *outSite) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case code := <-s.done:
		if code != 0 {
			s.t.Errorf("serve (%s) exited with %d:\n%s", s.domain, code, s.log.String())
		}
	case <-time.After(20 * time.Second):
		s.t.Errorf("serve (%s) did not stop within 20 s", s.domain)
	}
}

// waitInbox waits until the INBOX of addr holds n messages and returns them.
func (s *outSite) waitInbox(addr string, n int, timeout time.Duration) []e2eMessage {
	s.t.Helper()
	var msgs []e2eMessage
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if msgs = e2eReadInboxes(s.t, s.dataDir, []string{addr})[addr]; len(msgs) >= n {
			return msgs
		}
	}
	s.t.Fatalf("%s: %d message(s) in the INBOX of %s after %v, want %d\nqueue:\n%s\nlog:\n%s",
		s.domain, len(msgs), addr, timeout, n, s.cli("", "queue", "list"), s.log.String())
	return nil
}

// submit sends a message through the site's submission listener: EHLO,
// STARTTLS, AUTH PLAIN as user, then the transaction.
func (s *outSite) submit(user, password string, to []string, msg []byte) error {
	return e2eSubmit(s.sub, user, password, to, msg)
}

// e2eSubmit sends a message through the submission listener at addr:
// EHLO, STARTTLS, AUTH PLAIN as user, then the transaction.
func e2eSubmit(addr, user, password string, to []string, msg []byte) error {
	c, err := smtp.DialStartTLS(addr, insecureTLS())
	if err != nil {
		return fmt.Errorf("EHLO and STARTTLS: %w", err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", user, password)); err != nil {
		return fmt.Errorf("AUTH: %w", err)
	}
	if err := e2eTransaction(c, user, to, msg); err != nil {
		return err
	}
	return c.Quit()
}

// outMessage is a message from "from" to the recipients with a subject.
func outMessage(from, subject string, to ...string) []byte {
	return []byte(fmt.Sprintf("From: <%s>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s.%d@client.test>\r\n\r\n"+
		"Body of %s.\r\n", from, strings.Join(to, ", "), subject, strings.ReplaceAll(subject, " ", "-"),
		time.Now().UnixNano(), subject))
}

// outWorld is a DNS server with b.test's MX on loopback, a sender site
// for a.test (alice) and a remote site for b.test (bob) whose MX listens
// on the port of the MX records. Neither is started.
type outWorld struct {
	dns            *dnstest.Server
	sender, remote *outSite
}

func newOutWorld(t *testing.T, senderDelivery, remoteDelivery string) *outWorld {
	t.Helper()
	dns := dnstest.Start(t)
	dns.Add(t, "b.test. MX 10 mx.b.test.", "mx.b.test. A 127.0.0.1", "nullmx.test. MX 0 .")
	remoteSMTP := testkit.FreeAddr(t)
	_, port, _ := net.SplitHostPort(remoteSMTP)
	w := &outWorld{dns: dns}
	w.remote = newOutSite(t, "b.test", remoteSMTP, dns.Addr, port, remoteDelivery, "bob@b.test")
	w.sender = newOutSite(t, "a.test", "", dns.Addr, port, senderDelivery, "alice@a.test")
	return w
}

// wantTrace checks that a message has a Received field containing each of
// the strings.
func wantTrace(t *testing.T, raw []byte, wants ...string) {
	t.Helper()
	trace, _, err := e2eSplitTrace(raw)
	if err != nil {
		t.Fatalf("%v:\n%s", err, raw)
	}
	unfolded := strings.Join(strings.Fields(string(raw[:len(trace)])), " ")
	for _, w := range wants {
		if !strings.Contains(unfolded, w) {
			t.Errorf("trace lacks %q:\n%s", w, raw)
		}
	}
}

// wantBounce checks that msg is a delivery status notification with the
// fields wants (e.g. "Status: 5.1.1").
func wantBounce(t *testing.T, raw []byte, wants ...string) {
	t.Helper()
	s := string(raw)
	for _, w := range append([]string{"Return-Path: <>", "Content-Type: multipart/report; report-type=delivery-status",
		"Content-Type: message/delivery-status", "Reporting-MTA: dns; mx.a.test", "Action: failed"}, wants...) {
		if !strings.Contains(s, w) {
			t.Errorf("report lacks %q:\n%s", w, s)
		}
	}
}

// TestOutboundDelivery: submission (AUTH over STARTTLS) → queue → the
// remote's MX (STARTTLS) → bob's INBOX.
func TestOutboundDelivery(t *testing.T) {
	t.Parallel()
	w := newOutWorld(t, "", "")
	w.remote.start()
	w.sender.start()
	msg := outMessage("alice@a.test", "hello bob", "bob@b.test")
	if err := w.sender.submit("alice@a.test", outPassword, []string{"bob@b.test"}, msg); err != nil {
		t.Fatalf("submission: %v", err)
	}
	got := w.remote.waitInbox("bob@b.test", 1, 20*time.Second)
	raw := got[0].raw
	// The remote's Received: from the sender's EHLO name, over TLS; the
	// sender's own Received (authenticated submission over TLS) follows.
	wantTrace(t, raw, "Return-Path: <alice@a.test>", "from mx.a.test", "by mx.b.test", "with ESMTPS")
	if !strings.Contains(string(raw), "with ESMTPSA") || !strings.Contains(string(raw), "by mx.a.test") {
		t.Errorf("no Received of the submission (by mx.a.test with ESMTPSA):\n%s", raw)
	}
	if !bytes.HasSuffix(raw, msg[bytes.Index(msg, []byte("\r\n\r\n")):]) || !bytes.Contains(raw, []byte("Subject: hello bob")) {
		t.Errorf("message changed on the way:\n%s", raw)
	}
	waitQueue(t, w.sender, "queue is empty", 10*time.Second)
	if log := w.sender.log.String(); !strings.Contains(log, "tls=true") {
		t.Errorf("no delivery attempt logged with tls=true:\n%s", log)
	}
	// The session is counted for b.test's TLS report (RFC 8460): the
	// counts reach the store at the latest when the server stops.
	w.sender.stop()
	st := testkit.OpenStore(t, w.sender.dataDir)
	defer st.Close()
	keys, err := st.KVList(context.Background(), "tlsrpt/day/")
	if err != nil || len(keys) != 1 || !strings.Contains(keys[0].Key, "/b.test/") {
		t.Fatalf("TLS report entries %+v (%v), want one for b.test", keys, err)
	}
	v, err := st.KVLoad(context.Background(), keys[0].Key)
	if err != nil || !strings.Contains(string(v), `"type":"no-policy-found"`) || !strings.Contains(string(v), `"success":1`) {
		t.Errorf("b.test's TLS report entry %s (%v), want one successful session without a policy", v, err)
	}
}

// TestSubmissionAuthFailures: bad credentials get 535 5.7.8; MAIL without
// AUTH 530 5.7.0; a sender that is not the account's 553 5.7.1.
func TestSubmissionAuthFailures(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY") // failed logins are slowed down
	t.Parallel()
	w := newOutWorld(t, "", "")
	w.sender.start()
	var se *smtp.SMTPError
	err := w.sender.submit("alice@a.test", "wrong-password", []string{"bob@b.test"}, outMessage("alice@a.test", "x", "bob@b.test"))
	if !errors.As(err, &se) || se.Code != 535 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 8}) {
		t.Errorf("wrong password: %v, want 535 5.7.8", err)
	}
	err = w.sender.submit("nobody@a.test", outPassword, []string{"bob@b.test"}, outMessage("nobody@a.test", "x", "bob@b.test"))
	if !errors.As(err, &se) || se.Code != 535 {
		t.Errorf("unknown user: %v, want 535", err)
	}
	c, err := smtp.DialStartTLS(w.sender.sub, insecureTLS())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("alice@a.test", nil); !errors.As(err, &se) || se.Code != 530 {
		t.Errorf("MAIL without AUTH: %v, want 530", err)
	}
	must(t, c.Auth(sasl.NewPlainClient("", "alice@a.test", outPassword)))
	if err := c.Mail("mallory@b.test", nil); !errors.As(err, &se) || se.Code != 553 {
		t.Errorf("MAIL FROM another's address: %v, want 553", err)
	}
}

// TestOutboundRetryAfterRemoteDown: the remote is down at the first
// attempt; once it runs, the next retry delivers.
func TestOutboundRetryAfterRemoteDown(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	t.Parallel()
	w := newOutWorld(t, "", "")
	w.sender.start()
	must(t, w.sender.submit("alice@a.test", outPassword, []string{"bob@b.test"}, outMessage("alice@a.test", "late", "bob@b.test")))
	waitQueue(t, w.sender, "deferred", 20*time.Second)
	w.remote.start()
	got := w.remote.waitInbox("bob@b.test", 1, 30*time.Second)
	wantTrace(t, got[0].raw, "with ESMTPS")
	if msgs := e2eReadInboxes(t, w.sender.dataDir, []string{"alice@a.test"})["alice@a.test"]; len(msgs) != 0 {
		t.Errorf("alice got %d message(s) (a delay report?):\n%s", len(msgs), msgs[0].raw)
	}
}

// firstQueued is the queue ID of the first message of `petrel queue
// list`, below the header row.
func firstQueued(list string) string {
	return strings.Fields(strings.SplitN(list, "\n", 3)[1])[0]
}

// waitQueue waits until `petrel queue list` of s shows want and returns it.
func waitQueue(t *testing.T, s *outSite, want string, timeout time.Duration) string {
	t.Helper()
	var out string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if out = s.cli("", "queue", "list"); strings.Contains(out, want) {
			return out
		}
	}
	t.Fatalf("queue list never showed %q:\n%s\nlog:\n%s", want, out, s.log.String())
	return ""
}

// TestOutboundBounceUnknownRecipient: the remote refuses a recipient at
// RCPT (550 5.1.1); alice gets a report for it, bob the message.
func TestOutboundBounceUnknownRecipient(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	t.Parallel()
	w := newOutWorld(t, "", "")
	w.remote.start()
	w.sender.start()
	to := []string{"bob@b.test", "nobody@b.test"}
	must(t, w.sender.submit("alice@a.test", outPassword, to, outMessage("alice@a.test", "half lost", to...)))
	w.remote.waitInbox("bob@b.test", 1, 20*time.Second)
	got := w.sender.waitInbox("alice@a.test", 1, 20*time.Second)
	wantBounce(t, got[0].raw, "Final-Recipient: rfc822; nobody@b.test", "Status: 5.1.1",
		"Remote-MTA: dns; mx.b.test", "Diagnostic-Code: smtp; 550 5.1.1", "Subject: half lost")
	if strings.Contains(string(got[0].raw), "Final-Recipient: rfc822; bob@b.test") {
		t.Errorf("the report names the delivered recipient:\n%s", got[0].raw)
	}
}

// TestOutboundBounceAtExpiry: the remote never answers; after
// max_queue_time the message is returned.
func TestOutboundBounceAtExpiry(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	t.Parallel()
	w := newOutWorld(t, `max_queue_time = "2s"`, "")
	w.sender.start()
	must(t, w.sender.submit("alice@a.test", outPassword, []string{"bob@b.test"}, outMessage("alice@a.test", "too late", "bob@b.test")))
	got := w.sender.waitInbox("alice@a.test", 1, 30*time.Second)
	wantBounce(t, got[0].raw, "Final-Recipient: rfc822; bob@b.test", "Status: 5.4.", "Diagnostic-Code: ")
	if out := w.sender.cli("", "queue", "list"); !strings.Contains(out, "queue is empty") {
		t.Errorf("queue after the bounce:\n%s", out)
	}
}

// TestOutboundNullMX: a domain with a null MX (RFC 7505) bounces at once
// with 5.1.10.
func TestOutboundNullMX(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	t.Parallel()
	w := newOutWorld(t, "", "")
	w.sender.start()
	must(t, w.sender.submit("alice@a.test", outPassword, []string{"carol@nullmx.test"}, outMessage("alice@a.test", "void", "carol@nullmx.test")))
	got := w.sender.waitInbox("alice@a.test", 1, 20*time.Second)
	wantBounce(t, got[0].raw, "Final-Recipient: rfc822; carol@nullmx.test", "Status: 5.1.10")
}

// TestOutboundRelayhost: all mail goes to the remote's submission
// listener as smarthost, with AUTH (over STARTTLS, required with
// credentials). The relay account is alice@a.test on the remote too (the
// submission sender rule: the envelope sender must be the account's).
func TestOutboundRelayhost(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	t.Parallel()
	dns := dnstest.Start(t) // no records: the relay host is the only way out
	remote := newOutSite(t, "b.test", "", dns.Addr, "25", "", "bob@b.test", "alice@a.test")
	// The credentials go only to a relay host whose certificate is
	// trusted: the remote's self-signed one (made at its start, valid for
	// 127.0.0.1) through delivery.tls_ca_file.
	sender := newOutSite(t, "a.test", "", dns.Addr, "25", fmt.Sprintf(
		"relayhost = %q\nrelay_user = \"alice@a.test\"\nrelay_password = %q\ntls_ca_file = %q", remote.sub, outPassword,
		filepath.Join(certs.Dir(remote.dataDir), certs.CertFile)), "alice@a.test")
	remote.start()
	sender.start()
	must(t, sender.submit("alice@a.test", outPassword, []string{"bob@b.test"}, outMessage("alice@a.test", "via relay", "bob@b.test")))
	got := remote.waitInbox("bob@b.test", 1, 20*time.Second)
	wantTrace(t, got[0].raw, "from mx.a.test", "by mx.b.test", "with ESMTPSA")
}

// TestOutboundRoutes: [delivery.routes] sends a domain without DNS
// records to a fixed host:port.
func TestOutboundRoutes(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	t.Parallel()
	dns := dnstest.Start(t)
	remote := newOutSite(t, "b.test", "", dns.Addr, "25", "", "carol@c.test")
	sender := newOutSite(t, "a.test", "", dns.Addr, "25",
		fmt.Sprintf("[delivery.routes]\n\"c.test\" = %q", remote.smtp), "alice@a.test")
	remote.start()
	sender.start()
	must(t, sender.submit("alice@a.test", outPassword, []string{"carol@c.test"}, outMessage("alice@a.test", "routed", "carol@c.test")))
	got := remote.waitInbox("carol@c.test", 1, 20*time.Second)
	wantTrace(t, got[0].raw, "from mx.a.test", "with ESMTPS")
}

// TestOutboundQueueCLI: `petrel queue list/show/retry/delete` on a message
// waiting for a remote that is down.
func TestOutboundQueueCLI(t *testing.T) {
	requireEnv(t, "PETREL_HEAVY")
	t.Parallel()
	w := newOutWorld(t, "", "")
	// A long retry interval: only `queue retry` brings the next attempt.
	cfg, err := os.ReadFile(w.sender.config)
	must(t, err)
	must(t, os.WriteFile(w.sender.config, bytes.Replace(cfg, []byte(`retry = ["1s"]`), []byte(`retry = ["1h"]`), 1), 0o644))
	w.sender.start()
	must(t, w.sender.submit("alice@a.test", outPassword, []string{"bob@b.test"}, outMessage("alice@a.test", "queued", "bob@b.test")))
	list := waitQueue(t, w.sender, "deferred", 20*time.Second)
	id := firstQueued(list)
	if !strings.Contains(list, "<alice@a.test>") || !strings.Contains(list, "bob@b.test") {
		t.Errorf("queue list:\n%s", list)
	}
	show := w.sender.cli("", "queue", "show", id)
	for _, want := range []string{id, "<alice@a.test>", "deferred  bob@b.test", "attempts 1", "next "} {
		if !strings.Contains(show, want) {
			t.Errorf("queue show lacks %q:\n%s", want, show)
		}
	}
	w.remote.start()
	if out := w.sender.cli("", "queue", "retry", id); !strings.Contains(out, "1 deferred or held recipient(s) due now") {
		t.Errorf("queue retry: %s", out)
	}
	w.remote.waitInbox("bob@b.test", 1, 20*time.Second)
	waitQueue(t, w.sender, "queue is empty", 10*time.Second)

	// A second message while the remote is down again, deleted: no report.
	w.remote.stop()
	must(t, w.sender.submit("alice@a.test", outPassword, []string{"bob@b.test"}, outMessage("alice@a.test", "dropped", "bob@b.test")))
	id = firstQueued(waitQueue(t, w.sender, "deferred", 20*time.Second))
	if out := w.sender.cli("", "queue", "delete", id); out != "deleted "+id+"\n" {
		t.Errorf("queue delete: %q", out)
	}
	if out := w.sender.cli("", "queue", "list"); !strings.Contains(out, "queue is empty") {
		t.Errorf("queue list after delete:\n%s", out)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"queue", "show", id, "--config", w.sender.config}, strings.NewReader(""), &out, &errb); code == 0 {
		t.Errorf("queue show of a deleted message succeeded:\n%s", out.String())
	}
	time.Sleep(time.Second)
	if msgs := e2eReadInboxes(t, w.sender.dataDir, []string{"alice@a.test"})["alice@a.test"]; len(msgs) != 0 {
		t.Errorf("alice got a report after queue delete:\n%s", msgs[0].raw)
	}
}
