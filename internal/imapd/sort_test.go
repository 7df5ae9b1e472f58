package imapd

import (
	"strings"
	"testing"
	"time"
)

// sortEnv holds seven messages (internal dates one day apart from 10
// Jan 2020, in this order; sizes grow with the number):
//
//	1 Re: [list] Hello  Zed <zed@a>   3 Jan  <b@x> refs <a@x>
//	2 Hello             amy@b         1 Jan  <a@x>
//	3 Other (fwd)       Bob <bob@c>   no Date (internal 12 Jan)  <c@x> in-reply-to <missing@x>
//	4 [fwd: other]      Carl <c@d>    2 Jan  <d@x> refs <missing@x>
//	5 Re: Café (RFC 2047) =?...?= <y@e> 5 Jan <e@x>
//	6 loop one          <f@x> refs <g@x>   6 Jan
//	7 loop two          <g@x> refs <f@x>   7 Jan
func sortEnv(t *testing.T) *env {
	e := newEnv(t, nil)
	sortEnvFill(e)
	return e
}

func sortEnvFill(e *env) {
	msgs := []struct{ subj, from, date, id, extra string }{
		{"Re: [list] Hello", "Zed <zed@a>", "Fri, 3 Jan 2020 10:00:00 +0000", "b@x", "References: <a@x>\r\n"},
		{"Hello", "amy@b", "Wed, 1 Jan 2020 10:00:00 +0000", "a@x", ""},
		{"Other (fwd)", "Bob <bob@c>", "", "c@x", "In-Reply-To: <missing@x>\r\n"},
		{"[fwd: other]", "Carl <c@d>", "Thu, 2 Jan 2020 10:00:00 +0000", "d@x", "References: <missing@x>\r\n"},
		{"=?UTF-8?Q?Re:_Caf=C3=A9?=", "=?UTF-8?Q?=C3=89mile?= <y@e>", "Sun, 5 Jan 2020 10:00:00 +0000", "e@x", ""},
		{"loop one", "f@f", "Mon, 6 Jan 2020 10:00:00 +0000", "f@x", "References: <g@x>\r\n"},
		{"loop two", "g@g", "Tue, 7 Jan 2020 10:00:00 +0000", "g@x", "References: <f@x>\r\n"},
	}
	for i, m := range msgs {
		h := "From: " + m.from + "\r\nTo: t" + string(rune('9'-i)) + "@x\r\nSubject: " + m.subj + "\r\nMessage-ID: <" + m.id + ">\r\n" + m.extra
		if m.date != "" {
			h += "Date: " + m.date + "\r\n"
		}
		body := "body " + strings.Repeat("x", 200*i) + "\r\n"
		e.deliverAt(h+"\r\n"+body, time.Date(2020, 1, 10+i, 0, 0, 0, 0, time.UTC), 0)
	}
}

// TestSortScenario: every SORT criterion, REVERSE, ties by sequence
// number, UID SORT, a search key narrowing the set, and SORT=DISPLAY
// (RFC 5256 §3, RFC 5957 §3).
func TestSortScenario(t *testing.T) {
	e := sortEnv(t)
	r := e.login()
	r.OK("s SELECT INBOX")
	for _, tc := range []struct{ cmd, want string }{
		// Sent dates: 2=1 Jan, 4=2 Jan, 1=3 Jan, 5=5 Jan, 6, 7; 3 has
		// no Date: its internal date, 12 Jan (RFC 5256 §2.2).
		{"SORT (DATE) UTF-8 ALL", "2 4 1 5 6 7 3"},
		{"SORT (REVERSE DATE) UTF-8 ALL", "3 7 6 5 1 4 2"},
		{"SORT (ARRIVAL) UTF-8 ALL", "1 2 3 4 5 6 7"},
		{"SORT (REVERSE ARRIVAL) UTF-8 ALL", "7 6 5 4 3 2 1"},
		{"SORT (SIZE) US-ASCII ALL", "1 2 3 4 5 6 7"},
		// Base subjects: CAFÉ(5) HELLO(1,2) LOOP ONE LOOP TWO OTHER(3,4).
		{"SORT (SUBJECT) UTF-8 ALL", "5 1 2 6 7 3 4"},
		{"SORT (SUBJECT REVERSE DATE) UTF-8 ALL", "5 1 2 6 7 3 4"},
		{"SORT (REVERSE SUBJECT) UTF-8 ALL", "3 4 7 6 1 2 5"},
		// FROM is the local part: amy bob c f g y zed.
		{"SORT (FROM) UTF-8 ALL", "2 3 4 6 7 5 1"},
		// DISPLAYFROM: amy@b, Bob, Carl, Émile, f@f, g@g, Zed (É
		// decomposes to E + accent, after D).
		{"SORT (DISPLAYFROM) UTF-8 ALL", "2 3 4 5 6 7 1"},
		{"SORT (TO) UTF-8 ALL", "7 6 5 4 3 2 1"},
		{"SORT (DISPLAYTO) UTF-8 ALL", "7 6 5 4 3 2 1"},
		{"SORT (CC) UTF-8 ALL", "1 2 3 4 5 6 7"},
		{"SORT (REVERSE CC) UTF-8 ALL", "1 2 3 4 5 6 7"},
		{"SORT (SUBJECT) UTF-8 2:4 NOT 3", "2 4"},
		{"SORT (DATE) UTF-8 KEYWORD nope", ""},
	} {
		want := "* SORT"
		if tc.want != "" {
			want += " " + tc.want
		}
		r.exact("t "+tc.cmd, "OK", want)
	}
}

