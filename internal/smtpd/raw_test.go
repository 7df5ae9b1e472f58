package smtpd

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

func TestGreetingAndEHLO(t *testing.T) {
	ts := start(t, testConfig(), nil)
	c := dialRaw(t, "tcp", ts.addr)
	if got := c.reply(); !slices.Equal(got, []string{"220 mx.test ESMTP Petrel"}) {
		t.Fatalf("greeting %q", got)
	}
	want := []string{
		"250-mx.test", "250-PIPELINING", "250-SIZE 10000", "250-8BITMIME", "250-SMTPUTF8",
		"250-ENHANCEDSTATUSCODES", "250-CHUNKING", "250 DSN",
	}
	if got := c.hello(); !slices.Equal(got, want) {
		t.Fatalf("EHLO:\n got %q\nwant %q", got, want)
	}
	if got := c.cmd("HELO client.test", "250 "); !slices.Equal(got, []string{"250 mx.test"}) {
		t.Fatalf("HELO %q", got)
	}
	c.cmd("LHLO client.test", "500 5.5.2")
	c.cmd("EHLO", "501 5.5.4")
	c.cmd("QUIT", "221 2.0.0")
	c.EOF()
}

func TestHeloRequired(t *testing.T) {
	ts := start(t, testConfig(), nil)
	c := greeted(t, ts.addr)
	c.cmd("MAIL FROM:<a@example.org>", "503 5.5.1")
	c.cmd("RCPT TO:<b@example.org>", "503 5.5.1")
	c.cmd("DATA", "503 5.5.1")
	c.cmd("HELO client.test", "250 ")
	c.transaction("a@example.org", "b@mx.test")
	c.cmd("MAIL FROM:<a@example.org>", "503 5.5.1") // nested
	c.cmd("RSET", "250 2.0.0")
	c.cmd("RCPT TO:<b@example.org>", "503 5.5.1")
}

func TestSimpleCommands(t *testing.T) {
	ts := start(t, testConfig(), nil)
	c := greeted(t, ts.addr)
	c.cmd("NOOP", "250 2.0.0")
	c.cmd("noop whatever", "250 2.0.0")
	c.cmd("VRFY postmaster", "252 2.5.0")
	c.cmd("EXPN list", "502 5.5.1")
	c.cmd("HELP", "214 2.0.0")
	c.cmd("STARTTLS", "502 5.5.1") // no TLS configured
	c.cmd("RSET x", "501 5.5.4")
	c.cmd("FOO", "500 5.5.2")
	c.cmd("", "500 5.5.2")
}

func TestMessageEnvelope(t *testing.T) {
	ts := start(t, testConfig(), nil)
	c := greeted(t, ts.addr)
	c.hello()
	c.cmd("MAIL FROM:<@relay.example,@b.example:a@example.org> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=id+2B1", "250 2.1.0")
	c.cmd("RCPT TO:<b@mx.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Bx@mx.test", "250 2.1.5")
	c.cmd("RCPT TO:<PostMaster>", "250 2.1.5")
	got := c.data("Subject: hi\r\n\r\nbody\r\n.\r\n")
	if !strings.HasPrefix(got[0], "250 2.0.0 OK: queued as ") {
		t.Fatalf("DATA reply %q", got)
	}
	msgs := ts.d.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	e := m.env
	if e.From.String() != "a@example.org" || e.Size != 100 || e.Body != "8BITMIME" || e.Ret != "HDRS" ||
		e.EnvID != "id+1" || e.Helo != "client.test" || e.Protocol != "ESMTP" || e.TLS != nil ||
		e.PerRecipient || !e.ClientIP.IsLoopback() || len(e.ID) != 12 || time.Since(e.Received) > time.Minute {
		t.Fatalf("envelope %+v", e)
	}
	if !strings.HasSuffix(got[0], e.ID) {
		t.Fatalf("queue ID %s not in %q", e.ID, got)
	}
	r := e.Recipients
	if len(r) != 2 || r[0].Addr.String() != "b@mx.test" || !slices.Equal(r[0].Notify, []string{"SUCCESS", "FAILURE"}) ||
		r[0].ORcpt != "rfc822;b+x@mx.test" || r[1].Addr.Local != "postmaster" || r[1].Addr.Domain != testHost {
		t.Fatalf("recipients %+v", r)
	}
	if string(m.body) != "Subject: hi\r\n\r\nbody\r\n" || m.size != int64(len(m.body)) {
		t.Fatalf("body %q size %d", m.body, m.size)
	}
	logs := ts.logs.String()
	if strings.Count(logs, "message accepted") != 1 || strings.Contains(logs, "body\\r\\n") || strings.Contains(logs, "Subject") {
		t.Fatalf("logs:\n%s", logs)
	}
}

