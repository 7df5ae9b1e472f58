package backup

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/sqlite"
)

// bodyCounting counts the bodies read from the stores it opens (the
// snapshots a backup checksums), and fails the read after failAfter
// bodies when it is > 0.
type bodyCounting struct {
	Database
	read      *atomic.Int64
	failAfter int64
}

func (b *bodyCounting) Open(ctx context.Context, dataDir string) (store.Store, error) {
	st, err := b.Database.Open(ctx, dataDir)
	if err != nil {
		return nil, err
	}
	return &countingStore{Store: st, b: b}, nil
}

type countingStore struct {
	store.Store
	b *bodyCounting
}

func (c *countingStore) ReadMessages(ctx context.Context, mb store.MailboxID, uids []store.UID, what store.ReadFlags,
	fn func(*store.MessageData) error) error {
	return c.Store.ReadMessages(ctx, mb, uids, what, func(d *store.MessageData) error {
		if what&store.ReadBody != 0 {
			if n := c.b.read.Add(1); c.b.failAfter > 0 && n > c.b.failAfter {
				return errKilled
			}
		}
		return fn(d)
	})
}

func (c *countingStore) OpenBlob(ctx context.Context, id store.BlobID) (store.Blob, error) {
	c.b.read.Add(1)
	return c.Store.OpenBlob(ctx, id)
}

// backupCounting backs f up into dest and returns the report and the
// number of bodies the checksums read.
func (f *fixture) backupCounting(dest string, failAfter int64) (*Report, int64, error) {
	var n atomic.Int64
	rep, err := f.backup(dest, func(d Database) Database { return &bodyCounting{Database: d, read: &n, failAfter: failAfter} })
	return rep, n.Load(), err
}

// checkManifest compares a backup's manifest with the live store's sums,
// read without the cache, and verifies the backup (every body read).
func (f *fixture) checkManifest(dest string, rep *Report) {
	f.t.Helper()
	ctx := context.Background()
	live, err := Sums(ctx, f.st, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if p := CompareSums(live, rep.Manifest.Mailboxes); p != nil {
		f.t.Fatalf("the manifest differs from the live store: %v", p)
	}
	if _, err := VerifyBackup(ctx, dest, db, nil); err != nil {
		f.t.Fatalf("verify: %v", err)
	}
}

// TestBackupSumCache: a backup with nothing new reads no body for its
// checksums (the cache of body checksums knows them all), one with new
// messages reads those only, and the manifest is the one of the store
// read whole; a damaged cache, and one left by a backup killed midway,
// are not trusted.
func TestBackupSumCache(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for i := range 8 {
		f.deliver(i%3 == 0)
	}
	if storeIdentity(f.dir) == "" {
		t.Skip("the file system keeps no birth time: no cache")
	}
	dest := filepath.Join(t.TempDir(), "backup")
	rep, read, err := f.backupCounting(dest, 0)
	if err != nil || read != 8 {
		t.Fatalf("first backup: %d bodies read, %v; want 8", read, err)
	}
	f.checkManifest(dest, rep)
	rep, read, err = f.backupCounting(dest, 0)
	if err != nil || read != 0 || rep.BodiesKnown != 8 {
		t.Fatalf("backup with nothing new: %d bodies read, %d known, %v; want 0, 8", read, rep.BodiesKnown, err)
	}
	f.checkManifest(dest, rep)

	// Two new messages, a flag change, an expunge, a new mailbox with a
	// message copied into it: the new ones are read, the rest known.
	f.deliver(true)
	d := f.deliver(false)
	if _, err := f.st.StoreFlags(ctx, d.Mailbox, []store.UID{2}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Expunge(ctx, d.Mailbox, []store.UID{3}); err != nil {
		t.Fatal(err)
	}
	other, err := f.st.CreateMailbox(ctx, f.acct.ID, "Old/2019", store.UseNone)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Copy(ctx, d.Mailbox, []store.UID{4}, other.ID, store.FlagDrop{}); err != nil {
		t.Fatal(err)
	}
	rep, read, err = f.backupCounting(dest, 0)
	if err != nil || read != 3 || rep.BodiesKnown != 7 {
		t.Fatalf("backup after changes: %d bodies read, %d known, %v; want 3, 7", read, rep.BodiesKnown, err)
	}
	f.checkManifest(dest, rep)

	// A backup killed during its checksums (after 1 body read) leaves
	// its temporary cache behind; a cache damaged on disk is ignored.
	f.deliver(false)
	f.deliver(true)
	if _, _, err := f.backupCounting(dest, 1); !errors.Is(err, errKilled) {
		t.Fatalf("interrupted backup: %v", err)
	}
	os.WriteFile(filepath.Join(dest, tmpPrefix+sumsFile), []byte("half a cache"), 0o600)
	rep, read, err = f.backupCounting(dest, 0)
	if err != nil || read != 2 {
		t.Fatalf("backup after an interrupted one: %d bodies read, %v; want 2", read, err)
	}
	f.checkManifest(dest, rep)
	p := filepath.Join(dest, sumsFile)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1-sha256.Size-5] ^= 1 // inside the last entry's checksum, before 'T' and the trailer
	os.WriteFile(p, b, 0o600)
	rep, read, err = f.backupCounting(dest, 0)
	if err != nil || read != 12 {
		t.Fatalf("backup with a damaged cache: %d bodies read, %v; want 12", read, err)
	}
	f.checkManifest(dest, rep)
}

// TestBackupSumCacheOtherStore: a copy of the store that went on on its
// own (a restore, a store copy) has the same mailboxes, UIDVALIDITY,
// UIDs and blob IDs, for other bodies: backed up into the same backup
// directory, it does not take the other store's sums.
func TestBackupSumCacheOtherStore(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.deliver(false)
	if storeIdentity(f.dir) == "" {
		t.Skip("the file system keeps no birth time: no cache")
	}
	copyDir := t.TempDir()
	if err := sqlite.Snapshot(ctx, f.dir, filepath.Join(copyDir, dbFile)); err != nil {
		t.Fatal(err)
	}
	g := &fixture{t: t, dir: copyDir, acct: f.acct, n: f.n}
	var err error
	if g.st, err = sqlite.Open(ctx, sqlite.Options{Dir: copyDir, InlineMax: inlineMax}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.st.Close() })
	// The same UID, blob ID and size in both, other bytes.
	for _, x := range []struct {
		f    *fixture
		body string
	}{{f, "Subject: same size\r\n\r\nAAAA\r\n"}, {g, "Subject: same size\r\n\r\nBBBB\r\n"}} {
		d, err := x.f.st.Deliver(ctx, store.NewMessage{Body: strings.NewReader(x.body)}, []store.Target{{Account: f.acct.ID}})
		if err != nil || d[0].Err != nil || d[0].UID != 2 {
			t.Fatalf("deliver: %v %+v", err, d)
		}
	}
	dest := filepath.Join(t.TempDir(), "backup")
	if _, _, err := f.backupCounting(dest, 0); err != nil {
		t.Fatal(err)
	}
	rep, read, err := g.backupCounting(dest, 0)
	if err != nil || read != 2 {
		t.Fatalf("backup of the other store: %d bodies read, %v; want 2", read, err)
	}
	g.checkManifest(dest, rep)
}
