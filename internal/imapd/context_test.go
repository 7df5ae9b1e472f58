package imapd

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 §4) through raw sockets.

// TestContextSearchUpdates: UID SEARCH RETURN (UPDATE) gets its result,
// then ADDTO when a message enters it (a delivery, this session's STORE,
// another session's STORE), REMOVEFROM when one leaves it (a flag
// change, an expunge, before the EXPUNGE), and nothing once cancelled.
func TestContextSearchUpdates(t *testing.T) {
	e := newEnv(t, nil)
	for i := 1; i <= 4; i++ {
		e.deliver("", testMessage("m"+strconv.Itoa(i), "x"), 0)
	}
	r := e.login()
	r.OK("e ENABLE IMAP4rev2")
	r.OK("s SELECT INBOX")
	r.OK(`s UID STORE 2 +FLAGS (\Seen)`)
	r.exact("A01 UID SEARCH RETURN (UPDATE) UNSEEN", "OK", `* ESEARCH (TAG "A01") UID ALL 1,3:4`)

	// A delivery: EXISTS, then the ADDTO (position 0 in a SEARCH).
	e.deliver("", testMessage("m5", "x"), 0)
	r.exact("n NOOP", "OK", "* 5 EXISTS", `* ESEARCH (TAG "A01") UID ADDTO (0 5)`)

	// This session's flag change: the message leaves, then comes back.
	r.exact(`f UID STORE 3 +FLAGS (\Seen)`, "OK", `* 3 FETCH (UID 3 FLAGS (\Seen))`,
		`* ESEARCH (TAG "A01") UID REMOVEFROM (0 3)`)
	r.exact(`f UID STORE 3 -FLAGS (\Seen)`, "OK", `* 3 FETCH (UID 3 FLAGS ())`,
		`* ESEARCH (TAG "A01") UID ADDTO (0 3)`)

	// Another session's change and expunge.
	o := e.login()
	o.OK("s SELECT INBOX")
	o.OK(`s UID STORE 2 -FLAGS (\Seen)`)
	o.OK(`s UID STORE 4 +FLAGS (\Deleted)`)
	o.OK("x EXPUNGE")
	r.exact("n NOOP", "OK", "* 2 FETCH (UID 2 FLAGS ())", `* ESEARCH (TAG "A01") UID REMOVEFROM (0 4)`, "* 4 EXPUNGE",
		`* ESEARCH (TAG "A01") UID ADDTO (0 2)`)

	// A plain FETCH allows no EXPUNGE, nor the updates (RFC 9051 §7.5.1).
	o.OK(`s UID STORE 1 +FLAGS (\Seen)`)
	u := r.OK("f FETCH 1 (UID)")
	if has(u, "ESEARCH") {
		t.Fatalf("update during FETCH: %q", u)
	}
	r.exact("n NOOP", "OK", `* ESEARCH (TAG "A01") UID REMOVEFROM (0 1)`)
	if !has(u, "* 1 FETCH (UID 1 FLAGS (\\Seen))") {
		t.Fatalf("FETCH: %q", u)
	}

	r.exact(`c CANCELUPDATE "A01"`, "OK")
	o.OK(`s UID STORE 1 -FLAGS (\Seen)`)
	e.deliver("", testMessage("m6", "x"), 0)
	r.exact("n NOOP", "OK", "* 1 FETCH (UID 1 FLAGS ())", "* 5 EXISTS")
	r.exact(`c CANCELUPDATE "A01"`, "BAD")
	r.exact(`c CANCELUPDATE A01`, "BAD")
}

