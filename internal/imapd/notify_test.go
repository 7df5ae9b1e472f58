package imapd

import (
	"bufio"
	"strings"
	"testing"
	"time"
)

// NOTIFY (RFC 5465) through raw sockets: changes made by another
// connection arrive at a session that sends no command (and is not in
// IDLE), as STATUS, EXISTS, FETCH, EXPUNGE and LIST.

// quiet checks that nothing arrives for d.
func (r *raw) quiet(d time.Duration) {
	r.T.Helper()
	r.C.SetReadDeadline(time.Now().Add(d))
	defer r.C.SetReadDeadline(time.Now().Add(20 * time.Second))
	if l, err := r.R.ReadString('\n'); err == nil {
		r.T.Fatalf("unexpected %q", l)
	}
}

// next reads one response with a deadline, failing the test when none
// comes.
func (r *raw) next() string {
	r.T.Helper()
	r.C.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer r.C.SetReadDeadline(time.Now().Add(20 * time.Second))
	return r.Response()
}

func TestNotifyStatus(t *testing.T) {
	e := newEnv(t, nil)
	o := e.login()
	o.OK("c CREATE Saved")
	o.OK("c CREATE Lists/Go")
	o.OK("c CREATE Other")
	e.deliver("", testMessage("one", "x"), 0)

	r := e.login()
	u := r.OK("n NOTIFY SET (STATUS) (inboxes (MessageNew MessageExpunge)) (subtree Lists (MessageNew MessageExpunge FlagChange)) (mailboxes Saved (MessageNew MessageExpunge))")
	// RFC 5465 §3: STATUS of each watched mailbox before the OK.
	for _, want := range []string{`* STATUS INBOX (MESSAGES 1 UIDNEXT 2 `, `* STATUS Saved (MESSAGES 0 `,
		`* STATUS Lists (MESSAGES 0 `, `* STATUS Lists/Go (MESSAGES 0 `} {
		if !has(u, want) {
			t.Errorf("NOTIFY SET (STATUS): no %q in %q", want, u)
		}
	}
	if has(u, "Other") || len(u) != 4 {
		t.Errorf("NOTIFY SET (STATUS): %q, want the four watched mailboxes", u)
	}

	// No command, no IDLE: the change arrives by itself.
	o.OK("a APPEND Saved {" + itoa(len(testMessage("two", "y"))) + "+}\r\n" + testMessage("two", "y"))
	if l := r.next(); !strings.HasPrefix(l, "* STATUS Saved (MESSAGES 1 UIDNEXT 2 ") {
		t.Fatalf("after an APPEND by another session: %q", l)
	}
	e.deliver("", testMessage("three", "z"), 0)
	if l := r.next(); !strings.HasPrefix(l, "* STATUS INBOX (MESSAGES 2 UIDNEXT 3 ") {
		t.Fatalf("after a delivery: %q", l)
	}
	// A mailbox no group takes: nothing.
	o.OK("a APPEND Other {" + itoa(len(testMessage("four", "y"))) + "+}\r\n" + testMessage("four", "y"))
	r.quiet(300 * time.Millisecond)
	// Flags: only the group with FlagChange hears of them.
	o.OK("a APPEND Lists/Go (\\Seen) {" + itoa(len(testMessage("five", "y"))) + "+}\r\n" + testMessage("five", "y"))
	if l := r.next(); !strings.HasPrefix(l, "* STATUS Lists/Go (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ") || !strings.Contains(l, "UNSEEN 0") {
		t.Fatalf("Lists/Go: %q", l)
	}
	o.OK("s SELECT Lists/Go")
	o.OK("f STORE 1 -FLAGS (\\Seen)")
	if l := r.next(); !strings.HasPrefix(l, "* STATUS Lists/Go (MESSAGES 1 ") || !strings.Contains(l, "UNSEEN 1") {
		t.Fatalf("FlagChange: %q", l)
	}
	o.OK("s SELECT Saved")
	o.OK("f STORE 1 +FLAGS (\\Flagged)")
	r.quiet(300 * time.Millisecond) // Saved has no FlagChange
	o.OK("f STORE 1 +FLAGS (\\Deleted)")
	o.OK("x EXPUNGE")
	if l := r.next(); !strings.HasPrefix(l, "* STATUS Saved (MESSAGES 0 ") {
		t.Fatalf("MessageExpunge: %q", l)
	}
	// NOTIFY NONE: silence.
	r.OK("n NOTIFY NONE")
	e.deliver("", testMessage("six", "z"), 0)
	r.quiet(300 * time.Millisecond)
}

