package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

var _ store.Queue = (*Store)(nil)

// Enqueue stores a body blob and the queue rows in one op of the group
// commit, and returns once they are durable (docs/architecture.md
// §Durability).
func (s *Store) Enqueue(ctx context.Context, m store.NewQueued) (store.QueuedMessage, error) {
	const op = "enqueue"
	if m.ID == "" || len(m.Rcpts) == 0 {
		return store.QueuedMessage{}, store.Errorf(store.KindInvalid, op, "no ID or no recipients")
	}
	if err := s.space.admit(op); err != nil {
		return store.QueuedMessage{}, err
	}
	// A queued body is sent as it is, never read as a message of a
	// mailbox: no metadata is parsed for it (an empty record is kept).
	b, err := s.intake(m.Body, &msgmeta.Meta{})
	if err != nil {
		return store.QueuedMessage{}, err
	}
	if m.Arrived.IsZero() {
		m.Arrived = time.Now()
	}
	q := m.Queued(b.size)
	err = s.w.doMail(ctx, op, func(t *txn) error {
		if err := t.enqueue(b, &q); err != nil {
			return err
		}
		if b.rel != "" {
			t.op.syncDirs = append(t.op.syncDirs, s.blobDirOf(b.rel))
		}
		return nil
	})
	if err != nil {
		s.removeBlobFile(b.rel)
		if strings.Contains(err.Error(), "UNIQUE") {
			return store.QueuedMessage{}, store.Errorf(store.KindExists, op, "queue ID %s exists", m.ID)
		}
		return store.QueuedMessage{}, err
	}
	return q, nil
}

func (t *txn) enqueue(b *body, q *store.QueuedMessage) error {
	var seq int64
	if err := t.queryRow(`INSERT INTO counters(name, value) VALUES ('queue_seq', 1)
		ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value`).Scan(&seq); err != nil {
		return err
	}
	blob, err := t.insertBlob(b, 1)
	if err != nil {
		return err
	}
	q.Blob = blob
	if _, err := t.exec(`INSERT INTO queue(id, seq, origin, sender, envid, ret, smtputf8, body_type, arrived, size, blob,
		require_tls, tls_optional) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, q.ID, seq, q.Origin, q.From, q.EnvID, q.Ret,
		boolInt(q.SMTPUTF8), q.BodyType, ms(q.Arrived), q.Size, blob, boolInt(q.RequireTLS), boolInt(q.TLSOptional)); err != nil {
		return err
	}
	for _, r := range q.Rcpts {
		if _, err := t.exec(`INSERT INTO queue_rcpts(seq, idx, addr, domain, orcpt, notify, state)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, seq, r.Index, r.Addr, r.Domain, r.ORcpt, strings.Join(r.Notify, ","), int(r.State)); err != nil {
			return err
		}
	}
	return nil
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

func (t *txn) queueSeq(id string) (int64, store.BlobID, error) {
	var seq int64
	var blob store.BlobID
	err := t.queryRow(`SELECT seq, blob FROM queue WHERE id = ?`, id).Scan(&seq, &blob)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, store.Errorf(store.KindNotFound, "queue", "no queued message %s", id)
	}
	return seq, blob, err
}

func (t *txn) removeQueued(seq int64, blob store.BlobID) error {
	if _, err := t.exec(`DELETE FROM queue_rcpts WHERE seq = ?`, seq); err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM queue WHERE seq = ?`, seq); err != nil {
		return err
	}
	return t.releaseBlobs(map[store.BlobID]int64{blob: 1})
}

// DeleteQueued removes a message and its recipients, without a report.
func (s *Store) DeleteQueued(ctx context.Context, id string) error {
	return s.w.doFreeingMail(ctx, "delete queued", func(t *txn) error {
		seq, blob, err := t.queueSeq(id)
		if err != nil {
			return err
		}
		return t.removeQueued(seq, blob)
	})
}

// RetryQueued makes deferred recipients due at now.
func (s *Store) RetryQueued(ctx context.Context, id string, now time.Time) (int, error) {
	var n int64
	err := s.w.doMail(ctx, "retry queued", func(t *txn) error {
		var res sql.Result
		var err error
		// A held recipient (state 4) is released: new mail again.
		if id == "" {
			res, err = t.exec(`UPDATE queue_rcpts SET next_attempt = ?, state = CASE state WHEN 4 THEN 0 ELSE state END
				WHERE state IN (1, 4)`, ms(now))
		} else {
			var seq int64
			if seq, _, err = t.queueSeq(id); err != nil {
				return err
			}
			res, err = t.exec(`UPDATE queue_rcpts SET next_attempt = ?, state = CASE state WHEN 4 THEN 0 ELSE state END
				WHERE state IN (1, 4) AND seq = ?`, ms(now), seq)
		}
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
