package imapd

import (
	"strings"
	"testing"
)

// statusModSeq is the mailbox's HIGHESTMODSEQ as STATUS gives it, read in
// a session of its own.
func (e *env) statusModSeq(mailbox string) string {
	e.t.Helper()
	r := e.login()
	u := r.OK("st STATUS " + mailbox + " (HIGHESTMODSEQ)")
	_, v, _ := strings.Cut(u[0], "(HIGHESTMODSEQ ")
	return strings.TrimSuffix(v, ")")
}

// TestCondstoreImplicitEnable: each CONDSTORE enabling command issued
// while a mailbox is selected sends the mailbox's HIGHESTMODSEQ once
// (RFC 7162 §3.1, §3.1.2.1): the client had it from no SELECT.
func TestCondstoreImplicitEnable(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", testMessage("a", "x"), 0)
	e.deliver("", testMessage("b", "x"), 0)
	hms := e.statusModSeq("INBOX")
	for _, cmd := range []string{
		"STATUS INBOX (HIGHESTMODSEQ)",
		"FETCH 1 (MODSEQ)",
		"UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)",
		"SEARCH MODSEQ 1",
		`STORE 1 (UNCHANGEDSINCE 0) -FLAGS.SILENT (kw)`,
		"ENABLE CONDSTORE",
		"ENABLE QRESYNC",
	} {
		r := e.login()
		noCode(t, "SELECT", r.OK("s SELECT INBOX"), "HIGHESTMODSEQ")
		u := r.OK("c " + cmd)
		if got := respCode(u, "HIGHESTMODSEQ"); got != hms {
			t.Errorf("%s while selected: HIGHESTMODSEQ %q, want %s (%q)", cmd, got, hms, u)
		}
		noCode(t, cmd+" again", r.OK("d "+cmd), "HIGHESTMODSEQ")
		if got := respCode(r.OK("x EXAMINE INBOX"), "HIGHESTMODSEQ"); got != hms {
			t.Errorf("EXAMINE after %s: HIGHESTMODSEQ %q, want %s", cmd, got, hms)
		}
	}
	// Not selected: nothing to report.
	r := e.login()
	noCode(t, "ENABLE CONDSTORE, nothing selected", r.OK("e ENABLE CONDSTORE"), "HIGHESTMODSEQ")
	if got := respCode(r.OK("s SELECT INBOX"), "HIGHESTMODSEQ"); got != hms {
		t.Errorf("SELECT after ENABLE CONDSTORE: %q, want %s", got, hms)
	}
}

// TestCondstoreNoModSeqNever: every mailbox has mod-sequences, an empty
// one too: SELECT (CONDSTORE) gives HIGHESTMODSEQ, never NOMODSEQ
// (RFC 7162 §3.1.2.2), the value STATUS gives.
func TestCondstoreNoModSeqNever(t *testing.T) {
	e := newEnv(t, nil)
	r := e.login()
	r.OK("c CREATE Empty")
	hms := e.statusModSeq("Empty")
	u := r.OK("s SELECT Empty (CONDSTORE)")
	noCode(t, "SELECT", u, "NOMODSEQ")
	if has(u, "NOMODSEQ") || respCode(u, "HIGHESTMODSEQ") != hms || hms == "" {
		t.Errorf("SELECT (CONDSTORE) of an empty mailbox: %q (STATUS %s)", u, hms)
	}
	u = r.OK("x EXAMINE INBOX (CONDSTORE)")
	if respCode(u, "HIGHESTMODSEQ") != e.statusModSeq("INBOX") {
		t.Errorf("EXAMINE (CONDSTORE): %q", u)
	}
}

// TestCondstoreStoreResponses: under CONDSTORE every untagged FETCH a
// STORE causes carries UID and MODSEQ, .SILENT ones too (RFC 7162 §3.1,
// §3.1.3); UNCHANGEDSINCE stores the unchanged messages and names the
// others in [MODIFIED] (UIDs for UID STORE), whose changes the session
// then gets; UNCHANGEDSINCE 0 changes nothing.
func TestCondstoreStoreResponses(t *testing.T) {
	e := newEnv(t, nil)
	e.deliverN(3)
	e.login().OK("s SELECT INBOX") // takes \Recent
	r := e.login()
	r.OK("s SELECT INBOX (CONDSTORE)")
	u1 := r.OK(`a STORE 1 +FLAGS (\Flagged)`)
	u2 := r.OK(`b STORE 1 +FLAGS.SILENT (\Seen)`)
	ms := r.modseqs()
	if ms[1] == 0 {
		t.Fatalf("modseqs %v", ms)
	}
	sameLines(t, "STORE under CONDSTORE", u1, `* 1 FETCH (UID 1 FLAGS (\Flagged) MODSEQ (`+itoa64(ms[1]-1)+"))")
	sameLines(t, "STORE .SILENT under CONDSTORE", u2, "* 1 FETCH (UID 1 MODSEQ ("+itoa64(ms[1])+"))")

	o := e.login()
	o.OK("s SELECT INBOX")
	o.OK(`f STORE 2 +FLAGS.SILENT (\Seen)`)
	since := itoa64(max(ms[1], ms[3]))
	u := r.status(`c UID STORE 1:3 (UNCHANGEDSINCE `+since+`) +FLAGS (\Answered)`, "OK [MODIFIED 2]")
	ms2 := r.modseqs()
	sameLines(t, "UID STORE UNCHANGEDSINCE", u,
		`* 1 FETCH (UID 1 FLAGS (\Seen \Answered \Flagged) MODSEQ (`+itoa64(ms2[1])+"))",
		`* 3 FETCH (UID 3 FLAGS (\Answered) MODSEQ (`+itoa64(ms2[3])+"))",
		`* 2 FETCH (UID 2 FLAGS (\Seen) MODSEQ (`+itoa64(ms2[2])+"))")
	r.exact(`d STORE 1:3 (UNCHANGEDSINCE 0) +FLAGS (\Deleted)`, "OK [MODIFIED 1:3]")
	u = r.status(`e UID STORE 2 (UNCHANGEDSINCE `+itoa64(ms2[2])+`) -FLAGS.SILENT (\Seen)`, "OK STORE")
	ms3 := r.modseqs()
	sameLines(t, "UID STORE UNCHANGEDSINCE, unchanged", u, "* 2 FETCH (UID 2 MODSEQ ("+itoa64(ms3[2])+"))")

	// FETCH CHANGEDSINCE: the messages changed since, with MODSEQ.
	r.exact("f FETCH 1:3 (FLAGS) (CHANGEDSINCE "+itoa64(ms2[3])+")", "OK",
		"* 2 FETCH (FLAGS () MODSEQ ("+itoa64(ms3[2])+"))")
	r.exact("g UID FETCH 1:* (UID) (CHANGEDSINCE "+itoa64(ms3[2])+")", "OK")
}

