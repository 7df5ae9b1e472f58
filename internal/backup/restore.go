package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Snapshot finds the snapshot directory of a backup: the one LATEST names
// when path is a backup directory, or path itself when it is a snapshot.
func Snapshot(path string) (string, error) {
	b, err := os.ReadFile(filepath.Join(path, latestFile))
	if err == nil {
		name := strings.TrimSpace(string(b))
		if !strings.HasPrefix(name, snapPrefix) || strings.ContainsAny(name, `/\`) {
			return "", fmt.Errorf("%s: %q names no snapshot", filepath.Join(path, latestFile), name)
		}
		return filepath.Join(path, name), nil
	}
	if _, serr := os.Stat(filepath.Join(path, ManifestFile)); serr == nil {
		return path, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s holds no complete backup (no %s)", path, latestFile)
	}
	return "", err
}

// RestoreOptions configure Restore.
type RestoreOptions struct {
	// Backup is the backup directory (or one snapshot of it).
	Backup string
	// DataDir is the data directory to restore into: it must not exist
	// or be empty.
	DataDir string
	// DB is the embedded database's helpers (SQLite); nil restores the
	// files outside the database only (PostgreSQL: the database is
	// pg_restore's).
	DB       Database
	Progress io.Writer
}

// Restore brings a backup back into a new data directory and verifies it:
// the database's checksum and own consistency checks, every body file's
// size, every file's checksum, and the count and checksum of every mailbox
// against the manifest. It returns the manifest.
func Restore(ctx context.Context, opts RestoreOptions) (*Manifest, error) {
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	snap, err := Snapshot(opts.Backup)
	if err != nil {
		return nil, err
	}
	m, err := ReadManifest(snap)
	if err != nil {
		return nil, err
	}
	if err := emptyDir(opts.DataDir); err != nil {
		return nil, err
	}
	if m.Driver == "sqlite" {
		if opts.DB == nil {
			return nil, errors.New("the backup holds a SQLite store: restore it with storage.driver = \"sqlite\"")
		}
		if err := restoreSQLite(ctx, opts, snap, m); err != nil {
			return nil, err
		}
	}
	if err := restoreFiles(snap, opts.DataDir, m.Files); err != nil {
		return nil, err
	}
	if err := syncDir(opts.DataDir); err != nil {
		return nil, err
	}
	fmt.Fprintf(opts.Progress, "restored %s into %s: %d files\n", filepath.Base(snap), opts.DataDir, len(m.Files))
	if m.Driver != "sqlite" {
		return m, nil
	}
	return m, verifyStore(ctx, opts.DB, opts.DataDir, m, opts.Progress)
}

// emptyDir creates dir, or accepts it when it exists and is empty.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty: restore into a new data directory", dir)
	}
	return nil
}

// restoreSQLite copies the database, after checking its checksum, and the
// body files it names.
func restoreSQLite(ctx context.Context, opts RestoreOptions, snap string, m *Manifest) error {
	src := filepath.Join(snap, dbFile)
	dst := filepath.Join(opts.DataDir, dbFile)
	sum, _, err := copyFile(src, dst, 0o600)
	if err != nil {
		return err
	}
	if sum != m.Database {
		os.Remove(dst)
		return fmt.Errorf("%s: its SHA-256 differs from the manifest's: the backup is damaged", src)
	}
	dirs := dirSyncer{}
	var files, bytes int64
	err = opts.DB.Blobs(ctx, dst, func(rel string, size int64) error {
		to := filepath.Join(opts.DataDir, blobDir, rel)
		if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
			return err
		}
		_, n, err := copyFile(filepath.Join(snap, blobDir, rel), to, 0o600)
		if err != nil {
			return fmt.Errorf("body file %s: %w", rel, err)
		}
		if n != size {
			return fmt.Errorf("body file %s has %d bytes, the database says %d: the backup is damaged", rel, n, size)
		}
		dirs.add(filepath.Dir(to))
		files++
		bytes += n
		return nil
	})
	if err != nil {
		return err
	}
	if files != m.BlobFiles || bytes != m.BlobBytes {
		return fmt.Errorf("restored %d body files (%d bytes), the manifest says %d (%d bytes)", files, bytes, m.BlobFiles, m.BlobBytes)
	}
	fmt.Fprintf(opts.Progress, "restored the database and %d body files (%d bytes)\n", files, bytes)
	return dirs.sync()
}

// restoreFiles copies the files outside the database to their places in
// the data directory, checking each one's checksum.
func restoreFiles(snap, dataDir string, files []FileSum) error {
	dirs := dirSyncer{}
	for _, f := range files {
		name := filepath.FromSlash(f.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("manifest: file name %q leaves the data directory", f.Name)
		}
		to := filepath.Join(dataDir, name)
		if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
			return err
		}
		sum, _, err := copyFile(filepath.Join(snap, filesDir, name), to, f.Mode.Perm())
		if err != nil {
			return err
		}
		if sum != f.SHA256 {
			return fmt.Errorf("%s: its SHA-256 differs from the manifest's: the backup is damaged", f.Name)
		}
		dirs.add(filepath.Dir(to))
	}
	return dirs.sync()
}
