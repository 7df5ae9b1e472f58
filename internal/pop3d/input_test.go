package pop3d

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPipelining(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 3 {
		e.deliver(testMessage(i))
	}
	cl := e.dial()
	// Everything in one write, login included (RFC 2449 §6.6).
	cl.Send("USER " + testUser + "\r\nPASS " + testPass + "\r\nSTAT\r\nRETR 1\r\nLIST\r\nDELE 1\r\nBOGUS\r\nRETR 2\r\nSTAT\r\nQUIT\r\n")
	cl.Expect("+OK Send PASS")
	cl.Expect("+OK Maildrop has 3 messages")
	cl.Expect("+OK 3 ")
	cl.Expect("+OK ")
	if got := string(cl.rawMulti()); got != testMessage(0) {
		t.Fatalf("RETR 1 = %q", got)
	}
	cl.Expect("+OK 3 messages")
	if n := len(cl.multi()); n != 3 {
		t.Fatalf("LIST: %d lines", n)
	}
	cl.Expect("+OK Message 1 deleted")
	cl.Expect("-ERR Unknown command")
	cl.Expect("+OK ")
	if got := string(cl.rawMulti()); got != testMessage(1) {
		t.Fatalf("RETR 2 = %q", got)
	}
	cl.Expect("+OK 2 ")
	cl.Expect("+OK ")
	cl.Closed()
	if n := len(e.messages()); n != 2 {
		t.Fatalf("%d messages left, want 2", n)
	}
}

// TestSizesAreWhatRetrDelivers: LIST, STAT and the RETR status line give
// the octets RETR sends once un-stuffed (RFC 1939 §11).
func TestSizesAreWhatRetrDelivers(t *testing.T) {
	e := newEnv(t, nil)
	bodies := []string{
		"Subject: bare LF\n\nline one\nline two\n",
		"Subject: no final line ending\r\n\r\nlast line",
		"Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\nmid.dle\r\n.",
		"Subject: CR\r\n\r\nbare\rCR inside\r\nends in CR\r",
		"",
		"Subject: mixed\n\r\n.x\nend\r\n",
	}
	for _, b := range bodies {
		e.deliver(b)
	}
	cl := e.login()
	cl.cmd("LIST", "+OK")
	list := cl.multi()
	var total int
	for i := range bodies {
		var n, size int
		fmt.Sscanf(list[i], "%d %d", &n, &size)
		l := cl.cmd(fmt.Sprintf("RETR %d", i+1), "+OK")
		got := cl.rawMulti()
		unstuffed := len(got)
		for _, line := range strings.SplitAfter(string(got), "\r\n") {
			if strings.HasPrefix(line, ".") {
				unstuffed--
			}
		}
		if unstuffed != size || l != fmt.Sprintf("+OK %d octets", size) {
			t.Errorf("message %d: LIST says %d, RETR says %q and sent %d octets, %d un-stuffed: %q", i+1, size, l, len(got), unstuffed, got)
		}
		if strings.Contains(strings.ReplaceAll(string(got), "\r\n", ""), "\n") {
			t.Errorf("message %d: bare LF on the wire: %q", i+1, got)
		}
		total += size
	}
	cl.cmd("STAT", fmt.Sprintf("+OK %d %d", len(bodies), total))
}

func TestDotLinesByteForByte(t *testing.T) {
	e := newEnv(t, nil)
	body := "Subject: dots\r\n\r\n.\r\n..\r\n...\r\n.hidden\r\n. space\r\nend.\r\n"
	e.deliver(body)
	cl := e.login()
	cl.cmd("RETR 1", "+OK")
	raw := string(cl.rawMulti())
	if want := "Subject: dots\r\n\r\n..\r\n...\r\n....\r\n..hidden\r\n.. space\r\nend.\r\n"; raw != want {
		t.Fatalf("on the wire %q, want %q", raw, want)
	}
	cl.cmd("RETR 1", "+OK")
	if got := strings.Join(cl.multi(), "\r\n") + "\r\n"; got != body {
		t.Fatalf("un-stuffed %q, want %q", got, body)
	}
}

func TestBadCommandsBeforeLogin(t *testing.T) {
	e := newEnv(t, nil)
	cl := e.dial()
	cl.cmd("HELO", "-ERR Unknown command")
	cl.cmd("STAT", "-ERR Command not valid in this state")
	cl.cmd("CAPA", "+OK") // a good one between does not reset the count
	cl.multi()
	cl.cmd("X", "-ERR Unknown command")
	cl.cmd("NOPE", "-ERR Too many bad commands")
	cl.Closed()
}

