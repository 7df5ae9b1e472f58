package postgres

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/petrelmail/petrel/internal/store"
)

// Metrics receives the commit statistics (a delivery batch, or one other
// write); *obs.Metrics satisfies it.
type Metrics interface {
	ObserveCommit(batch int, d time.Duration)
}

// Options configure Open.
type Options struct {
	Logger  *slog.Logger
	Metrics Metrics // may be nil
	// MaxConns bounds the connections of the pool (0 = 16); the change
	// feed uses one more of its own.
	MaxConns int
	// Writers is the number of goroutines that batch deliveries into
	// transactions (deliver.go); 0 = 2.
	Writers int
	// NoListen opens the store without the cross-node change feed
	// (feed.go): short-lived CLI commands have no subscribers.
	NoListen bool
	// SweepOrphans removes, at Open, bodies that a crash left without
	// references for over an hour (doc.go). The server sets it.
	SweepOrphans bool
	// CallerClock judges queue leases by the caller's clock
	// (store.ClaimRequest.Now, RenewClaims' until) instead of the
	// database's (queue_claims.go): for tests that drive a fake clock
	// (storetest). Nodes leave it false, so that their clocks need not
	// agree.
	CallerClock bool
	// LockTimeout bounds a statement's wait for a lock (PostgreSQL's
	// lock_timeout on every connection; 0 = DefaultLockTimeout): a
	// write that waits longer on a row held by a stuck transaction (a
	// node that froze, an admin's psql) fails temporarily, instead of
	// holding a pool connection for as long as the lock is held.
	LockTimeout time.Duration
	// TempDir holds the temporary file in which a large body without
	// metadata is parsed (tests, tools); "" = os.TempDir().
	TempDir string
	// TextExtractor computes the full-text index's text of a message
	// (the server passes imapmsg.IndexText); nil indexes nothing, and
	// every text SEARCH then reads the messages.
	TextExtractor store.TextExtractor
	// IndexInBackground runs the full-text indexer on this node
	// (store.Indexer; needs TextExtractor): the server sets it. Nodes
	// share the work (claimUnindexed). Without it, stored messages stay
	// unindexed (SEARCH reads them) until RebuildTextIndex.
	IndexInBackground bool
	// IndexIdle is the indexer's idle wait (0 = store.IndexerIdle):
	// how soon it finds the messages other nodes stored.
	IndexIdle time.Duration
}

// Store is the PostgreSQL backend; it implements store.Store.
type Store struct {
	store.Hub
	opts Options
	log  *slog.Logger
	pool *pgxpool.Pool
	// node names this Store in its notifications, so that it does not
	// publish its own changes twice.
	node string
	feed *listener
	// deliverer batches deliveries (deliver.go).
	deliverer *deliverer
	indexer   *store.Indexer // nil: none

	mu     sync.RWMutex // guards closed against new writes
	closed bool
	wg     sync.WaitGroup // writes in flight
	once   sync.Once
}

var _ store.Store = (*Store)(nil)

// Open connects to the database named by dsn (a PostgreSQL connection
// string or URL), applies the schema migrations and starts the change
// feed. It fails, naming both versions, when the database's schema is
// newer than this program.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 16
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %w", err)
	}
	cfg.MaxConns = int32(opts.MaxConns)
	// §Durability: a commit returns once it is flushed, whatever the
	// server's or the role's default.
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	setTimeouts(cfg, cmp.Or(opts.LockTimeout, DefaultLockTimeout))
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "petrel"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	s := &Store{opts: opts, log: opts.Logger, pool: pool, node: hex.EncodeToString(rnd[:])}
	if opts.SweepOrphans {
		s.sweepOrphans(ctx)
	}
	if opts.Writers <= 0 {
		opts.Writers = 2
	}
	s.deliverer = newDeliverer(s, opts.Writers)
	if !opts.NoListen {
		if s.feed, err = startListener(ctx, s, cfg.ConnConfig.Copy()); err != nil {
			s.deliverer.close()
			pool.Close()
			return nil, fmt.Errorf("postgres: change feed: %w", err)
		}
	}
	if opts.IndexInBackground && opts.TextExtractor != nil {
		s.indexer = store.StartIndexer(func(ctx context.Context) (int, error) { return s.RebuildTextIndex(ctx, 0) },
			opts.IndexIdle, s.log)
	}
	return s, nil
}

