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
	return e
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
