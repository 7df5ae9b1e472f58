package smtpd

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/petrelmail/petrel/internal/smtpreply"
)

func startLMTP(t *testing.T) (*testServer, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lmtp.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.LMTP = true
	return start(t, cfg, l), path
}

func TestLMTPPerRecipientReplies(t *testing.T) {
	ts, path := startLMTP(t)
	ts.d.failDelivery("full@mx.test", smtpreply.MailboxFull("full@mx.test"))
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("mta.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@example.org", nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"ok@mx.test", "full@mx.test"} {
		if err := c.Rcpt(r, nil); err != nil {
			t.Fatal(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: lmtp\r\n\r\nhi\r\n"))
	rs, err := w.CloseWithLMTPResponse()
	var lerr smtp.LMTPDataError
	if !errors.As(err, &lerr) {
		t.Fatalf("CloseWithLMTPResponse: %v", err)
	}
	full, ok := lerr["full@mx.test"]
	if !ok || full.Code != 452 || full.EnhancedCode != (smtp.EnhancedCode{4, 2, 2}) {
		t.Fatalf("full@: %v", lerr)
	}
	if _, failed := lerr["ok@mx.test"]; failed || rs["ok@mx.test"] == nil {
		t.Fatalf("ok@: %v %v", rs, lerr)
	}
	m := ts.d.messages()
	if len(m) != 1 || !m[0].env.PerRecipient || m[0].env.Protocol != "LMTP" || m[0].env.ClientIP.IsValid() {
		t.Fatalf("envelope %+v", m[0].env)
	}
}

func TestLMTPCommands(t *testing.T) {
	ts, path := startLMTP(t)
	ts.d.failDelivery("b2@mx.test", smtpreply.NoSuchUser("b2@mx.test"))
	c := dialRaw(t, "unix", path)
	c.expect("220 mx.test LMTP Petrel")
	c.cmd("EHLO x", "500 5.5.2")
	c.cmd("HELO x", "500 5.5.2")
	c.cmd("MAIL FROM:<a@example.org>", "503 5.5.1")
	if got := c.cmd("LHLO mta.test", "250 "); got[0] != "250-mx.test" {
		t.Fatalf("LHLO %q", got)
	}
	c.cmd("MAIL FROM:<a@example.org>", "250 ")
	c.cmd("DATA", "503 5.5.1") // RFC 2033 §4.2: no recipient
	c.cmd("RSET", "250 ")
	c.transaction("a@example.org", "b1@mx.test", "b2@mx.test", "b1@mx.test")
	c.cmd("DATA", "354 ")
	c.Send("x\r\n.\r\n")
	c.expect("250 2.0.0 <b1@mx.test> delivered as")
	c.expect("550 5.1.1")
	c.expect("250 2.0.0 <b1@mx.test>")
	// BDAT LAST also answers per recipient; so do refusals.
	c.transaction("a@example.org", "b1@mx.test", "b2@mx.test")
	c.Send("BDAT 3 LAST\r\na\x00b")
	c.expect("554 5.6.0")
	c.expect("554 5.6.0")
}

func TestListenRemovesStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "listening") {
		t.Fatalf("second Listen on a live socket: %v", err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	l, err = Listen(path)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	l.Close()
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := Listen(file); err == nil {
		t.Fatal("Listen over a regular file")
	}
	tl, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl.Close()
}
