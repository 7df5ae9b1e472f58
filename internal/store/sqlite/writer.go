package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/spool"
	"github.com/petrelmail/petrel/internal/store"
)

// op is one write request: fn runs inside the batch transaction, within a
// savepoint of its own so that its failure does not affect the others.
type op struct {
	name string
	fn   func(t *txn) error
	done chan error

	syncDirs []string       // directories to fsync before the commit
	changes  []store.Change // published after the commit
	after    []func()       // run after the commit (e.g. remove blob files)
	// reserve lets the op use the deletion reserve when the disk is full
	// (space.go): deletions and flag changes, never new mail.
	reserve bool
	// lazy: the op's write need not survive a power loss (session
	// state: locks, \Recent; locks.go). A batch of lazy ops only is
	// committed without the WAL fsync; any durable op in the batch makes
	// the commit durable as usual.
	lazy bool
	// keepsDir: the op changes no directory answer that dirCache keeps
	// (a domain, an address's account, an account's address): mail,
	// flags, the queue, session state. Every other op's commit empties
	// the cache (dircache.go).
	keepsDir bool
}

// writer is the single goroutine that owns the write connection and turns
// concurrent requests into group commits (docs/architecture.md
// §Durability).
type writer struct {
	s     *Store
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
	ch    chan *op

	mu     sync.RWMutex // guards closed against sends on ch
	closed bool
	done   chan struct{}

	lazy bool // the connection commits with synchronous=NORMAL (setLazy)
}

func newWriter(ctx context.Context, s *Store, conn *sql.Conn) (*writer, error) {
	w := &writer{s: s, conn: conn, stmts: make(map[string]*sql.Stmt),
		ch: make(chan *op, s.opts.MaxBatch), done: make(chan struct{})}
	go w.loop()
	return w, nil
}

// do queues fn and waits until its transaction is committed (or failed).
func (w *writer) do(ctx context.Context, name string, fn func(t *txn) error) error {
	return w.submit(ctx, &op{name: name, fn: fn, done: make(chan error, 1)})
}

// doFreeing is do for an op that deletes or changes flags: on a full disk
// it may use the deletion reserve (space.go). fn may then run twice, so
// it must set its results afresh on each run.
func (w *writer) doFreeing(ctx context.Context, name string, fn func(t *txn) error) error {
	return w.submit(ctx, &op{name: name, fn: fn, done: make(chan error, 1), reserve: true})
}

// doSession is doFreeing for session state (op.lazy): a write that a
// power loss may undo, which then costs no fsync of its own.
func (w *writer) doSession(ctx context.Context, name string, fn func(t *txn) error) error {
	return w.submit(ctx, &op{name: name, fn: fn, done: make(chan error, 1), reserve: true, lazy: true, keepsDir: true})
}

// doMail is do for an op that leaves the directory alone (op.keepsDir).
func (w *writer) doMail(ctx context.Context, name string, fn func(t *txn) error) error {
	return w.submit(ctx, &op{name: name, fn: fn, done: make(chan error, 1), keepsDir: true})
}

// doFreeingMail is doFreeing for an op that leaves the directory alone.
func (w *writer) doFreeingMail(ctx context.Context, name string, fn func(t *txn) error) error {
	return w.submit(ctx, &op{name: name, fn: fn, done: make(chan error, 1), reserve: true, keepsDir: true})
}

func (w *writer) submit(ctx context.Context, o *op) error {
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return store.Errorf(store.KindClosed, o.name, "store is closed")
	}
	select {
	case w.ch <- o:
	case <-ctx.Done():
		w.mu.RUnlock()
		return store.Wrap(store.KindTemporary, o.name, ctx.Err())
	}
	w.mu.RUnlock()
	// Once queued, the write may commit whatever ctx does, so the caller
	// waits for its outcome: returning early would let it report failure
	// and remove a body file that a committed row then names. The wait is
	// bounded by one batch (the writer answers every queued op, also when
	// closing).
	return <-o.done
}

func (w *writer) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.ch)
	}
	w.mu.Unlock()
	<-w.done
	for _, st := range w.stmts {
		st.Close()
	}
	w.conn.Close()
}

