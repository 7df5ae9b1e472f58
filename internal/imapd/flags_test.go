package imapd

import "testing"

// TestNewKeywordFlags: a keyword new to the mailbox is announced with
// FLAGS (and PERMANENTFLAGS) before the first FETCH that shows it (RFC
// 9051 §7.3.5: the flags applicable to the mailbox, which the client
// records), to the session that set it and to the others, once.
func TestNewKeywordFlags(t *testing.T) {
	e := newEnv(t, nil)
	e.deliverN(2)
	e.login().OK("s SELECT INBOX") // takes \Recent
	o := e.login()
	o.OK("s SELECT INBOX")
	x := e.login()
	x.OK("x EXAMINE INBOX")
	r := e.login()
	r.OK("s SELECT INBOX")
	const std = `\Answered \Flagged \Deleted \Seen \Draft`
	r.exact("a STORE 1 +FLAGS ($Work)", "OK",
		"* FLAGS ("+std+" $Work)",
		"* OK [PERMANENTFLAGS ("+std+` $Work \*)] Flags permitted`,
		"* 1 FETCH (FLAGS ($Work))")
	r.exact("b STORE 2 +FLAGS ($Work)", "OK", "* 2 FETCH (FLAGS ($Work))")
	o.exact("n NOOP", "OK",
		"* FLAGS ("+std+" $Work)",
		"* OK [PERMANENTFLAGS ("+std+` $Work \*)] Flags permitted`,
		"* 1 FETCH (UID 1 FLAGS ($Work))",
		"* 2 FETCH (UID 2 FLAGS ($Work))")
	x.exact("n NOOP", "OK",
		"* FLAGS ("+std+" $Work)",
		"* OK [PERMANENTFLAGS ()] Read-only mailbox",
		"* 1 FETCH (UID 1 FLAGS ($Work))",
		"* 2 FETCH (UID 2 FLAGS ($Work))")
	// A keyword that came with APPEND, seen first in a FETCH; the list
	// stays sorted.
	r.OK("c APPEND INBOX ($Alpha) {5+}\r\nhello")
	r.exact("d FETCH 3 (FLAGS)", "OK",
		"* FLAGS ("+std+" $Alpha $Work)",
		"* OK [PERMANENTFLAGS ("+std+` $Alpha $Work \*)] Flags permitted`,
		"* 3 FETCH (FLAGS (\\Recent $Alpha))")
	r.exact("e FETCH 1:3 (FLAGS)", "OK", "* 1 FETCH (FLAGS ($Work))", "* 2 FETCH (FLAGS ($Work))",
		"* 3 FETCH (FLAGS (\\Recent $Alpha))")
	// A new session gets them with SELECT.
	n := e.login()
	u := n.OK("s SELECT INBOX")
	if len(u) < 2 || u[0] != "* FLAGS ("+std+" $Alpha $Work)" {
		t.Errorf("SELECT: %q", u)
	}
	n.exact("f FETCH 3 (FLAGS)", "OK", "* 3 FETCH (FLAGS ($Alpha))")
}
