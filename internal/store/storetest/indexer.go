package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// testBackgroundIndexer: a delivered message is listed unindexed, the
// background indexer indexes it within a bounded time (at start, and
// when poked by a delivery: its idle wait is an hour here), and the
// answer (Sure plus the Maybe a search reads) is the same before and
// after.
func testBackgroundIndexer(t *testing.T, b Backend) {
	if b.OpenIndexing == nil {
		t.Skip("the backend has no background indexer")
	}
	e := newEnv(t, b)
	acct := e.account("bg")
	inbox := e.mailbox(acct.ID, "INBOX")
	start := time.Now()
	u1 := e.deliver(acct.ID, "", textMsg("one", "a striped zebra")).UID
	u2 := e.deliver(acct.ID, "", textMsg("two", "a spotted horse")).UID
	wantHits(t, "before the indexer", e.textHits(inbox.ID, store.ColBody, "zebra"), nil, []store.UID{u1, u2})
	wantBacklog(t, e.s, 2, start)

	e.s.Close()
	s, err := b.OpenIndexing(e.instance, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	waitIndexed(t, e, inbox.ID, "zebra", []store.UID{u1}) // at start
	wantBacklog(t, e.s, 0, time.Time{})
	u3 := e.deliver(acct.ID, "", textMsg("three", "zebra herd")).UID
	waitIndexed(t, e, inbox.ID, "zebra", []store.UID{u1, u3}) // poked
	wantHits(t, "not a match", e.textHits(inbox.ID, store.ColBody, "horse"), []store.UID{u2}, nil)
}

// waitIndexed polls until needle's hits in mailbox mb are exactly sure,
// none unindexed; before that, every answer must hold sure in Sure plus
// Maybe (what SEARCH reads), so SEARCH's result never changes.
func waitIndexed(t *testing.T, e *env, mb store.MailboxID, needle string, sure []store.UID) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h := e.textHits(mb, store.ColBody, needle)
		if slices.Equal(h.Sure, sure) && len(h.Maybe) == 0 {
			return
		}
		for _, u := range h.Sure {
			if !slices.Contains(sure, u) {
				t.Fatalf("%q: %d found, want %v", needle, u, sure)
			}
		}
		for _, u := range sure {
			if !slices.Contains(h.Sure, u) && !slices.Contains(h.Maybe, u) {
				t.Fatalf("%q: %d neither sure nor maybe: %+v", needle, u, h)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q not indexed in time: %+v, want sure %v", needle, h, sure)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wantBacklog checks the indexer's backlog (the metric of
// store.NewBacklogCollector): n bodies, the oldest listed at about
// since (the database's clock, in whole seconds: a margin of 5 s), or
// none.
func wantBacklog(t *testing.T, s store.Store, n int, since time.Time) {
	t.Helper()
	bl, ok := s.(interface {
		TextBacklog(context.Context) (store.IndexBacklog, error)
	})
	if !ok {
		t.Fatal("the store reports no indexer backlog")
	}
	got, err := bl.TextBacklog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.Bodies != n {
		t.Errorf("backlog: %d bodies, want %d", got.Bodies, n)
	}
	if n == 0 {
		if !got.Oldest.IsZero() {
			t.Errorf("backlog: oldest %v with none waiting", got.Oldest)
		}
		return
	}
	if d := got.Oldest.Sub(since); d < -5*time.Second || d > 5*time.Second {
		t.Errorf("backlog: oldest listed at %v, want about %v", got.Oldest, since)
	}
}
