package sqlite

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// TestMigrationSharedState: a store from before the shared-state tables
// opens with them, keeps its mailboxes, and their \Recent boundaries go
// with them.
func TestMigrationSharedState(t *testing.T) {
	dir := t.TempDir()
	last := migrationWith(t, "CREATE TABLE kv (")
	db := dbAtVersion(t, dir, "?_pragma=foreign_keys(1)", last)
	for _, q := range []string{
		`INSERT INTO domains(name) VALUES ('example.org')`,
		`INSERT INTO accounts(id, address, password_hash, created) VALUES (1, 'a@example.org', 'h', 0)`,
		`INSERT INTO mailboxes(id, account, name, uidvalidity, uidnext) VALUES (7, 1, 'INBOX', 1, 4)`,
		`PRAGMA user_version = ` + strconv.Itoa(last),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	ctx := context.Background()
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if before, err := s.ClaimRecent(ctx, 7, 3); before != 0 || err != nil {
		t.Fatalf("ClaimRecent on a migrated mailbox = %d, %v", before, err)
	}
	if err := s.KVCreate(ctx, "dkim/example.org/s.pem", []byte("k")); err != nil {
		t.Fatalf("KVCreate after the migration: %v", err)
	}
	if ok, err := s.TryLock(ctx, "pop3/1", "me", time.Minute); !ok || err != nil {
		t.Fatalf("TryLock after the migration = %v, %v", ok, err)
	}
	if err := s.DeleteMailbox(ctx, 1, "INBOX"); !store.IsKind(err, store.KindInvalid) {
		t.Fatalf("DeleteMailbox(INBOX): %v", err) // INBOX stays; delete the row below
	}
	if _, err := s.CreateMailbox(ctx, 1, "Other", store.UseNone); err != nil {
		t.Fatal(err)
	}
	other, err := s.Mailbox(ctx, 1, "Other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimRecent(ctx, other.ID, 9); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMailbox(ctx, 1, "Other"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.rdb.QueryRow(`SELECT count(*) FROM recent WHERE mailbox = ?`, other.ID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("recent rows of a deleted mailbox: %d, %v; want 0", n, err)
	}
}

// TestSessionWritesLazy: session state is committed without the WAL
// fsync (synchronous=NORMAL), and the next durable write is FULL again.
func TestSessionWritesLazy(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	level := func(do func(context.Context, string, func(*txn) error) error) int {
		var n int
		if err := do(ctx, "inspect", func(tx *txn) error { return tx.queryRow("PRAGMA synchronous").Scan(&n) }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if ok, err := s.TryLock(ctx, "l", "o", time.Minute); !ok || err != nil {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	if n := level(s.w.doSession); n != 1 {
		t.Errorf("a session write commits with synchronous=%d, want 1 (NORMAL)", n)
	}
	if n := level(s.w.do); n != 2 {
		t.Fatalf("a durable write after a session write commits with synchronous=%d, want 2 (FULL)", n)
	}
	if n := level(s.w.doFreeing); n != 2 {
		t.Fatalf("a freeing write commits with synchronous=%d, want 2 (FULL)", n)
	}
}
