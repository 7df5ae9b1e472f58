package imapd

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

func TestRawBasics(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", testMessage("one", "hello"), 0)
	r := e.dial()
	u := r.OK("a1 CAPABILITY")
	if !has(u, "AUTH=PLAIN") || !has(u, "STARTTLS") || !has(u, "IDLE") {
		t.Fatalf("capability %q", u)
	}
	r.OK("a2 LOGIN " + testUser + ` "` + testPass + `"`)
	u = r.OK("a3 SELECT inbox")
	for _, want := range []string{"* 1 EXISTS", "* 1 RECENT", "[UIDVALIDITY ", "[UIDNEXT 2]", "PERMANENTFLAGS"} {
		if !has(u, want) {
			t.Errorf("SELECT: missing %q in %q", want, u)
		}
	}
	u = r.OK("a4 LIST \"\" *")
	if !has(u, `* LIST (\HasNoChildren \Sent) "/" Sent`) || !has(u, `"/" INBOX`) {
		t.Errorf("LIST %q", u)
	}
	u = r.OK("a5 UID SEARCH ALL")
	t.Logf("search %q", u)
	u = r.OK("a6 APPEND INBOX (\\Seen) {5+}\r\nhello")
	if !has(u, "* 2 EXISTS") {
		t.Errorf("APPEND to the selected mailbox: %q", u)
	}
	_, tagged := r.Cmd("a8 FOO")
	if !strings.HasPrefix(tagged, "a8 BAD") {
		t.Errorf("unknown command: %q", tagged)
	}
	u = r.OK("a9 LOGOUT")
	if !has(u, "* BYE") {
		t.Errorf("LOGOUT %q", u)
	}
}

// TestQresync: a client resynchronises after flag changes and expunges
// made while it was away (RFC 7162 §3.2.5).
func TestQresync(t *testing.T) {
	e := newEnv(t, nil)
	e.deliverN(5)
	r := e.login()
	r.OK("e ENABLE QRESYNC")
	u := r.OK("s SELECT INBOX")
	var uv, hms string
	for _, l := range u {
		if strings.Contains(l, "[UIDVALIDITY ") {
			uv = strings.Fields(strings.SplitAfter(l, "[UIDVALIDITY ")[1])[0]
			uv = strings.TrimSuffix(uv, "]")
		}
		if strings.Contains(l, "[HIGHESTMODSEQ ") {
			hms = strings.TrimSuffix(strings.Fields(strings.SplitAfter(l, "[HIGHESTMODSEQ ")[1])[0], "]")
		}
	}
	if uv == "" || hms == "" {
		t.Fatalf("SELECT %q", u)
	}
	r.OK("l LOGOUT")

	o := e.login()
	o.OK("s SELECT INBOX")
	o.OK("f STORE 2 +FLAGS (\\Flagged)")
	o.OK("d STORE 4:5 +FLAGS (\\Deleted)")
	o.OK("x EXPUNGE")

	r = e.login()
	r.OK("e ENABLE QRESYNC")
	u = r.OK("s SELECT INBOX (QRESYNC (" + uv + " " + hms + " 1:5))")
	if !has(u, "* VANISHED (EARLIER) 4:5") || !has(u, "* 2 FETCH (UID 2 FLAGS") || !has(u, "MODSEQ (") {
		t.Errorf("QRESYNC SELECT: %q", u)
	}
	if has(u, "* 1 FETCH") || has(u, "* 3 FETCH") {
		t.Errorf("unchanged messages reported: %q", u)
	}
	u = r.OK("v UID FETCH 1:* (FLAGS) (CHANGEDSINCE " + hms + " VANISHED)")
	if !has(u, "* VANISHED (EARLIER) 4:5") || !has(u, "UID 2 ") {
		t.Errorf("UID FETCH VANISHED: %q", u)
	}
	// A change by another session shows up as VANISHED, not EXPUNGE.
	o.OK("d2 STORE 1 +FLAGS (\\Deleted)")
	o.OK("x2 EXPUNGE")
	u = r.OK("n NOOP")
	if !has(u, "* VANISHED 1") || has(u, "EXPUNGE") {
		t.Errorf("NOOP after expunge under QRESYNC: %q", u)
	}
}

