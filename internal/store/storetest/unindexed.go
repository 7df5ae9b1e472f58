package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// testTextMaybeShapes: a text search's Maybe (the mailbox's messages the
// index has not read yet) is the same whether the store's unindexed list
// is longer than the mailbox (a small mailbox during an import's backlog)
// or shorter (a large mailbox, mostly indexed): the messages listed,
// those over the index's bound included, and no other mailbox's.
func testTextMaybeShapes(t *testing.T, b Backend) {
	if !b.Indexes {
		t.Skip("the backend's stores do not index")
	}
	e := newEnv(t, b)
	acct := e.account("shapes")
	if _, err := e.s.CreateMailbox(e.ctx, acct.ID, "Backlog", ""); err != nil { // Archive is a default one
		t.Fatal(err)
	}
	inbox, archive, backlog := e.mailbox(acct.ID, "INBOX"), e.mailbox(acct.ID, "Archive"), e.mailbox(acct.ID, "Backlog")
	deliver := func(box string, n int, what string) []store.UID {
		var uids []store.UID
		for i := range n {
			uids = append(uids, e.deliver(acct.ID, box, textMsg(fmt.Sprintf("%s %d", what, i), "a "+what)).UID)
		}
		return uids
	}
	deliver("Archive", 40, "read")
	deliver("", 1, "read")
	big := e.deliver(acct.ID, "", textMsg("big", strings.Repeat("horse ", store.MaxIndexText/6+1))).UID
	if _, err := e.s.RebuildTextIndex(e.ctx, 0); err != nil {
		t.Fatal(err)
	}
	// Listed now: 10 + 2 + 1 new bodies, and big over the bound.
	start := time.Now()
	inBacklog := deliver("Backlog", 10, "new")
	inArchive := deliver("Archive", 2, "new")
	inInbox := deliver("", 1, "new")
	wantHits(t, "INBOX (3 messages; 14 listed)", e.textHits(inbox.ID, store.ColBody, "zebra"), nil, []store.UID{big, inInbox[0]})
	wantHits(t, "Archive (42 messages; 14 listed)", e.textHits(archive.ID, store.ColBody, "zebra"), nil, inArchive)
	wantHits(t, "Backlog (10 messages; 14 listed)", e.textHits(backlog.ID, store.ColBody, "zebra"), nil, inBacklog)
	wantBacklog(t, e.s, 13, start)
}
