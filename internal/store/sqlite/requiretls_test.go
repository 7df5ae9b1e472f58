package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// TestMigrationRequireTLS: migration 9 (the queue's TLS demands, RFC
// 8689) keeps the messages queued before it, without either demand, and
// the queue stores both afterwards.
func TestMigrationRequireTLS(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	rcpts := []store.QueuedRcpt{{Addr: "x@remote.example", Domain: "remote.example"}}
	if _, err := s.Enqueue(ctx, store.NewQueued{ID: "old", Arrived: time.Now(), Body: bytes.NewReader([]byte("x\r\n")), Rcpts: rcpts}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "petrel.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`ALTER TABLE queue DROP COLUMN require_tls; ALTER TABLE queue DROP COLUMN tls_optional;
		ALTER TABLE messages DROP COLUMN saved; PRAGMA user_version = 8`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err = Open(ctx, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if m, err := s.QueuedMessage(ctx, "old"); err != nil || m.RequireTLS || m.TLSOptional || len(m.Rcpts) != 1 {
		t.Fatalf("message queued before the migration: %+v, %v", m, err)
	}
	if _, err := s.Enqueue(ctx, store.NewQueued{ID: "new", TLSOptional: true, Arrived: time.Now(),
		Body: bytes.NewReader([]byte("x\r\n")), Rcpts: rcpts}); err != nil {
		t.Fatal(err)
	}
	if m, err := s.QueuedMessage(ctx, "new"); err != nil || !m.TLSOptional {
		t.Fatalf("message queued after the migration: %+v, %v", m, err)
	}
}
