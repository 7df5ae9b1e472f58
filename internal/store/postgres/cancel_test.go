package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/storetest"
)

// TestWriteCancelledWhileQueued: a write whose caller gives up while it
// waits (for the account's row, held by another transaction) must not
// report a failure and then commit (storetest.QueuedWrites). The body is
// large, written in chunks in a transaction of its own before the write
// waits. (Before, Deliver and a one-message AppendBatch returned the
// cancellation while their batch, once the row was free, committed.)
func TestWriteCancelledWhileQueued(t *testing.T) {
	body := []byte("Subject: big\r\n\r\n" + strings.Repeat("x", ChunkSize+50<<10))
	for _, w := range storetest.QueuedWrites(body) {
		t.Run(w.Name, func(t *testing.T) {
			ctx := context.Background()
			s, dsn, acct, inbox := newAccountStore(t)
			// Another transaction holds the account's row and the queue
			// ID, so that the write waits for them.
			hold, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer hold.Close(ctx)
			tx, err := hold.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, acct); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO queue(id, sender, arrived, size, blob) VALUES ('q1', '', 0, 0, 0)`); err != nil {
				t.Fatal(err)
			}
			cctx, cancel := context.WithCancel(ctx)
			released := make(chan error, 1)
			time.AfterFunc(300*time.Millisecond, func() { cancel(); released <- tx.Rollback(ctx) })
			werr := w.Write(cctx, s, acct, inbox)
			if err := <-released; err != nil {
				t.Fatal(err)
			}
			// A delivery to the same account after the write: it goes to
			// the same writer, so once it is done, so is the write.
			res, err := s.Deliver(ctx, store.NewMessage{Body: strings.NewReader("Subject: after\r\n\r\n.\r\n")},
				[]store.Target{{Account: acct, MailboxName: "Archive"}})
			if err != nil || res[0].Err != nil {
				t.Fatalf("Deliver after: %v %+v", err, res)
			}
			storetest.CheckQueuedWrite(t, w, s, inbox, werr, body)
		})
	}
}

// newAccountStore opens a store on a new database with the domain
// example.org and the account alice@example.org, closed at the test's end.
func newAccountStore(t *testing.T) (s *Store, dsn string, acct store.AccountID, inbox store.MailboxID) {
	t.Helper()
	ctx := context.Background()
	dsn = newDatabase(t)
	s, err := openTest(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	a, err := s.CreateAccount(ctx, "alice@example.org", "hash")
	if err != nil {
		t.Fatal(err)
	}
	mb, err := s.Mailbox(ctx, a.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	return s, dsn, a.ID, mb.ID
}