func (w *writer) loop() {
	defer close(w.done)
	batch := make([]*op, 0, w.s.opts.MaxBatch)
	for first := range w.ch {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < cap(batch) {
			select {
			case o, ok := <-w.ch:
				if !ok {
					break drain
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		w.run(batch)
	}
}

// run executes one batch in one transaction and answers every op. When
// the disk is full, the ops that may use the deletion reserve run again,
// in a transaction of their own, once it is released (space.go).
func (w *writer) run(batch []*op) {
	start := time.Now()
	errs, full := w.runBatch(batch)
	if full {
		w.retryWithReserve(batch, errs)
	}
	if m := w.s.opts.Metrics; m != nil {
		m.ObserveCommit(len(batch), time.Since(start))
	}
	if !keepsDir(batch) {
		w.s.dir.flush() // before any caller reads the directory again
	}
	for i, o := range batch {
		if errs[i] == nil {
			w.s.Publish(o.changes...)
			for _, f := range o.after {
				f()
			}
		}
		o.done <- errs[i]
	}
}

// runBatch runs the ops in one transaction and returns their errors, and
// whether one failed because the disk is full.
func (w *writer) runBatch(batch []*op) (errs []error, full bool) {
	ctx := context.Background()
	errs = make([]error, len(batch))
	err := w.setLazy(ctx, allLazy(batch))
	if err == nil {
		err = w.exec(ctx, "BEGIN IMMEDIATE")
	}
	if err == nil {
		t := &txn{w: w, ctx: ctx}
		for i, o := range batch {
			errs[i] = t.runOp(o)
			full = full || store.IsKind(errs[i], store.KindNoSpace)
		}
		err = t.flushStates()
		if err == nil {
			err = w.syncDirs(batch, errs)
		}
		if err == nil {
			err = w.exec(ctx, "COMMIT")
		}
		if err != nil {
			w.exec(ctx, "ROLLBACK")
		}
	}
	if err != nil {
		// After SQLITE_FULL in an op, SQLite may have rolled the whole
		// transaction back, and COMMIT then fails for that reason.
		full = full || diskFull(err)
		kind := store.KindTemporary
		if full {
			kind = store.KindNoSpace
		}
		w.s.log.Error("store commit failed", "err", err, "batch", len(batch))
		for i := range errs {
			errs[i] = store.Wrap(kind, batch[i].name, err)
		}
	}
	return errs, full
}

// setLazy sets the connection's synchronous mode for the next commit: a
// batch of lazy ops only is committed with synchronous=NORMAL (in WAL mode
// the commit is not fsynced; the next durable commit fsyncs it along),
// every other with FULL (§Durability). An error for FULL fails the batch:
// it must not commit less durably than promised.
func (w *writer) setLazy(ctx context.Context, lazy bool) error {
	if lazy == w.lazy {
		return nil
	}
	mode := "FULL"
	if lazy {
		mode = "NORMAL"
	}
	if err := w.exec(ctx, "PRAGMA synchronous = "+mode); err != nil {
		if lazy {
			return nil // a lazy batch may well commit durably
		}
		return err
	}
	w.lazy = lazy
	return nil
}

func keepsDir(batch []*op) bool {
	for _, o := range batch {
		if !o.keepsDir {
			return false
		}
	}
	return true
}

func allLazy(batch []*op) bool {
	for _, o := range batch {
		if !o.lazy {
			return false
		}
	}
	return true
}

// retryWithReserve runs again, once the deletion reserve is released, the
// ops of a batch that failed for want of space and may use the reserve
// (op.reserve). The others keep their KindNoSpace.
func (w *writer) retryWithReserve(batch []*op, errs []error) {
	var again []*op
	var at []int
	for i, o := range batch {
		if o.reserve && store.IsKind(errs[i], store.KindNoSpace) {
			again = append(again, o)
			at = append(at, i)
		}
	}
	if len(again) == 0 || !w.s.space.release() {
		return
	}
	for _, o := range again {
		o.changes, o.after, o.syncDirs = nil, nil, nil
	}
	retried, _ := w.runBatch(again)
	for j, i := range at {
		errs[i] = retried[j]
	}
}

// syncDirs fsyncs, once each, the directories where the successful ops of
// the batch created body files, so those files survive a crash.
func (w *writer) syncDirs(batch []*op, errs []error) error {
	seen := make(map[string]bool)
	for i, o := range batch {
		if errs[i] != nil {
			continue
		}
		for _, d := range o.syncDirs {
			if seen[d] {
				continue
			}
			seen[d] = true
			if err := spool.SyncDir(d); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *writer) exec(ctx context.Context, q string) error {
	_, err := w.conn.ExecContext(ctx, q)
	return err
}

func (w *writer) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	w.stmts[q] = st
	return st, nil
}

// txn is the view an op has of the batch transaction.
type txn struct {
	w   *writer
	ctx context.Context
	op  *op
	// bumps counts the ops of the batch that changed each account, and
	// stamps lists them, for flushStates.
	bumps  map[store.AccountID]int
	stamps []stamp
}

func (t *txn) runOp(o *op) error {
	t.op = o
	if err := t.w.exec(t.ctx, "SAVEPOINT op"); err != nil {
		return wrap(store.KindTemporary, o.name, err)
	}
	err := o.fn(t)
	if err != nil {
		o.changes, o.after, o.syncDirs = nil, nil, nil
		if rerr := t.w.exec(t.ctx, "ROLLBACK TO op"); rerr != nil {
			return wrap(store.KindInternal, o.name, errors.Join(err, rerr))
		}
	}
	if rerr := t.w.exec(t.ctx, "RELEASE op"); rerr != nil && err == nil {
		err = rerr
	}
	if err == nil {
		t.countStates()
	}
	return wrap(store.KindInternal, o.name, err)
}

func (t *txn) exec(q string, args ...any) (sql.Result, error) {
	st, err := t.w.stmt(t.ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

func (t *txn) queryRow(q string, args ...any) *sql.Row {
	st, err := t.w.stmt(t.ctx, q)
	if err != nil {
		// A failed prepare surfaces as the row's error via a plain query.
		return t.w.conn.QueryRowContext(t.ctx, q, args...)
	}
	return st.QueryRowContext(t.ctx, args...)
}

func (t *txn) query(q string, args ...any) (*sql.Rows, error) {
	st, err := t.w.stmt(t.ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

// publish records a change to be published after the commit.
func (t *txn) publish(ch store.Change) { t.op.changes = append(t.op.changes, ch) }

// afterCommit runs f once the transaction has committed.
func (t *txn) afterCommit(f func()) { t.op.after = append(t.op.after, f) }
