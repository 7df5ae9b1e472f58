package postgres

import (
	"context"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// TestMailboxBound: an account holding store.MaxMailboxes mailboxes (the
// bulk of them inserted directly) can create no more (KindOverQuota),
// while another account still can.
func TestMailboxBound(t *testing.T) {
	dsn := newDatabase(t)
	ctx := context.Background()
	s, err := openTest(dsn)
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
	_, err = s.pool.Exec(ctx, `INSERT INTO mailboxes(account, name, uidvalidity, special_use)
		SELECT $1, 'bulk' || i, i, '' FROM generate_series(1, $2::int) i`, int64(a.ID), store.MaxMailboxes-len(have)-1)
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
