package imapd

import (
	"slices"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/imapsort"
	"github.com/petrelmail/petrel/internal/store"
)

// TestSortKeysSplitRead: the keys read in parts at once (readSortKeys,
// here from 7 messages on, with every run reading: a cache of no budget)
// give the answers of one read into the cache, for SORT on every key and
// THREAD REFERENCES, also after an expunge in the middle and after new
// mail (the ranks of the cached keys computed again), the orders by one
// string key from the cached ranks alone included; and a SORT fills
// the keys THREAD needs (the cached THREAD equals the uncached).
func TestSortKeysSplitRead(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 60 {
		e.deliver("", threadMessage(i), 0)
	}
	cmds := []string{"UID SORT (DATE) UTF-8 ALL", "UID SORT (SUBJECT) UTF-8 ALL", "UID SORT (REVERSE FROM ARRIVAL) UTF-8 ALL",
		"UID SORT (DISPLAYFROM TO CC SIZE) UTF-8 ALL", "UID THREAD REFERENCES UTF-8 ALL", "UID THREAD ORDEREDSUBJECT UTF-8 ALL",
		// One string key, whole mailbox or part: the order from the
		// cached ranks alone (sortCache.rankOrder) against the records'.
		"UID SORT (REVERSE SUBJECT) UTF-8 ALL", "SORT (DISPLAYFROM) UTF-8 ALL", "UID SORT (REVERSE TO) UTF-8 UID 10:50",
		"SORT (SUBJECT) UTF-8 3:40 NOT SUBJECT topic", "UID SORT (CC) UTF-8 NOT UID 1:*"}
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
	for i := 60; i < 75; i++ { // subjects that sort among the others
		e.deliver("", threadMessage(i), 0)
	}
	compare("after new mail")
}

// TestSortCacheMerge: records added out of order (a read of some UIDs
// below those held, a record read again with its references) are kept
// ascending, the newer record of a UID winning, and found by lookup.
func TestSortCacheMerge(t *testing.T) {
	c := newSortCache(1 << 20)
	k := sortBoxKey{1, 1}
	rec := func(u store.UID, refs bool) imapsort.Msg {
		return imapsort.Msg{Size: int64(u), HasRefs: refs}
	}
	c.add(k, []store.UID{5, 9}, []imapsort.Msg{rec(5, false), rec(9, false)})
	c.add(k, []store.UID{12}, []imapsort.Msg{rec(12, false)})
	c.add(k, []store.UID{2, 9, 10}, []imapsort.Msg{rec(2, true), rec(9, true), rec(10, true)})
	b := c.boxes[k]
	if !slices.Equal(b.uids, []store.UID{2, 5, 9, 10, 12}) {
		t.Fatalf("uids %v", b.uids)
	}
	uids := []store.UID{1, 2, 5, 9, 10, 11, 12}
	msgs := make([]imapsort.Msg, len(uids))
	for i := range msgs {
		msgs[i].Index = i
	}
	misses := c.lookup(k, uids, msgs, true)
	if !slices.Equal(misses, []int{0, 2, 5, 6}) { // 1 and 11 absent, 5 and 12 without references
		t.Errorf("misses %v", misses)
	}
	if msgs[3].Size != 9 || !msgs[3].HasRefs || msgs[3].Index != 3 {
		t.Errorf("UID 9: %+v", msgs[3])
	}
}