// TestCondstoreImplicitSeen: a body FETCH that sets \Seen under CONDSTORE
// sends the new FLAGS with UID and MODSEQ (RFC 7162 §3.1).
func TestCondstoreImplicitSeen(t *testing.T) {
	needImapmsg(t)
	e := newEnv(t, nil)
	e.deliver("", testMessage("m", "x"), 0)
	e.login().OK("s SELECT INBOX")
	r := e.login()
	r.OK("s SELECT INBOX (CONDSTORE)")
	u := r.OK("f FETCH 1 (BODY[TEXT])")
	ms := r.modseqs()
	sameLines(t, "FETCH BODY[TEXT]", u, "* 1 FETCH (BODY[TEXT] {3}\r\nx\r\n FLAGS (\\Seen) UID 1 MODSEQ ("+itoa64(ms[1])+"))")
	// Already seen: no FLAGS.
	r.exact("g FETCH 1 (BODY[TEXT])", "OK", "* 1 FETCH (BODY[TEXT] {3}\r\nx\r\n)")
}

// TestCondstoreSearchModSeq: SEARCH MODSEQ returns the highest
// mod-sequence of the messages returned (RFC 7162 §3.1.5): with ESEARCH,
// of MIN and/or MAX when only those are asked for, of all matches with
// ALL or COUNT (RFC 4731 §3.2); none when nothing matches or the key does
// not use MODSEQ.
func TestCondstoreSearchModSeq(t *testing.T) {
	e := newEnv(t, nil)
	e.deliverN(4)
	e.login().OK("s SELECT INBOX")
	r := e.login()
	r.OK("s SELECT INBOX (CONDSTORE)")
	r.OK(`a STORE 4 +FLAGS (\Seen)`)
	r.OK(`b STORE 1 +FLAGS (\Seen)`)
	r.OK(`c STORE 2 +FLAGS (\Deleted)`) // the highest: 2, then 1, then 4
	ms := r.modseqs()
	m := func(u int) string { return itoa64(ms[storeUID(u)]) }
	r.exact("d SEARCH MODSEQ 1", "OK", "* SEARCH 1 2 3 4 (MODSEQ "+m(2)+")")
	r.exact("e SEARCH MODSEQ "+m(4), "OK", "* SEARCH 1 2 4 (MODSEQ "+m(2)+")")
	r.exact("f SEARCH NOT MODSEQ "+m(2), "OK", "* SEARCH 1 3 4 (MODSEQ "+m(1)+")")
	r.exact("g SEARCH MODSEQ "+itoa64(ms[2]+1), "OK", "* SEARCH")
	r.exact(`h UID SEARCH MODSEQ "/flags/\\seen" all `+m(1), "OK", "* SEARCH 1 2 (MODSEQ "+m(2)+")")
	r.exact("i SEARCH DELETED", "OK", "* SEARCH 2")
	r.exact("j SEARCH RETURN (MIN) MODSEQ 1", "OK", `* ESEARCH (TAG "j") MIN 1 MODSEQ `+m(1))
	r.exact("k SEARCH RETURN (MAX) MODSEQ 1", "OK", `* ESEARCH (TAG "k") MAX 4 MODSEQ `+m(4))
	r.exact("l SEARCH RETURN (MIN MAX) MODSEQ 1", "OK", `* ESEARCH (TAG "l") MIN 1 MAX 4 MODSEQ `+m(1))
	r.exact("n SEARCH RETURN (COUNT) MODSEQ 1", "OK", `* ESEARCH (TAG "n") COUNT 4 MODSEQ `+m(2))
	r.exact("o SEARCH RETURN (MIN ALL) MODSEQ 1", "OK", `* ESEARCH (TAG "o") MIN 1 ALL 1:4 MODSEQ `+m(2))
	r.exact("p UID SEARCH RETURN (MAX) MODSEQ "+itoa64(ms[2]+1), "OK", `* ESEARCH (TAG "p") UID`)
}
