package imapd

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// searchEnv holds four messages:
//
//	1 "apples", body "red fruit", internal date 10 Jan 2020, \Seen
//	2 nestedMessage (Subject "Grüße mixed" as an encoded word), 20 Jan 2020
//	3 "pears", a 300-octet body, 1 Feb 2020, \Flagged
//	4 from Carol at example.com, sent 1 Mar 2022, internal date the same
//
// 1 to 3 are sent "Mon, 7 Feb 1994 21:52:25 -0800". A session took \Recent.
func searchEnv(t *testing.T) *env {
	e := newEnv(t, nil)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	e.deliverAt(testMessage("apples", "red fruit"), day(2020, 1, 10), store.FlagSeen)
	e.deliverAt(nestedMessage, day(2020, 1, 20), 0)
	e.deliverAt(testMessage("pears", strings.Repeat("x", 300)), day(2020, 2, 1), store.FlagFlagged)
	e.deliverAt("From: Carol <carol@example.com>\r\nTo: alice@example.org\r\nSubject: hello\r\n"+
		"Date: Tue, 1 Mar 2022 10:00:00 +0000\r\n\r\nhi\r\n", day(2022, 3, 1), 0)
	e.login().OK("s SELECT INBOX")
	return e
}

// TestSearchKeysScenario: sequence sets with "*", UID sets, OR and NOT
// nested with parentheses, internal and sent dates, LARGER and SMALLER,
// address, header and text keys, encoded words in a UTF-8 search, charset
// refusal (RFC 9051 §6.4.4).
func TestSearchKeysScenario(t *testing.T) {
	needImapmsg(t)
	e := searchEnv(t)
	r := e.login()
	r.OK("s SELECT INBOX")
	for _, tc := range []struct{ cmd, want string }{
		{"SEARCH 2:*", "2 3 4"},
		{"SEARCH *", "4"},
		{"SEARCH *:3", "3 4"},
		{"SEARCH 3,1", "1 3"},
		{"SEARCH 9", ""},
		{"UID SEARCH UID 3:*", "3 4"},
		{"UID SEARCH UID 9:*", "4"},
		{"SEARCH 1:3 UID 2:4", "2 3"},
		{"SEARCH OR SEEN FLAGGED", "1 3"},
		{"SEARCH NOT OR SEEN FLAGGED", "2 4"},
		{"SEARCH OR (SEEN SUBJECT apples) (NOT FROM bob)", "1 4"},
		{"SEARCH NOT (OR 1 2)", "3 4"},
		{"SEARCH OR OR 1 2 3", "1 2 3"},
		{"SEARCH NOT NOT SEEN", "1"},
		{"SEARCH (UNSEEN (UNFLAGGED))", "2 4"},
		{"SEARCH SINCE 20-Jan-2020", "2 3 4"},
		{`SEARCH BEFORE "20-Jan-2020"`, "1"},
		{"SEARCH ON 1-Feb-2020", "3"},
		{"SEARCH SINCE 11-Jan-2020 BEFORE 2-Feb-2020", "2 3"},
		{"SEARCH SENTON 7-Feb-1994", "1 2 3"},
		{"SEARCH SENTBEFORE 8-Feb-1994", "1 2 3"},
		{"SEARCH SENTSINCE 1-Mar-2022", "4"},
		{"SEARCH SENTSINCE 2-Mar-2022", ""},
		{"SEARCH FROM carol", "4"},
		{"SEARCH FROM example.com", "4"},
		{"SEARCH TO alice", "1 2 3 4"},
		{"SEARCH SUBJECT MIXED", "2"},
		{"SEARCH HEADER Message-ID apples@", "1"},
		{`SEARCH HEADER X-Missing ""`, ""},
		{`SEARCH HEADER Content-Type ""`, "2"},
		{"SEARCH BODY fruit", "1"},
		{"SEARCH BODY apples", ""},
		{"SEARCH TEXT apples", "1"},
		{"SEARCH TEXT inner", "2"},
		{"SEARCH CHARSET US-ASCII TEXT hi", "2 4"},
		{"SEARCH CHARSET UTF-8 SUBJECT {7+}\r\nGrüße", "2"},
		{"SEARCH CHARSET UTF-8 HEADER Subject {7+}\r\nGrüße", "2"},
		{"SEARCH CHARSET UTF-8 TEXT {7+}\r\nüße m", "2"},
	} {
		want := "* SEARCH"
		if tc.want != "" {
			want += " " + tc.want
		}
		r.exact("t "+tc.cmd, "OK", want)
	}
	r.status("b SEARCH CHARSET KOI8-R ALL", "NO [BADCHARSET (US-ASCII UTF-8)]")
	for _, bad := range []string{"SEARCH SINCE 31-Foo-2020", "SEARCH OR SEEN", "SEARCH ()", "SEARCH LARGER x",
		"SEARCH NOT", "SEARCH RETURN (FIRST) ALL"} {
		r.status("b "+bad, "BAD")
	}
}

