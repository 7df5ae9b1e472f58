package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

// inlineMax keeps bodies above 1 KiB in files, so that the tests have
// body files to copy.
const inlineMax = 1024

var db = sqlite.Backup{Options: sqlite.Options{InlineMax: inlineMax}}

type fixture struct {
	t    *testing.T
	dir  string
	st   *sqlite.Store
	acct store.Account
	n    int
}

// newFixture opens a live store (it stays open during the backups, as a
// server's would) with one account.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, dir: t.TempDir()}
	var err error
	if f.st, err = sqlite.Open(ctx, sqlite.Options{Dir: f.dir, InlineMax: inlineMax}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	if err := f.st.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	if f.acct, err = f.st.CreateAccount(ctx, "a@example.org", "x"); err != nil {
		t.Fatal(err)
	}
	return f
}

// deliver stores one message; big ones get a body file.
func (f *fixture) deliver(big bool) store.Delivered {
	f.t.Helper()
	f.n++
	body := fmt.Sprintf("Subject: m%d\r\nMessage-ID: <m%d@x>\r\n\r\nhello %d\r\n", f.n, f.n, f.n)
	if big {
		body += strings.Repeat(fmt.Sprintf("line %d of a big body\r\n", f.n), 200)
	}
	d, err := f.st.Deliver(context.Background(), store.NewMessage{Body: strings.NewReader(body)},
		[]store.Target{{Account: f.acct.ID}})
	if err != nil || d[0].Err != nil {
		f.t.Fatalf("deliver: %v %v", err, d)
	}
	return d[0]
}

func (f *fixture) backup(dest string, wrap func(Database) Database) (*Report, error) {
	var d Database = db
	if wrap != nil {
		d = wrap(d)
	}
	return Run(context.Background(), Options{DataDir: f.dir, Dest: dest, DB: d, Driver: "sqlite",
		Files: []File{{Name: "config/petrel.toml", Path: f.configFile()}}})
}

func (f *fixture) configFile() string {
	p := filepath.Join(filepath.Dir(f.dir), "petrel.toml")
	if _, err := os.Stat(p); err != nil {
		os.WriteFile(p, []byte("data_dir = \"x\"\n"), 0o640)
	}
	return p
}

// poolFiles lists the body files of a backup's pool and the names of its
// top directory.
func poolFiles(t *testing.T, dest string) (blobs, top []string) {
	t.Helper()
	filepath.WalkDir(filepath.Join(dest, blobDir), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dest, p)
			blobs = append(blobs, rel)
		}
		return nil
	})
	entries, _ := os.ReadDir(dest)
	for _, e := range entries {
		top = append(top, e.Name())
	}
	return blobs, top
}

