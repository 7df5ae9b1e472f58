package storetest

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// QueuedWrite is a write that a backend's test makes wait (for its
// writer, a lock) while its caller gives up: the call must then fail with
// nothing stored, or succeed; never fail and store (a client told 4xx
// would send the message again).
type QueuedWrite struct {
	Name  string
	Write func(ctx context.Context, s store.Store, account store.AccountID, inbox store.MailboxID) error
	// Blobs lists the bodies the write stored.
	Blobs func(s store.Store, inbox store.MailboxID) ([]store.BlobID, error)
}

// QueuedWrites are the writes of a body that report a durable store:
// Deliver, AppendBatch of one and of two messages, ImportMessages,
// Enqueue (queue ID "q1").
func QueuedWrites(body []byte) []QueuedWrite {
	inboxBlobs := func(s store.Store, inbox store.MailboxID) ([]store.BlobID, error) {
		ms, err := s.Messages(context.Background(), inbox, 1, 0)
		var ids []store.BlobID
		for _, m := range ms {
			ids = append(ids, m.Blob)
		}
		return ids, err
	}
	appendN := func(n int) func(context.Context, store.Store, store.AccountID, store.MailboxID) error {
		return func(ctx context.Context, s store.Store, account store.AccountID, inbox store.MailboxID) error {
			msgs := make([]store.AppendMessage, n)
			for i := range msgs {
				msgs[i].Body = bytes.NewReader(body)
			}
			_, err := s.AppendBatch(ctx, account, inbox, msgs)
			return err
		}
	}
	return []QueuedWrite{
		{"Deliver", func(ctx context.Context, s store.Store, account store.AccountID, _ store.MailboxID) error {
			_, err := s.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(body)}, []store.Target{{Account: account}})
			return err
		}, inboxBlobs},
		{"AppendBatch", appendN(1), inboxBlobs},
		{"AppendBatchOfTwo", appendN(2), inboxBlobs},
		{"ImportMessages", func(ctx context.Context, s store.Store, account store.AccountID, inbox store.MailboxID) error {
			_, err := s.ImportMessages(ctx, account, inbox, []store.ImportMessage{{UID: 7, ModSeq: 9, EmailID: 500,
				ThreadID: 500, Body: bytes.NewReader(body)}})
			return err
		}, inboxBlobs},
		{"Enqueue", func(ctx context.Context, s store.Store, _ store.AccountID, _ store.MailboxID) error {
			_, err := s.Enqueue(ctx, store.NewQueued{ID: "q1", From: "a@example.org", Arrived: time.Now(),
				Body: bytes.NewReader(body), Rcpts: []store.QueuedRcpt{{Addr: "b@example.net", Domain: "example.net"}}})
			return err
		}, func(s store.Store, _ store.MailboxID) ([]store.BlobID, error) {
			qs, err := s.QueuedMessages(context.Background())
			var ids []store.BlobID
			for _, q := range qs {
				ids = append(ids, q.Blob)
			}
			return ids, err
		}},
	}
}

// CheckQueuedWrite fails the test when w, which returned werr, failed
// and stored, or stored a body other than body.
func CheckQueuedWrite(t *testing.T, w QueuedWrite, s store.Store, inbox store.MailboxID, werr error, body []byte) {
	t.Helper()
	ctx := context.Background()
	ids, err := w.Blobs(s, inbox)
	if err != nil {
		t.Fatal(err)
	}
	if werr != nil && len(ids) > 0 {
		t.Errorf("%s reported %v, yet it was stored", w.Name, werr)
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
	t.Logf("%s reported %v; %d bodies stored", w.Name, werr, len(ids))
}
