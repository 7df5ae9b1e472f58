package smtpd

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/testkit"
)

func serverTLS(t *testing.T) *tls.Config {
	t.Helper()
	srv, _ := testkit.TLS(t, testHost, "")
	return srv
}

func clientTLS() *tls.Config {
	return &tls.Config{ServerName: testHost, InsecureSkipVerify: true}
}

func TestSTARTTLSWithGoSMTP(t *testing.T) {
	cfg := testConfig()
	cfg.TLS = serverTLS(t)
	ts := start(t, cfg, nil)

	raw := greeted(t, ts.addr)
	if got := raw.hello(); got[len(got)-1] != "250 STARTTLS" {
		t.Fatalf("EHLO without STARTTLS: %q", got)
	}

	c, err := smtp.DialStartTLS(ts.addr, clientTLS())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Fatal("STARTTLS offered again after TLS")
	}
	if err := c.SendMail("a@example.org", []string{"b@mx.test"}, strings.NewReader("Subject: x\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	m := ts.d.messages()
	if len(m) != 1 || m[0].env.Protocol != "ESMTPS" || m[0].env.TLS == nil || m[0].env.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("envelope %+v", m[0].env)
	}
	// The version is tls_version, as on every other line (review of
	// issue 13: "version").
	if logs := ts.logs.String(); !strings.Contains(logs, "TLS started") || !strings.Contains(logs, `tls_version="TLS`) {
		t.Errorf("no TLS started line with tls_version:\n%s", logs)
	}
}

// A client that pipelines a command after STARTTLS must not have it
// executed inside the TLS session (RFC 3207 §5, CVE-2011-0411).
func TestSTARTTLSDiscardsInjectedCommands(t *testing.T) {
	cfg := testConfig()
	cfg.TLS = serverTLS(t)
	ts := start(t, cfg, nil)
	c := greeted(t, ts.addr)
	c.hello()
	c.Send("STARTTLS\r\nMAIL FROM:<evil@example.org>\r\nRCPT TO:<b@mx.test>\r\n")
	c.expect("220 2.0.0")
	if c.R.Buffered() != 0 {
		t.Fatal("server sent more than the 220")
	}
	tc := tls.Client(c.C, clientTLS())
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c = rawOn(t, tc)
	// The first reply in TLS answers our EHLO, not the injected MAIL.
	got := c.cmd("EHLO client.test", "250 ")
	if got[0] != "250-mx.test" || slices.Contains(got, "250-STARTTLS") || slices.Contains(got, "250 STARTTLS") {
		t.Fatalf("EHLO in TLS: %q", got)
	}
	c.cmd("RCPT TO:<b@mx.test>", "503 5.5.1") // no transaction was opened
	c.transaction("a@example.org", "b@mx.test")
	c.data("x\r\n.\r\n")
	m := ts.d.messages()
	if len(m) != 1 || m[0].env.From.String() != "a@example.org" || m[0].env.Helo != "client.test" {
		t.Fatalf("messages %+v", m)
	}
	if !strings.Contains(ts.logs.String(), "discarding input pipelined after STARTTLS") {
		t.Fatal("the discard was not logged")
	}
}

func TestSTARTTLSResetsState(t *testing.T) {
	cfg := testConfig()
	cfg.TLS = serverTLS(t)
	ts := start(t, cfg, nil)
	c := greeted(t, ts.addr)
	c.hello()
	c.cmd("MAIL FROM:<a@example.org>", "250 ")
	c.cmd("STARTTLS x", "501 5.5.4")
	c.cmd("STARTTLS", "220 ")
	tc := tls.Client(c.C, clientTLS())
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c = rawOn(t, tc)
	c.cmd("MAIL FROM:<a@example.org>", "503 5.5.1") // EHLO forgotten
	c.hello()
	c.cmd("STARTTLS", "503 5.5.1")
	c.cmd("MAIL FROM:<a@example.org>", "250 ") // the old transaction is gone
}

func TestImplicitTLS(t *testing.T) {
	cfg := testConfig()
	cfg.TLS = serverTLS(t)
	cfg.ImplicitTLS = true
	ts := start(t, cfg, nil)
	c, err := smtp.DialTLS(ts.addr, clientTLS())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("a@example.org", []string{"b@mx.test"}, strings.NewReader("hi\r\n")); err != nil {
		t.Fatal(err)
	}
	if m := ts.d.messages(); len(m) != 1 || m[0].env.Protocol != "ESMTPS" {
		t.Fatalf("messages %+v", m)
	}
}
