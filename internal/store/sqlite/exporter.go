package sqlite

import (
	"context"

	"github.com/petrelmail/petrel/internal/store"
)

// The reads of a store copy (store.Exporter; docs/architecture.md §Store
// copy), in pages.

// ListMessages implements store.Exporter.
func (s *Store) ListMessages(ctx context.Context, mailbox store.MailboxID, after store.UID, limit int) ([]store.Message, error) {
	return s.queryMessages(ctx, "list messages", `SELECT `+messageCols+` FROM messages
		WHERE mailbox = ? AND uid > ? ORDER BY uid LIMIT ?`, mailbox, int64(after), limit)
}

// ExpungeLog implements store.Exporter.
func (s *Store) ExpungeLog(ctx context.Context, mailbox store.MailboxID, after store.UID, limit int) ([]store.Expunged, error) {
	return queryAll(ctx, s, "expunge log", func(sc scanner, e *store.Expunged) error { return sc.Scan(&e.UID, &e.ModSeq) },
		`SELECT uid, modseq FROM expunged WHERE mailbox = ? AND uid > ? ORDER BY uid LIMIT ?`, mailbox, int64(after), limit)
}

// ListThreadKeys implements store.Exporter.
func (s *Store) ListThreadKeys(ctx context.Context, account store.AccountID, after string, limit int) ([]store.ThreadKey, error) {
	return queryAll(ctx, s, "list thread keys", func(sc scanner, k *store.ThreadKey) error { return sc.Scan(&k.Key, &k.Thread) },
		`SELECT key, thread FROM thread_keys WHERE account = ? AND key > ? ORDER BY key LIMIT ?`, account, after, limit)
}

type scanner interface{ Scan(...any) error }

// queryAll reads every row of a query on the read pool with scan.
func queryAll[T any](ctx context.Context, s *Store, op string, scan func(scanner, *T) error, q string, args ...any) ([]T, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, store.Wrap(store.KindInternal, op, err)
		}
		out = append(out, v)
	}
	return out, store.Wrap(store.KindInternal, op, rows.Err())
}

// Counters implements store.Exporter. An email ID is a blob id
// (insertMessage), so the greatest ever handed out is the blobs table's
// AUTOINCREMENT mark (it counts the queue's bodies too: a bound, not an
// exact count).
func (s *Store) Counters(ctx context.Context) (store.Counters, error) {
	var c store.Counters
	err := s.rdb.QueryRowContext(ctx, `SELECT
		coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'blobs'), 0),
		coalesce((SELECT value FROM counters WHERE name = 'uidvalidity'), 0)`).Scan(&c.EmailID, &c.UIDValidity)
	return c, store.Wrap(store.KindInternal, "counters", err)
}
