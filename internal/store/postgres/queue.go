package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

var _ store.Queue = (*Store)(nil)

// Enqueue stores a body blob and the queue rows in one transaction, and
// returns once it has committed (docs/architecture.md §Durability).
func (s *Store) Enqueue(ctx context.Context, m store.NewQueued) (store.QueuedMessage, error) {
	const op = "enqueue"
	if m.ID == "" || len(m.Rcpts) == 0 {
		return store.QueuedMessage{}, store.Errorf(store.KindInvalid, op, "no ID or no recipients")
	}
	if err := s.enter(op); err != nil {
		return store.QueuedMessage{}, err
	}
	defer s.leave()
	// A queued body is sent as it is, never read as a message of a
	// mailbox: no metadata is parsed for it (an empty record is kept).
	b, err := s.intake(ctx, m.Body, &msgmeta.Meta{})
	if err != nil {
		return store.QueuedMessage{}, err
	}
	if m.Arrived.IsZero() {
		m.Arrived = time.Now()
	}
	q := m.Queued(b.size)
	err = s.write(ctx, op, func(t *txn) error {
		err := t.enqueue(b, &q)
		if isUnique(err) {
			return store.Errorf(store.KindExists, op, "queue ID %s exists", m.ID)
		}
		return err
	})
	if err != nil {
		s.dropPending(b)
		return store.QueuedMessage{}, err
	}
	return q, nil
}

func (t *txn) enqueue(b *body, q *store.QueuedMessage) error {
	blob, err := t.insertBlob(b, 1)
	if err != nil {
		return err
	}
	q.Blob = blob
	var seq int64
	if err := t.queryRow(`INSERT INTO queue(id, origin, sender, envid, ret, smtputf8, body_type, arrived, size, blob,
		require_tls, tls_optional) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING seq`,
		q.ID, q.Origin, q.From, q.EnvID, q.Ret, q.SMTPUTF8, q.BodyType, ms(q.Arrived), q.Size, blob,
		q.RequireTLS, q.TLSOptional).Scan(&seq); err != nil {
		return err
	}
	idx := make([]int32, len(q.Rcpts))
	addr := make([]string, len(q.Rcpts))
	domain := make([]string, len(q.Rcpts))
	orcpt := make([]string, len(q.Rcpts))
	notify := make([]string, len(q.Rcpts))
	for i, r := range q.Rcpts {
		idx[i], addr[i], domain[i], orcpt[i], notify[i] = int32(r.Index), r.Addr, r.Domain, r.ORcpt, strings.Join(r.Notify, ",")
	}
	var state int32 // every recipient starts in the same state
	if len(q.Rcpts) > 0 {
		state = int32(q.Rcpts[0].State)
	}
	_, err = t.exec(`INSERT INTO queue_rcpts(seq, idx, addr, domain, orcpt, notify, state)
		SELECT $1, *, $7 FROM unnest($2::integer[], $3::text[], $4::text[], $5::text[], $6::text[])`,
		seq, idx, addr, domain, orcpt, notify, state)
	return err
}

// ms is a time as stored: Unix milliseconds, 0 for the zero time.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

// queueSeq finds a queued message and locks its row.
func (t *txn) queueSeq(id string) (seq int64, blob store.BlobID, owner string, err error) {
	err = t.queryRow(`SELECT seq, blob, claim_owner FROM queue WHERE id = $1 FOR UPDATE`, id).Scan(&seq, &blob, &owner)
	if isNoRows(err) {
		err = store.Errorf(store.KindNotFound, "queue", "no queued message %s", id)
	}
	return
}

// removeQueued deletes a message, its recipients (ON DELETE CASCADE) and
// its body reference.
func (t *txn) removeQueued(seq int64, blob store.BlobID) error {
	if _, err := t.exec(`DELETE FROM queue WHERE seq = $1`, seq); err != nil {
		return err
	}
	return t.releaseBlobs(map[store.BlobID]int64{blob: 1})
}

// DeleteQueued removes a message and its recipients, without a report.
func (s *Store) DeleteQueued(ctx context.Context, id string) error {
	return s.write(ctx, "delete queued", func(t *txn) error {
		seq, blob, _, err := t.queueSeq(id)
		if err != nil {
			return err
		}
		return t.removeQueued(seq, blob)
	})
}

