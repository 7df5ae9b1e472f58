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

// An import whose context ends while its write waits in the writer's
// queue must not remove the body file of a write that then commits: the
// import waits for the outcome. (Before, ImportMessages returned the
// cancellation, removed the file of its 300 KiB body, and the queued
// write committed a row naming the missing file.)
func TestImportCancelledWhileQueued(t *testing.T) {
	ctx := context.Background()
	e := openStoreEnv(t, t.TempDir(), Options{})
	s := e.s
	// Hold the writer busy, so that the import's write waits in its queue.
	release := make(chan struct{})
	busy := make(chan error, 1)
	go func() { busy <- s.w.do(ctx, "hold", func(*txn) error { <-release; return nil }) }()
	body := []byte("Subject: big\r\n\r\n" + strings.Repeat("x", 300<<10))
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(200*time.Millisecond, func() { cancel(); close(release) })
	_, ierr := s.ImportMessages(cctx, e.acct, e.inbox, []store.ImportMessage{{UID: 7, ModSeq: 9, EmailID: 500, ThreadID: 500,
		Body: bytes.NewReader(body)}})
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	// A write queued after the import's: once it is done, so is the import's.
	if err := s.w.do(ctx, "after", func(*txn) error { return nil }); err != nil {
		t.Fatal(err)
	}
	ms, err := s.Messages(ctx, e.inbox, 7, 7)
	if err != nil {
		t.Fatal(err)
	}
	if ierr != nil && len(ms) == 0 {
		return // refused before it was queued, nothing stored: fine too
	}
	if len(ms) != 1 {
		t.Fatalf("import reported %v, and the mailbox holds %d messages at UID 7", ierr, len(ms))
	}
	bl, err := s.OpenBlob(ctx, ms[0].Blob)
	if err != nil {
		t.Fatalf("the imported message's body (import reported %v): %v", ierr, err)
	}
	defer bl.Close()
	got, err := io.ReadAll(bl)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("the imported message's body: %d octets, %v (import reported %v)", len(got), err, ierr)
	}
}
