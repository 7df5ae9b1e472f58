package postgres

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// TestMigrationSaveDate: a message stored before the save date column
// existed has its internal date as save date after the migration (RFC
// 8514 §3; store.SaveDateOf); one delivered after has the time of its
// delivery (the column's default).
func TestMigrationSaveDate(t *testing.T) {
	dsn := newDatabase(t)
	ctx := context.Background()
	s, err := openTest(dsn)
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
	deliver := func(s *Store) store.Delivered {
		res, err := s.Deliver(ctx, store.NewMessage{Body: strings.NewReader("Subject: x\r\n\r\nx\r\n"), InternalDate: old},
			[]store.Target{{Account: 1}})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res)
		}
		return res[0]
	}
	d := deliver(s)
	s.Close()
	prev := -1
	for i, m := range migrations {
		if strings.Contains(m, "ADD COLUMN IF NOT EXISTS saved") {
			prev = i
		}
	}
	execSQL(t, dsn, `ALTER TABLE messages DROP COLUMN saved; UPDATE petrel_schema SET version = `+strconv.Itoa(prev))
	if s, err = openTest(dsn); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now().Add(-2 * time.Second) // the database's clock
	deliver(s)
	ms, err := s.Messages(ctx, d.Mailbox, 1, 0)
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
