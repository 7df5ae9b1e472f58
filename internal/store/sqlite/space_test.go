package sqlite

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// fakeSpace is a FreeSpace whose answer the test sets.
type fakeSpace struct{ free int64 }

func (f *fakeSpace) Free() (int64, bool) { return f.free, true }

// storeEnv is a store with an account and its INBOX.
type storeEnv struct {
	dir   string
	s     *Store
	acct  store.AccountID
	inbox store.MailboxID
}

func openStoreEnv(t testing.TB, dir string, opts Options) *storeEnv {
	t.Helper()
	ctx := context.Background()
	opts.Dir = dir
	s, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.space.retry = 0 // tests need not wait between attempts to refill
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
	return &storeEnv{dir: dir, s: s, acct: a.ID, inbox: inbox.ID}
}

func (e *storeEnv) deliver(size int) error {
	_, err := e.s.Deliver(context.Background(), store.NewMessage{Body: bytes.NewReader(bytes.Repeat([]byte("x"), size))},
		[]store.Target{{Account: e.acct}})
	return err
}

func (e *storeEnv) reserveHeld(t *testing.T) bool {
	t.Helper()
	_, err := os.Stat(filepath.Join(e.dir, ReserveFile))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}

// A database that cannot grow (SQLITE_FULL) is reported as KindNoSpace,
// not as an internal or temporary failure: SMTP answers 452 4.3.1 for it.
func TestDatabaseFullIsNoSpace(t *testing.T) {
	e := openStoreEnv(t, t.TempDir(), Options{})
	ctx := context.Background()
	var pages int64
	if err := e.s.w.conn.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.w.conn.ExecContext(ctx, "PRAGMA max_page_count = "+strconv.FormatInt(pages, 10)); err != nil {
		t.Fatal(err)
	}
	err := e.deliver(100 << 10) // inline: needs new database pages
	if !store.IsKind(err, store.KindNoSpace) {
		t.Fatalf("delivery into a full database: %v (kind %v), want kind %v", err, store.KindOf(err), store.KindNoSpace)
	}
}

// errNoSpace is what a write on a full filesystem returns.
var errNoSpace = &fs.PathError{Op: "write", Path: "petrel.db-wal", Err: syscall.ENOSPC}

// A deletion or flag change that fails because the disk is full releases
// the reserve and runs again; new mail is then refused until the space
// is back, and the reserve is filled again before new mail is accepted.
func TestReserveLetsDeletionsThrough(t *testing.T) {
	ctx := context.Background()
	space := &fakeSpace{free: 1 << 30}
	e := openStoreEnv(t, t.TempDir(), Options{Reserve: 64 << 10, Space: space})
	if !e.reserveHeld(t) {
		t.Fatal("no reserve file after Open")
	}
	if err := e.deliver(10); err != nil {
		t.Fatal(err)
	}
	// New mail that fails on a full disk does not touch the reserve.
	err := e.s.w.do(ctx, "deliver", func(*txn) error { return errNoSpace })
	if !store.IsKind(err, store.KindNoSpace) || !e.reserveHeld(t) {
		t.Fatalf("new mail on a full disk: %v, reserve held %v; want KindNoSpace and the reserve kept", err, e.reserveHeld(t))
	}
	runs := 0
	err = e.s.w.doFreeing(ctx, "expunge", func(*txn) error {
		runs++
		if runs == 1 && e.reserveHeld(t) {
			return errNoSpace
		}
		return nil
	})
	if err != nil || runs != 2 {
		t.Fatalf("deletion on a full disk: %v after %d runs; want success on the second run", err, runs)
	}
	if e.reserveHeld(t) {
		t.Fatal("the reserve file is still there after it was used")
	}
	// The space is still short: new mail is refused before it is written.
	space.free = 64 << 10
	if err := e.deliver(10); !store.IsKind(err, store.KindNoSpace) {
		t.Fatalf("delivery while the reserve is in use: %v, want KindNoSpace", err)
	}
	if n := bodyFiles(t, e.dir); n != 0 {
		t.Fatalf("refused delivery left %d body files", n)
	}
	// Flag changes and expunges still go through.
	res, err := e.s.StoreFlags(ctx, e.inbox, []store.UID{1}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagDeleted})
	if err != nil || len(res.Updated) != 1 {
		t.Fatalf("STORE while the reserve is in use: %+v, %v", res, err)
	}
	if gone, err := e.s.Expunge(ctx, e.inbox, []store.UID{1}); err != nil || len(gone) != 1 {
		t.Fatalf("EXPUNGE while the reserve is in use: %v, %v", gone, err)
	}
	mb, err := e.s.Mailbox(ctx, e.acct, "INBOX")
	if err != nil || mb.Messages != 0 {
		t.Fatalf("INBOX after the refused delivery and the expunge: %+v, %v", mb, err)
	}
	// Space returns: the reserve is filled again, then mail accepted.
	space.free = 1 << 30
	if err := e.deliver(10); err != nil {
		t.Fatalf("delivery once space is back: %v", err)
	}
	if !e.reserveHeld(t) {
		t.Fatal("the reserve was not filled again when space came back")
	}
}

// Only one release per shortage: once the reserve is spent, a deletion
// that still finds the disk full fails with KindNoSpace (not forever
// retried), and the session can report it.
func TestReserveSpent(t *testing.T) {
	ctx := context.Background()
	e := openStoreEnv(t, t.TempDir(), Options{Reserve: 64 << 10, Space: &fakeSpace{}})
	runs := 0
	err := e.s.w.doFreeing(ctx, "expunge", func(*txn) error { runs++; return errNoSpace })
	if !store.IsKind(err, store.KindNoSpace) || runs != 2 {
		t.Fatalf("deletion on a disk still full: %v after %d runs; want KindNoSpace after 2", err, runs)
	}
	runs = 0
	err = e.s.w.doFreeing(ctx, "expunge", func(*txn) error { runs++; return errNoSpace })
	if !store.IsKind(err, store.KindNoSpace) || runs != 1 {
		t.Fatalf("deletion with the reserve spent: %v after %d runs; want KindNoSpace after 1", err, runs)
	}
}
