package imapd

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/testkit"
)

// flagLines is what "UID FETCH 1:* (UID FLAGS)" must answer for msgs:
// "UID u FLAGS (...)" in UID order (sequence numbers left out).
func flagLines(msgs []store.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, fmt.Sprintf("UID %d FLAGS %s", m.UID, imapmsg.FlagsList(m.Flags, m.Keywords, false)))
	}
	return out
}

// fetchedFlags runs UID FETCH 1:* (UID FLAGS) and strips the sequence
// numbers and \Recent.
func fetchedFlags(r *raw, tag string) []string {
	var out []string
	for _, l := range r.OK(tag + " UID FETCH 1:* (UID FLAGS)") {
		if _, rest, ok := strings.Cut(l, " FETCH ("); ok {
			rest = strings.TrimSuffix(rest, ")")
			rest = strings.Replace(strings.Replace(rest, ` \Recent`, "", 1), `(\Recent`, "(", 1)
			out = append(out, strings.Replace(rest, "( ", "(", 1))
		}
	}
	return out
}

// TestIndexFollowsChanges: the shared index answers SELECT and FETCH of
// flags as the store has them, whatever changed in between (deliveries,
// flag and keyword changes, expunges), for a new session and for one that
// stays selected.
func TestIndexFollowsChanges(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	kws := [][]string{nil, {"$Forwarded"}, {"$Junk", "work"}, {"work"}}
	stay := e.login()
	stay.OK("s SELECT INBOX")
	for round := 0; round < 40; round++ {
		inbox, err := e.st.Mailbox(ctx, e.acct.ID, "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		msgs, _ := e.st.Messages(ctx, inbox.ID, 1, 0)
		switch op := rng.IntN(4); {
		case op == 0 || len(msgs) < 3:
			for i := 0; i < 1+rng.IntN(3); i++ {
				e.deliver("", testMessage(fmt.Sprintf("r%d", round), "x"), store.Flags(rng.IntN(4)))
			}
		case op == 1:
			m := msgs[rng.IntN(len(msgs))]
			_, err = e.st.StoreFlags(ctx, inbox.ID, []store.UID{m.UID},
				store.FlagChange{Op: store.FlagsReplace, Flags: store.Flags(rng.IntN(32)), Keywords: kws[rng.IntN(len(kws))]})
		case op == 2:
			_, err = e.st.Expunge(ctx, inbox.ID, []store.UID{msgs[rng.IntN(len(msgs))].UID})
		default:
			var uids []store.UID
			for _, m := range msgs {
				if rng.IntN(2) == 0 {
					uids = append(uids, m.UID)
				}
			}
			_, err = e.st.StoreFlags(ctx, inbox.ID, uids, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen})
		}
		if err != nil {
			t.Fatal(err)
		}
		msgs, _ = e.st.Messages(ctx, inbox.ID, 1, 0)
		want := flagLines(msgs)
		fresh := e.login()
		u := fresh.OK("s SELECT INBOX")
		if !has(u, fmt.Sprintf("* %d EXISTS", len(msgs))) {
			t.Fatalf("round %d: SELECT %q, want %d messages", round, u, len(msgs))
		}
		if got := fetchedFlags(fresh, "f"); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: new session fetched\n%q\nwant\n%q", round, got, want)
		}
		fresh.OK("l LOGOUT")
		// The selected session learns of the changes (EXPUNGE, EXISTS,
		// FETCH) after a NOOP; then it fetches what the store has.
		stay.OK("n NOOP")
		if got := fetchedFlags(stay, "f"); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: selected session fetched\n%q\nwant\n%q", round, got, want)
		}
	}
}

