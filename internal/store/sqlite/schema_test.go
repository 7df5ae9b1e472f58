package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/obs"
	"github.com/petrelmail/petrel/internal/store"
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
		if got, err := store.NormalizeName(in); err != nil || got != want {
			t.Errorf("store.NormalizeName(%q) = %q, %v; want %q", in, got, err, want)
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

// TestMigrationBlobsRebuilt: migrations 3 and 4 rebuild a version-2
// blobs table, moving the metadata to blob_meta, with every row, id and
// the AUTOINCREMENT mark kept, so a blob id deleted before the migration
// is not handed out again after it.
func TestMigrationBlobsRebuilt(t *testing.T) {
	dir := t.TempDir()
	db := dbAtVersion(t, dir, "", 2)
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
	// The rebuilt tables were checkpointed out of the WAL.
	if fi, err := os.Stat(filepath.Join(dir, "petrel.db-wal")); err != nil || fi.Size() != 0 {
		t.Errorf("WAL after the migrations: %v, %v; want empty", fi.Size(), err)
	}
	columns := func(table string) string {
		var cols []string
		rows, err := s.rdb.Query(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var c string
			rows.Scan(&c)
			cols = append(cols, c)
		}
		return strings.Join(cols, ",")
	}
	if got := columns("blobs"); got != "id,size,refs,path,data" {
		t.Fatalf("blobs columns after migration: %s", got)
	}
	if got := columns("blob_meta"); got != "id,meta" {
		t.Fatalf("blob_meta columns after migration: %s", got)
	}
	for i := 1; i <= 3; i++ {
		var data string
		var meta []byte
		if err := s.rdb.QueryRow(`SELECT data, meta FROM blobs JOIN blob_meta USING (id) WHERE id = ?`, i).Scan(&data, &meta); err != nil {
			t.Fatalf("blob %d: %v", i, err)
		}
		if data != body+string(rune('0'+i)) || len(meta) != 1 || meta[0] != byte(i) {
			t.Fatalf("blob %d changed by the migration", i)
		}
	}
	var n int
	if err := s.rdb.QueryRow(`SELECT count(*) FROM blob_meta`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("blob_meta rows %d (%v), want 3", n, err)
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

// TestBlobMetaFollowsBlobs: a blob's metadata row goes when its last
// reference does, and not before (a copy shares the blob).
func TestBlobMetaFollowsBlobs(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	a, err := s.CreateAccount(ctx, "a@example.org", "h")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateAccount(ctx, "b@example.org", "h")
	if err != nil {
		t.Fatal(err)
	}
	// One message for two accounts: one blob, two references.
	res, err := s.Deliver(ctx, store.NewMessage{Body: strings.NewReader("Subject: s\r\n\r\nbody\r\n")},
		[]store.Target{{Account: a.ID}, {Account: b.ID}})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatal(err, res)
	}
	count := func() (blobs, metas int) {
		s.rdb.QueryRow(`SELECT count(*) FROM blobs`).Scan(&blobs)
		s.rdb.QueryRow(`SELECT count(*) FROM blob_meta`).Scan(&metas)
		return
	}
	if bl, m := count(); bl != 1 || m != 1 {
		t.Fatalf("after delivery: %d blobs, %d metadata rows", bl, m)
	}
	if _, err := s.Expunge(ctx, res[0].Mailbox, []store.UID{res[0].UID}); err != nil {
		t.Fatal(err)
	}
	if bl, m := count(); bl != 1 || m != 1 {
		t.Fatalf("after one expunge: %d blobs, %d metadata rows", bl, m)
	}
	if _, err := s.Meta(ctx, res[1].Mailbox, res[1].UID); err != nil {
		t.Fatalf("metadata of the remaining copy: %v", err)
	}
	if _, err := s.Expunge(ctx, res[1].Mailbox, []store.UID{res[1].UID}); err != nil {
		t.Fatal(err)
	}
	if bl, m := count(); bl != 0 || m != 0 {
		t.Fatalf("after both expunges: %d blobs, %d metadata rows", bl, m)
	}
}

// dbAtVersion opens a new database petrel.db in dir (params appended to
// its name) with the first n migrations applied, as a store left by an
// older version; the test sets user_version and adds its rows.
func dbAtVersion(t *testing.T, dir, params string, n int) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "petrel.db")+params)
	if err != nil {
		t.Fatal(err)
	}
	for v, m := range migrations[:n] {
		if _, err := db.Exec(m); err != nil {
			t.Fatalf("migration %d: %v", v+1, err)
		}
	}
	return db
}

// migrationWith is the index of the migration whose text has needle
// (found by its text: migrations may be renumbered when branches merge).
func migrationWith(t *testing.T, needle string) int {
	t.Helper()
	for i, m := range migrations {
		if strings.Contains(m, needle) {
			return i
		}
	}
	t.Fatalf("no migration has %q", needle)
	return -1
}

// TestMigrationQueueClaims: the migration that adds the claim columns to
// a queue created at the schema before it; the queued mail is kept,
// unclaimed, and can be claimed once.
func TestMigrationQueueClaims(t *testing.T) {
	dir := t.TempDir()
	prev := migrationWith(t, "ADD COLUMN claim_owner")
	db := dbAtVersion(t, dir, "", prev)
	body := "Subject: queued before the upgrade\r\n\r\nbody\r\n"
	if _, err := db.Exec(`INSERT INTO blobs(id, size, refs, data, path) VALUES (7, ?, 1, ?, NULL);
		INSERT INTO blob_meta(id, meta) VALUES (7, x'00');
		INSERT INTO counters(name, value) VALUES ('queue_seq', 1);
		INSERT INTO queue(id, seq, sender, arrived, size, blob) VALUES ('old1', 1, 'a@example.org', 1000, ?, 7);
		INSERT INTO queue_rcpts(seq, idx, addr, domain, state) VALUES (1, 0, 'b@remote.example', 'remote.example', 0);
		INSERT INTO queue_rcpts(seq, idx, addr, domain, state, attempts, next_attempt) VALUES (1, 1, 'c@slow.example', 'slow.example', 1, 2, 5000);`,
		len(body), body, len(body)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", prev)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	m, err := s.QueuedMessage(ctx, "old1")
	if err != nil || m.ClaimOwner != "" || !m.ClaimUntil.IsZero() || len(m.Rcpts) != 2 || m.Rcpts[1].Attempts != 2 {
		t.Fatalf("queued message after the migration: %+v, %v", m, err)
	}
	claim := func(owner string) int {
		ms, err := s.ClaimQueued(ctx, store.ClaimRequest{Owner: owner, Now: time.Now(), Lease: time.Minute, Limit: 10})
		if err != nil {
			t.Fatalf("ClaimQueued: %v", err)
		}
		return len(ms)
	}
	if n := claim("a"); n != 1 {
		t.Fatalf("claimed %d messages after the migration, want 1", n)
	}
	if n := claim("b"); n != 0 {
		t.Fatalf("claimed %d messages held by another owner, want 0", n)
	}
}