// TestThreadScenario: REFERENCES (RFC 5256 §3: a parent from
// References, a dummy root for a missing parent with two children, a
// reference loop not made, siblings and roots by sent date, a missing
// Date taken as the internal date) and ORDEREDSUBJECT (grouped by base
// subject, "Re:", "(fwd)" and "[fwd: ...]" removed).
func TestThreadScenario(t *testing.T) {
	e := sortEnv(t)
	r := e.login()
	r.OK("s SELECT INBOX")
	r.exact("a THREAD REFERENCES UTF-8 ALL", "OK", "* THREAD (2 1)((4)(3))(5)(7 6)")
	r.exact("b UID THREAD REFERENCES UTF-8 ALL", "OK", "* THREAD (2 1)((4)(3))(5)(7 6)")
	r.exact("c THREAD ORDEREDSUBJECT UTF-8 ALL", "OK", "* THREAD (2 1)(4 3)(5)(6)(7)")
	r.exact("d THREAD ORDEREDSUBJECT US-ASCII 1:2", "OK", "* THREAD (2 1)")
	r.exact("e THREAD REFERENCES UTF-8 KEYWORD nope", "OK", "* THREAD")
	// Without 2 the parent of 1 is a dummy with one child: 1 is a root.
	r.exact("f THREAD REFERENCES UTF-8 NOT 2", "OK", "* THREAD ((4)(3))(1)(5)(7 6)")
	// Sequence numbers and UIDs part once 2 is expunged.
	r.OK(`g STORE 2 +FLAGS.SILENT (\Deleted)`)
	r.OK("h EXPUNGE")
	r.exact("i THREAD REFERENCES UTF-8 ALL", "OK", "* THREAD ((3)(2))(1)(4)(6 5)")
	r.exact("j UID THREAD REFERENCES UTF-8 ALL", "OK", "* THREAD ((4)(3))(1)(5)(7 6)")
	r.exact("k UID SORT (DATE) UTF-8 ALL", "OK", "* SORT 4 1 5 6 7 3")
	r.exact("l SORT (DATE) UTF-8 ALL", "OK", "* SORT 3 1 4 5 6 2")
	r.status("m THREAD ORDEREDSUBJECT KOI8-R ALL", "NO [BADCHARSET (US-ASCII UTF-8)]")
	r.status("n SORT (DATE) KOI8-R ALL", "NO [BADCHARSET (US-ASCII UTF-8)]")
	for _, bad := range []string{"THREAD JWZ UTF-8 ALL", "THREAD REFERENCES ALL", "THREAD REFERENCES UTF-8",
		"SORT (DATE) ALL", "SORT () UTF-8 ALL", "SORT (REVERSE) UTF-8 ALL", "SORT (REVERSE REVERSE DATE) UTF-8 ALL",
		"SORT (BOGUS) UTF-8 ALL", "SORT DATE UTF-8 ALL", "SORT RETURN (SAVE) (DATE) UTF-8 ALL",
		"SORT RETURN (PARTIAL 1:2 ALL) (DATE) UTF-8 ALL", "SORT RETURN (PARTIAL 0:2) (DATE) UTF-8 ALL"} {
		r.status("b "+bad, "BAD")
	}
}

