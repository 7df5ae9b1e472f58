package postgres

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// TestMigrationRequireTLS: the migration that adds the queue's TLS
// demands (RFC 8689; migration 6, the later ones run again after it)
// keeps the messages queued before it,
// without either demand, and the queue stores both afterwards.
func TestMigrationRequireTLS(t *testing.T) {
	dsn := newDatabase(t)
	ctx := context.Background()
	s, err := openTest(dsn)
	if err != nil {
		t.Fatal(err)
	}
	rcpts := []store.QueuedRcpt{{Addr: "x@remote.example", Domain: "remote.example"}}
	if _, err := s.Enqueue(ctx, store.NewQueued{ID: "old", Arrived: time.Now(), Body: bytes.NewReader([]byte("x\r\n")), Rcpts: rcpts}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	execSQL(t, dsn, `ALTER TABLE queue DROP COLUMN require_tls, DROP COLUMN tls_optional;
		UPDATE petrel_schema SET version = `+strconv.Itoa(5))
	if s, err = openTest(dsn); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if m, err := s.QueuedMessage(ctx, "old"); err != nil || m.RequireTLS || m.TLSOptional || len(m.Rcpts) != 1 {
		t.Fatalf("message queued before the migration: %+v, %v", m, err)
	}
	if _, err := s.Enqueue(ctx, store.NewQueued{ID: "new", RequireTLS: true, Arrived: time.Now(),
		Body: bytes.NewReader([]byte("x\r\n")), Rcpts: rcpts}); err != nil {
		t.Fatal(err)
	}
	if m, err := s.QueuedMessage(ctx, "new"); err != nil || !m.RequireTLS {
		t.Fatalf("message queued after the migration: %+v, %v", m, err)
	}
}