// TestCondStore: UNCHANGEDSINCE fails for messages changed meanwhile
// with [MODIFIED] (RFC 7162 §3.1.3).
func TestCondStore(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", testMessage("a", "x"), 0)
	e.deliver("", testMessage("b", "x"), 0)
	r := e.login()
	u := r.OK("s SELECT INBOX (CONDSTORE)")
	if !has(u, "[HIGHESTMODSEQ ") {
		t.Fatalf("SELECT (CONDSTORE): %q", u)
	}
	u = r.OK("f FETCH 1:* (MODSEQ)")
	if len(u) != 2 || !has(u, "MODSEQ (") {
		t.Fatalf("FETCH MODSEQ: %q", u)
	}
	ms := strings.TrimSuffix(strings.SplitAfter(u[0], "MODSEQ (")[1], "))")
	r.OK("c STORE 2 +FLAGS (\\Seen)")
	_, tagged := r.Cmd("u STORE 1:2 (UNCHANGEDSINCE " + ms + ") +FLAGS (\\Flagged)")
	if !strings.HasPrefix(tagged, "u OK [MODIFIED 2]") {
		t.Errorf("conditional STORE: %q", tagged)
	}
	u = r.OK("g FETCH 1:* (FLAGS) (CHANGEDSINCE " + ms + ")")
	if len(u) != 2 {
		t.Errorf("FETCH CHANGEDSINCE: %q", u)
	}
}

// TestExpungeDeferred: no EXPUNGE is sent during FETCH, STORE or SEARCH by
// sequence number (RFC 9051 §7.5.1); it comes with the next NOOP.
func TestExpungeDeferred(t *testing.T) {
	e := newEnv(t, nil)
	e.deliverN(3)
	r := e.login()
	r.OK("s SELECT INBOX")
	o := e.login()
	o.OK("s SELECT INBOX")
	o.OK("d STORE 2 +FLAGS.SILENT (\\Deleted)")
	o.OK("x EXPUNGE")
	e.deliver("", testMessage("new", "x"), 0)
	u := r.OK("f FETCH 1:* (UID)")
	if has(u, "EXPUNGE") || !has(u, "* 4 EXISTS") {
		t.Errorf("FETCH: %q", u)
	}
	if has(u, "UID 2)") {
		t.Errorf("FETCH returned an expunged message: %q", u)
	}
	u = r.OK("g FETCH 3 (UID)")
	if !has(u, "* 3 FETCH (UID 3)") {
		t.Errorf("sequence numbers moved before EXPUNGE was sent: %q", u)
	}
	u = r.OK("n NOOP")
	if !has(u, "* 2 EXPUNGE") {
		t.Errorf("NOOP: %q", u)
	}
	u = r.OK("h FETCH 3 (UID)")
	if !has(u, "* 3 FETCH (UID 4)") {
		t.Errorf("after EXPUNGE: %q", u)
	}
}

