package sqlite

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// TestWriteCancelledWhileQueued: a write whose caller gives up while it
// waits in the writer's queue must not leave a row whose body file is gone
// (a large body lives in a file that the failed call removes). Either the
// call fails and nothing is stored, or what is stored is whole.
func TestWriteCancelledWhileQueued(t *testing.T) {
	body := []byte("Subject: big\r\n\r\n" + strings.Repeat("x", 300<<10))
	cases := []struct {
		name  string
		write func(ctx context.Context, e *storeEnv) error
		blobs func(e *storeEnv) []store.BlobID
	}{
		{"Deliver", func(ctx context.Context, e *storeEnv) error {
			_, err := e.s.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(body)}, []store.Target{{Account: e.acct}})
			return err
		}, inboxBlobs},
		{"AppendBatch", func(ctx context.Context, e *storeEnv) error {
			_, err := e.s.AppendBatch(ctx, e.acct, e.inbox, []store.AppendMessage{{Body: bytes.NewReader(body)}})
			return err
		}, inboxBlobs},
		{"Enqueue", func(ctx context.Context, e *storeEnv) error {
			_, err := e.s.Enqueue(ctx, store.NewQueued{ID: "q1", From: "a@example.org", Arrived: time.Now(),
				Body: bytes.NewReader(body), Rcpts: []store.QueuedRcpt{{Addr: "b@example.net", Domain: "example.net"}}})
			return err
		}, func(e *storeEnv) []store.BlobID {
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
			e := openStoreEnv(t, t.TempDir(), Options{})
			// Hold the writer busy, so that the write waits in its queue.
			release := make(chan struct{})
			busy := make(chan error, 1)
			go func() { busy <- e.s.w.do(ctx, "hold", func(*txn) error { <-release; return nil }) }()
			cctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(200*time.Millisecond, func() { cancel(); close(release) })
			werr := c.write(cctx, e)
			if err := <-busy; err != nil {
				t.Fatal(err)
			}
			// A write queued after this one: once it is done, so is the first.
			if err := e.s.w.do(ctx, "after", func(*txn) error { return nil }); err != nil {
				t.Fatal(err)
			}
			ids := c.blobs(e)
			if werr != nil && len(ids) > 0 {
				t.Errorf("%s reported %v, yet it was stored", c.name, werr)
			}
			for _, id := range ids {
				bl, err := e.s.OpenBlob(ctx, id)
				if err != nil {
					t.Fatalf("the stored body (call reported %v): %v", werr, err)
				}
				got, err := io.ReadAll(bl)
				bl.Close()
				if err != nil || !bytes.Equal(got, body) {
					t.Fatalf("the stored body: %d octets, %v (call reported %v)", len(got), err, werr)
				}
			}
		})
	}
}

func inboxBlobs(e *storeEnv) []store.BlobID {
	ms, err := e.s.Messages(context.Background(), e.inbox, 1, 0)
	if err != nil {
		panic(err)
	}
	var ids []store.BlobID
	for _, m := range ms {
		ids = append(ids, m.Blob)
	}
	return ids
}