func TestNotifySelected(t *testing.T) {
	e := newEnv(t, nil)
	for range 3 {
		e.deliver("", testMessage("m", "x"), 0)
	}
	o := e.login()
	o.OK("s SELECT INBOX")
	r := e.login()
	r.OK("e ENABLE IMAP4rev2")
	r.OK("s SELECT INBOX")
	r.OK("n NOTIFY SET (selected (MessageNew (UID FLAGS BODY[HEADER.FIELDS (SUBJECT)]) MessageExpunge FlagChange))")
	e.deliver("", testMessage("fresh", "x"), 0)
	if l := r.next(); l != "* 4 EXISTS" {
		t.Fatalf("new message: %q", l)
	}
	l := r.next()
	if !strings.HasPrefix(l, "* 4 FETCH (UID 4 FLAGS () BODY[HEADER.FIELDS (SUBJECT)] {") || !strings.Contains(l, "Subject: fresh") {
		t.Fatalf("MessageNew fetch-att: %q", l)
	}
	o.OK("f STORE 2 +FLAGS (\\Flagged)")
	if l := r.next(); l != `* 2 FETCH (UID 2 FLAGS (\Flagged))` {
		t.Fatalf("FlagChange: %q", l)
	}
	// "selected": the EXPUNGE comes between commands (RFC 5465 §6).
	o.OK("f STORE 1 +FLAGS (\\Deleted)")
	r.next() // its FETCH
	o.OK("x EXPUNGE")
	if l := r.next(); l != "* 1 EXPUNGE" {
		t.Fatalf("MessageExpunge: %q", l)
	}
	// The message fetched with MessageNew was not marked \Seen.
	if u := r.OK("f UID FETCH 4 (FLAGS)"); len(u) != 1 || strings.Contains(u[0], `\Seen`) {
		t.Fatalf("after the notification: %q", u)
	}

	// "selected-delayed": EXISTS at once, the EXPUNGE at the next command.
	// (The selected mailbox's flag changes come with its other updates.)
	r.OK("n NOTIFY SET (selected-delayed (MessageNew MessageExpunge))")
	o.OK("f STORE 1 +FLAGS (\\Deleted)")
	if l := r.next(); l != `* 1 FETCH (UID 2 FLAGS (\Flagged \Deleted))` {
		t.Fatalf("selected-delayed, flags: %q", l)
	}
	o.OK("x EXPUNGE")
	r.quiet(300 * time.Millisecond)
	e.deliver("", testMessage("later", "x"), 0)
	if l := r.next(); l != "* 4 EXISTS" {
		t.Fatalf("selected-delayed, new message: %q", l)
	}
	r.quiet(200 * time.Millisecond)
	r.exact("n NOOP", "OK", "* 1 EXPUNGE")
}

func TestNotifyMailboxNames(t *testing.T) {
	e := newEnv(t, nil)
	o := e.login()
	o.OK("c CREATE Old")
	o.OK("c CREATE Kept")
	r := e.login()
	r.OK("n NOTIFY SET (personal (MailboxName SubscriptionChange))")
	o.OK("c CREATE Fresh")
	if l := r.next(); l != `* LIST () "/" Fresh` {
		t.Fatalf("create: %q", l)
	}
	o.OK("c RENAME Old New")
	if l := r.next(); l != `* LIST () "/" New ("OLDNAME" (Old))` {
		t.Fatalf("rename: %q", l)
	}
	o.OK("c DELETE Fresh")
	if l := r.next(); l != `* LIST (\NonExistent) "/" Fresh` {
		t.Fatalf("delete: %q", l)
	}
	o.OK("c SUBSCRIBE Kept")
	if l := r.next(); l != `* LIST (\Subscribed) "/" Kept` {
		t.Fatalf("subscribe: %q", l)
	}
	o.OK("c UNSUBSCRIBE Kept")
	if l := r.next(); l != `* LIST () "/" Kept` {
		t.Fatalf("unsubscribe: %q", l)
	}
	// In IDLE too, and with nothing selected.
	r.Send("i IDLE\r\n")
	r.Expect("+ ")
	o.OK("c CREATE InIdle")
	if l := r.next(); l != `* LIST () "/" InIdle` {
		t.Fatalf("in IDLE: %q", l)
	}
	r.Send("DONE\r\n")
	r.Expect("i OK")
}

