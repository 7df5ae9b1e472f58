package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// The online backup's side of the store (README "Backup and restore",
// docs/architecture.md §Backup): a consistent copy of the database taken
// while a server writes to it, and the reads of such a copy. A snapshot
// does not open the Store (no writer, no migrations, no blob directories
// created): it reads the live database like any other reader, so that it
// runs beside `petrel serve` and writes nothing into the data directory
// but what a WAL reader must (its read mark in petrel.db-shm).

// DBFile is the database's file name in a data directory.
const DBFile = "petrel.db"

// BlobDir is the directory of the body files in a data directory.
const BlobDir = "blobs"

// Snapshot writes a consistent copy of the database of the data directory
// dataDir to the new file dest (VACUUM INTO: one read transaction, so the
// copy is the database as of one commit; WAL lets the server's writer go
// on meanwhile). The body files it names are not copied.
func Snapshot(ctx context.Context, dataDir, dest string) error {
	src := filepath.Join(dataDir, DBFile)
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("no store in %s: %w", dataDir, err)
	}
	db, err := openReader(src)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return fmt.Errorf("snapshot of %s: %w", src, err)
	}
	// VACUUM INTO writes without syncing: the caller renames the file
	// into place only once it is on disk.
	f, err := os.OpenFile(dest, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// openReader opens a database for reads only, one connection.
func openReader(path string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(15000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// SnapshotBlobs calls fn with every body file a database file (a
// snapshot) names, relative to the data directory's BlobDir, and its
// size, in path order; the rows are streamed, not held.
func SnapshotBlobs(ctx context.Context, dbPath string, fn func(rel string, size int64) error) error {
	db, err := openReader(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT path, size FROM blobs WHERE path IS NOT NULL AND path != '' ORDER BY path`)
	if err != nil {
		return fmt.Errorf("listing the body files of %s: %w", dbPath, err)
	}
	defer rows.Close()
	for rows.Next() {
		var rel string
		var size int64
		if err := rows.Scan(&rel, &size); err != nil {
			return err
		}
		if err := fn(rel, size); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CheckIntegrity runs SQLite's own consistency checks on a database file
// (PRAGMA integrity_check, PRAGMA foreign_key_check) and returns their
// findings; none is nil.
func CheckIntegrity(ctx context.Context, dbPath string) error {
	db, err := openReader(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	var found []string
	for _, check := range []string{`PRAGMA integrity_check`, `PRAGMA foreign_key_check`} {
		rows, err := db.QueryContext(ctx, check)
		if err != nil {
			return fmt.Errorf("%s on %s: %w", check, dbPath, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return err
			}
			line := fmt.Sprint(vals...)
			if line != "ok" {
				found = append(found, strings.TrimSpace(line))
			}
		}
		rows.Close()
	}
	if len(found) > 0 {
		return fmt.Errorf("%s fails SQLite's consistency checks: %s", dbPath, strings.Join(found[:min(len(found), 5)], "; "))
	}
	return nil
}

// Backup is the snapshot helpers as a backup takes them (the consumer's
// interface is internal/backup.Database); Options configure the stores it
// opens (Dir is set per call).
type Backup struct{ Options Options }

// Snapshot is the package's Snapshot.
func (Backup) Snapshot(ctx context.Context, dataDir, dest string) error {
	return Snapshot(ctx, dataDir, dest)
}

// Blobs is SnapshotBlobs.
func (Backup) Blobs(ctx context.Context, dbPath string, fn func(rel string, size int64) error) error {
	return SnapshotBlobs(ctx, dbPath, fn)
}

// Check is CheckIntegrity.
func (Backup) Check(ctx context.Context, dbPath string) error { return CheckIntegrity(ctx, dbPath) }

// Open opens the store of a data directory (a snapshot, a restored one)
// for a command: no orphan sweep, no change feed polling, no indexer.
func (b Backup) Open(ctx context.Context, dataDir string) (store.Store, error) {
	o := b.Options
	o.Dir, o.WatchInterval, o.SweepOrphans, o.IndexInBackground, o.Reserve = dataDir, -1, false, false, 0
	return Open(ctx, o)
}
