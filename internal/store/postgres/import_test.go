package postgres

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
)

// TestImportAfterInterruptedLargeBody: an import interrupted between the
// transaction that wrote a large body under its email ID and the one
// that takes it leaves a blob without references at that ID; the import
// run again replaces it, stores the message whole, and raises the
// sequence of email IDs past it, so that a delivery then gets a new one.
func TestImportAfterInterruptedLargeBody(t *testing.T) {
	ctx := context.Background()
	s, _, acct, inbox := newAccountStore(t)
	const id = 90_000
	raw := []byte("Subject: big\r\nMessage-ID: <big@example.org>\r\n\r\n" + strings.Repeat("y", 3*ChunkSize))
	// What the interruption left: half a body, unreferenced, at the ID.
	if err := s.writeLarge(ctx, &body{}, bytes.NewReader(raw[:ChunkSize+10]), id); err != nil {
		t.Fatal(err)
	}
	msg := store.ImportMessage{UID: 4, ModSeq: 7, EmailID: id, ThreadID: id, Body: bytes.NewReader(raw)}
	res, err := s.ImportMessages(ctx, acct, inbox, []store.ImportMessage{msg})
	if err != nil || res.Added != 1 {
		t.Fatalf("ImportMessages over a leftover body: %+v, %v", res, err)
	}
	ms, err := s.Messages(ctx, inbox, 4, 4)
	if err != nil || len(ms) != 1 || ms[0].EmailID != id {
		t.Fatalf("imported message: %+v, %v", ms, err)
	}
	bl, err := s.OpenBlob(ctx, ms[0].Blob)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(bl)
	bl.Close()
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("imported body: %d octets of %d, %v", len(got), len(raw), err)
	}
	msg.Body = bytes.NewReader(raw)
	if res, err := s.ImportMessages(ctx, acct, inbox, []store.ImportMessage{msg}); err != nil || res.Present != 1 {
		t.Fatalf("import run again: %+v, %v", res, err)
	}
	d, err := s.Deliver(ctx, store.NewMessage{Body: strings.NewReader("Subject: new\r\n\r\nhi\r\n")}, []store.Target{{Account: acct}})
	if err != nil || d[0].Err != nil {
		t.Fatalf("Deliver: %v %+v", err, d)
	}
	ms, err = s.Messages(ctx, inbox, d[0].UID, d[0].UID)
	if err != nil || len(ms) != 1 || ms[0].EmailID <= id || d[0].UID != 5 || d[0].ModSeq != 8 {
		t.Fatalf("delivery after the import: %+v %+v, %v (want UID 5, MODSEQ 8, an email ID above %d)", d[0], ms, err, id)
	}
}
