package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestSnapshotAndChecks: a snapshot taken while the store is open is a
// database that passes the checks; an alias of a domain that does not
// exist (written with the foreign keys off) fails them.
func TestSnapshotAndChecks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(t.TempDir(), "snap.db")
	if err := Snapshot(ctx, dir, snap); err != nil {
		t.Fatal(err)
	}
	if err := CheckIntegrity(ctx, snap); err != nil {
		t.Fatalf("a fresh snapshot: %v", err)
	}
	db, err := sql.Open("sqlite", "file:"+snap)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM domains`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the snapshot has %d domains, %v", n, err)
	}
	if _, err := db.Exec(`INSERT INTO aliases(address, domain, targets) VALUES ('x@nowhere.example', 'nowhere.example', 'a@example.org')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := CheckIntegrity(ctx, snap); err == nil || !strings.Contains(err.Error(), "aliases") {
		t.Fatalf("a snapshot with a dangling reference: %v", err)
	}
}
