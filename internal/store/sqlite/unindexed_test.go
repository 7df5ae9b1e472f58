package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// planOf is SQLite's query plan of q, its lines joined.
func planOf(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", q, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "; ")
}

// TestMigrationTextPending: a store at the schema before the index of the
// bodies waiting for the indexer gets it, and the indexer's batches and
// the backlog metric read text_unindexed through it (none of the rows
// over the bound): their plans name it, and walk neither the table nor
// its key.
func TestMigrationTextPending(t *testing.T) {
	ctx := context.Background()
	dir, db := newStoreDB(t)
	prev := migrationWith(t, "text_unindexed_pending")
	if _, err := db.Exec(`DROP INDEX IF EXISTS text_unindexed_pending; PRAGMA user_version = ` + strconv.Itoa(prev)); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, c := range []struct {
		q    string
		args []any
	}{
		{pendingBlobs, []any{0, 10}},
		{pendingBlobsOfAccount, []any{0, 1, 10}},
		{backlogQuery, nil},
	} {
		plan := planOf(t, db, c.q, c.args...)
		if !strings.Contains(plan, "text_unindexed USING COVERING INDEX text_unindexed_pending") &&
			!strings.Contains(plan, "u USING COVERING INDEX text_unindexed_pending") {
			t.Errorf("%s\nplan %q: want text_unindexed read through text_unindexed_pending alone", c.q, plan)
		}
	}
}

// TestUnindexedShapes: SearchText's Maybe reads the mailbox's messages
// when the list is longer than the mailbox, and the list otherwise: the
// plans of both shapes lead with the side they say.
func TestUnindexedShapes(t *testing.T) {
	_, db := newStoreDB(t)
	if plan := planOf(t, db, unindexedByList, 1); !strings.HasPrefix(plan, "SCAN u") {
		t.Errorf("by the list: plan %q, want the list scanned first", plan)
	}
	if plan := planOf(t, db, unindexedByMailbox, 1); !strings.HasPrefix(plan, "SEARCH m USING PRIMARY KEY (mailbox=?)") {
		t.Errorf("by the mailbox: plan %q, want the mailbox's messages first", plan)
	}
}

// BenchmarkUnindexedMaybe: SearchText's Maybe of a 100-message mailbox
// with the store's list holding 1,000,000 other bodies (an import's
// backlog), and of a 20,000-message mailbox with 100 listed, by either
// shape and as chosen (docs/benchmarks.md §Growth):
//
//	go test -run '^$' -bench UnindexedMaybe ./internal/store/sqlite/
func BenchmarkUnindexedMaybe(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.AddDomain(ctx, "x"); err != nil {
		b.Fatal(err)
	}
	acct, err := s.CreateAccount(ctx, "a@x", "h")
	if err != nil {
		b.Fatal(err)
	}
	small, err := s.CreateMailbox(ctx, acct.ID, "Small", "")
	if err != nil {
		b.Fatal(err)
	}
	large, err := s.Mailbox(ctx, acct.ID, store.InboxName)
	if err != nil {
		b.Fatal(err)
	}
	fill := func(mb store.MailboxID, n int) {
		for n > 0 {
			batch := make([]store.AppendMessage, min(n, 500))
			for i := range batch {
				batch[i].Body = strings.NewReader(fmt.Sprintf("Subject: m%d\r\n\r\nbody %d\r\n", n-i, n-i))
			}
			if _, err := s.AppendBatch(ctx, acct.ID, mb, batch); err != nil {
				b.Fatal(err)
			}
			n -= len(batch)
		}
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "petrel.db")+"?_pragma=busy_timeout(15000)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	run := func(name string, mb store.MailboxID, want int) {
		for _, shape := range []struct {
			name string
			fn   func() ([]store.UID, error)
		}{
			{"list", func() ([]store.UID, error) { return s.uids(ctx, unindexedByList, mb) }},
			{"mailbox", func() ([]store.UID, error) { return s.uids(ctx, unindexedByMailbox, mb) }},
			{"chosen", func() ([]store.UID, error) { return s.unindexedUIDs(ctx, mb) }},
		} {
			b.Run(name+"/"+shape.name, func(b *testing.B) {
				for b.Loop() {
					if u, err := shape.fn(); err != nil || len(u) != want {
						b.Fatalf("%d UIDs, %v; want %d", len(u), err, want)
					}
				}
			})
		}
	}
	// 20,000 messages indexed (their rows taken off the list), then 100
	// listed in each mailbox.
	fill(large.ID, 20000)
	if _, err := db.Exec(`DELETE FROM text_unindexed`); err != nil {
		b.Fatal(err)
	}
	fill(large.ID, 100)
	fill(small.ID, 100)
	run("large-mailbox-short-list", large.ID, 100)
	// An import's backlog: 1,000,000 bodies of other mailboxes listed.
	if _, err := db.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
		INSERT INTO text_unindexed(blob, since) SELECT 1000000000 + i, 0 FROM n`); err != nil {
		b.Fatal(err)
	}
	run("small-mailbox-long-list", small.ID, 100)
}

// newStoreDB creates a store in a new directory, closes it, and opens its
// database file directly (closed at the test's end).
func newStoreDB(t *testing.T) (string, *sql.DB) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "petrel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dir, db
}