func TestMailAndRcptErrors(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBadCommands = 100
	ts := start(t, cfg, nil)
	ts.d.rejectRcpt("nobody@mx.test", smtpreply.NoSuchUser("nobody@mx.test"))
	c := greeted(t, ts.addr)
	c.hello()
	c.cmd("MAIL FROM:<a@example.org> SIZE=10001", "552 5.3.4")
	c.cmd("MAIL FROM:<a@example.org> BODY=BINARYMIME", "555 5.5.4")
	c.cmd("MAIL FROM:<a@example.org> XFOO=1", "555 5.5.4")
	c.cmd("MAIL FROM:<a@example.org> SIZE=1 SIZE=2", "501 5.5.4")
	c.cmd("MAIL FROM:<a@example.org> ENVID=a+00", "501 5.5.4")
	c.cmd("MAIL FROM:<a@example.org> SMTPUTF8=yes", "501 5.5.4")
	c.cmd("MAIL FROM:<a@@example.org>", "501 5.1.3")
	c.cmd("MAIL FROM:a@example.org", "501 5.5.4")
	c.cmd("MAIL FROM:<jos\u00e9@example.org>", "553 5.6.7")
	c.cmd("MAIL FROM:<> SIZE=10000", "250 2.1.0")
	c.cmd("RCPT TO:<>", "501 5.1.3")
	c.cmd("RCPT TO:<jos\u00e9@mx.test>", "553 5.6.7")
	c.cmd("RCPT TO:<b@mx.test> NOTIFY=NEVER,DELAY", "501 5.5.4")
	c.cmd("RCPT TO:<b@mx.test> FOO=BAR", "555 5.5.4")
	c.cmd("RCPT TO:<nobody@mx.test>", "550 5.1.1")
	c.cmd("DATA", "554 5.5.1")
	c.cmd("RSET", "250 ")
	c.cmd("MAIL FROM:<jos\u00e9@example.org> SMTPUTF8", "250 2.1.0")
	c.cmd("RCPT TO:<d\u00f8r@b\u00fccher.mx.test>", "250 2.1.5")
	if !strings.Contains(ts.logs.String(), "recipient rejected") {
		t.Fatal("no log line for the rejected recipient")
	}
}

func TestOversizeMessageKeepsSession(t *testing.T) {
	ts := start(t, testConfig(), nil)
	c := greeted(t, ts.addr)
	c.hello()
	c.transaction("a@example.org", "b@mx.test")
	big := strings.Repeat(strings.Repeat("x", 98)+"\r\n", 200) // 20000 octets
	c.cmd("DATA", "354 ")
	c.Send(big + ".\r\n")
	c.expect("552 5.3.4")
	c.transaction("a@example.org", "b@mx.test")
	c.data("small\r\n.\r\n")
	if msgs := ts.d.messages(); len(msgs) != 1 || string(msgs[0].body) != "small\r\n" {
		t.Fatalf("messages %v", msgs)
	}
}

func TestTooManyRecipients(t *testing.T) {
	cfg := testConfig()
	cfg.MaxRecipients = 2
	ts := start(t, cfg, nil)
	c := greeted(t, ts.addr)
	c.hello()
	c.transaction("a@example.org", "b1@mx.test", "b2@mx.test")
	c.cmd("RCPT TO:<b3@mx.test>", "452 4.5.3")
	c.data("x\r\n.\r\n")
	if m := ts.d.messages(); len(m) != 1 || len(m[0].env.Recipients) != 2 {
		t.Fatalf("messages %+v", m)
	}
}

