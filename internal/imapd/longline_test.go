package imapd

import (
	"context"
	"strings"
	"testing"
)

// TestLongLineLiteralNotExecuted: a command line over the limit that ends
// in a literal announcement is refused with one BAD [TOOBIG], and the
// literal's octets (here, commands) are consumed with it, never executed
// (issue 11, must-fix 1). The literal forms of RFC 9051 §4.3 and RFC 7888
// (LITERAL+) and RFC 3516 (literal8) are tried, leading zeros included.
func TestLongLineLiteralNotExecuted(t *testing.T) {
	e := newEnv(t, nil)
	r := e.login()
	inject := "y1 CREATE InjectedLit\r\n"
	n := itoa(len(inject))
	for i, announce := range []string{"{" + n + "+}", "~{" + n + "+}", "{" + strings.Repeat("0", 40) + n + "+}"} {
		tag := "x" + itoa(i)
		r.Send(tag + " APPEND INBOX (" + strings.Repeat(`\Seen `, 12000) + ") " + announce + "\r\n" + inject + "\r\n")
		u, tagged := r.Until(tag)
		if !strings.HasPrefix(tagged, tag+" BAD [TOOBIG]") || len(u) != 0 {
			t.Errorf("%s: %q (untagged %q)", announce, tagged, u)
		}
		u = r.OK("c" + itoa(i) + " NOOP")
		if has(u, "y1 ") {
			t.Errorf("%s: the literal was executed: %q", announce, u)
		}
	}
	// A synchronizing literal gets no continuation request: the client
	// does not send it, and the tagged BAD tells it the command is over.
	r.Send("s1 APPEND INBOX (" + strings.Repeat(`\Seen `, 12000) + ") {23}\r\n")
	if u, tagged := r.Until("s1"); !strings.HasPrefix(tagged, "s1 BAD [TOOBIG]") || len(u) != 0 {
		t.Errorf("sync literal: %q (untagged %q)", tagged, u)
	}
	r.OK("s2 NOOP")
	if _, err := e.st.Mailbox(context.Background(), e.acct.ID, "InjectedLit"); err == nil {
		t.Error("the mailbox named in the literal was created")
	}
	// A literal too large to be worth reading ends the session.
	r.Send("h1 NOOP " + strings.Repeat("x", 70000) + " {99999999999+}\r\n")
	if l := r.Line(); !strings.HasPrefix(l, "* BYE") && !strings.HasPrefix(l, "h1 BAD [TOOBIG]") {
		t.Errorf("huge literal: %q", l)
	} else if !strings.HasPrefix(l, "* BYE") {
		if l := r.Line(); !strings.HasPrefix(l, "* BYE") {
			t.Errorf("huge literal: %q, want BYE", l)
		}
	}
}

// TestLongLineNextCommandAnswered: a line just over the limit, whose end
// is read in the same buffer as the octet that crossed the limit, gets one
// BAD [TOOBIG], and the next command is answered (issue 11, must-fix 2).
func TestLongLineNextCommandAnswered(t *testing.T) {
	e := newEnv(t, nil)
	r := e.login()
	for i, size := range []int{65537, 66000, 67000, 69500, 70000, 140000} {
		tag := "a" + itoa(i)
		line := tag + " NOOP "
		line += strings.Repeat("x", size-len(line))
		next := "b" + itoa(i)
		r.Send(line + "\r\n" + next + " NOOP\r\n")
		u, tagged := r.Until(tag)
		if !strings.HasPrefix(tagged, tag+" BAD [TOOBIG]") || len(u) != 0 {
			t.Errorf("%d octets: %q (untagged %q)", size, tagged, u)
		}
		if _, tagged := r.Until(next); !strings.HasPrefix(tagged, next+" OK") {
			t.Errorf("%d octets: next command: %q", size, tagged)
		}
	}
}

// TestLongLineInIdle: an over-long line instead of DONE ends IDLE with one
// BAD [TOOBIG]; the literal it announces is not executed.
func TestLongLineInIdle(t *testing.T) {
	e := newEnv(t, nil)
	r := e.login()
	r.OK("s SELECT INBOX")
	r.Send("i IDLE\r\n")
	if l := r.Line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q", l)
	}
	r.Send("DONE " + strings.Repeat("x", 70000) + " {9+}\r\ny1 NOOP\r\n\r\n")
	if u, tagged := r.Until("i"); !strings.HasPrefix(tagged, "i BAD [TOOBIG]") || len(u) != 0 {
		t.Errorf("long DONE: %q (untagged %q)", tagged, u)
	}
	if u := r.OK("n NOOP"); has(u, "y1 ") {
		t.Errorf("the literal was executed: %q", u)
	}
}

