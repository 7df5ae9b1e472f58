package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/petrelmail/petrel/internal/imapmsg"
	"github.com/petrelmail/petrel/internal/store"
)

// TestExactHits: the tables asked apart (the header and the body table
// for TEXT), their UIDs merged without duplicates, only the asked
// mailbox's, in two mailboxes whose bodies interleave.
func TestExactHits(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{Dir: t.TempDir(), TextExtractor: imapmsg.IndexText})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	acct, err := s.CreateAccount(ctx, "u@example.org", "h")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateMailbox(ctx, acct.ID, "Other", ""); err != nil {
		t.Fatal(err)
	}
	inbox, err := s.Mailbox(ctx, acct.ID, store.InboxName)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		from, body := "bob", "nothing here"
		if i%3 == 0 {
			from = "mallory"
		}
		if i%5 == 0 {
			body = "ask Mallory"
		}
		box := store.InboxName
		if i%4 == 0 {
			box = "Other"
		}
		msg := fmt.Sprintf("From: %s@example.net\r\nSubject: m%d\r\n\r\n%s\r\n", from, i, body)
		res, err := s.Deliver(ctx, store.NewMessage{Body: bytes.NewReader([]byte(msg))},
			[]store.Target{{Account: acct.ID, MailboxName: box}})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res)
		}
	}
	if _, err := s.RebuildTextIndex(ctx, 0); err != nil {
		t.Fatal(err)
	}
	q, _ := imapmsg.TextPlan(imapmsg.Text, "mallory")
	var parts []textPart
	for _, p := range textParts(q) {
		if p.table.name != textTables[0].name {
			parts = append(parts, p)
		}
	}
	got, err := s.exactHits(ctx, inbox.ID, parts)
	if err != nil {
		t.Fatal(err)
	}
	// INBOX holds the i%4 != 0 of 0..39, UIDs 1..30 in order; mallory in
	// i%3 == 0 (From) or i%5 == 0 (body).
	var want []store.UID
	uid := store.UID(0)
	for i := range 40 {
		if i%4 == 0 {
			continue
		}
		uid++
		if i%3 == 0 || i%5 == 0 {
			want = append(want, uid)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
