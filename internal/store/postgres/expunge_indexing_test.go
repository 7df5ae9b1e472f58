package postgres

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
)

// An EXPUNGE of a message whose body the full-text indexer holds (its
// batch's FOR KEY SHARE, for as long as it extracts the text) does not
// wait for the indexer: it used to, and failed after the lock timeout
// (the mixed IMAP load of docs/benchmarks.md, 20 clients). The body is
// left to the indexer, which deletes it at the end of its batch.
func TestExpungeWhileIndexing(t *testing.T) {
	dsn, _, acct := oneAccount(t)
	ctx := context.Background()
	s, err := Open(ctx, dsn, Options{MaxConns: 4, NoListen: true, LockTimeout: time.Second, TextExtractor: imapmsg.IndexText})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	res, err := s.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(testMsg("indexed meanwhile"))}, []store.Target{{Account: acct.ID}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	inbox, err := s.Mailbox(ctx, acct.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := s.Messages(ctx, inbox.ID, 1, 0)
	if err != nil || len(msgs) != 1 {
		t.Fatal(err, msgs)
	}
	blob := int64(msgs[0].Blob)
	// The indexer's claim, from another connection, held.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM blobs WHERE id = $1 FOR KEY SHARE`, blob); err != nil {
		t.Fatal(err)
	}
	gone, err := s.Expunge(ctx, inbox.ID, []store.UID{msgs[0].UID})
	if err != nil || len(gone) != 1 {
		t.Fatalf("EXPUNGE while the indexer holds the body: %v %v", gone, err)
	}
	if _, err := s.OpenBlob(ctx, msgs[0].Blob); !store.IsKind(err, store.KindNotFound) {
		t.Errorf("the expunged body still opens: %v", err)
	}
	tx.Rollback(ctx)
	if _, err := s.RebuildTextIndex(ctx, 0); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM blobs WHERE id = $1`, blob).Scan(&n); err != nil || n != 0 {
		t.Errorf("after the indexer's batch: %d rows of the body (%v), want none", n, err)
	}
}