// TestRefusedLiteralThenLiteral: after a non-synchronizing literal over
// the limit is thrown away, the literal that the rest of the command
// announces is thrown away too, not executed.
func TestRefusedLiteralThenLiteral(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxMessageSize = 1000 })
	r := e.login()
	r.Send("m APPEND INBOX {2000+}\r\n" + strings.Repeat("x", 2000) + " {9+}\r\ny1 NOOP\r\n\r\n")
	if u, tagged := r.Until("m"); !strings.HasPrefix(tagged, "m NO [TOOBIG]") || len(u) != 0 {
		t.Errorf("MULTIAPPEND: %q (untagged %q)", tagged, u)
	}
	if u := r.OK("n NOOP"); has(u, "y1 ") {
		t.Errorf("the second literal was executed: %q", u)
	}
}

// TestStringLiteralsPerCommand: the string literals of one command may
// not exceed MaxLiteral together, so one command cannot make the session
// hold more than that (README "IMAP").
func TestStringLiteralsPerCommand(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxLiteral = 100_000 })
	e.deliver("", testMessage("one", "hello"), 0)
	r := e.login()
	r.OK("s SELECT INBOX")
	lit := strings.Repeat("x", 60_000)
	r.Send("a SEARCH TEXT {60000+}\r\n" + lit + " TEXT {60000+}\r\n" + lit + " TEXT {3+}\r\ny1 \r\n")
	if _, tagged := r.Until("a"); !strings.HasPrefix(tagged, "a BAD [TOOBIG]") {
		t.Errorf("two literals over the limit together: %q", tagged)
	}
	r.OK("b SEARCH TEXT {60000+}\r\n" + lit + " NOT TEXT {30000+}\r\n" + lit[:30000])
	r.OK("c NOOP")
}

// TestLongLineLiteralAcrossTheLimit: the literal announcement that ends
// an over-long line may begin before the limit and end after it, the
// limit falling anywhere inside "{N+}\r\n" (a split the scanner of the
// discarded part alone did not see, and the literal ran).
func TestLongLineLiteralAcrossTheLimit(t *testing.T) {
	e := newEnv(t, nil)
	r := e.login()
	const limit = 64 << 10
	inject := "y1 CREATE InjectedSplit\r\n"
	for k := -2; k <= 9; k++ {
		announce := "{000" + itoa(len(inject)) + "+}"
		tag := "x" + itoa(k+2)
		head := tag + " APPEND INBOX (\\Seen) "
		pad := limit - k - len(head) // "{" at octet limit-k
		r.Send(head + strings.Repeat("x", pad) + announce + "\r\n" + inject + "\r\n")
		u, tagged := r.Until(tag)
		if !strings.HasPrefix(tagged, tag+" BAD") || len(u) != 0 {
			t.Errorf("limit %d octets before the announcement's end: %q (untagged %q)", k, tagged, u)
		}
		if u := r.OK("c" + itoa(k+2) + " NOOP"); has(u, "y1 ") {
			t.Errorf("limit at %d: the literal was executed: %q", k, u)
		}
	}
	if _, err := e.st.Mailbox(context.Background(), e.acct.ID, "InjectedSplit"); err == nil {
		t.Error("the mailbox named in the literal was created")
	}
}

// TestRefusedStateInvitesNoLiteral: a command not allowed in the state
// (APPEND before login) is refused before its arguments are read, so its
// synchronizing literal gets no continuation request (an unauthenticated
// client must not be invited to upload a message to be spooled), and a
// non-synchronizing one is read and discarded, never executed.
func TestRefusedStateInvitesNoLiteral(t *testing.T) {
	e := newEnv(t, nil)
	r := e.dial()
	r.Send("a1 APPEND INBOX {2000000}\r\n")
	if l := r.Line(); l != "a1 BAD Command not allowed in this state" {
		t.Fatalf("APPEND before login: %q, want the BAD without a continuation", l)
	}
	inject := "y1 LOGIN " + testUser + ` "` + testPass + `"` + "\r\n"
	r.Send("a2 APPEND INBOX {" + itoa(len(inject)) + "+}\r\n" + inject + "\r\n")
	if l := r.Line(); l != "a2 BAD Command not allowed in this state" {
		t.Fatalf("APPEND with a non-synchronizing literal before login: %q", l)
	}
	r.Send("a3 SELECT INBOX\r\n")
	if l := r.Line(); l != "a3 BAD Command not allowed in this state" {
		t.Fatalf("SELECT after the discarded literal: %q (the literal's LOGIN ran?)", l)
	}
}