// TestESortPartialWithin: ESORT's RETURN options keep the sort order
// (RFC 5267 §3.2), PARTIAL windows of SEARCH and SORT from either end
// (RFC 9394 §3.1), WITHIN's OLDER and YOUNGER (RFC 5032 §3).
func TestESortPartialWithin(t *testing.T) {
	e := sortEnv(t)
	r := e.login()
	r.OK("s SELECT INBOX")
	// DATE order: 2 4 1 5 6 7 3.
	r.exact("a SORT RETURN (MIN MAX COUNT) (DATE) UTF-8 ALL", "OK", `* ESEARCH (TAG "a") MIN 2 MAX 3 COUNT 7`)
	r.exact("b SORT RETURN (ALL) (DATE) UTF-8 ALL", "OK", `* ESEARCH (TAG "b") ALL 2,4,1,5:7,3`)
	r.exact("c UID SORT RETURN () (DATE) UTF-8 ALL", "OK", `* ESEARCH (TAG "c") UID ALL 2,4,1,5:7,3`)
	r.exact("d SORT RETURN (COUNT MIN) (DATE) UTF-8 KEYWORD nope", "OK", `* ESEARCH (TAG "d") COUNT 0`)
	r.exact("e SORT RETURN (PARTIAL 2:3) (DATE) UTF-8 ALL", "OK", `* ESEARCH (TAG "e") PARTIAL (2:3 4,1)`)
	r.exact("f SORT RETURN (PARTIAL -1:-2 COUNT) (DATE) UTF-8 ALL", "OK",
		`* ESEARCH (TAG "f") COUNT 7 PARTIAL (-1:-2 7,3)`)
	r.exact("g SORT RETURN (PARTIAL 9:20) (DATE) UTF-8 ALL", "OK", `* ESEARCH (TAG "g") PARTIAL (9:20 NIL)`)
	r.exact("h UID SEARCH RETURN (PARTIAL 1:2) ALL", "OK", `* ESEARCH (TAG "h") UID PARTIAL (1:2 1:2)`)
	r.exact("i SEARCH RETURN (PARTIAL -3:-1) ALL", "OK", `* ESEARCH (TAG "i") PARTIAL (-1:-3 5:7)`)
	r.exact("j SEARCH RETURN (PARTIAL 6:100 MIN) 2:*", "OK", `* ESEARCH (TAG "j") MIN 2 PARTIAL (6:100 7)`)
	r.status("k SEARCH RETURN (PARTIAL 1:2 ALL) ALL", "BAD")
	// With SAVE, the page is saved (RFC 9394 §3.1): paged FETCH.
	r.exact("k2 SEARCH RETURN (SAVE PARTIAL 3:4) ALL", "OK", `* ESEARCH (TAG "k2") PARTIAL (3:4 3:4)`)
	r.exact("k3 SEARCH $", "OK", "* SEARCH 3 4")
	r.exact("k4 SEARCH RETURN (SAVE PARTIAL 30:40) ALL", "OK", `* ESEARCH (TAG "k4") PARTIAL (30:40 NIL)`)
	r.exact("k5 SEARCH $", "OK", "* SEARCH")
	// The PARTIAL FETCH modifier (RFC 9394 §3.3): a window of the set.
	r.exact("k6 UID FETCH 2:* (FLAGS) (PARTIAL 2:3)", "OK", `* 3 FETCH (UID 3 FLAGS (\Recent))`, `* 4 FETCH (UID 4 FLAGS (\Recent))`)
	r.exact("k7 UID FETCH 1:* (FLAGS) (PARTIAL -1:-1)", "OK", `* 7 FETCH (UID 7 FLAGS (\Recent))`)
	r.exact("k8 UID FETCH 1:* (FLAGS) (PARTIAL 8:9)", "OK")
	r.status("k9 UID FETCH 1:* (FLAGS) (PARTIAL 1:2 PARTIAL 3:4)", "BAD")
	r.status("k10 UID FETCH 1:* (FLAGS) (PARTIAL)", "BAD")
	r.status("l SEARCH RETURN (PARTIAL 1:-2) ALL", "BAD")
	// WITHIN: the messages are from 2020; a new one from now.
	r.exact("m SEARCH OLDER 3600", "OK", "* SEARCH 1 2 3 4 5 6 7")
	r.exact("n SEARCH YOUNGER 3600", "OK", "* SEARCH")
	e.deliverAt(testMessage("new", "x"), time.Now(), 0)
	r.OK("o NOOP")
	r.exact("p SEARCH YOUNGER 3600", "OK", "* SEARCH 8")
	r.exact("q SEARCH NOT OLDER 3600", "OK", "* SEARCH 8")
	r.exact("r SORT (REVERSE DATE) UTF-8 YOUNGER 3600", "OK", "* SORT 8")
	// The keys cached by the SORTs above lack the references: THREAD
	// REFERENCES reads them (message 8 was sent in 1994).
	r.exact("r2 THREAD REFERENCES UTF-8 ALL", "OK", "* THREAD (8)(2 1)((4)(3))(5)(7 6)")
	r.status("s SEARCH OLDER 0", "BAD")
	r.status("t SEARCH YOUNGER x", "BAD")
	caps := r.OK("u CAPABILITY")
	for _, c := range []string{" SORT ", " SORT=DISPLAY ", " ESORT ", " THREAD=ORDEREDSUBJECT ", " THREAD=REFERENCES ", " WITHIN ", " PARTIAL"} {
		if !has(caps, c) {
			t.Errorf("CAPABILITY lacks %q: %q", c, caps)
		}
	}
}