// TestIndexEviction: with room for few records, the index drops the
// mailboxes not in use and reads them again when they are, changes made
// meanwhile included.
func TestIndexEviction(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *Deps) { c.IndexRecords = 3 })
	ctx := context.Background()
	boxes := map[string]store.MailboxID{}
	for _, name := range []string{"INBOX", "Archive"} {
		for i := 0; i < 3; i++ {
			e.deliver(name, testMessage(name, "x"), 0)
		}
		mb, err := e.st.Mailbox(ctx, e.acct.ID, name)
		if err != nil {
			t.Fatal(err)
		}
		boxes[name] = mb.ID
	}
	r := e.login()
	for round := 0; round < 3; round++ {
		for name, other := range map[string]string{"INBOX": "Archive", "Archive": "INBOX"} {
			msgs, _ := e.st.Messages(ctx, boxes[name], 1, 0)
			u := r.OK("s SELECT " + name)
			if !has(u, fmt.Sprintf("* %d EXISTS", len(msgs))) {
				t.Fatalf("SELECT %s: %q, want %d messages", name, u, len(msgs))
			}
			if got, want := fetchedFlags(r, "f"), flagLines(msgs); !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, %s: fetched %q, want %q", round, name, got, want)
			}
			// Changes to the other mailbox while this one is in use.
			e.deliver(other, testMessage("more", "x"), 0)
			om, _ := e.st.Messages(ctx, boxes[other], 1, 0)
			if _, err := e.st.StoreFlags(ctx, boxes[other], []store.UID{om[0].UID},
				store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagFlagged, Keywords: []string{fmt.Sprint("k", round)}}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.st.Expunge(ctx, boxes[other], []store.UID{om[1].UID}); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.srv.index.mu.Lock()
	n := len(e.srv.index.boxes)
	e.srv.index.mu.Unlock()
	if n != 1 {
		t.Errorf("index keeps %d mailboxes, want only the one in use", n)
	}
}

// TestIndexApply: changes seen twice, new messages in both lists, and
// expunges of what the index does not have change nothing twice;
// keyword sets are shared.
func TestIndexApply(t *testing.T) {
	b := &boxIndex{kwIndex: map[string]uint32{"": 0}, snap: indexSnap{kwsets: [][]string{nil}}}
	m := func(uid store.UID, ms store.ModSeq, f store.Flags, kw ...string) store.Message {
		return store.Message{UID: uid, ModSeq: ms, Flags: f, Keywords: kw}
	}
	b.apply(nil, []store.Message{m(1, 2, 0), m(2, 3, 0, "a")}, []store.Message{m(1, 2, 0), m(2, 3, 0, "a"), m(3, 4, 0, "a")})
	old := b.snap
	b.apply([]store.UID{2, 7}, []store.Message{m(1, 5, store.FlagSeen), m(3, 4, 0, "a"), m(5, 6, 0)},
		[]store.Message{m(4, 6, 0, "b"), m(5, 6, store.FlagSeen)})
	b.apply([]store.UID{2}, []store.Message{m(5, 6, store.FlagSeen)}, []store.Message{m(5, 6, store.FlagSeen)})
	var got []string
	for i := range b.snap.recs {
		r := &b.snap.recs[i]
		got = append(got, fmt.Sprintf("%d/%d/%d/%v", r.uid, r.modseq, r.flags, b.snap.keywords(r)))
	}
	want := []string{"1/5/1/[]", "3/4/0/[a]", "4/6/0/[b]", "5/6/1/[]"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("index %q, want %q", got, want)
	}
	if len(b.snap.kwsets) != 3 {
		t.Errorf("keyword sets %q, want 3", b.snap.kwsets)
	}
	if len(old.recs) != 3 || old.recs[1].uid != 2 || old.recs[0].flags != 0 {
		t.Errorf("a snapshot handed out changed: %+v", old.recs)
	}
}

// TestTargetUIDs: sequence and UID sets name the messages of the view,
// once each, in order, whatever the ranges' order and overlaps.
func TestTargetUIDs(t *testing.T) {
	s := &session{v: &view{uids: []store.UID{2, 3, 5, 8, 9, 20}}}
	for _, tc := range []struct {
		set  []numRange
		uid  bool
		want []store.UID
	}{
		{[]numRange{{1, star}}, false, []store.UID{2, 3, 5, 8, 9, 20}},
		{[]numRange{{4, 2}, {3, 5}, {9, 12}}, false, []store.UID{3, 5, 8, 9}},
		{[]numRange{{star, star}}, false, []store.UID{20}},
		{[]numRange{{7, 8}}, false, nil},
		{[]numRange{{1, star}}, true, []store.UID{2, 3, 5, 8, 9, 20}},
		{[]numRange{{4, 8}, {1, 2}, {6, 9}}, true, []store.UID{2, 5, 8, 9}},
		{[]numRange{{21, star}}, true, []store.UID{20}},
		{[]numRange{{10, 19}, {100, 200}}, true, nil},
	} {
		got := s.targetUIDs(numSet{ranges: tc.set}, tc.uid)
		if !slices.Equal(got, tc.want) {
			t.Errorf("targetUIDs(%v, uid %v) = %v, want %v", tc.set, tc.uid, got, tc.want)
		}
	}
}

