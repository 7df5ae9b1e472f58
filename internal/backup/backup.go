package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// Database is what a backup needs of an embedded store's files (the
// SQLite backend's snapshot helpers, wired by cmd/petrel).
type Database interface {
	// Snapshot writes a consistent copy of the database of the data
	// directory dataDir to the new file dest.
	Snapshot(ctx context.Context, dataDir, dest string) error
	// Blobs calls fn with each body file the database file dbPath names
	// (relative to a data directory's blobs/) and its size, in path order.
	Blobs(ctx context.Context, dbPath string, fn func(rel string, size int64) error) error
	// Check runs the database's own consistency checks on dbPath.
	Check(ctx context.Context, dbPath string) error
	// Open opens the store of a data directory (a snapshot, a restored
	// one).
	Open(ctx context.Context, dataDir string) (store.Store, error)
}

// Names in a backup directory and in a data directory.
const (
	latestFile = "LATEST"
	blobDir    = "blobs"
	dbFile     = "petrel.db"
	filesDir   = "files"
	snapPrefix = "snap-"
)

// File is a file outside the database to keep: Name is its path in the
// snapshot's files/ and, restored, in the data directory.
type File struct {
	Name string
	Path string
}

// Options configure Run.
type Options struct {
	// DataDir is the live data directory.
	DataDir string
	// Dest is the backup directory (created if needed).
	Dest string
	// DB is the embedded database's helpers; nil in PostgreSQL mode,
	// where Live is the store the manifest is computed from.
	DB   Database
	Live store.Store
	// Driver names the backend in the manifest.
	Driver string
	Files  []File
	// Progress receives the progress lines; Verbose adds one per body
	// file copied. nil is silent.
	Progress io.Writer
	Verbose  bool
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Report is the outcome of Run.
type Report struct {
	Snapshot                   string // the snapshot directory's name
	BlobsCopied, BlobsPresent  int64  // body files copied, found in the pool
	BytesCopied                int64
	BlobsRemoved, SnapsRemoved int64 // pruned after the commit
	// BodiesRead were read for their checksum, BodiesKnown were in the
	// cache of body checksums (sumcache.go); BodiesRead is -1 without
	// the cache (PostgreSQL, or a file system without birth times).
	BodiesRead, BodiesKnown int64
	Manifest                *Manifest
	Elapsed                 time.Duration
}

// errBlobGone is a body file of the snapshot that the live data directory
// no longer has: its message was expunged after the snapshot.
var errBlobGone = errors.New("a body file of the snapshot was removed from the data directory")

// snapshotAttempts bounds the snapshots taken when body files vanish
// between a snapshot and their copy.
const snapshotAttempts = 5

// Run takes a backup into opts.Dest (the package documentation describes
// the steps and the layout).
func Run(ctx context.Context, opts Options) (*Report, error) {
	start := time.Now()
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.DB == nil && opts.Live == nil {
		return nil, errors.New("backup: no database and no live store")
	}
	now := opts.Now().UTC()
	rep := &Report{Snapshot: snapPrefix + now.Format("20060102T150405.000000000Z")}
	snap := filepath.Join(opts.Dest, rep.Snapshot)
	if err := os.MkdirAll(filepath.Join(opts.Dest, blobDir), 0o700); err != nil {
		return nil, err
	}
	if err := os.Mkdir(snap, 0o700); err != nil {
		return nil, err
	}
	m := &Manifest{Version: manifestVersion, Created: now, Driver: opts.Driver}
	var err error
	if opts.DB != nil {
		err = snapshotSQLite(ctx, opts, snap, rep, m)
	} else {
		rep.BodiesRead = -1 // no cache: the live store is no snapshot
		m.Mailboxes, err = Sums(ctx, opts.Live, opts.Progress)
	}
	if err != nil {
		return nil, err
	}
	if m.Files, err = copyFiles(opts.Files, filepath.Join(snap, filesDir)); err != nil {
		return nil, err
	}
	if err := writeManifest(snap, m); err != nil {
		return nil, err
	}
	if err := syncDir(opts.Dest); err != nil {
		return nil, err
	}
	// The commit point: LATEST names the new snapshot.
	if err := writeFileSync(filepath.Join(opts.Dest, latestFile), []byte(rep.Snapshot+"\n"), 0o600); err != nil {
		return nil, err
	}
	rep.Manifest = m
	if err := prune(ctx, opts, rep); err != nil {
		return nil, fmt.Errorf("the backup is complete, but removing what it replaced failed: %w", err)
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// snapshotSQLite snapshots the database into snap, copies the body files
// it names into the pool (again from a new snapshot when one vanished),
// and computes the manifest from the snapshot.
func snapshotSQLite(ctx context.Context, opts Options, snap string, rep *Report, m *Manifest) error {
	dbPath := filepath.Join(snap, dbFile)
	for attempt := 1; ; attempt++ {
		os.Remove(dbPath)
		t := time.Now()
		if err := opts.DB.Snapshot(ctx, opts.DataDir, dbPath); err != nil {
			return err
		}
		fmt.Fprintf(opts.Progress, "database snapshot taken in %s\n", time.Since(t).Round(time.Millisecond))
		err := copyBlobs(ctx, opts, dbPath, rep, m)
		if !errors.Is(err, errBlobGone) || attempt == snapshotAttempts {
			if err != nil {
				return err
			}
			break
		}
		fmt.Fprintf(opts.Progress, "%v (its message was expunged meanwhile): taking a new snapshot\n", err)
	}
	fmt.Fprintf(opts.Progress, "body files: %d copied (%d bytes), %d already in the backup\n",
		rep.BlobsCopied, rep.BytesCopied, rep.BlobsPresent)
	if err := os.Symlink(filepath.Join("..", blobDir), filepath.Join(snap, blobDir)); err != nil {
		return err
	}
	t := time.Now()
	if err := opts.DB.Check(ctx, dbPath); err != nil {
		return err
	}
	fmt.Fprintf(opts.Progress, "database checked in %s\n", time.Since(t).Round(time.Millisecond))
	if err := sumSnapshot(ctx, opts, snap, rep, m); err != nil {
		return err
	}
	var err error
	m.Database, err = fileSHA256(dbPath)
	return err
}

// sumSnapshot computes the manifest's mailboxes from the snapshot snap,
// reading only the bodies the backup's cache of body checksums does not
// know (sumcache.go), and writes the new cache.
func sumSnapshot(ctx context.Context, opts Options, snap string, rep *Report, m *Manifest) error {
	cache, err := openSumCache(opts.Dest, opts.DataDir)
	if err != nil {
		return err
	}
	st, err := opts.DB.Open(ctx, snap)
	if err != nil {
		if cache != nil {
			cache.close()
		}
		return fmt.Errorf("opening the snapshot: %w", err)
	}
	t := time.Now()
	m.Mailboxes, err = sums(ctx, st, opts.Progress, cache)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if cache == nil {
		rep.BodiesRead = -1
		return err
	}
	if err != nil {
		cache.close()
		return err
	}
	rep.BodiesRead, rep.BodiesKnown = cache.misses, cache.hits
	fmt.Fprintf(opts.Progress, "checksums: %d bodies read, %d known from the last backup, in %s\n",
		cache.misses, cache.hits, time.Since(t).Round(time.Millisecond))
	return cache.commit()
}

// copyBlobs copies the body files the snapshot dbPath names that the
// pool lacks.
func copyBlobs(ctx context.Context, opts Options, dbPath string, rep *Report, m *Manifest) error {
	pool := filepath.Join(opts.Dest, blobDir)
	dirs := dirSyncer{}
	m.BlobFiles, m.BlobBytes = 0, 0
	err := opts.DB.Blobs(ctx, dbPath, func(rel string, size int64) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		m.BlobFiles++
		m.BlobBytes += size
		dst := filepath.Join(pool, rel)
		if fi, err := os.Stat(dst); err == nil && fi.Size() == size {
			rep.BlobsPresent++
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		_, n, err := copyFile(filepath.Join(opts.DataDir, blobDir, rel), dst, 0o600)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s", errBlobGone, rel)
		}
		if err != nil {
			return err
		}
		if n != size {
			os.Remove(dst)
			return fmt.Errorf("body file %s has %d bytes, the database says %d", rel, n, size)
		}
		dirs.add(filepath.Dir(dst))
		rep.BlobsCopied++
		rep.BytesCopied += n
		if opts.Verbose {
			fmt.Fprintf(opts.Progress, "copied %s/%s\n", blobDir, rel)
		}
		return nil
	})
	if serr := dirs.sync(); err == nil {
		err = serr
	}
	return err
}

// copyFiles copies the files outside the database into dir.
func copyFiles(files []File, dir string) ([]FileSum, error) {
	sums := make([]FileSum, 0, len(files))
	dirs := dirSyncer{}
	for _, f := range files {
		fi, err := os.Stat(f.Path)
		if err != nil {
			return nil, err
		}
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return nil, err
		}
		sum, n, err := copyFile(f.Path, dst, fi.Mode().Perm())
		if err != nil {
			return nil, fmt.Errorf("copying %s: %w", f.Path, err)
		}
		dirs.add(filepath.Dir(dst))
		sums = append(sums, FileSum{Name: f.Name, Origin: f.Path, Mode: fi.Mode().Perm(), Size: n, SHA256: sum})
	}
	return sums, dirs.sync()
}

// prune removes, once LATEST names the new snapshot, the other snapshots,
// the temporary files of interrupted runs, and the body files the new
// snapshot does not name.
func prune(ctx context.Context, opts Options, rep *Report) error {
	entries, err := os.ReadDir(opts.Dest)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if (strings.HasPrefix(name, snapPrefix) && name != rep.Snapshot) || isTemp(name) {
			if err := os.RemoveAll(filepath.Join(opts.Dest, name)); err != nil {
				return err
			}
			if !isTemp(name) {
				rep.SnapsRemoved++
			}
		}
	}
	p := &poolPruner{root: filepath.Join(opts.Dest, blobDir)}
	if opts.DB != nil {
		err = opts.DB.Blobs(ctx, filepath.Join(opts.Dest, rep.Snapshot, dbFile), func(rel string, _ int64) error {
			return p.keepUpTo(filepath.ToSlash(rel))
		})
		if err != nil {
			return err
		}
	}
	err = p.keepUpTo("\xff")
	rep.BlobsRemoved = p.removed
	return err
}

// poolPruner walks the pool in path order alongside the sorted list of
// the body files to keep (a merge: one directory of names in memory at a
// time) and removes the others.
type poolPruner struct {
	root    string
	dir     int      // next of the 256 directories to read
	names   []string // "xx/name", the rest of the directory read
	removed int64
}

// keepUpTo removes the pool's files that sort before rel and keeps rel.
func (p *poolPruner) keepUpTo(rel string) error {
	for {
		for len(p.names) > 0 && p.names[0] < rel {
			if err := os.Remove(filepath.Join(p.root, filepath.FromSlash(p.names[0]))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			p.removed++
			p.names = p.names[1:]
		}
		if len(p.names) > 0 {
			if p.names[0] == rel {
				p.names = p.names[1:]
			}
			return nil
		}
		if p.dir >= 256 {
			return nil
		}
		sub := fmt.Sprintf("%02x", p.dir)
		p.dir++
		entries, err := os.ReadDir(filepath.Join(p.root, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		for _, e := range entries {
			p.names = append(p.names, sub+"/"+e.Name())
		}
	}
}