func TestBadInputAfterLogin(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(testMessage(1))
	cl := e.login()
	for range 10 {
		cl.cmd("FROB", "-ERR Unknown command")
	}
	cl.cmd("RETR", "-ERR Syntax")
	cl.cmd("RETR -1", "-ERR Syntax")
	cl.cmd("RETR +1", "-ERR Syntax")
	cl.cmd("RETR 1 2", "-ERR Syntax")
	cl.cmd("RETR 99999999999", "-ERR Syntax")
	cl.cmd("DELE 0", "-ERR No such message")
	cl.cmd("STAT x", "-ERR Syntax")
	cl.cmd("TOP 1 x", "-ERR Syntax")
	cl.cmd("USER\x01", "-ERR Unknown command")
	cl.cmd("", "-ERR Unknown command")
	cl.cmd("LIST "+strings.Repeat("9", 2000), "-ERR Line too long")
	cl.cmd("stat", "+OK 1 ")
	cl.cmd("QUIT", "+OK")
	if n := len(e.messages()); n != 1 {
		t.Fatalf("%d messages", n)
	}
}

func TestOverlongLine(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxLineLength = 100 })
	cl := e.dial()
	cl.cmd("USER "+strings.Repeat("a", 200), "-ERR Line too long")
	// The rest of the long line was skipped: the session goes on.
	cl.cmd("CAPA", "+OK")
	cl.multi()
	cl.Send(strings.Repeat("x", 100000) + "\r\n")
	cl.Expect("-ERR Line too long")
	cl.cmd("QUIT", "+OK")
}

func TestIdleTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.IdleTimeout = 300 * time.Millisecond })
	e.deliver(testMessage(1))
	cl := e.login()
	cl.cmd("DELE 1", "+OK")
	start := time.Now()
	cl.Closed()
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("closed after %v, before the idle timeout", d)
	}
	if n := len(e.messages()); n != 1 {
		t.Fatal("autologout applied the deletion")
	}
	if !strings.Contains(e.logs.String(), "autologout") {
		t.Error("no autologout in the log")
	}
}

func TestDefaultIdleTimeoutIsTenMinutes(t *testing.T) {
	if d := (Config{}).withDefaults().IdleTimeout; d < 10*time.Minute {
		t.Fatalf("default idle timeout %v, RFC 1939 §3 wants at least 10 minutes", d)
	}
}

func TestConnectionLimitPerIP(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxConnectionsPerIP = 1 })
	first := e.dial()
	c2 := e.dialRaw()
	c2.Expect("-ERR [SYS/TEMP] Too many connections")
	c2.Closed()
	first.cmd("QUIT", "+OK")
	first.Closed()
	time.Sleep(50 * time.Millisecond)
	e.dial().cmd("QUIT", "+OK")
}

func TestShutdownDeletesNothing(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(testMessage(1))
	cl := e.login()
	cl.cmd("DELE 1", "+OK")
	e.stop()
	cl.Expect("-ERR [SYS/TEMP] Server shutting down")
	cl.Closed()
	if n := len(e.messages()); n != 1 {
		t.Fatal("shutdown applied the deletion")
	}
}

func TestNoSecretsInLog(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("Subject: secret body\r\n\r\nSECRET-BODY-TEXT\r\n")
	cl := e.dial()
	cl.cmd("USER "+testUser, "+OK")
	cl.cmd("PASS wrong-password-xyz", "-ERR [AUTH]")
	cl.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAGNvcnJlY3QgaG9yc2U=", "+OK")
	cl.cmd("RETR 1", "+OK")
	cl.rawMulti()
	cl.cmd("QUIT", "+OK")
	cl.Closed()
	logs := e.logs.String()
	for _, s := range []string{"wrong-password-xyz", testPass, "SECRET-BODY-TEXT", "AGFsaWNl"} {
		if strings.Contains(logs, s) {
			t.Errorf("log contains %q", s)
		}
	}
	if !strings.Contains(logs, "login failed") || !strings.Contains(logs, "logged in") {
		t.Errorf("log lacks the logins: %s", logs)
	}
}

func TestCapaPipelinedList(t *testing.T) {
	e := newEnv(t, nil)
	cl := e.dial()
	cl.Send("CAPA\r\nCAPA\r\n")
	for range 2 {
		cl.Expect("+OK")
		if !slices.Contains(cl.multi(), "PIPELINING") {
			t.Fatal("no PIPELINING")
		}
	}
}
