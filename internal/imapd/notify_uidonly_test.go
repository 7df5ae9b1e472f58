package imapd

import (
	"strings"
	"testing"
	"time"
)

// TestNotifyUIDOnly: under UIDONLY (RFC 9586 §3.3) NOTIFY's FETCH
// responses are UIDFETCH responses numbered by UID: MessageNew's
// fetch-att (with UID only when asked for it) and FlagChange's flags;
// expunges are VANISHED (§3.2).
func TestNotifyUIDOnly(t *testing.T) {
	e := newEnv(t, nil)
	for range 3 {
		e.deliver("", testMessage("m", "x"), 0)
	}
	o := e.login()
	o.OK("s SELECT INBOX")
	r := e.login()
	r.OK("e ENABLE IMAP4rev2 UIDONLY")
	r.OK("s SELECT INBOX")
	r.OK("n NOTIFY SET (selected (MessageNew (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)]) MessageExpunge FlagChange))")
	e.deliver("", testMessage("fresh", "x"), 0)
	if l := r.next(); l != "* 4 EXISTS" {
		t.Fatalf("new message: %q", l)
	}
	l := r.next()
	if !strings.HasPrefix(l, "* 4 UIDFETCH (FLAGS () BODY[HEADER.FIELDS (SUBJECT)] {") || !strings.Contains(l, "Subject: fresh") {
		t.Fatalf("MessageNew fetch-att: %q", l)
	}
	o.OK("f STORE 2 +FLAGS (\\Flagged)")
	if l := r.next(); l != `* 2 UIDFETCH (FLAGS (\Flagged))` {
		t.Fatalf("FlagChange: %q", l)
	}
	o.OK("f STORE 1 +FLAGS (\\Deleted)")
	r.next() // its UIDFETCH
	o.OK("x EXPUNGE")
	if l := r.next(); l != "* VANISHED 1" {
		t.Fatalf("MessageExpunge: %q", l)
	}
	// With UID asked for by name, it stays; the numbers are UIDs after
	// the expunge too.
	r.OK("n NOTIFY SET (selected (MessageNew (UID FLAGS) MessageExpunge FlagChange))")
	e.deliver("", testMessage("later", "x"), 0)
	if l := r.next(); l != "* 4 EXISTS" {
		t.Fatalf("new message: %q", l)
	}
	if l := r.next(); l != "* 5 UIDFETCH (UID 5 FLAGS ())" {
		t.Fatalf("MessageNew with UID: %q", l)
	}
	// selected-delayed with CONDSTORE: the flags with their MODSEQ, the
	// VANISHED at the next command.
	r.OK("c ENABLE CONDSTORE")
	r.OK("n NOTIFY SET (selected-delayed (MessageNew (FLAGS) MessageExpunge FlagChange))")
	o.OK("n NOOP")
	o.OK("f UID STORE 5 +FLAGS (\\Deleted)")
	if l := r.next(); !strings.HasPrefix(l, `* 5 UIDFETCH (FLAGS (\Deleted) MODSEQ (`) {
		t.Fatalf("selected-delayed, flags: %q", l)
	}
	o.OK("x EXPUNGE")
	r.quiet(300 * time.Millisecond)
	r.exact("n NOOP", "OK", "* VANISHED 5")
}