// TestRobustness: bad syntax gets BAD and the session goes on; pipelined
// commands are answered in order; an oversized literal gets [TOOBIG].
func TestRobustness(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.MaxMessageSize = 1000 })
	r := e.login()
	r.Send("p1 NOOP\r\np2 FETCH\r\np3 SELECT INBOX\r\np4 NOOP\r\n")
	for _, tag := range []string{"p1 OK", "p2 BAD", "p3 OK", "p4 OK"} {
		_, tagged := r.Until(strings.Fields(tag)[0])
		if !strings.HasPrefix(tagged, tag) {
			t.Errorf("pipelined: %q, want %s", tagged, tag)
		}
	}
	_, tagged := r.Cmd("b APPEND INBOX {5000}")
	if !strings.HasPrefix(tagged, "b NO [TOOBIG]") {
		t.Errorf("big APPEND: %q", tagged)
	}
	r.Send("c APPEND INBOX {2000+}\r\n" + strings.Repeat("x", 2000) + "\r\n")
	if _, tagged := r.Until("c"); !strings.HasPrefix(tagged, "c NO [TOOBIG]") {
		t.Errorf("big non-synchronizing APPEND: %q", tagged)
	}
	_, tagged = r.Cmd("d LOGIN a b")
	if !strings.HasPrefix(tagged, "d BAD") {
		t.Errorf("LOGIN when authenticated: %q", tagged)
	}
	r.OK("e NOOP")
	r.Send("f NOOP " + strings.Repeat("x", 70000) + "\r\n")
	if _, tagged := r.Until("f"); !strings.HasPrefix(tagged, "f BAD [TOOBIG]") {
		t.Errorf("long line: %q", tagged)
	}
	r.OK("g NOOP")
	// A client that disconnects mid-literal stores nothing.
	r.Send("h APPEND INBOX {10+}\r\nabc")
	r.C.Close()
	time.Sleep(100 * time.Millisecond)
	mb, err := e.st.Mailbox(context.Background(), e.acct.ID, "INBOX")
	if err != nil || mb.Messages != 0 {
		t.Errorf("after a cut APPEND: %d messages, %v", mb.Messages, err)
	}
}

// TestRev1Rev2: ENABLE IMAP4rev2 drops RECENT and SEARCH responses for
// ESEARCH; IMAP4rev1 clients get modified UTF-7 names.
func TestRev1Rev2(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", testMessage("a", "x"), 0)
	r := e.login()
	r.OK(`c CREATE "Entw&APw-rfe"`)
	u := r.OK(`l LIST "" "Entw*"`)
	if !has(u, `"/" Entw&APw-rfe`) {
		t.Errorf("rev1 LIST: %q", u)
	}
	u = r.OK("s SELECT INBOX")
	if !has(u, "* 1 RECENT") {
		t.Errorf("rev1 SELECT: %q", u)
	}
	u = r.OK("x UID SEARCH RETURN (COUNT) ALL")
	if !has(u, `* ESEARCH (TAG "x") UID COUNT`) {
		t.Errorf("ESEARCH: %q", u)
	}
	r2 := e.login()
	u = r2.OK("e ENABLE IMAP4rev2")
	if !has(u, "* ENABLED IMAP4rev2") {
		t.Errorf("ENABLE: %q", u)
	}
	u = r2.OK(`l LIST "" "Entw*"`)
	if !has(u, `"/" "Entwürfe"`) {
		t.Errorf("rev2 LIST: %q", u)
	}
	u = r2.OK("s SELECT INBOX")
	if has(u, "RECENT") || !has(u, `* LIST () "/" INBOX`) {
		t.Errorf("rev2 SELECT: %q", u)
	}
	u = r2.OK("x SEARCH ALL")
	if !has(u, `* ESEARCH (TAG "x")`) {
		t.Errorf("rev2 SEARCH: %q", u)
	}
	// \Recent went to the first session only.
	if has(u, "RECENT") {
		t.Errorf("second session: %q", u)
	}
}

func TestAuthenticatePlain(t *testing.T) {
	e := newEnv(t, nil)
	r := e.dial()
	ir := base64.StdEncoding.EncodeToString([]byte("\x00" + testUser + "\x00" + testPass))
	r.OK("a AUTHENTICATE PLAIN " + ir)
	r2 := e.dial()
	r2.Send("b AUTHENTICATE PLAIN\r\n")
	if l := r2.Line(); l != "+ " {
		t.Fatalf("continuation %q", l)
	}
	r2.Send(base64.StdEncoding.EncodeToString([]byte("\x00"+testUser+"\x00wrong")) + "\r\n")
	if _, tagged := r2.Until("b"); !strings.HasPrefix(tagged, "b NO [AUTHENTICATIONFAILED]") {
		t.Errorf("wrong password: %q", tagged)
	}
	_, tagged := r2.Cmd("c AUTHENTICATE PLAIN %%%")
	if !strings.HasPrefix(tagged, "c BAD") {
		t.Errorf("bad base64: %q", tagged)
	}
}

