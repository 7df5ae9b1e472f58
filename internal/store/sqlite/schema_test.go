package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/obs"
)

func TestSchemaMigratedAndDurable(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var version int
	var mode string
	var syncLevel int
	err = s.w.do(ctx, "inspect", func(tx *txn) error {
		if err := tx.queryRow("PRAGMA user_version").Scan(&version); err != nil {
			return err
		}
		if err := tx.queryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
			return err
		}
		return tx.queryRow("PRAGMA synchronous").Scan(&syncLevel)
	})
	if err != nil {
		t.Fatal(err)
	}
	if version != len(migrations) || mode != "wal" || syncLevel != 2 {
		t.Fatalf("user_version %d (want %d), journal_mode %q (want wal), synchronous %d (want 2 = FULL)",
			version, len(migrations), mode, syncLevel)
	}
	s.Close()
	// Reopening applies nothing and keeps the data.
	s, err = Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+dir+"/petrel.db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(context.Background(), Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "newer than this program") {
		t.Fatalf("Open on a newer schema: %v", err)
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{"inbox": "INBOX", "Inbox/Sub": "INBOX/Sub", "INBOXES": "INBOXES", "a/b": "a/b", "Ünïcode": "Ünïcode"} {
		if got, err := NormalizeName(in); err != nil || got != want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestSweepOrphans(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	old := filepath.Join(dir, "blobs", "ab", "abandoned")
	fresh := filepath.Join(dir, "blobs", "ab", "inflight")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * time.Hour)
	os.Chtimes(old, past, past)
	s, err = Open(context.Background(), Options{Dir: dir, SweepOrphans: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("old orphan not removed: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("recent file (maybe a delivery in flight elsewhere) removed: %v", err)
	}
}

type commitCounter struct {
	commits, ops int
}

func (c *commitCounter) ObserveCommit(batch int, d time.Duration) { c.commits++; c.ops += batch }

func TestCommitMetrics(t *testing.T) {
	m := &commitCounter{}
	s, err := Open(context.Background(), Options{Dir: t.TempDir(), Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddDomain(context.Background(), "example.org"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if m.commits < 1 || m.ops < 1 {
		t.Fatalf("commits %d, ops %d", m.commits, m.ops)
	}
}

var _ Metrics = (*obs.Metrics)(nil)

func TestDatabaseFilesPrivate(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.AddDomain(context.Background(), "example.org"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"petrel.db", "petrel.db-wal"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want no group/other access", name, fi.Mode().Perm())
		}
	}
}

// TestMigrationBlobsReordered: migration 3 rebuilds a version-2 blobs
// table with every row, id and the AUTOINCREMENT mark kept, so a blob id
// deleted before the migration is not handed out again after it.
func TestMigrationBlobsReordered(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "petrel.db"))
	if err != nil {
		t.Fatal(err)
	}
	for v, m := range migrations[:2] {
		if _, err := db.Exec(m); err != nil {
			t.Fatalf("migration %d: %v", v+1, err)
		}
	}
	body := strings.Repeat("x", 20000) // spills into overflow pages
	for i := 1; i <= 3; i++ {
		if _, err := db.Exec(`INSERT INTO blobs(size, refs, data, path, meta) VALUES (?, 1, ?, NULL, ?)`,
			len(body), body+string(rune('0'+i)), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO blobs(size, refs, data, path, meta) VALUES (5, 1, NULL, 'ab/file', x'05')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM blobs WHERE id = 4; PRAGMA user_version = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var cols []string
	rows, err := s.rdb.Query(`SELECT name FROM pragma_table_info('blobs') ORDER BY cid`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		rows.Scan(&c)
		cols = append(cols, c)
	}
	rows.Close()
	if got := strings.Join(cols, ","); got != "id,size,refs,path,meta,data" {
		t.Fatalf("blobs columns after migration: %s", got)
	}
	for i := 1; i <= 3; i++ {
		var data string
		var meta []byte
		if err := s.rdb.QueryRow(`SELECT data, meta FROM blobs WHERE id = ?`, i).Scan(&data, &meta); err != nil {
			t.Fatalf("blob %d: %v", i, err)
		}
		if data != body+string(rune('0'+i)) || len(meta) != 1 || meta[0] != byte(i) {
			t.Fatalf("blob %d changed by the migration", i)
		}
	}
	var seq int
	if err := s.rdb.QueryRow(`SELECT seq FROM sqlite_sequence WHERE name = 'blobs'`).Scan(&seq); err != nil || seq != 4 {
		t.Fatalf("blobs sequence %d (%v), want 4: a deleted id would be reused", seq, err)
	}
	var idx int
	if err := s.rdb.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'blobs_path'`).Scan(&idx); err != nil || idx != 1 {
		t.Fatalf("blobs_path index: %d, %v", idx, err)
	}
}
