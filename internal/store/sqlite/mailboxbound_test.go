package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// TestMailboxBound: an account holding store.MaxMailboxes mailboxes (the
// bulk of them inserted directly, as 10,000 CREATEs would take long) can
// create no more (KindOverQuota), while another account still can.
func TestMailboxBound(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.AddDomain(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	a, err := s.CreateAccount(ctx, "a@x", "h")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateAccount(ctx, "b@x", "h")
	if err != nil {
		t.Fatal(err)
	}
	have, err := s.Mailboxes(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Its own connection: the store's writer holds the pool's one.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "petrel.db")+"?_pragma=busy_timeout(15000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO mailboxes(account, name, uidvalidity, special_use) SELECT ?, 'bulk' || i, i, '' FROM n`,
		store.MaxMailboxes-len(have)-1, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateMailbox(ctx, a.ID, "last", store.UseNone); err != nil {
		t.Fatalf("the last mailbox within the bound: %v", err)
	}
	if _, err := s.CreateMailbox(ctx, a.ID, "one/more", store.UseNone); !store.IsKind(err, store.KindOverQuota) {
		t.Fatalf("a mailbox past the bound: %v, want over quota", err)
	}
	if _, err := s.Mailbox(ctx, a.ID, "one"); !store.IsKind(err, store.KindNotFound) {
		t.Fatalf("the refused mailbox's parent: %v, want not found", err)
	}
	if _, err := s.CreateMailbox(ctx, b.ID, "fine", store.UseNone); err != nil {
		t.Fatalf("another account: %v", err)
	}
}
