package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/store"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// DefaultInlineMax is the largest body kept inside the database. Bodies up
// to this size share the group commit's one WAL fsync; larger ones get a
// file of their own.
const DefaultInlineMax = 256 << 10

// Metrics receives the writer's commit statistics; *obs.Metrics satisfies it.
type Metrics interface {
	ObserveCommit(batch int, d time.Duration)
}

// Options configure Open.
type Options struct {
	// Dir is the data directory; the backend keeps petrel.db and blobs/ in it.
	Dir       string
	Logger    *slog.Logger
	Metrics   Metrics // may be nil
	InlineMax int     // 0 = DefaultInlineMax
	// MaxBatch bounds the requests in one group commit (0 = 512).
	MaxBatch int
	// CacheKiB is the writer's page cache in KiB (0 = 64 MiB, what group
	// commits of many bodies need; an import's batches need less).
	CacheKiB int
	// SweepOrphans removes, at Open, body files left behind by a crash
	// between writing a file and committing its row. The server sets it;
	// short-lived CLI commands need not pay for the directory scan.
	SweepOrphans bool
	// Reserve is the size in octets of the deletion reserve kept in
	// Dir (space.go, README "Storage"); 0 = none. The server sets it;
	// short-lived CLI commands need not.
	Reserve int64
	// Space reports the free space of Dir's filesystem, for filling the
	// reserve again; nil = statfs on Dir.
	Space FreeSpace
	// WatchInterval is how often the change feed looks for commits of
	// other processes on the database, while it has subscribers
	// (watch.go); 0 = DefaultWatchInterval, < 0 = never.
	WatchInterval time.Duration
	// TextExtractor computes the full-text index's text of a message
	// (the server passes imapmsg.IndexText); nil indexes nothing, and
	// every text SEARCH then reads the messages.
	TextExtractor store.TextExtractor
	// IndexInBackground runs the full-text indexer in this process
	// (store.Indexer; needs TextExtractor): the server sets it. Without
	// it, stored messages stay unindexed (SEARCH reads them) until
	// RebuildTextIndex.
	IndexInBackground bool
	// IndexIdle is the indexer's idle wait (0 = store.IndexerIdle).
	IndexIdle time.Duration
}

// Store is the SQLite backend; it implements store.Store.
type Store struct {
	store.Hub
	opts    Options
	log     *slog.Logger
	dbPath  string
	blobDir string
	rdb     *readPool // read pool
	// blobStmt reads a body (OpenBlob), prepared once: POP3 and IMAP read
	// bodies one by one, thousands in a session. mailboxStmt and
	// mailboxByIDStmt read a mailbox (Mailbox, MailboxByID): IMAP does
	// for nearly every command, and preparing costs three times the query.
	// recentStmt reads a \Recent boundary: every SELECT (locks.go).
	blobStmt, mailboxStmt, mailboxByIDStmt, recentStmt *sql.Stmt
	wdb                                                *sql.DB // the writer's single connection
	w                                                  *writer
	space                                              *spaceGuard
	watch                                              *watcher
	dir                                                *dirCache
	indexer                                            *store.Indexer // nil: none

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the store in opts.Dir, applies schema
// migrations and starts the writer.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.InlineMax <= 0 {
		opts.InlineMax = DefaultInlineMax
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.WatchInterval == 0 {
		opts.WatchInterval = DefaultWatchInterval
	}
	s := &Store{opts: opts, log: opts.Logger,
		dbPath: filepath.Join(opts.Dir, "petrel.db"), blobDir: filepath.Join(opts.Dir, "blobs")}
	if err := s.makeDirs(); err != nil {
		return nil, err
	}
	space, err := newSpaceGuard(opts, opts.Logger)
	if err != nil {
		return nil, err
	}
	s.space = space
	s.dir = newDirCache(opts.WatchInterval)
	// SQLite creates the -wal and -shm files with the database's mode:
	// create it private (it holds password hashes and mail).
	f, err := os.OpenFile(s.dbPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", s.dbPath, err)
	}
	f.Close()
	if s.wdb, err = openDB(s.dbPath, false, opts.CacheKiB); err != nil {
		return nil, err
	}
	s.wdb.SetMaxOpenConns(1)
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("open %s: %w", s.dbPath, err)
	}
	if err := migrate(ctx, conn, s.blobDir); err != nil {
		conn.Close()
		s.wdb.Close()
		return nil, fmt.Errorf("open %s: %w", s.dbPath, err)
	}
	rdb, err := openDB(s.dbPath, true, 0)
	if err != nil {
		conn.Close()
		s.wdb.Close()
		return nil, err
	}
	s.rdb = newReadPool(rdb)
	s.rdb.SetMaxOpenConns(8)
	s.rdb.SetMaxIdleConns(8)
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{{&s.blobStmt, blobQuery}, {&s.mailboxStmt, mailboxQuery}, {&s.mailboxByIDStmt, mailboxByIDQuery}, {&s.recentStmt, recentQuery}} {
		if *p.stmt, err = s.rdb.PrepareContext(ctx, p.query); err != nil {
			conn.Close()
			s.wdb.Close()
			s.rdb.Close()
			return nil, fmt.Errorf("open %s: %w", s.dbPath, err)
		}
	}
	if s.w, err = newWriter(ctx, s, conn); err != nil {
		conn.Close()
		s.wdb.Close()
		s.rdb.Close()
		return nil, err
	}
	if opts.SweepOrphans {
		s.sweepOrphans()
	}
	if s.watch, err = startWatcher(ctx, s, opts.WatchInterval); err != nil {
		s.w.close()
		s.wdb.Close()
		s.rdb.Close()
		return nil, fmt.Errorf("open %s: %w", s.dbPath, err)
	}
	if opts.IndexInBackground && opts.TextExtractor != nil {
		s.indexer = store.StartIndexer(func(ctx context.Context) (int, error) { return s.RebuildTextIndex(ctx, 0) },
			opts.IndexIdle, s.log)
	}
	return s, nil
}

func (s *Store) makeDirs() error {
	if err := os.MkdirAll(s.blobDir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", s.blobDir, err)
	}
	for i := 0; i < 256; i++ {
		if err := os.MkdirAll(filepath.Join(s.blobDir, fmt.Sprintf("%02x", i)), 0o700); err != nil {
			return fmt.Errorf("create blob directory: %w", err)
		}
	}
	return nil
}

// openDB opens a database/sql pool with the durability pragmas on every
// connection: WAL, synchronous=FULL (commit waits for the WAL fsync);
// cacheKiB is a writer's page cache (0 = 64 MiB).
func openDB(path string, readOnly bool, cacheKiB int) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(15000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// A group commit of many bodies must not spill pages to the WAL
		// before the commit: 64 MiB of page cache for the one writer
		// (measured: 100 KiB deliveries +40%).
		if cacheKiB <= 0 {
			cacheKiB = 65536
		}
		q.Add("_pragma", "cache_size(-"+strconv.Itoa(cacheKiB)+")")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// Close waits for queued writes, then closes the databases.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.indexer.Stop()
		s.watch.close()
		s.w.close()
		err1 := s.wdb.Close()
		s.blobStmt.Close()
		s.mailboxStmt.Close()
		s.mailboxByIDStmt.Close()
		s.recentStmt.Close()
		err2 := s.rdb.Close()
		if err1 != nil {
			s.closeErr = err1
		} else {
			s.closeErr = err2
		}
	})
	return s.closeErr
}
