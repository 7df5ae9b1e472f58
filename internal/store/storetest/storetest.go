// Package storetest is the conformance suite that every store backend must
// pass: Run for the behaviour, CrashChild/TestCrash for durability under
// SIGKILL, and BenchmarkDeliver for the group-commit throughput.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// Backend describes a backend to the suite.
type Backend struct {
	// NewInstance creates an empty store instance and returns a string that
	// identifies it (a directory, a DSN); the suite may open it many times,
	// also from a child process.
	NewInstance func(t testing.TB) string
	// Open opens an instance. Closing and opening again must give the same
	// data.
	Open func(instance string) (store.Store, error)
	// OpenPlain opens an instance without a text extractor (its new
	// messages are not indexed); nil skips the full-text index cases.
	OpenPlain func(instance string) (store.Store, error)
	// Indexes says that Open's stores index new messages.
	Indexes bool
	// OpenIndexing opens an instance with the background full-text
	// indexer running, idle its idle wait; nil skips its case.
	OpenIndexing func(instance string, idle time.Duration) (store.Store, error)
}

// Run runs the conformance suite.
func Run(t *testing.T, b Backend) {
	tests := []struct {
		name string
		fn   func(*testing.T, Backend)
	}{
		{"Directory", testDirectory},
		{"FirstAccount", testFirstAccount},
		{"Aliases", testAliases},
		{"DefaultMailboxes", testDefaultMailboxes},
		{"BackgroundIndexer", testBackgroundIndexer},
		{"UIDMonotonicAcrossRestarts", testUIDsAcrossRestarts},
		{"ModSeqIncreases", testModSeq},
		{"Flags", testFlags},
		{"ExpungeLog", testExpungeLog},
		{"CopyMove", testCopyMove},
		{"Quota", testQuota},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ChangeFeed", testChangeFeed},
		{"Mailboxes", testMailboxes},
		{"DeleteMailboxIf", testDeleteMailboxIf},
		{"RenameInbox", testRenameInbox},
		{"DeliverTargets", testDeliverTargets},
		{"AtomicDelivery", testAtomicDelivery},
		{"AppendBatch", testAppendBatch},
		{"AppendBatchAllOrNothing", testAppendBatchAllOrNothing},
		{"LargeBody", testLargeBody},
		{"WireSizes", testWireSizes},
		{"BulkRead", testBulkRead},
		{"EmailIDs", testEmailIDs},
		{"Threads", testThreads},
		{"SaveDate", testSaveDate},
		{"AccountState", testAccountState},
		{"ExpungeMany", testExpungeMany},
		{"DeleteAccount", testDeleteAccount},
		{"ACLEntries", testACLEntries},
		{"ACLLifetime", testACLLifetime},
		{"SharedWith", testSharedWith},
		{"SharedWithBounded", testSharedWithBounded},
		{"CrossAccountCopy", testCrossAccountCopy},
		{"CrossAccountCopyBothWays", testCrossAccountCopyBothWays},
		{"CopyFlagDrop", testCopyFlagDrop},
		{"Queue", testQueue},
		{"QueueClaims", testQueueClaims},
		{"QueueClaimOrder", testQueueClaimOrder},
		{"QueueHeld", testQueueHeld},
		{"KV", testKV},
		{"Locks", testLocks},
		{"Lease", testLease},
		{"Recent", testRecent},
		{"FeedAcrossInstances", testFeedAcrossInstances},
		{"Importer", RunImporter},
		{"ReserveEmailIDs", testReserveEmailIDs},
		{"ImportThreadZero", testImportThreadZero},
		{"TextIndex", testTextIndex},
		{"TextMaybeShapes", testTextMaybeShapes},
		{"TextSubstrings", testTextSubstrings},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, b) })
	}
}

// env is one open instance with a domain and helpers.
type env struct {
	t        testing.TB
	b        Backend
	instance string
	s        store.Store
	ctx      context.Context
}

func newEnv(t testing.TB, b Backend) *env {
	e := &env{t: t, b: b, instance: b.NewInstance(t), ctx: context.Background()}
	e.open()
	t.Cleanup(func() { e.s.Close() })
	if err := e.s.AddDomain(e.ctx, "example.org"); err != nil {
		t.Fatalf("AddDomain: %v", err)
	}
	return e
}

func (e *env) open() {
	s, err := e.b.Open(e.instance)
	if err != nil {
		e.t.Fatalf("open: %v", err)
	}
	e.s = s
}

// reopen closes and opens the instance again (a clean restart).
func (e *env) reopen() {
	if err := e.s.Close(); err != nil {
		e.t.Fatalf("close: %v", err)
	}
	e.open()
}

func (e *env) account(local string) store.Account {
	e.t.Helper()
	a, err := e.s.CreateAccount(e.ctx, local+"@example.org", "hash")
	if err != nil {
		e.t.Fatalf("CreateAccount(%s): %v", local, err)
	}
	return a
}

func (e *env) mailbox(acct store.AccountID, name string) store.Mailbox {
	e.t.Helper()
	mb, err := e.s.Mailbox(e.ctx, acct, name)
	if err != nil {
		e.t.Fatalf("Mailbox(%s): %v", name, err)
	}
	return mb
}

// msg builds a small RFC 5322 message.
func msg(subject string, bodyLen int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: %s\r\nMessage-ID: <%s@example.com>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0100\r\n\r\n", subject, subject)
	line := []byte("The quick brown fox jumps over the lazy dog 0123456789.\r\n")
	for b.Len() < bodyLen {
		b.Write(line)
	}
	return b.Bytes()
}

func (e *env) deliver(acct store.AccountID, mailbox string, body []byte) store.Delivered {
	e.t.Helper()
	res, err := e.s.Deliver(e.ctx, store.NewMessage{Body: bytes.NewReader(body)},
		[]store.Target{{Account: acct, MailboxName: mailbox}})
	if err != nil {
		e.t.Fatalf("Deliver: %v", err)
	}
	if res[0].Err != nil {
		e.t.Fatalf("Deliver target: %v", res[0].Err)
	}
	return res[0]
}

func (e *env) messages(mb store.MailboxID) []store.Message {
	e.t.Helper()
	ms, err := e.s.Messages(e.ctx, mb, 1, 0)
	if err != nil {
		e.t.Fatalf("Messages: %v", err)
	}
	return ms
}

func (e *env) readBlob(id store.BlobID) []byte {
	e.t.Helper()
	bl, err := e.s.OpenBlob(e.ctx, id)
	if err != nil {
		e.t.Fatalf("OpenBlob: %v", err)
	}
	defer bl.Close()
	data, err := io.ReadAll(bl)
	if err != nil {
		e.t.Fatalf("read blob: %v", err)
	}
	if int64(len(data)) != bl.Size() {
		e.t.Fatalf("blob Size() = %d, read %d bytes", bl.Size(), len(data))
	}
	return data
}

func wantKind(t testing.TB, what string, err error, k store.Kind) {
	t.Helper()
	if !store.IsKind(err, k) {
		t.Fatalf("%s: got error %v, want kind %v", what, err, k)
	}
}

func sum(b []byte) string { h := sha256.Sum256(b); return fmt.Sprintf("%x", h[:]) }

// waitEvent waits up to a second for events on a subscription.
func waitEvent(t testing.TB, sub *store.Subscription) []store.Change {
	t.Helper()
	select {
	case <-sub.C():
		ev, overflow := sub.Events()
		if overflow {
			t.Fatalf("unexpected overflow")
		}
		return ev
	case <-time.After(time.Second):
		t.Fatalf("no change event within 1s")
		return nil
	}
}