// TestContextSearchBySequence: a SEARCH (not UID) with UPDATE names the
// messages by their sequence numbers as they are when the update is
// sent: the removal of an expunged message comes before its EXPUNGE.
func TestContextSearchBySequence(t *testing.T) {
	e := newEnv(t, nil)
	for i := 1; i <= 5; i++ {
		e.deliver("", testMessage("m"+strconv.Itoa(i), "x"), 0)
	}
	r := e.login()
	r.OK("e ENABLE IMAP4rev2")
	r.OK("s SELECT INBOX")
	r.exact("B1 SEARCH RETURN (COUNT UPDATE) UNDELETED", "OK", `* ESEARCH (TAG "B1") COUNT 5`)
	o := e.login()
	o.OK("s SELECT INBOX")
	o.OK(`s UID STORE 2,4 +FLAGS (\Deleted)`)
	r.exact("n NOOP", "OK", `* 2 FETCH (UID 2 FLAGS (\Deleted))`, `* 4 FETCH (UID 4 FLAGS (\Deleted))`,
		`* ESEARCH (TAG "B1") REMOVEFROM (0 2,4)`)
	o.OK("x EXPUNGE")
	e.deliver("", testMessage("m6", "x"), 0)
	// No REMOVEFROM for 2 and 4: they had left the result already.
	r.exact("n NOOP", "OK", "* 4 EXPUNGE", "* 2 EXPUNGE", "* 4 EXISTS", `* ESEARCH (TAG "B1") ADDTO (0 4)`)
}

// TestContextSortPositions: UID SORT RETURN (UPDATE) sends each added
// message at its position in the new sort order, lowest first, and each
// removed one at its position before, highest first (RFC 5267 §4.3).
func TestContextSortPositions(t *testing.T) {
	e := newEnv(t, nil)
	for _, s := range []string{"d", "b", "f"} { // UIDs 1 2 3
		e.deliver("", testMessage(s, "x"), 0)
	}
	r := e.login()
	r.OK("e ENABLE IMAP4rev2")
	r.OK("s SELECT INBOX")
	r.exact("S1 UID SORT RETURN (UPDATE) (SUBJECT) UTF-8 UNDELETED", "OK", `* ESEARCH (TAG "S1") UID ALL 2,1,3`)
	// Subjects a, e, g arrive (UIDs 4 5 6): order a b d e f g.
	for _, s := range []string{"a", "e", "g"} {
		e.deliver("", testMessage(s, "x"), 0)
	}
	r.exact("n NOOP", "OK", "* 6 EXISTS", `* ESEARCH (TAG "S1") UID ADDTO (1 4 4 5 6 6)`)
	// b (2) and e (5) leave: positions 2 and 4, highest first.
	r.exact(`f UID STORE 2,5 +FLAGS (\Deleted)`, "OK", `* 2 FETCH (UID 2 FLAGS (\Deleted))`,
		`* 5 FETCH (UID 5 FLAGS (\Deleted))`, `* ESEARCH (TAG "S1") UID REMOVEFROM (4 5 2 2)`)
	// REVERSE over all six: g f e d b a (6 3 5 1 2 4).
	r.exact("S2 UID SORT RETURN (MIN UPDATE) (REVERSE SUBJECT) UTF-8 ALL", "OK", `* ESEARCH (TAG "S2") UID MIN 6`)
	// S1 (a d f g) drops f (3) at position 3.
	r.exact(`f UID STORE 3 +FLAGS (\Deleted)`, "OK", `* 3 FETCH (UID 3 FLAGS (\Deleted))`,
		`* ESEARCH (TAG "S1") UID REMOVEFROM (3 3)`)
	// The expunge: S2 drops e (5), f (3), b (2) at 5, 3, 2 of g f e d b a,
	// before the EXPUNGE responses; S1 no longer has them.
	r.exact("x UID EXPUNGE 2:5", "OK", `* ESEARCH (TAG "S2") UID REMOVEFROM (5 2 3 5 2 3)`,
		"* 5 EXPUNGE", "* 3 EXPUNGE", "* 2 EXPUNGE")
}

// TestContextPartial: with PARTIAL the first response is the page, the
// updates are of the whole result (RFC 9394 §3.1 with RFC 5267 §4).
func TestContextPartial(t *testing.T) {
	e := newEnv(t, nil)
	for i := 1; i <= 6; i++ {
		e.deliver("", testMessage("m"+strconv.Itoa(i), "x"), 0)
	}
	r := e.login()
	r.OK("s SELECT INBOX")
	r.exact("P1 UID SEARCH RETURN (PARTIAL 1:2 UPDATE CONTEXT) ALL", "OK", `* ESEARCH (TAG "P1") UID PARTIAL (1:2 1:2)`)
	e.deliver("", testMessage("m7", "x"), 0)
	u := r.OK("n NOOP")
	if !has(u, `* ESEARCH (TAG "P1") UID ADDTO (0 7)`) {
		t.Fatalf("NOOP: %q", u)
	}
}