// TestIdleWokenMidDone: a change that arrives while the client is
// half-way through DONE is sent, and the DONE still ends IDLE.
func TestIdleWokenMidDone(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", testMessage("one", "x"), 0)
	r := e.login()
	r.OK("s SELECT INBOX")
	r.Send("i IDLE\r\n")
	if l := r.Line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q", l)
	}
	r.Send("DO")
	time.Sleep(50 * time.Millisecond)
	e.deliver("", testMessage("two", "x"), 0)
	if l := r.Line(); l != "* 2 EXISTS" {
		t.Fatalf("in IDLE: %q, want * 2 EXISTS", l)
	}
	r.Line() // * 2 RECENT
	r.Send("NE\r\n")
	if l := r.Line(); !strings.HasPrefix(l, "i OK") {
		t.Fatalf("DONE: %q", l)
	}
	// The next command is read whole: no wake left over cuts it short.
	for i := 0; i < 3; i++ {
		e.deliver("", testMessage("three", "x"), 0)
	}
	time.Sleep(50 * time.Millisecond)
	r.OK("n NOOP")
	r.OK("x UID FETCH 1:* (FLAGS)")
}

// plainStore hides the store's bulk reader: the server then reads
// metadata and bodies message by message.
type plainStore struct{ Store }

// TestBulkAndPlainReadsAgree: FETCH and SEARCH answer the same with the
// store's bulk reader and without it.
func TestBulkAndPlainReadsAgree(t *testing.T) {
	e := newEnv(t, nil)
	for i := 0; i < 30; i++ {
		e.deliver("", benchMessage(i), store.Flags(i%3))
	}
	e.deliver("", testMessage("large", strings.Repeat("a large body line with Mallory\r\n", 12000)), 0)
	plain := New(e.cfg, Deps{Store: plainStore{e.st}, Auth: e.auth})
	ln := testkit.Listen(t)
	go plain.Serve(ln)
	t.Cleanup(func() { plain.Shutdown(context.Background()) })
	pe := *e
	pe.addr = ln.Addr().String()
	var answers [2][][]string
	for i, c := range []*raw{e.login(), pe.login()} {
		c.OK("s EXAMINE INBOX")
		for _, cmd := range []string{
			// Cached items, read items and both in one response.
			"f FETCH 3:7,12 (ENVELOPE)",
			"f FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY)",
			"f UID FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE)",
			"f FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY)",
			"f FETCH 2:9 ALL",
			"f FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (Subject)] BINARY.SIZE[1] RFC822.SIZE)",
			"f UID FETCH 5:12,20,31 (BODY.PEEK[] FLAGS)",
			"f FETCH 2,4 (BODY.PEEK[1.MIME] BODY.PEEK[TEXT]<10.40>)",
			`f UID SEARCH TEXT "Mallory"`,
			`f SEARCH FROM "zoe" NOT BODY "budget"`,
			`f SEARCH OR SUBJECT "Grüße" LARGER 5000`,
			`f SEARCH UNSEEN`,
		} {
			answers[i] = append(answers[i], c.OK(cmd))
		}
	}
	for k := range answers[0] {
		if !reflect.DeepEqual(answers[0][k], answers[1][k]) {
			t.Errorf("command %d: with the bulk reader\n%.2000q\nwithout\n%.2000q", k, answers[0][k], answers[1][k])
		}
	}
	if n := len(answers[0][6]); n != 10 {
		t.Errorf("UID FETCH of bodies: %d responses", n)
	}
}

