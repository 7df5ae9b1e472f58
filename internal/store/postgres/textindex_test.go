package postgres

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/store"
)

// TestIndexersOfTwoNodes: two nodes' indexers (their batch step) run at
// once while messages are expunged: no error, no deadlock (the
// database's count), no body indexed twice (their counts add up to at
// most the bodies), and every message left is indexed, none of the
// expunged ones.
func TestIndexersOfTwoNodes(t *testing.T) {
	dsn := newDatabase(t)
	ctx := context.Background()
	a, err := openTest(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := openTest(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	acct, err := a.CreateAccount(ctx, "u@example.org", "h")
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := a.Mailbox(ctx, acct.ID, store.InboxName)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1200
	var uids []store.UID
	for i := 0; i < n; i += 100 {
		var msgs []store.AppendMessage
		for j := i; j < i+100; j++ {
			msgs = append(msgs, store.AppendMessage{Body: bytes.NewReader([]byte(fmt.Sprintf(
				"From: a@example.com\r\nSubject: m%d\r\n\r\nthe zebra number %d\r\n", j, j)))})
		}
		res, err := a.AppendBatch(ctx, acct.ID, inbox.ID, msgs)
		if err != nil {
			t.Fatal(err)
		}
		uids = append(uids, res.UIDs...)
	}
	var wg sync.WaitGroup
	indexed := make([]int, 2)
	errs := make([]error, 3)
	for i, s := range []*Store{a, b} {
		wg.Go(func() {
			for {
				n, claimed, err := s.indexBatch(ctx, 0)
				indexed[i] += n
				if err != nil || claimed == 0 {
					errs[i] = err
					return
				}
			}
		})
	}
	var gone []store.UID
	wg.Go(func() {
		for i := 0; i < n; i += 30 { // expunge a third, in small steps
			del := []store.UID{uids[i], uids[i+1], uids[i+2]}
			if _, err := b.Expunge(ctx, inbox.ID, del); err != nil {
				errs[2] = err
				return
			}
			gone = append(gone, del...)
		}
	})
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.RebuildTextIndex(ctx, 0); err != nil { // what the indexers skipped: locked by the expunge
		t.Fatal(err)
	}
	if indexed[0]+indexed[1] > n {
		t.Fatalf("%d + %d bodies indexed of %d", indexed[0], indexed[1], n)
	}
	h, err := a.SearchText(ctx, inbox.ID, store.TextQuery{Columns: []store.TextColumn{store.ColBody}, Needle: "zebra"})
	if err != nil || len(h.Maybe) != 0 || len(h.Sure) != n-len(gone) {
		t.Fatalf("after indexing: %d sure, %d maybe, %v; want %d sure", len(h.Sure), len(h.Maybe), err, n-len(gone))
	}
	var rows, stale int64
	if err := a.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE NOT EXISTS
		(SELECT 1 FROM messages m WHERE m.blob = t.blob)) FROM text_index t`).Scan(&rows, &stale); err != nil || rows != int64(n-len(gone)) || stale != 0 {
		t.Fatalf("text_index: %d rows, %d without a message, %v; want %d", rows, stale, err, n-len(gone))
	}
	a.Close()
	b.Close()
	// The nodes' connections are closed: their statistics are flushed.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var deadlocks int64
	if err := conn.QueryRow(ctx, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&deadlocks); err != nil || deadlocks != 0 {
		t.Fatalf("deadlocks: %d, %v", deadlocks, err)
	}
}
