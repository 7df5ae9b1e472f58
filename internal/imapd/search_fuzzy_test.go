package imapd

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var relevancyRE = regexp.MustCompile(`ALL (\S+) RELEVANCY \(([0-9 ]+)\)$`)

// TestSearchFuzzy: FUZZY (RFC 6203 §3) finds the words of a text key in
// any order through the full-text index, where the exact key finds
// nothing; RELEVANCY (§4) scores every match from 1 to 100, the best
// 100, and is refused without a FUZZY key; FUZZY over a key the index
// does not answer matches as the key does; CAPABILITY lists SEARCH=FUZZY.
// The answers are the same before the messages are indexed.
func TestSearchFuzzy(t *testing.T) {
	needImapmsg(t)
	e := newEnv(t, nil)
	e.deliver("", "Subject: IMAP is broken\r\n\r\nhello\r\n", 0)                                     // 1
	e.deliver("", "Subject: broken IMAP\r\n\r\nhello\r\n", 0)                                        // 2
	e.deliver("", "Subject: IMAP break\r\n\r\nhello\r\n", 0)                                         // 3
	e.deliver("", "Subject: other\r\n\r\nimap imap imap is broken, broken, broken again\r\n", 0)     // 4
	e.deliver("", "Subject: other\r\n\r\nnothing to see, "+strings.Repeat("filler ", 200)+"\r\n", 0) // 5
	r := e.login()
	if u := r.OK("c CAPABILITY"); !has(u, " SEARCH=FUZZY") {
		t.Errorf("CAPABILITY: %q", u)
	}
	r.OK("s SELECT INBOX")
	// Not yet indexed (the server's indexer runs in the background: the
	// messages are read), then indexed: the same answers.
	fuzzyCases(r)
	if n, err := e.st.RebuildTextIndex(context.Background(), 0); err != nil || n != 5 {
		t.Fatalf("indexing: %d, %v", n, err)
	}
	fuzzyCases(r)
	u := r.OK(`t UID SEARCH RETURN (RELEVANCY ALL) FUZZY TEXT "broken imap"`)
	m := relevancyRE.FindStringSubmatch(u[0])
	if m == nil || m[1] != "1:2,4" {
		t.Fatalf("RELEVANCY: %q", u)
	}
	scores := strings.Fields(m[2])
	best := 0
	for _, sc := range scores {
		n, _ := strconv.Atoi(sc)
		if n < 1 || n > 100 {
			t.Errorf("score %d out of 1-100: %q", n, u)
		}
		best = max(best, n)
	}
	if len(scores) != 3 || best != 100 {
		t.Errorf("scores %q: want 3, the best 100", scores)
	}
	if u := r.OK(`t UID SEARCH RETURN (RELEVANCY) FUZZY SUBJECT "imap broken"`); len(u) != 1 || !relevancyRE.MatchString(u[0]) {
		t.Errorf("RELEVANCY alone: %q", u)
	}
	r.status(`b UID SEARCH RETURN (RELEVANCY ALL) SUBJECT imap`, "BAD")
	r.status(`b UID SEARCH FUZZY`, "BAD")
}

// fuzzyCases are TestSearchFuzzy's searches and their answers.
func fuzzyCases(r *raw) {
	for _, tc := range []struct{ cmd, want string }{
		{`UID SEARCH SUBJECT "imap broken"`, ""},
		{`UID SEARCH FUZZY SUBJECT "imap broken"`, "1 2"},
		{`UID SEARCH FUZZY SUBJECT "BROKEN imap"`, "1 2"},
		{`UID SEARCH FUZZY TEXT "broken imap"`, "1 2 4"},
		{`UID SEARCH FUZZY BODY "broken imap"`, "4"},
		{`UID SEARCH FUZZY SUBJECT "imap broken" FROM nobody`, ""},
		{`UID SEARCH OR FUZZY SUBJECT "imap broken" SUBJECT break`, "1 2 3"},
		{`UID SEARCH NOT FUZZY SUBJECT "imap broken"`, "3 4 5"},
		{`UID SEARCH FUZZY SUBJECT is`, "1"},     // no word of 3 characters: the key as it is
		{`UID SEARCH FUZZY UNSEEN`, "1 2 3 4 5"}, // no text key: the key as it is
	} {
		want := "* SEARCH"
		if tc.want != "" {
			want += " " + tc.want
		}
		r.exact("t "+tc.cmd, "OK", want)
	}
}
