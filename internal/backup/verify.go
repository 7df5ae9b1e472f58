package backup

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// VerifyBackup checks a backup on its own: the database's checksum and
// consistency checks, every body file present with its size, every
// file's checksum, and every mailbox's count and checksum recomputed from
// the snapshot against the manifest (SQLite). A PostgreSQL backup has its
// files checked only: VerifyStore compares its mailboxes with a store.
func VerifyBackup(ctx context.Context, backup string, db Database, progress io.Writer) (*Manifest, error) {
	if progress == nil {
		progress = io.Discard
	}
	snap, err := Snapshot(backup)
	if err != nil {
		return nil, err
	}
	m, err := ReadManifest(snap)
	if err != nil {
		return nil, err
	}
	for _, f := range m.Files {
		sum, err := fileSHA256(filepath.Join(snap, filesDir, filepath.FromSlash(f.Name)))
		if err != nil {
			return m, err
		}
		if sum != f.SHA256 {
			return m, fmt.Errorf("%s: its SHA-256 differs from the manifest's", f.Name)
		}
	}
	if m.Driver != "sqlite" {
		return m, nil
	}
	dbPath := filepath.Join(snap, dbFile)
	if sum, err := fileSHA256(dbPath); err != nil {
		return m, err
	} else if sum != m.Database {
		return m, fmt.Errorf("%s: its SHA-256 differs from the manifest's", dbPath)
	}
	var files, bytes int64
	err = db.Blobs(ctx, dbPath, func(rel string, size int64) error {
		fi, err := os.Stat(filepath.Join(snap, blobDir, rel))
		if err != nil {
			return fmt.Errorf("body file %s: %w", rel, err)
		}
		if fi.Size() != size {
			return fmt.Errorf("body file %s has %d bytes, the database says %d", rel, fi.Size(), size)
		}
		files++
		bytes += size
		return nil
	})
	if err != nil {
		return m, err
	}
	if files != m.BlobFiles || bytes != m.BlobBytes {
		return m, fmt.Errorf("%d body files (%d bytes), the manifest says %d (%d bytes)", files, bytes, m.BlobFiles, m.BlobBytes)
	}
	return m, verifyCopy(ctx, db, snap, m, progress)
}

// verifyCopy runs verifyStore on a copy of the snapshot's database (next
// to it, with the same body files): opening a store may write to its
// database (a newer petrel migrates it), and a verification must leave
// the backup as it is.
func verifyCopy(ctx context.Context, db Database, snap string, m *Manifest, progress io.Writer) error {
	tmp, err := os.MkdirTemp(filepath.Dir(snap), tmpPrefix+"verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if _, _, err := copyFile(filepath.Join(snap, dbFile), filepath.Join(tmp, dbFile), 0o600); err != nil {
		return err
	}
	if err := os.Symlink(filepath.Join("..", blobDir), filepath.Join(tmp, blobDir)); err != nil {
		return err
	}
	return verifyStore(ctx, db, tmp, m, progress)
}

// verifyStore runs the database's consistency checks on the data
// directory dir and compares its mailboxes with the manifest.
func verifyStore(ctx context.Context, db Database, dir string, m *Manifest, progress io.Writer) error {
	if err := db.Check(ctx, filepath.Join(dir, dbFile)); err != nil {
		return err
	}
	st, err := db.Open(ctx, dir)
	if err != nil {
		return err
	}
	err = VerifyStore(ctx, st, m, progress)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

// VerifyStore compares the count and checksum of every mailbox of st with
// the manifest.
func VerifyStore(ctx context.Context, st store.Store, m *Manifest, progress io.Writer) error {
	if progress == nil {
		progress = io.Discard
	}
	got, err := Sums(ctx, st, io.Discard)
	if err != nil {
		return err
	}
	var messages int64
	for _, s := range got {
		messages += s.Messages
	}
	if problems := CompareSums(m.Mailboxes, got); len(problems) > 0 {
		return fmt.Errorf("verification failed in %d mailboxes: %s", len(problems), strings.Join(problems[:min(len(problems), 5)], "; "))
	}
	fmt.Fprintf(progress, "verified: %d mailboxes, %d messages, every count and checksum as in the manifest\n", len(got), messages)
	return nil
}
