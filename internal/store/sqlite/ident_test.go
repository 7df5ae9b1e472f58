package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// legacyMeta is the metadata of body as a store before the identity
// migration kept it: without WireSize (the field came later).
func legacyMeta(t *testing.T, body string) []byte {
	t.Helper()
	m := msgmeta.ParseBytes([]byte(body))
	m.WireSize = 0
	raw, err := msgmeta.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), `"ws"`) {
		t.Fatalf("legacy metadata has a wire size: %s", raw)
	}
	return raw
}

// TestMigrationIdentity opens a store left at the schema version before
// migrationIdentity, with mail in it, and checks what the migration and
// its backfills give the old messages: email IDs (shared by copies of a
// blob, distinct otherwise), threads computed from their headers, wire
// sizes counted from inline and file bodies, an account state, and that
// new mail after it threads with the old and gets a new email ID.
func TestMigrationIdentity(t *testing.T) {
	before := slices.Index(migrations, migrationIdentity)
	if before < 0 {
		t.Fatal("migrationIdentity is not in migrations")
	}
	dir := t.TempDir()
	db := dbAtVersion(t, dir, "", before)
	bodies := []string{
		"Message-ID: <p@x>\r\nSubject: parent\r\n\r\n.dot\r\nline\r\n",
		"Message-ID: <r@x>\r\nIn-Reply-To: <p@x>\r\nSubject: reply\n\n.dot\nbare LF\nno final newline",
		"Message-ID: <u@x>\r\nSubject: unrelated, in a file\n\n" + strings.Repeat(".x\nline\r\n", 40000),
		"",
		"Message-ID: <b@x>\r\nReferences: <p@x> <z@x>\r\nSubject: bob's reply\r\n\r\nhi\r\n",
	}
	const fileRel = "ab/legacyfile"
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "ab"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blobs", fileRel), []byte(bodies[2]), 0o600); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO accounts(id, address, password_hash, created) VALUES (1, 'a@x', 'h', 0), (2, 'b@x', 'h', 0)`)
	exec(`INSERT INTO mailboxes(id, account, name, uidvalidity, uidnext) VALUES
		(1, 1, 'INBOX', 1, 5), (2, 1, 'Trash', 2, 2), (3, 2, 'INBOX', 3, 3)`)
	refs := []int{3, 1, 1, 1, 1} // blob 1: alice's INBOX and Trash, bob's INBOX
	for i, body := range bodies {
		id := i + 1
		if id == 3 {
			exec(`INSERT INTO blobs(id, size, refs, path) VALUES (?, ?, ?, ?)`, id, len(body), refs[i], fileRel)
		} else {
			exec(`INSERT INTO blobs(id, size, refs, data) VALUES (?, ?, ?, ?)`, id, len(body), refs[i], []byte(body))
		}
		exec(`INSERT INTO blob_meta(id, meta) VALUES (?, ?)`, id, legacyMeta(t, body))
	}
	type loc struct {
		mailbox store.MailboxID
		uid     store.UID
	}
	rows := []struct {
		at   loc
		blob int
	}{{loc{1, 1}, 1}, {loc{1, 2}, 2}, {loc{1, 3}, 3}, {loc{1, 4}, 4}, {loc{2, 1}, 1}, {loc{3, 1}, 1}, {loc{3, 2}, 5}}
	for _, r := range rows {
		exec(`INSERT INTO messages(mailbox, uid, modseq, flags, idate, izone, size, blob) VALUES (?, ?, 1, 0, 0, 0, ?, ?)`,
			r.at.mailbox, r.at.uid, len(bodies[r.blob-1]), r.blob)
	}
	exec(fmt.Sprintf(`PRAGMA user_version = %d`, before))
	db.Close()

	ctx := context.Background()
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var pending int
	if err := s.rdb.QueryRow(`SELECT count(*) FROM backfills`).Scan(&pending); err != nil || pending != 0 {
		t.Fatalf("backfills left: %d, %v", pending, err)
	}
	got := map[loc]store.Message{}
	for _, mb := range []store.MailboxID{1, 2, 3} {
		ms, err := s.Messages(ctx, mb, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			got[loc{mb, m.UID}] = m
		}
	}
	emails := map[store.EmailID]int{}
	for _, r := range rows {
		m := got[r.at]
		if m.EmailID == 0 || m.ThreadID == 0 {
			t.Fatalf("message %v: EmailID %v, ThreadID %v", r.at, m.EmailID, m.ThreadID)
		}
		if b, ok := emails[m.EmailID]; ok && b != r.blob {
			t.Fatalf("messages of blobs %d and %d share EmailID %v", b, r.blob, m.EmailID)
		}
		emails[m.EmailID] = r.blob
	}
	parent := got[loc{1, 1}]
	if c := got[loc{2, 1}]; c.EmailID != parent.EmailID || c.ThreadID != parent.ThreadID {
		t.Fatalf("copy of the parent: %v/%v, want %v/%v", c.EmailID, c.ThreadID, parent.EmailID, parent.ThreadID)
	}
	if th := got[loc{1, 2}].ThreadID; th != parent.ThreadID {
		t.Fatalf("old reply: thread %v, want the parent's %v", th, parent.ThreadID)
	}
	if th := got[loc{1, 3}].ThreadID; th == parent.ThreadID {
		t.Fatalf("unrelated old message in the parent's thread")
	}
	if got[loc{3, 2}].ThreadID != got[loc{3, 1}].ThreadID {
		t.Fatalf("bob's old reply: thread %v, want his parent's %v", got[loc{3, 2}].ThreadID, got[loc{3, 1}].ThreadID)
	}

	sized, err := s.WireSizes(ctx, 1, 1, 0)
	if err != nil || len(sized) != 4 {
		t.Fatalf("WireSizes: %d, %v", len(sized), err)
	}
	for i, m := range sized {
		want := msgmeta.WireSize([]byte(bodies[i]))
		if m.WireSize != want || (want == 0) != (bodies[i] == "") {
			t.Errorf("message %d: WireSize %d, want %d", m.UID, m.WireSize, want)
		}
	}
	if meta, err := s.Meta(ctx, 1, 2); err != nil || meta.Envelope.Subject != "reply" || meta.Envelope.InReplyTo != "<p@x>" {
		t.Fatalf("metadata after the backfill: %+v, %v", meta, err)
	}

	// New mail: a new email ID, threaded with the old mail, state raised.
	if st, err := s.AccountState(ctx, 1); err != nil || st != 0 {
		t.Fatalf("state after the migration: %d, %v", st, err)
	}
	res, err := s.Deliver(ctx, store.NewMessage{Body: strings.NewReader("Message-ID: <n@x>\r\nIn-Reply-To: <r@x>\r\n\r\nnew\r\n")},
		[]store.Target{{Account: 1}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	n := s.mustMessage(t, res[0].Mailbox, res[0].UID)
	if _, old := emails[n.EmailID]; old {
		t.Fatalf("new delivery reuses EmailID %v", n.EmailID)
	}
	if n.ThreadID != parent.ThreadID {
		t.Fatalf("new reply to an old reply: thread %v, want %v", n.ThreadID, parent.ThreadID)
	}
	if st, err := s.AccountState(ctx, 1); err != nil || st != 1 {
		t.Fatalf("state after a delivery: %d, %v", st, err)
	}
}

func (s *Store) mustMessage(t *testing.T, mb store.MailboxID, uid store.UID) store.Message {
	t.Helper()
	ms, err := s.Messages(context.Background(), mb, uid, uid)
	if err != nil || len(ms) != 1 {
		t.Fatalf("Messages(%d, %d): %v, %v", mb, uid, ms, err)
	}
	return ms[0]
}

// TestFileWireSize: the chunked count of a body file is msgmeta.WireSize
// of its content, with lines across chunk edges and one longer than a
// chunk.
func TestFileWireSize(t *testing.T) {
	for _, body := range []string{
		"", "a", "\r", ".", "a\r\n.b\nc\r", strings.Repeat("x", 600<<10) + "\n.y\r\n",
		strings.Repeat(".line\r\n", 100000) + "tail\r",
	} {
		path := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := fileWireSize(path)
		if want := msgmeta.WireSize([]byte(body)); err != nil || got != want {
			t.Errorf("body of %d octets: %d, %v; want %d", len(body), got, err, want)
		}
	}
}

// TestMigrationUnstuffedWireSize: a store at schema version 7 whose
// metadata counted the dot-stuffing in the wire size (as earlier versions
// did) reports the size without it after the upgrade (RFC 1939 §11).
func TestMigrationUnstuffedWireSize(t *testing.T) {
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
	body := "Subject: dots\r\n\r\n.one\r\n..two\r\n.\r\n"
	res, err := s.Deliver(ctx, store.NewMessage{Body: strings.NewReader(body)}, []store.Target{{Account: 1}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "petrel.db"))
	if err != nil {
		t.Fatal(err)
	}
	stuffed := len(body) + 3
	// Version 7 had neither the wire size fix nor the columns of the
	// later migrations (9: the queue's TLS demands; the save date).
	if _, err := db.Exec(`UPDATE blob_meta SET meta = json_set(meta, '$.ws', ?);
		ALTER TABLE queue DROP COLUMN require_tls; ALTER TABLE queue DROP COLUMN tls_optional;
		ALTER TABLE messages DROP COLUMN saved;
		PRAGMA user_version = 7`, stuffed); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err = Open(ctx, Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sized, err := s.WireSizes(ctx, res[0].Mailbox, 1, 0)
	if err != nil || len(sized) != 1 || sized[0].WireSize != int64(len(body)) {
		t.Fatalf("WireSizes after the upgrade: %+v, %v; want size %d", sized, err, len(body))
	}
}