// RetryQueued makes deferred recipients due at now.
func (s *Store) RetryQueued(ctx context.Context, id string, now time.Time) (int, error) {
	var n int64
	err := s.write(ctx, "retry queued", func(t *txn) error {
		// A held recipient (state 4) is released: new mail again.
		q, args := `UPDATE queue_rcpts SET next_attempt = $1, state = CASE state WHEN 4 THEN 0 ELSE state END
			WHERE state IN (1, 4)`, []any{ms(now)}
		if id != "" {
			seq, _, _, err := t.queueSeq(id)
			if err != nil {
				return err
			}
			q, args = q+` AND seq = $2`, append(args, seq)
		}
		tag, err := t.exec(q, args...)
		n = tag.RowsAffected()
		return err
	})
	return int(n), err
}

const queueCols = `id, seq, origin, sender, envid, ret, smtputf8, body_type, arrived, size, blob, warned,
	claim_owner, claim_until, require_tls, tls_optional`

// QueuedMessage returns one queued message with its recipients.
func (s *Store) QueuedMessage(ctx context.Context, id string) (store.QueuedMessage, error) {
	const op = "queued message"
	ms, err := s.queuedWhere(ctx, `WHERE id = $1`, id)
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

// queuedWhere reads messages and then, in one query, their recipients.
func (s *Store) queuedWhere(ctx context.Context, where string, args ...any) ([]store.QueuedMessage, error) {
	const op = "queued messages"
	rows, err := s.pool.Query(ctx, `SELECT `+queueCols+` FROM queue `+where, args...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	var out []store.QueuedMessage
	var seqs []int64
	at := make(map[int64]int)
	for rows.Next() {
		var m store.QueuedMessage
		var seq, arrived, until int64
		if err := rows.Scan(&m.ID, &seq, &m.Origin, &m.From, &m.EnvID, &m.Ret, &m.SMTPUTF8, &m.BodyType,
			&arrived, &m.Size, &m.Blob, &m.DelayWarned, &m.ClaimOwner, &until, &m.RequireTLS, &m.TLSOptional); err != nil {
			rows.Close()
			return nil, s.wrap(op, err)
		}
		m.Arrived, m.ClaimUntil = fromMS(arrived), fromMS(until)
		at[seq] = len(out)
		out, seqs = append(out, m), append(seqs, seq)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.wrap(op, err)
	}
	if len(out) == 0 {
		return out, nil
	}
	rows, err = s.pool.Query(ctx, `SELECT seq, idx, addr, domain, orcpt, notify, state, attempts, next_attempt,
		last_attempt, last_error, status, remote_mta FROM queue_rcpts WHERE seq = ANY($1) ORDER BY seq, idx`, seqs)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r store.QueuedRcpt
		var seq, next, last int64
		var notify string
		var state int
		if err := rows.Scan(&seq, &r.Index, &r.Addr, &r.Domain, &r.ORcpt, &notify, &state, &r.Attempts, &next,
			&last, &r.LastError, &r.Status, &r.RemoteMTA); err != nil {
			return nil, s.wrap(op, err)
		}
		if notify != "" {
			r.Notify = strings.Split(notify, ",")
		}
		r.State, r.NextAttempt, r.LastAttempt = store.RcptState(state), fromMS(next), fromMS(last)
		if i, ok := at[seq]; ok {
			out[i].Rcpts = append(out[i].Rcpts, r)
		}
	}
	return out, s.wrap(op, rows.Err())
}

// NextDue is the earliest retry time of a deferred recipient.
func (s *Store) NextDue(ctx context.Context) (time.Time, error) {
	var v *int64
	err := s.pool.QueryRow(ctx, `SELECT min(next_attempt) FROM queue_rcpts WHERE state = 1`).Scan(&v)
	if err != nil {
		return time.Time{}, s.wrap("next due", err)
	}
	if v == nil {
		return time.Time{}, nil
	}
	return fromMS(*v), nil
}

// QueueCounts counts the recipients of queued messages by state.
func (s *Store) QueueCounts(ctx context.Context) (store.QueueCounts, error) {
	const op = "queue counts"
	rows, err := s.pool.Query(ctx, `SELECT state, count(*) FROM queue_rcpts GROUP BY state`)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	out := store.QueueCounts{}
	for rows.Next() {
		var st int
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, s.wrap(op, err)
		}
		out[store.RcptState(st)] = n
	}
	return out, s.wrap(op, rows.Err())
}
