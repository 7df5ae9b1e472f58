package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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
	dir := t.TempDir()
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "petrel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	prev := migrationWith(t, "text_unindexed_pending")
	if _, err := db.Exec(`DROP INDEX IF EXISTS text_unindexed_pending; PRAGMA user_version = ` + strconv.Itoa(prev)); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(ctx, Options{Dir: dir}); err != nil {
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
	defer db.Close()
	if plan := planOf(t, db, unindexedByList, 1); !strings.HasPrefix(plan, "SCAN u") {
		t.Errorf("by the list: plan %q, want the list scanned first", plan)
	}
	if plan := planOf(t, db, unindexedByMailbox, 1); !strings.HasPrefix(plan, "SEARCH m USING PRIMARY KEY (mailbox=?)") {
		t.Errorf("by the mailbox: plan %q, want the mailbox's messages first", plan)
	}
}