// TestItemCacheByEncoding: the cached ENVELOPE of a session that has not
// enabled UTF8=ACCEPT (non-ASCII downgraded to encoded words) is not
// what a session that has gets, and the other way round.
func TestItemCacheByEncoding(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver("", "From: b@example.net\r\nSubject: Grüße\r\n\r\nx\r\n", 0)
	for _, first := range []bool{false, true} {
		for _, utf8 := range []bool{first, !first} {
			r := e.login()
			if utf8 {
				r.OK("e ENABLE UTF8=ACCEPT")
			}
			r.OK("s EXAMINE INBOX")
			u := r.OK("f FETCH 1 (ENVELOPE)")
			if has(u, "Grüße") != utf8 {
				t.Errorf("UTF8=ACCEPT %v: %q", utf8, u)
			}
			r.OK("l LOGOUT")
		}
	}
}

// TestItemCacheGenerations: the cache stays within its budget, keeps what
// is used, and drops what is not.
func TestItemCacheGenerations(t *testing.T) {
	c := newItemCache(1000)
	item := func(n int) []byte { return make([]byte, 36) } // 100 bytes with entryCost
	c.put(itemKey{uid: 1}, item(1))
	for u := store.UID(2); u < 40; u++ {
		c.put(itemKey{uid: u}, item(int(u)))
		if _, ok := c.get(itemKey{uid: 1}); !ok {
			t.Fatalf("entry in use dropped after %d others", u)
		}
	}
	if _, ok := c.get(itemKey{uid: 2}); ok {
		t.Error("an entry unused for 38 puts is still there")
	}
	if _, ok := c.get(itemKey{uid: 39}); !ok {
		t.Error("the newest entry is gone")
	}
	if n := len(c.young) + len(c.old); n > 10 {
		t.Errorf("%d entries of 100 bytes in a budget of 1000", n)
	}
	c.put(itemKey{uid: 100}, make([]byte, 400)) // over a quarter of the budget
	if _, ok := c.get(itemKey{uid: 100}); ok {
		t.Error("an entry over a quarter of the budget was kept")
	}
}

// TestViewsShareUIDs: sessions that select a mailbox share its UID list;
// one taking in expunges and new messages leaves the others' views as
// they were until they are told.
func TestViewsShareUIDs(t *testing.T) {
	e := newEnv(t, nil)
	for i := 0; i < 6; i++ {
		e.deliver("", testMessage(fmt.Sprint("m", i), "x"), 0)
	}
	a, b := e.login(), e.login()
	a.OK("s SELECT INBOX")
	b.OK("s SELECT INBOX")
	seqUIDs := func(r *raw) string {
		var out []string
		for _, l := range r.OK("f FETCH 1:* (UID)") {
			out = append(out, strings.TrimPrefix(l, "* "))
		}
		return strings.Join(out, ",")
	}
	before := seqUIDs(b)
	ctx := context.Background()
	inbox, _ := e.st.Mailbox(ctx, e.acct.ID, "INBOX")
	if _, err := e.st.Expunge(ctx, inbox.ID, []store.UID{2, 5}); err != nil {
		t.Fatal(err)
	}
	e.deliver("", testMessage("m6", "x"), 0)
	u := a.OK("n NOOP")
	// Expunges first, then EXISTS counting what remains (RFC 6851 §3.3).
	if strings.Join(u, ",") != "* 5 EXPUNGE,* 2 EXPUNGE,* 5 EXISTS,* 5 RECENT" {
		t.Fatalf("NOOP: %q", u)
	}
	if got := seqUIDs(a); got != "1 FETCH (UID 1),2 FETCH (UID 3),3 FETCH (UID 4),4 FETCH (UID 6),5 FETCH (UID 7)" {
		t.Errorf("a after NOOP: %s", got)
	}
	// FETCH by sequence number sends no EXPUNGE: b's view is still the
	// old one (UID n at sequence number n; the expunged have no data).
	if before != "1 FETCH (UID 1),2 FETCH (UID 2),3 FETCH (UID 3),4 FETCH (UID 4),5 FETCH (UID 5),6 FETCH (UID 6)" {
		t.Fatalf("b before: %s", before)
	}
	if got := seqUIDs(b); !strings.HasPrefix(got, "1 FETCH (UID 1),3 FETCH (UID 3),4 FETCH (UID 4),6 FETCH (UID 6),7 EXISTS") {
		t.Errorf("b's view changed with a's: %s", got)
	}
	c := e.login()
	c.OK("s SELECT INBOX")
	if got := seqUIDs(c); got != seqUIDs(a) {
		t.Errorf("a new session sees %s, a sees %s", got, seqUIDs(a))
	}
}
