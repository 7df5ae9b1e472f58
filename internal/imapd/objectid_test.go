package imapd

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/testkit"
)

var (
	emailIDRE  = regexp.MustCompile(`EMAILID \(([A-Za-z0-9_-]+)\)`)
	threadIDRE = regexp.MustCompile(`THREADID \(([A-Za-z0-9_-]+)\)`)
	mboxIDRE   = regexp.MustCompile(`MAILBOXID \(([A-Za-z0-9_-]+)\)`)
)

func firstMatch(t *testing.T, re *regexp.Regexp, lines ...string) string {
	t.Helper()
	for _, l := range lines {
		if m := re.FindStringSubmatch(l); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no %s in %q", re, lines)
	return ""
}

// TestObjectIDs: EMAILID and THREADID are kept by COPY and MOVE and
// across a restart of the server; MAILBOXID by RENAME (RFC 8474 §4, §5).
func TestObjectIDs(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", testMessage("root", "first"), 0)
	reply := "From: bob@example.net\r\nSubject: Re: root\r\nMessage-ID: <r2@example.net>\r\n" +
		"In-Reply-To: <root@example.net>\r\nReferences: <root@example.net>\r\n\r\nreply\r\n"
	e.deliver("", reply, 0)
	e.deliver("", testMessage("other", "unrelated"), 0)

	r := e.login()
	caps := r.OK("c CAPABILITY")
	if !has(caps, " OBJECTID") {
		t.Fatalf("CAPABILITY lacks OBJECTID: %q", caps)
	}
	r.status("c1 CREATE Keep", "OK [MAILBOXID (")
	_, tagged := r.Cmd("c2 CREATE Keep2")
	keep2 := firstMatch(t, mboxIDRE, tagged)
	st := r.OK("s1 STATUS Keep2 (MAILBOXID MESSAGES)")
	if got := firstMatch(t, mboxIDRE, st...); got != keep2 {
		t.Errorf("STATUS MAILBOXID %s, CREATE said %s", got, keep2)
	}
	r.OK("r1 RENAME Keep2 Renamed")
	st = r.OK("s2 STATUS Renamed (MAILBOXID)")
	if got := firstMatch(t, mboxIDRE, st...); got != keep2 {
		t.Errorf("MAILBOXID after RENAME %s, before %s", got, keep2)
	}
	ls := r.OK(`ls LIST "" Renamed RETURN (STATUS (MAILBOXID))`) // RFC 5819 LIST-STATUS
	if got := firstMatch(t, mboxIDRE, ls...); got != keep2 {
		t.Errorf("LIST-STATUS MAILBOXID %s, want %s", got, keep2)
	}
	sel := r.OK("s SELECT INBOX")
	inboxID := firstMatch(t, mboxIDRE, sel...)
	if inboxID == keep2 {
		t.Errorf("INBOX and Keep2 share MAILBOXID %s", inboxID)
	}

	f := r.OK("f UID FETCH 1:3 (EMAILID THREADID)")
	if len(f) != 3 {
		t.Fatalf("FETCH: %q", f)
	}
	ids := make([]string, 3)
	threads := make([]string, 3)
	for i, l := range f {
		ids[i] = firstMatch(t, emailIDRE, l)
		threads[i] = firstMatch(t, threadIDRE, l)
	}
	if ids[0] == ids[1] || ids[1] == ids[2] {
		t.Errorf("EMAILIDs not distinct: %q", ids)
	}
	if threads[0] != threads[1] || threads[0] == threads[2] {
		t.Errorf("THREADIDs %q: the reply must share its parent's thread, the other not", threads)
	}

	// SEARCH EMAILID and THREADID (RFC 8474 §6).
	r.exact("se UID SEARCH EMAILID "+ids[1], "OK", "* SEARCH 2")
	r.exact("st UID SEARCH THREADID "+threads[0], "OK", "* SEARCH 1 2")
	r.exact("sn UID SEARCH EMAILID Mnope", "OK", "* SEARCH")
	r.status("sb UID SEARCH EMAILID (x)", "BAD")
	r.status("sb2 UID SEARCH THREADID", "BAD")

	r.OK("cp UID COPY 1 Keep")
	r.OK("mv UID MOVE 2 Keep")
	r.OK("s2 SELECT Keep")
	f = r.OK("f2 UID FETCH 1:* (EMAILID THREADID)")
	if len(f) != 2 || firstMatch(t, emailIDRE, f[0]) != ids[0] || firstMatch(t, emailIDRE, f[1]) != ids[1] ||
		firstMatch(t, threadIDRE, f[1]) != threads[1] {
		t.Errorf("after COPY and MOVE: %q, want EMAILIDs %s %s", f, ids[0], ids[1])
	}
	r.OK("l LOGOUT")

	// A new server on the same store (a restart) answers the same.
	e2 := restartEnv(t, e)
	r2 := e2.login()
	r2.OK("s SELECT INBOX")
	f = r2.OK("f UID FETCH 3 (EMAILID)")
	if firstMatch(t, emailIDRE, f...) != ids[2] {
		t.Errorf("after restart: %q, want %s", f, ids[2])
	}
}

// restartEnv starts a second server on the store of e.
func restartEnv(t *testing.T, e *env) *env {
	t.Helper()
	srv := New(e.cfg, e.deps)
	ln := testkit.Listen(t)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	e2 := *e
	e2.srv, e2.addr = srv, ln.Addr().String()
	return &e2
}

// TestObjectIDFetchPaths: EMAILID comes out the same whatever path the
// FETCH takes (records only, with metadata, with bodies).
func TestObjectIDFetchPaths(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", testMessage("a", "x"), 0)
	r := e.login()
	r.OK("s SELECT INBOX")
	want := firstMatch(t, emailIDRE, r.OK("f UID FETCH 1 EMAILID")...)
	for _, items := range []string{"(EMAILID FLAGS)", "(ENVELOPE EMAILID)", "(BODY.PEEK[] EMAILID)", "(EMAILID BODY[TEXT])"} {
		got := r.OK("f FETCH 1 " + items)
		if firstMatch(t, emailIDRE, got...) != want || strings.Contains(strings.Join(got, ""), "THREADID") {
			t.Errorf("FETCH %s: %q, want EMAILID %s", items, got, want)
		}
	}
}
