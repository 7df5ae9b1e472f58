package smtpd

import (
	"crypto/tls"
	"slices"
	"testing"
)

// TestRequireTLS: REQUIRETLS (RFC 8689 §2) is offered only in a TLS
// session, refused with 530 5.7.10 outside one (and the transaction not
// opened), and accepted after STARTTLS, where it reaches the envelope.
func TestRequireTLS(t *testing.T) {
	cfg := testConfig()
	cfg.TLS = serverTLS(t)
	ts := start(t, cfg, nil)
	c := greeted(t, ts.addr)
	if got := c.hello(); hasKeyword(got, "REQUIRETLS") {
		t.Fatalf("REQUIRETLS offered without TLS: %q", got)
	}
	c.cmd("MAIL FROM:<a@example.org> REQUIRETLS", "530 5.7.10")
	c.cmd("RCPT TO:<b@mx.test>", "503 5.5.1") // no transaction
	c.transaction("plain@example.org", "b@mx.test")
	c.data("x\r\n.\r\n")
	c.cmd("STARTTLS", "220 ")
	tc := tls.Client(c.C, clientTLS())
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c = rawOn(t, tc)
	if got := c.hello(); !hasKeyword(got, "REQUIRETLS") {
		t.Fatalf("REQUIRETLS not offered under TLS: %q", got)
	}
	c.cmd("MAIL FROM:<a@example.org> REQUIRETLS=yes", "501 5.5.4")
	c.cmd("MAIL FROM:<a@example.org> requiretls", "250 2.1.0")
	c.cmd("RCPT TO:<b@mx.test>", "250 ")
	c.data("x\r\n.\r\n")
	c.transaction("c@example.org", "b@mx.test")
	c.data("x\r\n.\r\n")
	m := ts.d.messages()
	if len(m) != 3 {
		t.Fatalf("%d messages, want 3", len(m))
	}
	for i, want := range []bool{false, true, false} {
		if m[i].env.RequireTLS != want {
			t.Errorf("message %d (from %s): RequireTLS = %v, want %v", i, m[i].env.From, m[i].env.RequireTLS, want)
		}
	}
}

// TestRequireTLSImplicit: on an implicit-TLS listener (465) REQUIRETLS is
// offered from the first EHLO.
func TestRequireTLSImplicit(t *testing.T) {
	cfg := testConfig()
	cfg.TLS = serverTLS(t)
	cfg.ImplicitTLS = true
	ts := start(t, cfg, nil)
	conn, err := tls.Dial("tcp", ts.addr, clientTLS())
	if err != nil {
		t.Fatal(err)
	}
	c := rawOn(t, conn)
	c.expect("220 ")
	if got := c.hello(); !hasKeyword(got, "REQUIRETLS") {
		t.Fatalf("REQUIRETLS not offered on implicit TLS: %q", got)
	}
	c.cmd("MAIL FROM:<a@example.org> REQUIRETLS", "250 ")
}

// hasKeyword reports whether an EHLO reply lists the keyword kw.
func hasKeyword(reply []string, kw string) bool {
	return slices.ContainsFunc(reply, func(l string) bool { return len(l) > 4 && l[4:] == kw })
}