func TestNotifyRefused(t *testing.T) {
	e := newEnv(t, nil)
	d := e.dial()
	d.status("n NOTIFY SET (personal (MessageNew MessageExpunge))", "BAD") // before login
	r := e.login()
	r.status("n NOTIFY SET (personal (MessageNew MessageExpunge AnnotationChange))", "NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)]")
	r.status("n NOTIFY SET (personal (QuotaChange))", "NO [BADEVENT")
	r.status("n NOTIFY SET (personal (MessageNew))", "BAD")
	r.status("n NOTIFY SET (personal (FlagChange))", "BAD")
	r.status("n NOTIFY SET (personal (MessageNew (FLAGS) MessageExpunge))", "BAD")
	r.status("n NOTIFY SET (selected (MessageNew (RFC822) MessageExpunge))", "BAD")
	r.status("n NOTIFY SET (selected (MessageNew MessageExpunge)) (selected-delayed (MessageNew MessageExpunge))", "BAD")
	r.status("n NOTIFY SET (elsewhere (MessageNew MessageExpunge))", "BAD")
	r.status("n NOTIFY SET", "BAD")
	r.status("n NOTIFY SET (subtree (MessageNew MessageExpunge))", "BAD")
	r.status("n NOTIFY RESET", "BAD")
	r.OK("n NOTIFY SET (subtree (A B) NONE) (mailboxes \"C D\" (MailboxName))")
	r.OK("n NOTIFY NONE")
}

// FuzzNotifyParse runs NOTIFY's parser on arbitrary arguments (the first
// line; what follows is the stream its literals are read from): no
// panic, and a parse that succeeds gives well-formed groups.
func FuzzNotifyParse(f *testing.F) {
	for _, seed := range []string{
		" SET (STATUS) (selected (MessageNew (UID BODY.PEEK[HEADER]) MessageExpunge FlagChange)) (personal (MailboxName))",
		" SET (subtree (A {3}\r\nB/C) (MessageNew MessageExpunge)) (mailboxes \"x y\" NONE)",
		" NONE",
		" SET (inboxes (MessageNew MessageExpunge AnnotationChange))",
		" SET (subscribed (SubscriptionChange)) (selected-delayed NONE)",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		line, rest, _ := strings.Cut(in, "\r\n")
		r := newReader(bufio.NewReader(strings.NewReader(rest)), 1<<16, 1<<10, nil)
		r.line = []byte(line)
		r.newCommand()
		s := &session{}
		a := &notifyArgs{}
		if err := parseNotify(s, r, nil, a); err != nil {
			return
		}
		if a.none {
			return
		}
		if len(a.groups) == 0 {
			t.Fatal("NOTIFY SET parsed without event groups")
		}
		for _, g := range a.groups {
			if g.kind < fSelected || g.kind > fMailboxes {
				t.Fatalf("filter kind %d", g.kind)
			}
			if (g.kind == fSubtree || g.kind == fMailboxes) && len(g.names) == 0 {
				t.Fatal("subtree/mailboxes without a mailbox")
			}
			if len(g.fetch) > 0 && g.events&evMessageNew == 0 {
				t.Fatal("fetch attributes without MessageNew")
			}
		}
		n := newNotifyState(a.groups)
		n.eventsFor("INBOX", false)
		n.eventsFor("INBOX", true)
	})
}

// TestNotifyOtherProcess: changes made through another store instance
// on the same database (another `petrel serve` process) reach NOTIFY
// through the feed's resynchronisation, which carries no event details:
// the session finds what changed by comparing.
func TestNotifyOtherProcess(t *testing.T) {
	e := newEnv(t, nil)
	r := e.login()
	r.OK("n NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))")
	_, login2 := e.secondNode()
	o := login2()
	o.OK("c CREATE Elsewhere")
	if l := r.next(); l != `* LIST () "/" Elsewhere` {
		t.Fatalf("mailbox created by another process: %q", l)
	}
	msg := testMessage("other", "x")
	o.OK("a APPEND Elsewhere {" + itoa(len(msg)) + "+}\r\n" + msg)
	if l := r.next(); !strings.HasPrefix(l, "* STATUS Elsewhere (MESSAGES 1 UIDNEXT 2 ") {
		t.Fatalf("APPEND by another process: %q", l)
	}
}