// enter registers a call in flight; it fails once the store is closed.
func (s *Store) enter(op string) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.Errorf(store.KindClosed, op, "store is closed")
	}
	s.wg.Add(1)
	return nil
}

func (s *Store) leave() { s.wg.Done() }

// Close waits for the writes in flight, then closes the feed and the pool.
func (s *Store) Close() error {
	s.once.Do(func() {
		s.indexer.Stop()
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.wg.Wait()
		s.deliverer.close()
		if s.feed != nil {
			s.feed.close()
		}
		s.pool.Close()
	})
	return nil
}

// sweepOrphans removes bodies written for a delivery that never committed
// its rows (doc.go): without references, created over an hour ago by
// the database's clock (dbNow), which also stamped created (writeLarge),
// so that a node whose clock is ahead takes no body still being written.
// A delivery whose body was swept nonetheless fails (petrel_deliver,
// insertBlob raise) and stores nothing.
func (s *Store) sweepOrphans(ctx context.Context) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM blobs WHERE refs = 0 AND created < `+dbNow+` - $1`, int64(orphanAge/time.Second))
	if err != nil {
		s.log.Warn("store: sweeping orphaned bodies failed", "err", err)
		return
	}
	if n := tag.RowsAffected(); n > 0 {
		s.log.Info("store: removed orphaned bodies", "count", n)
	}
}

// Bounds on a stuck transaction (docs/architecture.md §Durability).
const (
	// DefaultLockTimeout is Options.LockTimeout's default.
	DefaultLockTimeout = 10 * time.Second
	// idleInTxTimeout ends the session of a transaction that sends
	// nothing for that long (a node that froze in one): its locks go
	// with it. Petrel idles in a transaction only while it reads a
	// large body into its chunks (writeLarge), from a spooled file.
	idleInTxTimeout = time.Minute
	// keepAliveIdle, keepAliveInterval and keepAliveCount make the
	// connections' TCP keepalives find a dead server or network within
	// about 30 s of silence, so that a call waiting on it fails.
	keepAliveIdle     = 15 * time.Second
	keepAliveInterval = 5 * time.Second
	keepAliveCount    = 3
)

// setTimeouts sets the bounds on every connection of cfg. No
// statement_timeout: the long statements (a migration, a store copy, the
// expunge of a large mailbox) are legitimate, the callers bound their own
// with their contexts, and a statement stuck on a lock or a dead peer is
// bounded by lock_timeout and the keepalives.
func setTimeouts(cfg *pgxpool.Config, lock time.Duration) {
	cfg.ConnConfig.RuntimeParams["lock_timeout"] = fmt.Sprintf("%dms", lock.Milliseconds())
	cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = fmt.Sprintf("%dms", idleInTxTimeout.Milliseconds())
	d := &net.Dialer{Timeout: cfg.ConnConfig.ConnectTimeout, KeepAliveConfig: net.KeepAliveConfig{Enable: true,
		Idle: keepAliveIdle, Interval: keepAliveInterval, Count: keepAliveCount}}
	cfg.ConnConfig.DialFunc = d.DialContext
}

// orphanAge is the age after which a body without references is an
// orphan (sweepOrphans).
const orphanAge = time.Hour

// dbNow is the database's clock in Unix seconds, for the times that
// several nodes compare.
const dbNow = `extract(epoch FROM clock_timestamp())::bigint`

// observeCommit reports a commit of batch writes that took d.
func (s *Store) observeCommit(batch int, start time.Time) {
	if s.opts.Metrics != nil {
		s.opts.Metrics.ObserveCommit(batch, time.Since(start))
	}
}

// IsNewerSchema reports whether err is Open's refusal of a database
// whose schema is newer than this program.
func IsNewerSchema(err error) bool { return errors.Is(err, errNewerSchema) }