func TestBackupIncrementalAndRestore(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for i := range 6 {
		f.deliver(i%2 == 0) // 3 body files
	}
	dest := filepath.Join(t.TempDir(), "backup")
	rep, err := f.backup(dest, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.BlobsCopied != 3 || rep.BlobsPresent != 0 {
		t.Fatalf("first backup copied %d, found %d body files; want 3, 0", rep.BlobsCopied, rep.BlobsPresent)
	}
	// Two new body files, one expunged: the second backup copies the
	// two only, and drops the expunged one from the pool.
	first := f.deliver(true)
	f.deliver(true)
	f.deliver(false)
	if _, err := f.st.Expunge(ctx, first.Mailbox, []store.UID{first.UID}); err != nil {
		t.Fatal(err)
	}
	rep, err = f.backup(dest, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.BlobsCopied != 1 || rep.BlobsPresent != 3 || rep.BlobsRemoved != 0 || rep.SnapsRemoved != 1 {
		t.Fatalf("second backup: copied %d, present %d, removed %d files and %d snapshots; want 1, 3, 0, 1",
			rep.BlobsCopied, rep.BlobsPresent, rep.BlobsRemoved, rep.SnapsRemoved)
	}
	// A new body file, and UID 1's (copied by the first backup) expunged.
	if _, err := f.st.Expunge(ctx, f.deliver(true).Mailbox, []store.UID{1}); err != nil {
		t.Fatal(err)
	}
	rep, err = f.backup(dest, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.BlobsCopied != 1 || rep.BlobsRemoved != 1 {
		t.Fatalf("third backup: copied %d, removed %d body files; want 1, 1", rep.BlobsCopied, rep.BlobsRemoved)
	}
	blobs, top := poolFiles(t, dest)
	if len(blobs) != int(rep.Manifest.BlobFiles) || len(top) != 4 || top[2] != sumsFile {
		t.Fatalf("pool %v, top %v; want %d body files, LATEST, blobs, bodysums and one snapshot", blobs, top, rep.Manifest.BlobFiles)
	}
	if _, err := VerifyBackup(ctx, dest, db, nil); err != nil {
		t.Fatalf("verify: %v", err)
	}

	restored := filepath.Join(t.TempDir(), "data")
	m, err := Restore(ctx, RestoreOptions{Backup: dest, DataDir: restored, DB: db})
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	var n int64
	for _, s := range m.Mailboxes {
		n += s.Messages
	}
	if n != int64(f.n-2) {
		t.Fatalf("the manifest counts %d messages, want %d", n, f.n-2)
	}
	cfg, err := os.ReadFile(filepath.Join(restored, "config", "petrel.toml"))
	if err != nil || string(cfg) != "data_dir = \"x\"\n" {
		t.Fatalf("restored config %q, %v", cfg, err)
	}
	// The restored store is the live one, message for message.
	live, err := Sums(ctx, f.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := CompareSums(live, m.Mailboxes); p != nil {
		t.Fatalf("the backup differs from the quiet live store: %v", p)
	}
	if _, err := Restore(ctx, RestoreOptions{Backup: dest, DataDir: restored, DB: db}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore into a non-empty directory: %v", err)
	}
}

// TestRestoreDetectsDamage: a body file changed in the backup fails the
// restore's verification.
func TestRestoreDetectsDamage(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.deliver(true)
	f.deliver(false)
	dest := filepath.Join(t.TempDir(), "backup")
	if _, err := f.backup(dest, nil); err != nil {
		t.Fatal(err)
	}
	blobs, _ := poolFiles(t, dest)
	p := filepath.Join(dest, blobs[0])
	b, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(b, []byte("hello"), []byte("HELLO"), 1), 0o600)
	if _, err := VerifyBackup(ctx, dest, db, nil); err == nil || !strings.Contains(err.Error(), "verification failed") {
		t.Fatalf("verify of a damaged backup: %v", err)
	}
	_, err := Restore(ctx, RestoreOptions{Backup: dest, DataDir: filepath.Join(t.TempDir(), "d"), DB: db})
	if err == nil || !strings.Contains(err.Error(), "verification failed") {
		t.Fatalf("restore of a damaged backup: %v", err)
	}
}

// vanishing expunges a message with a body file after the first snapshot,
// as a server may between the snapshot and the copy of its files.
type vanishing struct {
	Database
	f    *fixture
	d    store.Delivered
	done bool
	// snapshots counts the snapshots taken.
	snapshots int
}

func (v *vanishing) Snapshot(ctx context.Context, dataDir, dest string) error {
	v.snapshots++
	if err := v.Database.Snapshot(ctx, dataDir, dest); err != nil || v.done {
		return err
	}
	v.done = true
	if _, err := v.f.st.Expunge(ctx, v.d.Mailbox, []store.UID{v.d.UID}); err != nil {
		return err
	}
	// The file goes after the commit.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		n := 0
		filepath.WalkDir(filepath.Join(dataDir, blobDir), func(_ string, d fs.DirEntry, _ error) error {
			if d != nil && !d.IsDir() {
				n++
			}
			return nil
		})
		if n == 1 {
			return nil
		}
	}
	return errors.New("the expunged body file stays")
}

func TestBodyFileGoneAfterSnapshot(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	d := f.deliver(true)
	f.deliver(true)
	dest := filepath.Join(t.TempDir(), "backup")
	v := &vanishing{f: f, d: d}
	rep, err := f.backup(dest, func(d2 Database) Database { v.Database = d2; return v })
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, s := range rep.Manifest.Mailboxes {
		n += s.Messages
	}
	if !v.done || v.snapshots != 2 || rep.Manifest.BlobFiles != 1 || n != 1 {
		t.Fatalf("%d snapshots; manifest: %d body files, %d messages; want 2, 1, 1", v.snapshots, rep.Manifest.BlobFiles, n)
	}
	if _, err := Restore(ctx, RestoreOptions{Backup: dest, DataDir: filepath.Join(t.TempDir(), "d"), DB: db}); err != nil {
		t.Fatal(err)
	}
}

// interrupting stops a backup (as kill -9 would, nothing cleaned up)
// after copying some body files.
type interrupting struct {
	Database
	after int
}

var errKilled = errors.New("killed")

func (i *interrupting) Blobs(ctx context.Context, dbPath string, fn func(string, int64) error) error {
	return i.Database.Blobs(ctx, dbPath, func(rel string, size int64) error {
		if i.after == 0 {
			return errKilled
		}
		i.after--
		return fn(rel, size)
	})
}

// TestInterruptedBackupResumes: a backup stopped midway, run again, ends
// as one uninterrupted run: the same body files, the same manifest, no
// leftovers.
func TestInterruptedBackupResumes(t *testing.T) {
	f := newFixture(t)
	for i := range 10 {
		f.deliver(i%3 != 0)
	}
	whole := filepath.Join(t.TempDir(), "whole")
	want, err := f.backup(whole, nil)
	if err != nil {
		t.Fatal(err)
	}
	resumed := filepath.Join(t.TempDir(), "resumed")
	if _, err := f.backup(resumed, func(d Database) Database { return &interrupting{Database: d, after: 3} }); !errors.Is(err, errKilled) {
		t.Fatalf("interrupted backup: %v", err)
	}
	if _, err := Snapshot(resumed); err == nil {
		t.Fatal("an interrupted backup has a LATEST")
	}
	got, err := f.backup(resumed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.BlobsCopied != want.BlobsCopied-3 || got.BlobsPresent != 3 {
		t.Fatalf("the resumed run copied %d, found %d body files; want %d, 3", got.BlobsCopied, got.BlobsPresent, want.BlobsCopied-3)
	}
	wb, wt := poolFiles(t, whole)
	gb, gt := poolFiles(t, resumed)
	if !slices.Equal(wb, gb) || len(wt) != len(gt) {
		t.Fatalf("pools %v / %v, tops %v / %v", wb, gb, wt, gt)
	}
	for _, b := range wb {
		x, _ := os.ReadFile(filepath.Join(whole, b))
		y, _ := os.ReadFile(filepath.Join(resumed, b))
		if !bytes.Equal(x, y) {
			t.Fatalf("%s differs", b)
		}
	}
	wm, gm := *want.Manifest, *got.Manifest
	if p := CompareSums(wm.Mailboxes, gm.Mailboxes); p != nil || wm.BlobFiles != gm.BlobFiles || wm.BlobBytes != gm.BlobBytes || wm.Database != gm.Database {
		t.Fatalf("manifests differ: %v\n%+v\n%+v", p, wm, gm)
	}
}
