package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
	"github.com/petrelmail/petrel/internal/testkit"
)

// recordingMX is the MX of the other domains of a scenario: it takes
// every message and records its envelope and data.
type recordingMX struct {
	addr string
	mu   sync.Mutex
	txns []recordedTxn
}

type recordedTxn struct {
	from string
	to   []string
	data string
}

func startRecordingMX(t *testing.T) *recordingMX {
	t.Helper()
	m := &recordingMX{}
	l := testkit.Listen(t)
	m.addr = l.Addr().String()
	srv := smtp.NewServer(m)
	srv.Domain = "mx.remote.test"
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return m
}

// wait returns the n-th transaction (from 1) once it has arrived.
func (m *recordingMX) wait(t *testing.T, n int, timeout time.Duration, log fmt.Stringer) recordedTxn {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		m.mu.Lock()
		if len(m.txns) >= n {
			x := m.txns[n-1]
			m.mu.Unlock()
			return x
		}
		m.mu.Unlock()
	}
	t.Fatalf("the remote MX got no message %d within %v; log:\n%s", n, timeout, log)
	return recordedTxn{}
}

// NewSession implements smtp.Backend.
func (m *recordingMX) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &recordingSession{m: m}, nil
}

type recordingSession struct {
	m   *recordingMX
	txn recordedTxn
}

func (s *recordingSession) Mail(from string, _ *smtp.MailOptions) error {
	s.txn = recordedTxn{from: from}
	return nil
}

// Rcpt refuses the local part "gone" (no such user), takes the others.
func (s *recordingSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "gone@") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.txn.to = append(s.txn.to, to)
	return nil
}

func (s *recordingSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.txn.data = string(b)
	s.m.mu.Lock()
	s.m.txns = append(s.m.txns, s.txn)
	s.m.mu.Unlock()
	return nil
}

func (s *recordingSession) Reset()        { s.txn = recordedTxn{} }
func (s *recordingSession) Logout() error { return nil }

// TestServeForwardSRS: `petrel serve` forwards mail for an alias with a
// remote target with the sender rewritten by SRS (MAIL FROM:<SRS0=...@a.test>),
// Delivered-To and our Authentication-Results on the copy; the bounce of
// the forwarded copy (null sender, to the SRS address) comes back to the
// MX and goes on to the original sender's MX; a forged SRS address is
// refused 550 5.1.1 and relays nothing. When the next hop refuses the
// forwarded copy, our own bounce reaches the original sender too.
func TestServeForwardSRS(t *testing.T) {
	t.Parallel()
	dns := dnstest.Start(t)
	remote := startRecordingMX(t)
	routes := fmt.Sprintf("[delivery.routes]\n\"remote.test\" = %q\n\"orig.test\" = %q", remote.addr, remote.addr)
	site := newOutSite(t, "a.test", "", dns.Addr, "25", routes, "alice@a.test")
	site.cli("", "alias", "add", "fwd@a.test", "x@remote.test")
	site.start()

	msg := outMessage("s@orig.test", "forward me", "fwd@a.test")
	if err := e2eSend(site.smtp, "client.orig.test", "s@orig.test", []string{"fwd@a.test"}, msg); err != nil {
		t.Fatalf("to the alias: %v", err)
	}
	fw := remote.wait(t, 1, 20*time.Second, site.log)
	if !strings.HasPrefix(fw.from, "SRS0=") || !strings.HasSuffix(fw.from, "=orig.test=s@a.test") ||
		strings.Join(fw.to, ",") != "x@remote.test" {
		t.Fatalf("forwarded: MAIL FROM:<%s> RCPT %v, want an SRS0 address of a.test for s@orig.test", fw.from, fw.to)
	}
	if !strings.HasPrefix(fw.data, "Delivered-To: fwd@a.test\r\nAuthentication-Results: mx.a.test;") ||
		!strings.Contains(fw.data, "Subject: forward me") {
		t.Fatalf("forwarded copy:\n%s", fw.data)
	}

	bounce := []byte("From: MAILER-DAEMON@mx.remote.test\r\nSubject: Undelivered Mail\r\nTo: <" + fw.from + ">\r\n\r\nx@remote.test: no such user\r\n")
	if err := e2eSend(site.smtp, "mx.remote.test", "", []string{fw.from}, bounce); err != nil {
		t.Fatalf("the bounce to %s: %v", fw.from, err)
	}
	back := remote.wait(t, 2, 20*time.Second, site.log)
	if back.from != "" || strings.Join(back.to, ",") != "s@orig.test" || !strings.Contains(back.data, "Subject: Undelivered Mail") {
		t.Fatalf("bounce relayed as MAIL FROM:<%s> RCPT %v:\n%s", back.from, back.to, back.data)
	}

	// A forged hash: refused at RCPT, nothing relayed.
	f := strings.Split(fw.from, "=")
	f[1] = strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return 'A'
	}, f[1])
	forged := strings.Join(f, "=")
	err := e2eSend(site.smtp, "mx.remote.test", "", []string{forged}, bounce)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 1, 1}) {
		t.Fatalf("forged SRS address %s: %v, want 550 5.1.1", forged, err)
	}
	// A valid SRS address from a non-null sender: not a bounce, refused
	// (550 5.7.1), nothing relayed to the original sender.
	err = e2eSend(site.smtp, "mx.remote.test", "spammer@remote.test", []string{fw.from}, bounce)
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
		t.Fatalf("SRS address %s from a non-null sender: %v, want 550 5.7.1", fw.from, err)
	}
	time.Sleep(500 * time.Millisecond)
	remote.mu.Lock()
	n := len(remote.txns)
	remote.mu.Unlock()
	if n != 2 {
		t.Fatalf("the remote MX got %d messages, want 2", n)
	}

	// The next hop refuses the forwarded copy: our queue's bounce goes
	// to the SRS sender, which is ours, and on to the original sender.
	site.cli("", "alias", "add", "fwd2@a.test", "gone@remote.test")
	msg = outMessage("s@orig.test", "forward me too", "fwd2@a.test")
	if err := e2eSend(site.smtp, "client.orig.test", "s@orig.test", []string{"fwd2@a.test"}, msg); err != nil {
		t.Fatalf("to the second alias: %v", err)
	}
	dsn := remote.wait(t, 3, 20*time.Second, site.log)
	if dsn.from != "" || strings.Join(dsn.to, ",") != "s@orig.test" || !strings.Contains(dsn.data, "report-type=delivery-status") ||
		!strings.Contains(dsn.data, "gone@remote.test") || !strings.Contains(dsn.data, "Subject: forward me too") {
		t.Fatalf("our bounce of the forwarded copy: MAIL FROM:<%s> RCPT %v:\n%s", dsn.from, dsn.to, dsn.data)
	}
}
