package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store/storetest"
)

// TestWriteCancelledWhileQueued: a write whose caller gives up while it
// waits in the writer's queue must not leave a row whose body file is gone
// (a large body lives in a file that the failed call removes). Either the
// call fails and nothing is stored, or what is stored is whole
// (storetest.QueuedWrites).
func TestWriteCancelledWhileQueued(t *testing.T) {
	body := []byte("Subject: big\r\n\r\n" + strings.Repeat("x", 300<<10))
	for _, w := range storetest.QueuedWrites(body) {
		t.Run(w.Name, func(t *testing.T) {
			ctx := context.Background()
			e := openStoreEnv(t, t.TempDir(), Options{})
			// Hold the writer busy, so that the write waits in its queue.
			release := make(chan struct{})
			busy := make(chan error, 1)
			go func() { busy <- e.s.w.do(ctx, "hold", func(*txn) error { <-release; return nil }) }()
			cctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(200*time.Millisecond, func() { cancel(); close(release) })
			werr := w.Write(cctx, e.s, e.acct, e.inbox)
			if err := <-busy; err != nil {
				t.Fatal(err)
			}
			// A write queued after this one: once it is done, so is the first.
			if err := e.s.w.do(ctx, "after", func(*txn) error { return nil }); err != nil {
				t.Fatal(err)
			}
			storetest.CheckQueuedWrite(t, w, e.s, e.inbox, werr, body)
		})
	}
}