// TestSearchAndSections: SEARCH keys on content, ESEARCH with SAVE and
// "$", MODSEQ in results; BODY sections and BINARY.
func TestSearchAndSections(t *testing.T) {
	needImapmsg(t)
	e := newEnv(t, nil)
	e.deliver("", testMessage("apples", "red fruit"), 0)
	e.deliver("", testMessage("pears", "green fruit"), store.FlagSeen)
	e.deliver("", testMessage("plums", "purple"), 0)
	r := e.login()
	r.OK("s SELECT INBOX")
	u := r.OK("a SEARCH SUBJECT pears")
	if !has(u, "* SEARCH 2") {
		t.Errorf("SEARCH SUBJECT: %q", u)
	}
	u = r.OK("b UID SEARCH OR BODY red BODY green")
	if !has(u, "* SEARCH 1 2") {
		t.Errorf("SEARCH OR BODY: %q", u)
	}
	u = r.OK("c SEARCH RETURN (SAVE MIN) TEXT fruit")
	if !has(u, `* ESEARCH (TAG "c") MIN 1`) {
		t.Errorf("ESEARCH: %q", u)
	}
	u = r.OK("d FETCH $ (UID)")
	if len(u) != 1 || !has(u, "UID 1") {
		t.Errorf("FETCH $ after SAVE with MIN: %q", u)
	}
	u = r.OK("e SEARCH UNSEEN NOT 3")
	if !has(u, "* SEARCH 1") || has(u, "* SEARCH 1 ") {
		t.Errorf("SEARCH UNSEEN NOT 3: %q", u)
	}
	u = r.OK("f SEARCH MODSEQ 1")
	if !has(u, "(MODSEQ ") {
		t.Errorf("SEARCH MODSEQ: %q", u)
	}
	u = r.OK("g FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject)] BODY.PEEK[TEXT]<0.3> BINARY.PEEK[1] FLAGS)")
	if !has(u, "Subject: apples") || !has(u, "BODY[TEXT]<0> {3}\r\nred") || !has(u, "BINARY[1]") || has(u, `\Seen`) {
		t.Errorf("FETCH sections: %q", u)
	}
	u = r.OK("h FETCH 1 (BODY[TEXT])")
	if !has(u, `\Seen`) {
		t.Errorf("FETCH BODY[] did not set \\Seen: %q", u)
	}
	_, tagged := r.Cmd("i SEARCH CHARSET KOI8-R ALL")
	if !strings.HasPrefix(tagged, "i NO [BADCHARSET") {
		t.Errorf("unknown charset: %q", tagged)
	}
}

// TestRecentFlagByVersion: FETCH FLAGS lists \Recent to an IMAP4rev1
// session that was first to see a message (RFC 3501 §2.3.2), never to one
// that enabled IMAP4rev2, which dropped the flag (RFC 9051 Appendix E).
func TestRecentFlagByVersion(t *testing.T) {
	for _, rev2 := range []bool{false, true} {
		e := newEnv(t, nil)
		e.deliver("INBOX", "Subject: new\r\n\r\nbody\r\n", 0)
		r := e.login()
		if rev2 {
			r.OK("e ENABLE IMAP4rev2")
		}
		r.OK("s SELECT INBOX")
		u := r.OK("f FETCH 1 (FLAGS)")
		if len(u) != 1 || strings.Contains(u[0], `\Recent`) == rev2 {
			t.Errorf("IMAP4rev2 %v: FETCH %q", rev2, u)
		}
	}
}
