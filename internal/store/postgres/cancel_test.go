package postgres

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/store"
)

// TestWriteCancelledWhileQueued: a write whose caller gives up while it
// waits (for the account's row, held by another transaction) must not
// report a failure and then commit: a client told 4xx would send the
// message again. Either the call fails and nothing is stored, or what is
// stored is whole. The body is large, written in chunks in a transaction
// of its own before the write waits. (Before, Deliver and a one-message
// AppendBatch returned the cancellation while their batch, once the row
// was free, committed.)
func TestWriteCancelledWhileQueued(t *testing.T) {
	body := []byte("Subject: big\r\n\r\n" + strings.Repeat("x", ChunkSize+50<<10))
	type env struct {
		s     *Store
		acct  store.AccountID
		inbox store.MailboxID
	}
	inboxBlobs := func(t *testing.T, e env) []store.BlobID {
		ms, err := e.s.Messages(context.Background(), e.inbox, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		var ids []store.BlobID
		for _, m := range ms {
			ids = append(ids, m.Blob)
		}
		return ids
	}
	appendN := func(n int) func(context.Context, env) error {
		return func(ctx context.Context, e env) error {
			msgs := make([]store.AppendMessage, n)
			for i := range msgs {
				msgs[i].Body = bytes.NewReader(body)
			}
			_, err := e.s.AppendBatch(ctx, e.acct, e.inbox, msgs)
			return err
		}
	}
	cases := []struct {
		name  string
		write func(context.Context, env) error
		blobs func(*testing.T, env) []store.BlobID
	}{
		{"Deliver", func(ctx context.Context, e env) error {
			_, err := e.s.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(body)}, []store.Target{{Account: e.acct}})
			return err
		}, inboxBlobs},
		{"AppendBatch", appendN(1), inboxBlobs},
		{"AppendBatchOfTwo", appendN(2), inboxBlobs},
		{"ImportMessages", func(ctx context.Context, e env) error {
			_, err := e.s.ImportMessages(ctx, e.acct, e.inbox, []store.ImportMessage{{UID: 7, ModSeq: 9, EmailID: 500,
				ThreadID: 500, Body: bytes.NewReader(body)}})
			return err
		}, inboxBlobs},
		{"Enqueue", func(ctx context.Context, e env) error {
			_, err := e.s.Enqueue(ctx, store.NewQueued{ID: "q1", From: "a@example.org", Arrived: time.Now(),
				Body: bytes.NewReader(body), Rcpts: []store.QueuedRcpt{{Addr: "b@example.net", Domain: "example.net"}}})
			return err
		}, func(t *testing.T, e env) []store.BlobID {
			qs, err := e.s.QueuedMessages(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var ids []store.BlobID
			for _, q := range qs {
				ids = append(ids, q.Blob)
			}
			return ids
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := newDatabase(t)
			s, err := openTest(dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.AddDomain(ctx, "example.org"); err != nil {
				t.Fatal(err)
			}
			a, err := s.CreateAccount(ctx, "alice@example.org", "hash")
			if err != nil {
				t.Fatal(err)
			}
			inbox, err := s.Mailbox(ctx, a.ID, "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			e := env{s, a.ID, inbox.ID}
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
			if _, err := tx.Exec(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, a.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO queue(id, sender, arrived, size, blob) VALUES ('q1', '', 0, 0, 0)`); err != nil {
				t.Fatal(err)
			}
			cctx, cancel := context.WithCancel(ctx)
			released := make(chan error, 1)
			time.AfterFunc(300*time.Millisecond, func() { cancel(); released <- tx.Rollback(ctx) })
			werr := c.write(cctx, e)
			if err := <-released; err != nil {
				t.Fatal(err)
			}
			// A delivery to the same account after the write: it goes to
			// the same writer, so once it is done, so is the write.
			res, err := s.Deliver(ctx, store.NewMessage{Body: strings.NewReader("Subject: after\r\n\r\n.\r\n")},
				[]store.Target{{Account: a.ID, MailboxName: "Archive"}})
			if err != nil || res[0].Err != nil {
				t.Fatalf("Deliver after: %v %+v", err, res)
			}
			ids := c.blobs(t, e)
			if werr != nil && len(ids) > 0 {
				t.Errorf("%s reported %v, yet it was stored", c.name, werr)
			}
			for _, id := range ids {
				bl, err := s.OpenBlob(ctx, id)
				if err != nil {
					t.Fatalf("the stored body (call reported %v): %v", werr, err)
				}
				got, err := io.ReadAll(bl)
				bl.Close()
				if err != nil || !bytes.Equal(got, body) {
					t.Fatalf("the stored body: %d octets, %v (call reported %v)", len(got), err, werr)
				}
			}
			t.Logf("%s reported %v; %d bodies stored", c.name, werr, len(ids))
		})
	}
}
