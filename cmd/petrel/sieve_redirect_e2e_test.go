package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

// newRedirectSite is a site for a.test whose remote.test and orig.test
// (the original senders' domain) are the recording MX; each script is the
// active Sieve script of its account (installed with `petrel sieve put`
// and `activate`, as an account would). The site is started.
func newRedirectSite(t *testing.T, scripts map[string]string) (*outSite, *recordingMX) {
	t.Helper()
	dns := dnstest.Start(t)
	remote := startRecordingMX(t)
	routes := fmt.Sprintf("[delivery.routes]\n\"remote.test\" = %q\n\"orig.test\" = %q", remote.addr, remote.addr)
	site := newOutSite(t, "a.test", "", dns.Addr, "25", routes, "alice@a.test", "bob@a.test")
	for addr, script := range scripts {
		site.cli(script, "sieve", "put", addr, "main")
		site.cli("", "sieve", "activate", addr, "main")
	}
	site.start()
	return site, remote
}

// inboxes counts the messages in the INBOX of each address.
func (s *outSite) inboxes(addrs ...string) []int {
	s.t.Helper()
	got := e2eReadInboxes(s.t, s.dataDir, addrs)
	n := make([]int, len(addrs))
	for i, a := range addrs {
		n[i] = len(got[a])
	}
	return n
}

// settledCount is the number of transactions the recording MX took, read
// after a pause for anything queued to arrive (the retry is 1 s).
func (m *recordingMX) settledCount() int {
	time.Sleep(1500 * time.Millisecond)
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.txns)
}

// TestServeSieveRedirectSRS: a Sieve redirect through `petrel serve` goes
// to the remote MX from an SRS0 sender of a.test, with Delivered-To
// naming the account and our Authentication-Results; without :copy the
// account keeps nothing, with :copy it keeps the message; the remote's
// bounce of the redirected copy (null sender, to the SRS address) goes
// on to the original sender's MX.
func TestServeSieveRedirectSRS(t *testing.T) {
	t.Parallel()
	site, remote := newRedirectSite(t, map[string]string{
		"alice@a.test": `redirect "x@remote.test";`,
		"bob@a.test":   `require "copy"; redirect :copy "y@remote.test";`,
	})

	if err := e2eSend(site.smtp, "client.orig.test", "s@orig.test", []string{"alice@a.test"},
		outMessage("s@orig.test", "redirect me", "alice@a.test")); err != nil {
		t.Fatalf("to alice: %v", err)
	}
	fw := remote.wait(t, 1, 20*time.Second, site.log)
	if !strings.HasPrefix(fw.from, "SRS0=") || !strings.HasSuffix(fw.from, "=orig.test=s@a.test") ||
		strings.Join(fw.to, ",") != "x@remote.test" {
		t.Fatalf("redirected: MAIL FROM:<%s> RCPT %v, want an SRS0 address of a.test for s@orig.test to x@remote.test", fw.from, fw.to)
	}
	if !strings.HasPrefix(fw.data, "Delivered-To: alice@a.test\r\nAuthentication-Results: mx.a.test;") ||
		!strings.Contains(fw.data, "Subject: redirect me") || strings.Contains(fw.data, "Return-Path:") {
		t.Fatalf("redirected copy:\n%s", fw.data)
	}

	if err := e2eSend(site.smtp, "client.orig.test", "s@orig.test", []string{"bob@a.test"},
		outMessage("s@orig.test", "copy me", "bob@a.test")); err != nil {
		t.Fatalf("to bob: %v", err)
	}
	cp := remote.wait(t, 2, 20*time.Second, site.log)
	if !strings.HasSuffix(cp.from, "=orig.test=s@a.test") || strings.Join(cp.to, ",") != "y@remote.test" ||
		!strings.HasPrefix(cp.data, "Delivered-To: bob@a.test\r\nAuthentication-Results: mx.a.test;") ||
		!strings.Contains(cp.data, "Subject: copy me") {
		t.Fatalf("redirect :copy: MAIL FROM:<%s> RCPT %v:\n%s", cp.from, cp.to, cp.data)
	}
	// Delivery is done when DATA is answered: the INBOXes are final.
	if n := site.inboxes("alice@a.test", "bob@a.test"); n[0] != 0 || n[1] != 1 {
		t.Fatalf("INBOX alice %d (redirect: want 0), bob %d (redirect :copy: want 1)", n[0], n[1])
	}
	if kept := site.waitInbox("bob@a.test", 1, time.Second)[0].raw; !strings.Contains(string(kept), "Subject: copy me") {
		t.Fatalf("bob's copy:\n%s", kept)
	}

	bounce := []byte("From: MAILER-DAEMON@mx.remote.test\r\nSubject: Undelivered Mail\r\nTo: <" + fw.from + ">\r\n\r\nx@remote.test: mailbox full\r\n")
	if err := e2eSend(site.smtp, "mx.remote.test", "", []string{fw.from}, bounce); err != nil {
		t.Fatalf("the bounce to %s: %v", fw.from, err)
	}
	back := remote.wait(t, 3, 20*time.Second, site.log)
	if back.from != "" || strings.Join(back.to, ",") != "s@orig.test" || !strings.Contains(back.data, "Subject: Undelivered Mail") {
		t.Fatalf("bounce relayed as MAIL FROM:<%s> RCPT %v:\n%s", back.from, back.to, back.data)
	}
	if n := site.inboxes("alice@a.test"); n[0] != 0 {
		t.Fatalf("the bounce went to alice's INBOX too (%d)", n[0])
	}
}

