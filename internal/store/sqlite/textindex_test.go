package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// TestMigrationTextLayout: a store whose index has the layout before
// migration 15 (the body table with positions, its bodies indexed, one
// body over the bound) gets the new layout, every body listed for the
// indexer (the one over the bound still as such); SEARCH answers
// meanwhile from the list (Maybe), and exactly once the indexer has
// run.
func TestMigrationTextLayout(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openStoreEnv(t, dir, Options{TextExtractor: imapmsg.IndexText})
	var uids []store.UID
	for _, body := range []string{"a zebra crossing", "zebu ebro cobra", strings.Repeat("zebra ", store.MaxIndexText/6+1)} {
		res, err := e.s.Deliver(ctx, store.NewMessage{Body: strings.NewReader("Subject: s\r\n\r\n" + body + "\r\n")},
			[]store.Target{{Account: e.acct}})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res)
		}
		uids = append(uids, res[0].UID)
	}
	if n, err := e.s.RebuildTextIndex(ctx, 0); err != nil || n != 2 {
		t.Fatalf("indexing: %d, %v", n, err)
	}
	e.s.Close()
	// The layout of migration 10: the body table with positions, its
	// bodies in it, none listed but the one over the bound.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "petrel.db"))
	if err != nil {
		t.Fatal(err)
	}
	prev := migrationWith(t, "DROP TABLE IF EXISTS text_body;")
	if _, err := db.Exec(`DROP TABLE text_body; DROP TABLE text_body_text;` + textTableDDL(true) +
		`INSERT INTO text_body(rowid, body) SELECT blob, 'a zebra crossing' FROM messages WHERE blob NOT IN (SELECT blob FROM text_unindexed);
		PRAGMA user_version = ` + strconv.Itoa(prev)); err != nil {
		t.Fatal(err)
	}
	var old string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'text_body'`).Scan(&old); err != nil || strings.Contains(old, "detail") {
		t.Fatalf("the old layout: %q, %v", old, err)
	}
	db.Close()

	s, err := Open(ctx, Options{Dir: dir, TextExtractor: imapmsg.IndexText})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var layout string
	var listed, over int
	if err := s.rdb.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'text_body'`).Scan(&layout); err != nil || !strings.Contains(layout, "detail = none") {
		t.Fatalf("the body table after the migration: %q, %v", layout, err)
	}
	if err := s.rdb.QueryRow(`SELECT count(*), sum(over) FROM text_unindexed`).Scan(&listed, &over); err != nil || listed != 3 || over != 1 {
		t.Fatalf("listed for the indexer: %d (%d over the bound), %v; want 3 (1)", listed, over, err)
	}
	inbox, err := s.Mailbox(ctx, e.acct, store.InboxName)
	if err != nil {
		t.Fatal(err)
	}
	q := store.TextQuery{Columns: []store.TextColumn{store.ColBody}, Needle: "zebra"}
	h, err := s.SearchText(ctx, inbox.ID, q)
	if err != nil || len(h.Sure) != 0 || !slices.Equal(h.Maybe, uids) {
		t.Fatalf("before the indexer: %+v, %v; want every message Maybe", h, err)
	}
	if n, err := s.RebuildTextIndex(ctx, 0); err != nil || n != 2 {
		t.Fatalf("the indexer after the migration: %d, %v; want 2", n, err)
	}
	h, err = s.SearchText(ctx, inbox.ID, q)
	if err != nil || !slices.Equal(h.Sure, uids[:1]) || !slices.Equal(h.Maybe, uids[2:]) {
		t.Fatalf("after the indexer: %+v, %v; want sure %v maybe %v", h, err, uids[:1], uids[2:])
	}
}
