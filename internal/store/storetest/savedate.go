package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// testSaveDate checks the save date (RFC 8514 §3): the time a message
// entered its mailbox, whatever its internal date: set by delivery,
// AppendBatch, Copy and Move (the new copy's is the time of the copy),
// kept by ImportMessages (now when the source has none), the same in
// every read and after a restart.
func testSaveDate(t *testing.T, b Backend) {
	e := newEnv(t, b)
	a := e.account("alice")
	inbox := e.mailbox(a.ID, "INBOX")
	trash := e.mailbox(a.ID, "Trash")
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	// A second's margin: the column keeps seconds.
	recent := func(what string, got time.Time, since time.Time) {
		t.Helper()
		if got.Before(since.Truncate(time.Second)) || got.After(time.Now().Add(time.Second)) {
			t.Fatalf("%s: save date %v, want between %v and now", what, got, since)
		}
	}

	start := time.Now()
	d := e.deliver(a.ID, "", msg("delivered", 100))
	recent("delivery", e.record(inbox.ID, d.UID).SaveDate, start)
	app, err := e.s.AppendBatch(e.ctx, a.ID, inbox.ID, []store.AppendMessage{{Body: bytes.NewReader(msg("appended", 100)),
		InternalDate: old}})
	if err != nil {
		t.Fatal(err)
	}
	m := e.record(inbox.ID, app.UIDs[0])
	if !m.InternalDate.Equal(old) {
		t.Fatalf("append: internal date %v, want %v", m.InternalDate, old)
	}
	recent("append with an old internal date", m.SaveDate, start)

	// Imported: the source's save date stays; none is now.
	imp, err := e.s.ImportMessages(e.ctx, a.ID, inbox.ID, []store.ImportMessage{
		{UID: 100, ModSeq: 50, EmailID: 9000, ThreadID: 9000, InternalDate: old, SaveDate: old,
			Body: bytes.NewReader(msg("imported", 100))},
		{UID: 101, ModSeq: 51, EmailID: 9001, ThreadID: 9001, InternalDate: old,
			Body: bytes.NewReader(msg("imported without", 100))},
	})
	if err != nil || imp.Added != 2 {
		t.Fatalf("ImportMessages: %+v, %v", imp, err)
	}
	if got := e.record(inbox.ID, 100).SaveDate; !got.Equal(old) {
		t.Fatalf("import: save date %v, want the source's %v", got, old)
	}
	recent("import without a save date", e.record(inbox.ID, 101).SaveDate, start)

	// Copy and Move of the imported message: the new copies' are now.
	cp, err := e.s.Copy(e.ctx, inbox.ID, []store.UID{100}, trash.ID, store.FlagDrop{})
	if err != nil {
		t.Fatal(err)
	}
	recent("copy", e.record(trash.ID, cp.Dst[0]).SaveDate, start)
	if got := e.record(inbox.ID, 100).SaveDate; !got.Equal(old) {
		t.Fatalf("copy changed the original's save date to %v", got)
	}
	mv, err := e.s.Move(e.ctx, inbox.ID, []store.UID{100}, trash.ID, store.FlagDrop{})
	if err != nil {
		t.Fatal(err)
	}
	recent("move", e.record(trash.ID, mv.Dst[0]).SaveDate, start)

	// Every read gives it, and a restart keeps it.
	want := e.record(trash.ID, cp.Dst[0]).SaveDate
	e.reopen()
	if got := e.record(trash.ID, cp.Dst[0]).SaveDate; !got.Equal(want) {
		t.Fatalf("after restart: %v, want %v", got, want)
	}
	var bulk time.Time
	err = e.s.ReadMessages(e.ctx, trash.ID, []store.UID{cp.Dst[0]}, 0, func(d *store.MessageData) error {
		bulk = d.SaveDate
		return nil
	})
	if err != nil || !bulk.Equal(want) {
		t.Fatalf("ReadMessages: save date %v (%v), want %v", bulk, err, want)
	}
}
