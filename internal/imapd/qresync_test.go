package imapd

import (
	"strings"
	"testing"
)

// qresyncLines keeps the resynchronisation responses of a SELECT: VANISHED
// and FETCH.
func qresyncLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "* VANISHED") || strings.Contains(l, " FETCH (") {
			out = append(out, l)
		}
	}
	return out
}

func sameLines(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// TestQresyncSelectScenarios: SELECT/EXAMINE with QRESYNC parameters
// (RFC 7162 §3.2.5): VANISHED (EARLIER) for what was expunged since the
// client's mod-sequence, within its known UIDs, FETCH (UID FLAGS MODSEQ)
// for what changed or arrived; nothing when the UIDVALIDITY differs or
// the client is up to date; BAD unless QRESYNC is enabled; [CLOSED] when
// a mailbox was selected (§3.2.11).
func TestQresyncSelectScenarios(t *testing.T) {
	e := newEnv(t, nil)
	e.deliverN(6)
	a := e.login()
	a.OK("e ENABLE QRESYNC")
	sel := a.OK("s SELECT INBOX") // claims \Recent for 1:6
	uv, hms0 := respCode(sel, "UIDVALIDITY"), respCode(sel, "HIGHESTMODSEQ")
	if uv == "" || hms0 == "" {
		t.Fatalf("SELECT after ENABLE QRESYNC: %q", sel)
	}
	a.OK("l LOGOUT")

	o := e.login()
	o.OK("s SELECT INBOX")
	o.OK(`f STORE 2 +FLAGS.SILENT (\Flagged)`)
	o.OK(`d STORE 4:5 +FLAGS.SILENT (\Deleted)`)
	o.OK("x EXPUNGE")
	e.deliver("", testMessage("new", "x"), 0) // UID 7, \Recent for o
	o.OK("n NOOP")
	ms := o.modseqs()
	hms1 := respCode([]string{"[HIGHESTMODSEQ " + strings.TrimSuffix(strings.Fields(
		o.OK("st STATUS INBOX (HIGHESTMODSEQ)")[0])[4], ")") + "]"}, "HIGHESTMODSEQ")
	fetch2 := `* 2 FETCH (UID 2 FLAGS (\Flagged) MODSEQ (` + itoa64(ms[2]) + "))"
	fetch7 := "* 5 FETCH (UID 7 FLAGS () MODSEQ (" + itoa64(ms[7]) + "))"

	r := e.login()
	r.status("b SELECT INBOX (QRESYNC ("+uv+" "+hms0+"))", "BAD")
	r.exact("e ENABLE QRESYNC", "OK", "* ENABLED QRESYNC")

	u := r.status("s1 SELECT INBOX (QRESYNC ("+uv+" "+hms0+" 1:6))", "OK [READ-WRITE]")
	sameLines(t, "QRESYNC SELECT", qresyncLines(u), "* VANISHED (EARLIER) 4:5", fetch2, fetch7)
	if got := respCode(u, "HIGHESTMODSEQ"); got != hms1 {
		t.Errorf("SELECT HIGHESTMODSEQ %s, STATUS says %s", got, hms1)
	}
	if !has(u, "* 5 EXISTS") || !has(u, "[UIDNEXT 8]") {
		t.Errorf("QRESYNC SELECT: %q", u)
	}

	// Selecting again closes the mailbox first; known UIDs limit VANISHED.
	u = r.status("s2 SELECT INBOX (QRESYNC ("+uv+" "+hms0+" 1:3))", "OK [READ-WRITE]")
	if len(u) == 0 || u[0] != "* OK [CLOSED] Previous mailbox closed" {
		t.Errorf("SELECT while selected: %q", u)
	}
	sameLines(t, "known UIDs 1:3", qresyncLines(u), fetch2, fetch7)

	// Without known UIDs: every UID expunged since; the sequence match
	// data is accepted.
	u = r.status("s3 EXAMINE INBOX (QRESYNC ("+uv+" "+hms0+"))", "OK [READ-ONLY]")
	sameLines(t, "no known UIDs", qresyncLines(u), "* VANISHED (EARLIER) 4:5", fetch2, fetch7)
	u = r.status("s4 SELECT INBOX (QRESYNC ("+uv+" "+hms0+" 1:7 (1:4 1:4)))", "OK [READ-WRITE]")
	sameLines(t, "sequence match data", qresyncLines(u), "* VANISHED (EARLIER) 4:5", fetch2, fetch7)

	// Another UIDVALIDITY: the client's cache is void, nothing to resync.
	u = r.status("s5 SELECT INBOX (QRESYNC (1 "+hms0+" 1:6))", "OK [READ-WRITE]")
	sameLines(t, "other UIDVALIDITY", qresyncLines(u))
	// Up to date: nothing either.
	u = r.status("s6 SELECT INBOX (QRESYNC ("+uv+" "+hms1+" 1:7))", "OK [READ-WRITE]")
	sameLines(t, "up to date", qresyncLines(u))
	if respCode(u, "HIGHESTMODSEQ") != hms1 {
		t.Errorf("up to date SELECT: %q", u)
	}
}

// TestQresyncFetchVanished: UID FETCH ... (CHANGEDSINCE n VANISHED)
// reports the expunged UIDs of the set as VANISHED (EARLIER) before the
// changed messages (RFC 7162 §3.2.6); VANISHED needs UID FETCH, QRESYNC
// and CHANGEDSINCE.
func TestQresyncFetchVanished(t *testing.T) {
	e := newEnv(t, nil)
	e.deliverN(6)
	e.login().OK("s SELECT INBOX") // takes \Recent
	r := e.login()
	r.OK("e ENABLE QRESYNC")
	hms0 := respCode(r.OK("s SELECT INBOX"), "HIGHESTMODSEQ")
	o := e.login()
	o.OK("s SELECT INBOX")
	o.OK(`f STORE 2 +FLAGS.SILENT (\Flagged)`)
	o.OK(`d STORE 4:5 +FLAGS.SILENT (\Deleted)`)
	o.OK("x EXPUNGE")
	ms := o.modseqs()
	fetch2 := `* 2 FETCH (UID 2 FLAGS (\Flagged) MODSEQ (` + itoa64(ms[2]) + "))"

	// The session still has 4 and 5 (no NOOP yet): UID FETCH may announce
	// the expunges (RFC 9051 §7.5.1), after the command's responses.
	r.exact("v1 UID FETCH 1:* (FLAGS) (CHANGEDSINCE "+hms0+" VANISHED)", "OK",
		"* VANISHED (EARLIER) 4:5", fetch2, "* VANISHED 4:5")
	r.exact("v2 UID FETCH 1:* (FLAGS) (CHANGEDSINCE "+hms0+" VANISHED)", "OK",
		"* VANISHED (EARLIER) 4:5", fetch2)
	r.exact("v3 UID FETCH 1:3 (FLAGS) (CHANGEDSINCE "+hms0+" VANISHED)", "OK", fetch2)
	r.exact("v4 UID FETCH 5:* (FLAGS) (CHANGEDSINCE "+hms0+" VANISHED)", "OK", "* VANISHED (EARLIER) 5")
	// Without VANISHED, CHANGEDSINCE alone: the changed messages only.
	r.exact("v5 UID FETCH 1:* (FLAGS) (CHANGEDSINCE "+hms0+")", "OK", fetch2)
	r.status("b1 FETCH 1:* (FLAGS) (CHANGEDSINCE "+hms0+" VANISHED)", "BAD")
	r.status("b2 UID FETCH 1:* (FLAGS) (VANISHED)", "BAD")
	r.status("b3 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 0 VANISHED)", "BAD")
	c := e.login()
	c.OK("e ENABLE CONDSTORE")
	c.OK("s SELECT INBOX")
	c.status("b4 UID FETCH 1:* (FLAGS) (CHANGEDSINCE "+hms0+" VANISHED)", "BAD")
}

// TestQresyncExpunges: once QRESYNC is enabled, expunges are announced as
// VANISHED, never EXPUNGE (RFC 7162 §3.2.10), under the same rules as
// EXPUNGE: not during FETCH, STORE or SEARCH by sequence number. CLOSE
// expunges silently, UNSELECT not at all (RFC 3691).
func TestQresyncExpunges(t *testing.T) {
	e := newEnv(t, nil)
	e.deliverN(6)
	e.login().OK("s SELECT INBOX")
	r := e.login()
	r.OK("e ENABLE QRESYNC")
	r.OK("s SELECT INBOX")
	r.OK(`d STORE 1 +FLAGS.SILENT (\Deleted)`)
	r.exact("x EXPUNGE", "OK", "* VANISHED 1")
	o := e.login()
	o.OK("s SELECT INBOX")
	o.OK(`d UID STORE 2:3 +FLAGS.SILENT (\Deleted)`)
	o.OK("x EXPUNGE")
	r.exact("f FETCH 3 (UID)", "OK", "* 3 FETCH (UID 4)")
	r.exact("g SEARCH ALL", "OK", "* SEARCH 3 4 5")
	r.exact("n NOOP", "OK", "* VANISHED 2:3")
	r.exact("h FETCH 1 (UID)", "OK", "* 1 FETCH (UID 4)")
	o.OK(`d2 UID STORE 6 +FLAGS.SILENT (\Deleted)`)
	o.OK("x2 UID EXPUNGE 6")
	r.exact("i UID SEARCH ALL", "OK", "* SEARCH 4 5", "* VANISHED 6")
	// MOVE out of the mailbox: COPYUID, then VANISHED (RFC 6851 §4.3,
	// §4.4); UID EXPUNGE too.
	u := r.status("m UID MOVE 5 Trash", "OK")
	if len(u) != 2 || !strings.HasPrefix(u[0], "* OK [COPYUID ") || !strings.HasSuffix(u[0], " 5 1] Moved") ||
		u[1] != "* VANISHED 5" {
		t.Errorf("UID MOVE under QRESYNC: %q", u)
	}
	e.deliverN(1) // UID 7
	r.exact("n5 NOOP", "OK", "* 2 EXISTS", "* 1 RECENT")
	r.OK(`d5 UID STORE 7 +FLAGS.SILENT (\Deleted)`)
	r.exact("x5 UID EXPUNGE 7", "OK", "* VANISHED 7")

	// CLOSE expunges without a response; the mailbox is left empty.
	e.deliverN(1) // UID 8
	r.OK(`d3 STORE 1 +FLAGS.SILENT (\Deleted)`)
	r.exact("c CLOSE", "OK")
	r.exact("st STATUS INBOX (MESSAGES)", "OK", "* STATUS INBOX (MESSAGES 1)")
	// After CLOSE nothing is selected: no [CLOSED] on the next SELECT.
	u = r.OK("s2 SELECT INBOX")
	if has(u, "[CLOSED]") {
		t.Errorf("SELECT after CLOSE: %q", u)
	}
	r.OK(`d4 STORE 1 +FLAGS.SILENT (\Deleted)`)
	r.exact("us UNSELECT", "OK")
	r.exact("st2 STATUS INBOX (MESSAGES)", "OK", "* STATUS INBOX (MESSAGES 1)")
	r.status("f2 FETCH 1 (UID)", "BAD")
}