// TestContextLimit: past maxContexts the command is answered and an
// untagged NO [NOUPDATE "tag"] says it will not be updated (RFC 5267
// §4.1); a tag reused replaces its context; CANCELUPDATE frees a slot.
func TestContextLimit(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", testMessage("m1", "x"), 0)
	r := e.login()
	r.OK("s SELECT INBOX")
	for i := 0; i < maxContexts; i++ {
		r.exact("T"+strconv.Itoa(i)+" UID SEARCH RETURN (UPDATE) ALL", "OK", `* ESEARCH (TAG "T`+strconv.Itoa(i)+`") UID ALL 1`)
	}
	r.exact("T0 UID SEARCH RETURN (UPDATE) ALL", "OK", `* ESEARCH (TAG "T0") UID ALL 1`)
	r.exact("X UID SORT RETURN (COUNT UPDATE) (DATE) UTF-8 ALL", "OK", `* ESEARCH (TAG "X") UID COUNT 1`,
		`* NO [NOUPDATE "X"] Too many active updates`)
	r.exact(`c CANCELUPDATE "T1" "T2"`, "OK")
	r.exact("X UID SORT RETURN (COUNT UPDATE) (DATE) UTF-8 ALL", "OK", `* ESEARCH (TAG "X") UID COUNT 1`)
	e.deliver("", testMessage("m2", "x"), 0)
	u := r.OK("n NOOP")
	if n := strings.Count(strings.Join(u, "\n"), "ADDTO"); n != maxContexts-1 {
		t.Fatalf("%d ADDTO, want %d: %q", n, maxContexts-1, u)
	}
	// Contexts end with the mailbox.
	r.OK("s SELECT INBOX")
	e.deliver("", testMessage("m3", "x"), 0)
	r.exact("n NOOP", "OK", "* 3 EXISTS", "* 1 RECENT")
}

// TestContextUIDOnly: under UIDONLY (RFC 9586) the updates are by UID
// and the removals come before VANISHED; SEARCH by sequence is refused.
func TestContextUIDOnly(t *testing.T) {
	e := newEnv(t, nil)
	for i := 1; i <= 3; i++ {
		e.deliver("", testMessage("m"+strconv.Itoa(i), "x"), 0)
	}
	r := e.login()
	r.OK("e ENABLE IMAP4rev2 UIDONLY")
	r.OK("s SELECT INBOX")
	r.status("A SEARCH RETURN (UPDATE) ALL", "BAD [UIDREQUIRED]")
	r.exact("U UID SEARCH RETURN (UPDATE) KEYWORD $Work", "OK", `* ESEARCH (TAG "U") UID`)
	r.exact(`f UID STORE 2 +FLAGS ($Work \Deleted)`, "OK", `* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Work)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Work \*)] Flags permitted`,
		`* 2 UIDFETCH (FLAGS (\Deleted $Work))`, `* ESEARCH (TAG "U") UID ADDTO (0 2)`)
	r.exact("x EXPUNGE", "OK", `* ESEARCH (TAG "U") UID REMOVEFROM (0 2)`, "* VANISHED 2")
}

// TestContextAcrossNodes: an update on one node reaches a context on
// another through the change feed, during IDLE.
func TestContextAcrossNodes(t *testing.T) {
	e := newEnv(t, nil)
	_, onNode2 := e.secondNode()
	e.deliver("", testMessage("m1", "x"), 0)
	e.deliver("", testMessage("m2", "x"), 0)
	r := onNode2()
	r.OK("e ENABLE IMAP4rev2")
	r.OK("s SELECT INBOX")
	r.exact("F UID SEARCH RETURN (UPDATE) FLAGGED", "OK", `* ESEARCH (TAG "F") UID`)
	r.Send("i IDLE\r\n")
	if l := r.Line(); l != "+ idling" {
		t.Fatalf("IDLE: %q", l)
	}
	o := e.login()
	o.OK("s SELECT INBOX")
	o.OK(`s UID STORE 2 +FLAGS (\Flagged)`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		l := r.next()
		if l == `* ESEARCH (TAG "F") UID ADDTO (0 2)` {
			r.endIdle()
			return
		}
		if strings.Contains(l, "ESEARCH") {
			t.Fatalf("IDLE: %q", l)
		}
	}
	t.Fatal("no ADDTO")
}
