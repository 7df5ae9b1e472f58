package storetest

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// The full-text index cases need Backend.OpenPlain and an Open whose
// stores have a text extractor that puts a plain text body, case-folded,
// in store.ColBody and the Subject in store.ColSubject (the server's,
// imapmsg.IndexText).

// textHits asks the index for needle in column c of mailbox mb.
func (e *env) textHits(mb store.MailboxID, c store.TextColumn, needle string) store.TextHits {
	e.t.Helper()
	h, err := e.s.SearchText(e.ctx, mb, store.TextQuery{Columns: []store.TextColumn{c}, Needle: needle})
	if err != nil {
		e.t.Fatalf("SearchText(%q): %v", needle, err)
	}
	return h
}

func wantHits(t testing.TB, what string, h store.TextHits, sure, maybe []store.UID) {
	t.Helper()
	if !slices.Equal(h.Sure, sure) || !slices.Equal(h.Maybe, maybe) {
		t.Fatalf("%s: sure %v maybe %v, want sure %v maybe %v", what, h.Sure, h.Maybe, sure, maybe)
	}
}

func textMsg(subject, text string) []byte {
	return []byte("From: a@example.com\r\nSubject: " + subject + "\r\n\r\n" + text + "\r\n")
}

// testTextIndex: the index answers for the messages delivered, appended,
// copied and moved (listed as Maybe until indexed), forgets expunged ones, lists messages stored without
// it (and over its bound) as Maybe until RebuildTextIndex indexes them.
func testTextIndex(t *testing.T, b Backend) {
	if b.OpenPlain == nil {
		t.Skip("the backend gives no store without a text extractor")
	}
	e := newEnv(t, b)
	acct := e.account("fts")
	inbox, archive := e.mailbox(acct.ID, "INBOX"), e.mailbox(acct.ID, "Archive")
	u1 := e.deliver(acct.ID, "", textMsg("one", "A Zebra crossing")).UID
	u2 := e.deliver(acct.ID, "", textMsg("two", "no stripes")).UID
	u3 := e.deliver(acct.ID, "", textMsg("Zebras", "subject only")).UID
	app, err := e.s.AppendBatch(e.ctx, acct.ID, inbox.ID, []store.AppendMessage{{Body: bytes.NewReader(textMsg("four", "zebra again"))}})
	if err != nil {
		t.Fatal(err)
	}
	u4 := app.UIDs[0]
	// Stored, listed unindexed: the indexer's work (RebuildTextIndex).
	wantHits(t, "not yet indexed", e.textHits(inbox.ID, store.ColBody, "zebra"), nil, []store.UID{u1, u2, u3, u4})
	if n, err := e.s.RebuildTextIndex(e.ctx, 0); err != nil || n != 4 {
		t.Fatalf("indexing the new messages: %d, %v; want 4", n, err)
	}
	wantHits(t, "body zebra", e.textHits(inbox.ID, store.ColBody, "zebra"), []store.UID{u1, u4}, nil)
	wantHits(t, "subject zebra", e.textHits(inbox.ID, store.ColSubject, "zebra"), []store.UID{u3}, nil)
	wantHits(t, "phrase", e.textHits(inbox.ID, store.ColBody, "a zebra cr"), []store.UID{u1}, nil)
	wantHits(t, "not a substring", e.textHits(inbox.ID, store.ColBody, "zebra crossings"), nil, nil)
	wantHits(t, "quote", e.textHits(inbox.ID, store.ColBody, `"zeb`), nil, nil)
	wantHits(t, "like specials", e.textHits(inbox.ID, store.ColBody, `z%a`), nil, nil)
	fz, err := e.s.SearchText(e.ctx, inbox.ID, store.TextQuery{Columns: []store.TextColumn{store.ColBody, store.ColSubject},
		Needle: "crossing zebra", Fuzzy: true})
	if err != nil || !slices.Equal(fz.Sure, []store.UID{u1}) || len(fz.Rank) != 1 || fz.Rank[0] <= 0 {
		t.Fatalf("fuzzy, words in any order: %+v, %v", fz, err)
	}
	fz, err = e.s.SearchText(e.ctx, inbox.ID, store.TextQuery{Columns: []store.TextColumn{store.ColBody, store.ColSubject},
		Needle: "zebra", Fuzzy: true})
	if err != nil || !slices.Equal(fz.Sure, []store.UID{u1, u3, u4}) || len(fz.Rank) != 3 {
		t.Fatalf("fuzzy, one word in two columns: %+v, %v", fz, err)
	}

	cp, err := e.s.Copy(e.ctx, inbox.ID, []store.UID{u1}, archive.ID, store.FlagDrop{})
	if err != nil {
		t.Fatal(err)
	}
	mv, err := e.s.Move(e.ctx, inbox.ID, []store.UID{u4}, archive.ID, store.FlagDrop{})
	if err != nil {
		t.Fatal(err)
	}
	wantHits(t, "after MOVE, source", e.textHits(inbox.ID, store.ColBody, "zebra"), []store.UID{u1}, nil)
	wantHits(t, "after COPY and MOVE", e.textHits(archive.ID, store.ColBody, "zebra"), []store.UID{cp.Dst[0], mv.Dst[0]}, nil)
	if _, err := e.s.Expunge(e.ctx, inbox.ID, []store.UID{u1}); err != nil {
		t.Fatal(err)
	}
	wantHits(t, "after EXPUNGE", e.textHits(inbox.ID, store.ColBody, "zebra"), nil, nil)
	wantHits(t, "the copy", e.textHits(archive.ID, store.ColBody, "zebra"), []store.UID{cp.Dst[0], mv.Dst[0]}, nil)
	if _, err := e.s.Expunge(e.ctx, archive.ID, []store.UID{cp.Dst[0], mv.Dst[0]}); err != nil {
		t.Fatal(err)
	}
	wantHits(t, "all expunged", e.textHits(archive.ID, store.ColBody, "zebra"), nil, nil)

	// Stored without the index: listed as Maybe until rebuilt.
	e.s.Close()
	plain, err := b.OpenPlain(e.instance)
	if err != nil {
		t.Fatal(err)
	}
	res, err := plain.Deliver(e.ctx, store.NewMessage{Body: bytes.NewReader(textMsg("old", "an old zebra"))},
		[]store.Target{{Account: acct.ID}, {Account: acct.ID, MailboxName: "Archive"}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	plain.Close()
	e.open()
	u5, a5 := res[0].UID, res[1].UID
	big := e.deliver(acct.ID, "", textMsg("big", strings.Repeat("zebra ", store.MaxIndexText/6+1))).UID
	wantHits(t, "unindexed", e.textHits(inbox.ID, store.ColBody, "zebra"), nil, []store.UID{u5, big})
	n, err := e.s.RebuildTextIndex(e.ctx, acct.ID)
	if err != nil || n != 1 {
		t.Fatalf("RebuildTextIndex: %d, %v; want 1 body", n, err)
	}
	wantHits(t, "rebuilt", e.textHits(inbox.ID, store.ColBody, "zebra"), []store.UID{u5}, []store.UID{big})
	wantHits(t, "rebuilt, the other copy", e.textHits(archive.ID, store.ColBody, "zebra"), []store.UID{a5}, nil)
	if n, err := e.s.RebuildTextIndex(e.ctx, 0); err != nil || n != 0 {
		t.Fatalf("second RebuildTextIndex: %d, %v; want nothing to do", n, err)
	}
	e.reopen()
	wantHits(t, "after a restart", e.textHits(inbox.ID, store.ColBody, "zebra"), []store.UID{u5}, []store.UID{big})
}

// checkIndexed requires every acknowledged delivery to be in the index
// or listed unindexed (durably, with its message) when the backend
// indexes, and the indexer's step to index them all then.
func checkIndexed(t *testing.T, e *env, acks []ack) {
	if !e.b.Indexes {
		return
	}
	check := func(what string, known func(store.TextHits) []store.UID) {
		hits := map[store.MailboxID][]store.UID{}
		for _, a := range acks {
			if _, ok := hits[a.mailbox]; !ok {
				hits[a.mailbox] = known(e.textHits(a.mailbox, store.ColBody, "the quick brown"))
			}
			if !slices.Contains(hits[a.mailbox], a.uid) {
				t.Fatalf("acknowledged message %d/%d is not %s", a.mailbox, a.uid, what)
			}
		}
	}
	check("in the index nor listed unindexed", func(h store.TextHits) []store.UID { return append(h.Sure, h.Maybe...) })
	if _, err := e.s.RebuildTextIndex(e.ctx, 0); err != nil {
		t.Fatal(err)
	}
	check("in the index after RebuildTextIndex", func(h store.TextHits) []store.UID { return h.Sure })
}

// testTextSubstrings: the index answers a needle as a substring of one
// column's text, nothing less: not the messages that hold every
// trigram of it apart (a backend whose index keeps no positions must
// check its candidates, docs/architecture.md §Full-text index), nor
// those that hold it in another column; case-folded (the extractor's
// folding), repeated trigrams, non-ASCII, and FUZZY's words each as a
// substring.
func testTextSubstrings(t *testing.T, b Backend) {
	if b.OpenPlain == nil {
		t.Skip("the backend gives no store without a text extractor")
	}
	e := newEnv(t, b)
	acct := e.account("substr")
	inbox := e.mailbox(acct.ID, "INBOX")
	var u []store.UID
	for _, m := range []struct{ subject, body string }{
		{"one", "a zebra crossing"},     // 0: zebra
		{"two", "zebu and cobra"},       // 1: zeb and bra, not ebr
		{"three", "zebu ebro cobra"},    // 2: every trigram of zebra, apart
		{"four", "ZEBRA"},               // 3: folded
		{"zebra", "nothing here"},       // 4: in the subject only
		{"six", "aaa aaa"},              // 5: the trigram of aaaaa, twice
		{"seven", "xaaaaax"},            // 6: aaaaa
		{"eight", "möte leyla"},         // 7: möt and ley, not mötley
		{"nine", "mötley crossing"},     // 8: mötley
		{"ten", "cobra crossing ebros"}, // 9: every trigram of "ebra cobr", apart
	} {
		u = append(u, e.deliver(acct.ID, "", textMsg(m.subject, m.body)).UID)
	}
	if _, err := e.s.RebuildTextIndex(e.ctx, 0); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		needle string
		want   []int
	}{
		{"zebra", []int{0, 3}},
		{"ebra", []int{0, 3}},
		{"zeb", []int{0, 1, 2, 3}},
		{"zebra crossing", []int{0}},
		{"aaaaa", []int{6}},
		{"mötley", []int{8}},
		{"a cr", []int{0, 9}},
	} {
		var want []store.UID
		for _, i := range c.want {
			want = append(want, u[i])
		}
		wantHits(t, "body "+c.needle, e.textHits(inbox.ID, store.ColBody, c.needle), want, nil)
	}
	wantHits(t, "subject zebra", e.textHits(inbox.ID, store.ColSubject, "zebra"), []store.UID{u[4]}, nil)
	fz, err := e.s.SearchText(e.ctx, inbox.ID, store.TextQuery{Columns: []store.TextColumn{store.ColBody},
		Needle: "ebra cobr", Fuzzy: true})
	if err != nil || len(fz.Sure) != 0 || len(fz.Maybe) != 0 {
		t.Fatalf("fuzzy, words apart as trigrams only: %+v, %v; want nothing", fz, err)
	}
	fz, err = e.s.SearchText(e.ctx, inbox.ID, store.TextQuery{Columns: []store.TextColumn{store.ColBody},
		Needle: "crossing mötley", Fuzzy: true})
	if err != nil || !slices.Equal(fz.Sure, []store.UID{u[8]}) || len(fz.Rank) != 1 || fz.Rank[0] <= 0 {
		t.Fatalf("fuzzy, both words: %+v, %v", fz, err)
	}
}
