package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

const queueCols = `id, seq, origin, sender, envid, ret, smtputf8, body_type, arrived, size, blob, warned,
	claim_owner, claim_until, require_tls, tls_optional`

// QueuedMessage returns one queued message with its recipients.
func (s *Store) QueuedMessage(ctx context.Context, id string) (store.QueuedMessage, error) {
	const op = "queued message"
	ms, err := s.queuedWhere(ctx, `WHERE id = ?`, id)
	if err != nil {
		return store.QueuedMessage{}, err
	}
	if len(ms) == 0 {
		return store.QueuedMessage{}, store.Errorf(store.KindNotFound, op, "no queued message %s", id)
	}
	return ms[0], nil
}

// QueuedMessages lists the whole queue, oldest first.
func (s *Store) QueuedMessages(ctx context.Context) ([]store.QueuedMessage, error) {
	return s.queuedWhere(ctx, `ORDER BY seq`)
}

func (s *Store) queuedWhere(ctx context.Context, where string, args ...any) ([]store.QueuedMessage, error) {
	const op = "queued messages"
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+queueCols+` FROM queue `+where, args...)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	var out []store.QueuedMessage
	var seqs []int64
	for rows.Next() {
		var m store.QueuedMessage
		var seq, arrived, until int64
		var utf8, warned bool
		if err := rows.Scan(&m.ID, &seq, &m.Origin, &m.From, &m.EnvID, &m.Ret, &utf8, &m.BodyType,
			&arrived, &m.Size, &m.Blob, &warned, &m.ClaimOwner, &until, &m.RequireTLS, &m.TLSOptional); err != nil {
			rows.Close()
			return nil, store.Wrap(store.KindInternal, op, err)
		}
		m.SMTPUTF8, m.DelayWarned, m.Arrived, m.ClaimUntil = utf8, warned, fromMS(arrived), fromMS(until)
		out, seqs = append(out, m), append(seqs, seq)
	}
	if err := rows.Close(); err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	for i := range out {
		if out[i].Rcpts, err = s.queuedRcpts(ctx, seqs[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) queuedRcpts(ctx context.Context, seq int64) ([]store.QueuedRcpt, error) {
	const op = "queued recipients"
	rows, err := s.rdb.QueryContext(ctx, `SELECT idx, addr, domain, orcpt, notify, state, attempts, next_attempt,
		last_attempt, last_error, status, remote_mta FROM queue_rcpts WHERE seq = ? ORDER BY idx`, seq)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	defer rows.Close()
	var out []store.QueuedRcpt
	for rows.Next() {
		var r store.QueuedRcpt
		var notify string
		var next, last int64
		if err := rows.Scan(&r.Index, &r.Addr, &r.Domain, &r.ORcpt, &notify, &r.State, &r.Attempts, &next,
			&last, &r.LastError, &r.Status, &r.RemoteMTA); err != nil {
			return nil, store.Wrap(store.KindInternal, op, err)
		}
		if notify != "" {
			r.Notify = strings.Split(notify, ",")
		}
		r.NextAttempt, r.LastAttempt = fromMS(next), fromMS(last)
		out = append(out, r)
	}
	return out, store.Wrap(store.KindInternal, op, rows.Err())
}

// NextDue is the earliest retry time of a deferred recipient.
func (s *Store) NextDue(ctx context.Context) (time.Time, error) {
	var v sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `SELECT min(next_attempt) FROM queue_rcpts WHERE state = 1`).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, store.Wrap(store.KindInternal, "next due", err)
	}
	if !v.Valid {
		return time.Time{}, nil
	}
	return fromMS(v.Int64), nil
}

// QueueCounts counts the recipients of queued messages by state.
func (s *Store) QueueCounts(ctx context.Context) (store.QueueCounts, error) {
	const op = "queue counts"
	rows, err := s.rdb.QueryContext(ctx, `SELECT state, count(*) FROM queue_rcpts GROUP BY state`)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	defer rows.Close()
	out := store.QueueCounts{}
	for rows.Next() {
		var st store.RcptState
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, store.Wrap(store.KindInternal, op, err)
		}
		out[st] = n
	}
	return out, store.Wrap(store.KindInternal, op, rows.Err())
}