// TestServeSieveRedirectLoop: alice redirects to bob and bob to alice.
// The message goes alice -> bob -> alice and stops there, cut by the
// Delivered-To field naming alice: the loop is an error of alice's
// redirect (RFC 5228 §4.2), so her script's implicit keep stores it (RFC
// 5228 §2.10.6) and it is not lost; bob keeps nothing, nothing goes to
// the queue, and the log says loop.
func TestServeSieveRedirectLoop(t *testing.T) {
	t.Parallel()
	site, remote := newRedirectSite(t, map[string]string{
		"alice@a.test": `redirect "bob@a.test";`,
		"bob@a.test":   `redirect "alice@a.test";`,
	})
	if err := e2eSend(site.smtp, "client.orig.test", "s@orig.test", []string{"alice@a.test"},
		outMessage("s@orig.test", "round and round", "alice@a.test")); err != nil {
		t.Fatalf("to alice: %v", err)
	}
	if n := site.inboxes("alice@a.test", "bob@a.test"); n[0] != 1 || n[1] != 0 {
		t.Fatalf("INBOX alice %d (want 1: the second pass keeps it), bob %d (want 0)\nlog:\n%s", n[0], n[1], site.log)
	}
	kept := string(site.waitInbox("alice@a.test", 1, time.Second)[0].raw)
	b, a := strings.Index(kept, "\r\nDelivered-To: bob@a.test\r\n"), strings.Index(kept, "\r\nDelivered-To: alice@a.test\r\n")
	if strings.Count(kept, "Delivered-To: ") != 2 || b < 0 || a < b || !strings.Contains(kept, "Subject: round and round") {
		t.Fatalf("alice's copy: want it through alice then bob:\n%s", kept)
	}
	if l := site.log.String(); !strings.Contains(l, `msg="sieve: redirect not done; message kept" component=sieve account=alice@a.test via=alice@a.test reason="it came through here already (loop)"`) {
		t.Fatalf("the loop is not logged:\n%s", l)
	}
	if out := site.cli("", "queue", "list"); !strings.Contains(out, "queue is empty") {
		t.Fatalf("queued:\n%s", out)
	}
	if n := remote.settledCount(); n != 0 {
		t.Fatalf("the remote MX got %d messages", n)
	}
}

// TestServeForwardRemoteLoop: a message that comes back to an alias with
// a remote target, carrying Delivered-To: <alias> already, is refused
// 550 5.4.6 (one recipient: at DATA) and not forwarded again.
func TestServeForwardRemoteLoop(t *testing.T) {
	t.Parallel()
	dns := dnstest.Start(t)
	remote := startRecordingMX(t)
	site := newOutSite(t, "a.test", "", dns.Addr, "25", fmt.Sprintf("[delivery.routes]\n\"remote.test\" = %q", remote.addr), "alice@a.test")
	site.cli("", "alias", "add", "fwd@a.test", "x@remote.test")
	site.start()

	msg := append([]byte("Delivered-To: fwd@a.test\r\nReceived: from mx.remote.test\r\n"), outMessage("s@orig.test", "back again", "fwd@a.test")...)
	err := e2eSend(site.smtp, "mx.remote.test", "s@orig.test", []string{"fwd@a.test"}, msg)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 4, 6}) {
		t.Fatalf("a message back through fwd@a.test: %v, want 550 5.4.6", err)
	}
	if l := site.log.String(); !strings.Contains(l, "forwarding loop refused") {
		t.Fatalf("the loop is not logged:\n%s", l)
	}
	if out := site.cli("", "queue", "list"); !strings.Contains(out, "queue is empty") {
		t.Fatalf("queued:\n%s", out)
	}
	if n := remote.settledCount(); n != 0 {
		t.Fatalf("the remote MX got %d messages", n)
	}
}

// TestServeSieveRedirectLocal: a redirect to one of our addresses is
// delivered straight to that mailbox (a local transaction, the original
// sender kept, no SRS), not through the queue.
func TestServeSieveRedirectLocal(t *testing.T) {
	t.Parallel()
	site, remote := newRedirectSite(t, map[string]string{"alice@a.test": `redirect "bob@a.test";`})
	if err := e2eSend(site.smtp, "client.orig.test", "s@orig.test", []string{"alice@a.test"},
		outMessage("s@orig.test", "for bob", "alice@a.test")); err != nil {
		t.Fatalf("to alice: %v", err)
	}
	if n := site.inboxes("alice@a.test", "bob@a.test"); n[0] != 0 || n[1] != 1 {
		t.Fatalf("INBOX alice %d (want 0), bob %d (want 1), at the end of DATA", n[0], n[1])
	}
	got := string(site.waitInbox("bob@a.test", 1, time.Second)[0].raw)
	if !strings.HasPrefix(got, "Return-Path: <s@orig.test>\r\nReceived: from mx.a.test (local socket)") ||
		!strings.Contains(got, "\r\nDelivered-To: alice@a.test\r\nAuthentication-Results: mx.a.test;") ||
		strings.Count(got, "Return-Path:") != 1 || !strings.Contains(got, "Subject: for bob") {
		t.Fatalf("bob's copy:\n%s", got)
	}
	if l := site.log.String(); !strings.Contains(l, "delivered a policy's message locally") {
		t.Fatalf("no local delivery logged:\n%s", l)
	}
	if out := site.cli("", "queue", "list"); !strings.Contains(out, "queue is empty") {
		t.Fatalf("queued:\n%s", out)
	}
	if n := remote.settledCount(); n != 0 {
		t.Fatalf("the remote MX got %d messages", n)
	}
}
