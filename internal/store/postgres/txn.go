package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/petrelmail/petrel/internal/store"
)

// lockNotAvailable is the SQLSTATE of a lock_timeout (open.go).
const lockNotAvailable = "55P03"

// maxAttempts bounds the runs of a transaction that lost a deadlock or a
// serialization conflict (to another node, or to a concurrent call that
// locked the same rows in another order).
const maxAttempts = 8

// txn is one write transaction: the changes it makes are published after
// the commit, the account states raised and the other nodes notified in
// it (flush).
type txn struct {
	pgx.Tx
	ctx     context.Context
	s       *Store
	changes []store.Change
}

// write runs fn in a transaction and commits it; fn may run more than
// once (a lost deadlock), so it must set its results afresh on each run.
// It returns once the commit is durable (doc.go).
func (s *Store) write(ctx context.Context, op string, fn func(t *txn) error) error {
	if err := s.enter(op); err != nil {
		return err
	}
	defer s.leave()
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		start := time.Now()
		var changes []store.Change
		changes, err = s.runTx(ctx, fn)
		if err == nil {
			s.observeCommit(1, start)
			s.Publish(changes...)
			return nil
		}
		if isUnknownOutcome(err) {
			// It may have committed: this node's sessions re-read.
			s.resyncChanged(changes)
			break
		}
		if !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	return s.wrap(op, err)
}

// unknownOutcome is a failed COMMIT, or a connection lost once COMMIT was
// sent: the transaction may have committed (doc.go). It is temporary (the
// client retries: a 451, a NO [UNAVAILABLE]), and never run again here.
type unknownOutcome struct{ err error }

func (e *unknownOutcome) Error() string { return "commit outcome unknown: " + e.err.Error() }
func (e *unknownOutcome) Unwrap() error { return e.err }

func isUnknownOutcome(err error) bool {
	var u *unknownOutcome
	return errors.As(err, &u)
}

// commit commits tx; any failure is an unknownOutcome.
func commit(ctx context.Context, tx pgx.Tx) error {
	if err := tx.Commit(ctx); err != nil {
		return &unknownOutcome{err}
	}
	return nil
}

// resyncChanged tells this node's subscribers of the accounts of changes
// to resynchronise, after a commit whose outcome is unknown: had it
// committed, its events would be lost to them otherwise.
func (s *Store) resyncChanged(changes []store.Change) {
	var done []store.AccountID
	for _, ch := range changes {
		if !slices.Contains(done, ch.Account) {
			done = append(done, ch.Account)
			s.Resync(ch.Account)
		}
	}
}

func (s *Store) runTx(ctx context.Context, fn func(t *txn) error) ([]store.Change, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	t := &txn{Tx: tx, ctx: ctx, s: s}
	err = fn(t)
	if err == nil {
		err = t.flush()
	}
	if err == nil {
		// A COMMIT sent may succeed: its outcome is waited for even when
		// ctx ends; a failure of it is an unknownOutcome.
		err = commit(context.WithoutCancel(ctx), tx)
	}
	if err != nil {
		tx.Rollback(context.Background())
		return t.changes, err
	}
	return t.changes, nil
}

// publish records a change to be published after the commit.
func (t *txn) publish(ch store.Change) { t.changes = append(t.changes, ch) }

// flush raises the change state of every account the transaction changed
// by one, stamps the changes with the new value (store.Change.State),
// and sends them to the other nodes (feed.go).
func (t *txn) flush() error {
	if len(t.changes) == 0 {
		return nil
	}
	var accts []int64
	for _, ch := range t.changes {
		if !slices.Contains(accts, int64(ch.Account)) {
			accts = append(accts, int64(ch.Account))
		}
	}
	slices.Sort(accts)
	rows, err := t.Query(t.ctx, `UPDATE accounts SET state = state + 1 WHERE id = ANY($1) RETURNING id, state`, accts)
	if err != nil {
		return err
	}
	states := make(map[store.AccountID]store.State, len(accts))
	for rows.Next() {
		var a store.AccountID
		var st store.State
		if err := rows.Scan(&a, &st); err != nil {
			rows.Close()
			return err
		}
		states[a] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range t.changes {
		t.changes[i].State = states[t.changes[i].Account]
	}
	return t.notify()
}

func (t *txn) exec(q string, args ...any) (pgconn.CommandTag, error) {
	return t.Exec(t.ctx, q, args...)
}

func (t *txn) queryRow(q string, args ...any) pgx.Row { return t.QueryRow(t.ctx, q, args...) }

func (t *txn) query(q string, args ...any) (pgx.Rows, error) { return t.Query(t.ctx, q, args...) }

// retryable reports a transaction that lost a deadlock (40P01) or a
// serialization conflict (40001) and may run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001") && !isUnknownOutcome(err)
}

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// isUnique reports a unique_violation (23505).
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// wrap classifies err for the protocols (store.Kind): a store that is
// closed is KindClosed; a full disk (53100) KindNoSpace; a database that
// cannot be reached, is shutting down, lacks resources or lost a conflict
// too often is KindTemporary (a 4xx, NO [UNAVAILABLE]); the rest is
// KindInternal.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *store.Error
	if errors.As(err, &se) {
		return err
	}
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return store.Wrap(store.KindClosed, op, err)
	}
	return store.Wrap(kindOf(err), op, err)
}

func kindOf(err error) store.Kind {
	if isUnknownOutcome(err) || errors.Is(err, pgconn.ErrConnClosed) {
		return store.KindTemporary
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "53100":
			return store.KindNoSpace
		case pe.Code == errBodyGone, pe.Code == lockNotAvailable, pe.Code == "25P03":
			// a body swept meanwhile; a lock_timeout, an
			// idle_in_transaction_session_timeout (open.go)
			return store.KindTemporary
		case pe.Code[:2] == "08", pe.Code[:2] == "53", pe.Code[:2] == "57", pe.Code[:2] == "40", pe.Code == "25006":
			// connection, resources, operator intervention (shutdown),
			// transaction rollback, read-only (a standby)
			return store.KindTemporary
		}
		return store.KindInternal
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return store.KindTemporary
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return store.KindTemporary // the connection was lost
	}
	return store.KindInternal
}