// TestSearchSizes: LARGER and SMALLER are strict, on RFC822.SIZE (RFC
// 9051 §6.4.4).
func TestSearchSizes(t *testing.T) {
	e := searchEnv(t)
	r := e.login()
	r.OK("s SELECT INBOX")
	sizes := map[int]int{}
	for _, l := range r.OK("f FETCH 1:* (RFC822.SIZE)") {
		f := strings.Fields(strings.Trim(l, "()"))
		seq, _ := strconv.Atoi(f[1])
		n, _ := strconv.Atoi(strings.TrimSuffix(f[4], ")"))
		sizes[seq] = n
	}
	for seq := 1; seq <= 4; seq++ {
		n := sizes[seq]
		var larger, smaller, exact []string
		for s := 1; s <= 4; s++ {
			if sizes[s] > n {
				larger = append(larger, strconv.Itoa(s))
			}
			if sizes[s] < n {
				smaller = append(smaller, strconv.Itoa(s))
			}
			if sizes[s] == n {
				exact = append(exact, strconv.Itoa(s))
			}
		}
		line := func(nums []string) string { return strings.TrimSpace("* SEARCH " + strings.Join(nums, " ")) }
		r.exact("l SEARCH LARGER "+strconv.Itoa(n), "OK", line(larger))
		r.exact("m SEARCH SMALLER "+strconv.Itoa(n), "OK", line(smaller))
		r.exact("n SEARCH LARGER "+strconv.Itoa(n-1)+" SMALLER "+strconv.Itoa(n+1), "OK", line(exact))
	}
}

// TestESearchReturn: ESEARCH (RFC 4731 §3.1, RFC 9051 §7.3.4): MIN, MAX,
// COUNT and ALL, UID results marked UID, RETURN () as ALL, no MIN/MAX/ALL
// for no match but COUNT 0, and IMAP4rev2's SEARCH answered with ESEARCH.
func TestESearchReturn(t *testing.T) {
	e := searchEnv(t)
	r := e.login()
	r.OK("s SELECT INBOX")
	r.exact("a SEARCH RETURN (MIN MAX COUNT ALL) ALL", "OK", `* ESEARCH (TAG "a") MIN 1 MAX 4 ALL 1:4 COUNT 4`)
	r.exact("b UID SEARCH RETURN (ALL) 2,4", "OK", `* ESEARCH (TAG "b") UID ALL 2,4`)
	r.exact("c SEARCH RETURN () UNSEEN", "OK", `* ESEARCH (TAG "c") ALL 2:4`)
	r.exact("d SEARCH RETURN (MIN MAX ALL) KEYWORD nope", "OK", `* ESEARCH (TAG "d")`)
	r.exact("e SEARCH RETURN (COUNT) KEYWORD nope", "OK", `* ESEARCH (TAG "e") COUNT 0`)
	r.exact("f SEARCH RETURN (MAX) NOT 4", "OK", `* ESEARCH (TAG "f") MAX 3`)
	r.exact("g UID SEARCH RETURN (MIN COUNT) 2:*", "OK", `* ESEARCH (TAG "g") UID MIN 2 COUNT 3`)
	v2 := e.login()
	v2.OK("e ENABLE IMAP4rev2")
	v2.OK("s SELECT INBOX")
	v2.exact("a SEARCH SEEN", "OK", `* ESEARCH (TAG "a") ALL 1`)
	v2.exact("b UID SEARCH KEYWORD nope", "OK", `* ESEARCH (TAG "b") UID`)
}

// TestSearchRes: "$" is the result saved by SEARCH RETURN (SAVE ...)
// (RFC 5182): empty after SELECT, usable in SEARCH, UID SEARCH UID, FETCH
// and STORE, only MIN and/or MAX kept when only those were asked for
// (§2.4), and expunged messages leave it.
func TestSearchRes(t *testing.T) {
	e := searchEnv(t)
	r := e.login()
	r.OK("s SELECT INBOX")
	r.exact("a SEARCH $", "OK", "* SEARCH")
	r.exact("b SEARCH RETURN (SAVE) OR SEEN FLAGGED", "OK")
	r.exact("c SEARCH $", "OK", "* SEARCH 1 3")
	r.exact("d UID SEARCH UID $ SEEN", "OK", "* SEARCH 1")
	r.exact("e FETCH $ (UID)", "OK", "* 1 FETCH (UID 1)", "* 3 FETCH (UID 3)")
	r.exact("f UID FETCH $ (FLAGS)", "OK", `* 1 FETCH (UID 1 FLAGS (\Seen))`, `* 3 FETCH (UID 3 FLAGS (\Flagged))`)
	r.exact("g SEARCH RETURN (SAVE MAX) 1:3", "OK", `* ESEARCH (TAG "g") MAX 3`)
	r.exact("h SEARCH $", "OK", "* SEARCH 3")
	r.exact("i SEARCH RETURN (SAVE MIN MAX) ALL", "OK", `* ESEARCH (TAG "i") MIN 1 MAX 4`)
	r.exact("j SEARCH $", "OK", "* SEARCH 1 4")
	r.exact("k SEARCH RETURN (SAVE COUNT) 2:*", "OK", `* ESEARCH (TAG "k") COUNT 3`)
	r.exact("l SEARCH $", "OK", "* SEARCH 2 3 4")
	r.exact(`m STORE $ +FLAGS.SILENT (\Deleted)`, "OK")
	r.OK(`n STORE 2 -FLAGS.SILENT (\Deleted)`)
	r.exact("o EXPUNGE", "OK", "* 4 EXPUNGE", "* 3 EXPUNGE")
	r.exact("p UID SEARCH $", "OK", "* SEARCH 2")
	r.OK("q SELECT INBOX")
	r.exact("r SEARCH $", "OK", "* SEARCH")
}
