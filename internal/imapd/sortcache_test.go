package imapd

import (
	"strings"
	"testing"
)

// TestSortKeysSplitRead: the keys read in parts at once (readSortKeys,
// here from 7 messages on, with every run reading: a cache of no budget)
// give the answers of one read into the cache, for SORT on every key and
// THREAD REFERENCES, also after an expunge in the middle; and a SORT
// fills the keys THREAD needs (the cached THREAD equals the uncached).
func TestSortKeysSplitRead(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 60 {
		e.deliver("", threadMessage(i), 0)
	}
	cmds := []string{"UID SORT (DATE) UTF-8 ALL", "UID SORT (SUBJECT) UTF-8 ALL", "UID SORT (REVERSE FROM ARRIVAL) UTF-8 ALL",
		"UID SORT (DISPLAYFROM TO CC SIZE) UTF-8 ALL", "UID THREAD REFERENCES UTF-8 ALL", "UID THREAD ORDEREDSUBJECT UTF-8 ALL"}
	answers := func() []string {
		r := e.login()
		defer r.C.Close()
		r.OK("s SELECT INBOX")
		var out []string
		for _, c := range cmds {
			lines := r.OK("c " + c)
			if len(lines) != 1 || !(strings.HasPrefix(lines[0], "* SORT") || strings.HasPrefix(lines[0], "* THREAD")) {
				t.Fatalf("%s: %q", c, lines)
			}
			out = append(out, lines[0])
		}
		return out
	}
	compare := func(when string) {
		cached := answers() // SORT (DATE) fills the cache, THREAD reads it
		split := newSortCache(0)
		split.split = 7
		keep := e.srv.sorts
		e.srv.sorts = split
		parts := answers()
		e.srv.sorts = keep
		for i := range cmds {
			if cached[i] != parts[i] {
				t.Errorf("%s: %s\ncached:      %s\nsplit reads: %s", when, cmds[i], cached[i], parts[i])
			}
		}
		if !strings.Contains(cached[4], "(") || strings.Count(cached[4], "(") >= 60 {
			t.Errorf("%s: THREAD REFERENCES found no threads: %s", when, cached[4])
		}
	}
	compare("60 messages")
	r := e.login()
	r.OK("s SELECT INBOX")
	r.OK("x UID STORE 20:35 +FLAGS (\\Deleted)")
	r.OK("y EXPUNGE")
	r.C.Close()
	compare("after an expunge")
}
