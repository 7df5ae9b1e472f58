package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// TestMigrationSaveDate: a message stored before the save date column
// existed has its internal date as save date after the migration (RFC
// 8514 §3: the best date known; store.SaveDateOf); one delivered after
// has the time of its delivery.
func TestMigrationSaveDate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddDomain(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAccount(ctx, "a@x", "h"); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2019, 5, 6, 7, 8, 9, 0, time.UTC)
	res, err := s.Deliver(ctx, store.NewMessage{Body: strings.NewReader("Subject: x\r\n\r\nx\r\n"), InternalDate: old},
		[]store.Target{{Account: 1}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "petrel.db"))
	if err != nil {
		t.Fatal(err)
	}
	prev := migrationWith(t, "ADD COLUMN saved")
	if _, err := db.Exec(`ALTER TABLE messages DROP COLUMN saved; PRAGMA user_version = ` + strconv.Itoa(prev)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err = Open(ctx, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now().Truncate(time.Second)
	res2, err := s.Deliver(ctx, store.NewMessage{Body: strings.NewReader("Subject: y\r\n\r\ny\r\n"), InternalDate: old},
		[]store.Target{{Account: 1}})
	if err != nil || res2[0].Err != nil {
		t.Fatal(err, res2)
	}
	ms, err := s.Messages(ctx, res[0].Mailbox, 1, 0)
	if err != nil || len(ms) != 2 {
		t.Fatalf("Messages: %v, %v", ms, err)
	}
	if !ms[0].SaveDate.Equal(old) {
		t.Fatalf("message stored before the migration: save date %v, want its internal date %v", ms[0].SaveDate, old)
	}
	if ms[1].SaveDate.Before(start) {
		t.Fatalf("message delivered after: save date %v, want the delivery's (after %v)", ms[1].SaveDate, start)
	}
}
