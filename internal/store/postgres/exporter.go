package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/store"
)

// The reads of a store copy (store.Exporter; docs/architecture.md §Store
// copy), in pages.

// ListMessages implements store.Exporter.
func (s *Store) ListMessages(ctx context.Context, mailbox store.MailboxID, after store.UID, limit int) ([]store.Message, error) {
	return s.queryMessages(ctx, "list messages", `SELECT `+messageCols+` FROM messages
		WHERE mailbox = $1 AND uid > $2 ORDER BY uid LIMIT $3`, mailbox, int64(after), limit)
}

// ExpungeLog implements store.Exporter.
func (s *Store) ExpungeLog(ctx context.Context, mailbox store.MailboxID, after store.UID, limit int) ([]store.Expunged, error) {
	return queryAll(ctx, s, "expunge log", func(r pgx.Rows, e *store.Expunged) error { return r.Scan(&e.UID, &e.ModSeq) },
		`SELECT uid, modseq FROM expunged WHERE mailbox = $1 AND uid > $2 ORDER BY uid LIMIT $3`, mailbox, int64(after), limit)
}

// ListThreadKeys implements store.Exporter. The keys are COLLATE "C"
// (migration 2): byte order, along the primary key.
func (s *Store) ListThreadKeys(ctx context.Context, account store.AccountID, after string, limit int) ([]store.ThreadKey, error) {
	return queryAll(ctx, s, "list thread keys", func(r pgx.Rows, k *store.ThreadKey) error { return r.Scan(&k.Key, &k.Thread) },
		`SELECT key, thread FROM thread_keys WHERE account = $1 AND key > $2 ORDER BY key LIMIT $3`, account, after, limit)
}

// queryAll reads every row of a query with scan.
func queryAll[T any](ctx context.Context, s *Store, op string, scan func(pgx.Rows, *T) error, q string, args ...any) ([]T, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, s.wrap(op, err)
		}
		out = append(out, v)
	}
	return out, s.wrap(op, rows.Err())
}

// Counters implements store.Exporter: the last values of the sequences of
// blob ids (email IDs; the queue's bodies take some too: a bound, not an
// exact count) and of UIDVALIDITY.
func (s *Store) Counters(ctx context.Context) (store.Counters, error) {
	var c store.Counters
	var uv int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(pg_sequence_last_value(`+blobSeq+`), 0),
		coalesce(pg_sequence_last_value('uidvalidity'), 0)`).Scan(&c.EmailID, &uv)
	c.UIDValidity = uint32(uv)
	return c, s.wrap("counters", err)
}