func TestLineTooLong(t *testing.T) {
	ts := start(t, testConfig(), nil)
	c := greeted(t, ts.addr)
	c.cmd("NOOP "+strings.Repeat("a", 5000), "500 5.5.2")
	c.cmd("NOOP "+strings.Repeat("a", 2041), "250 ") // 2048 with CRLF
	c.cmd("NOOP "+strings.Repeat("a", 2042), "500 5.5.2")
	c.hello()
}

func TestTooManyBadCommands(t *testing.T) {
	ts := start(t, testConfig(), nil)
	c := greeted(t, ts.addr)
	for i := range 10 {
		c.cmd("BOGUS "+itoa(i), "500 5.5.2")
	}
	c.cmd("NOOP", "250 ") // good commands do not count
	c.cmd("BOGUS 11", "421 4.7.0")
	c.EOF()
}

func TestPipelining(t *testing.T) {
	ts := start(t, testConfig(), nil)
	ts.d.rejectRcpt("bad@mx.test", smtpreply.NoSuchUser("bad@mx.test"))
	c := greeted(t, ts.addr)
	c.hello()
	c.Send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@mx.test>\r\nRCPT TO:<bad@mx.test>\r\nRCPT TO:<c@mx.test>\r\nDATA\r\n")
	// The five replies come in one write, in order.
	buf := make([]byte, 4096)
	n, err := c.C.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(buf[:n]), "\r\n"), "\r\n")
	want := []string{"250 2.1.0", "250 2.1.5", "550 5.1.1", "250 2.1.5", "354 "}
	if len(lines) != len(want) {
		t.Fatalf("one read got %q", lines)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, want[i]) {
			t.Fatalf("reply %d: %q, want %q", i, l, want[i])
		}
	}
	c.Send("x\r\n.\r\nNOOP\r\n")
	c.expect("250 2.0.0 OK")
	c.expect("250 2.0.0")
	if m := ts.d.messages(); len(m) != 1 || len(m[0].env.Recipients) != 2 {
		t.Fatalf("messages %+v", m)
	}
}

// Odd address forms reach Delivery as parsed by mailaddr, never
// reinterpreted as routes here; invalid ones are refused with 501 5.1.3.
func TestOddRecipientForms(t *testing.T) {
	cfg := testConfig()
	cfg.MaxRecipients, cfg.MaxBadCommands = 100, 100
	ts := start(t, cfg, nil)
	c := greeted(t, ts.addr)
	c.hello()
	c.cmd("MAIL FROM:<a@example.org> SMTPUTF8", "250 ")
	cases := []struct{ path, local, domain string }{
		{"<user%other.example@mx.test>", "user%other.example", "mx.test"},
		{`<"user@other.example"@mx.test>`, "user@other.example", "mx.test"},
		{"<@a.example,@b.example:user@mx.test>", "user", "mx.test"},
		{"<user@[127.0.0.1]>", "user", "[127.0.0.1]"},
		{"<host!user@mx.test>", "host!user", "mx.test"},
		{"<User@MX.Test>", "User", "MX.Test"},
		{"<j\u00f6rg@b\u00fccher.example>", "j\u00f6rg", "b\u00fccher.example"},
		{"<POSTMASTER>", "postmaster", testHost},
	}
	for _, tc := range cases {
		c.cmd("RCPT TO:"+tc.path, "250 2.1.5")
	}
	for _, bad := range []string{"<user@mx.test.>", "<user>", "<@a.example:>", "<user@@mx.test>", "<>"} {
		c.cmd("RCPT TO:"+bad, "501 5.1.3")
	}
	ts.d.mu.Lock()
	defer ts.d.mu.Unlock()
	if len(ts.d.checked) != len(cases) {
		t.Fatalf("checked %v", ts.d.checked)
	}
	for i, tc := range cases {
		if a := ts.d.checked[i].Addr; a.Local != tc.local || a.Domain != tc.domain {
			t.Errorf("%s: Delivery got %q @ %q", tc.path, a.Local, a.Domain)
		}
	}
}
