package sqlite

import (
	"context"
	"math"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

func (s *Store) queryMessages(ctx context.Context, op, q string, args ...any) ([]store.Message, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	defer rows.Close()
	var out []store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, store.Wrap(store.KindInternal, op, err)
		}
		out = append(out, m)
	}
	return out, store.Wrap(store.KindInternal, op, rows.Err())
}

func (s *Store) Messages(ctx context.Context, mailbox store.MailboxID, from, to store.UID) ([]store.Message, error) {
	hi := int64(to)
	if to == 0 {
		hi = math.MaxUint32
	}
	return s.queryMessages(ctx, "messages", `SELECT `+messageCols+` FROM messages
		WHERE mailbox = ? AND uid BETWEEN ? AND ? ORDER BY uid`, mailbox, int64(from), hi)
}

func (s *Store) ChangedSince(ctx context.Context, mailbox store.MailboxID, since store.ModSeq) ([]store.Message, error) {
	return s.queryMessages(ctx, "changed since", `SELECT `+messageCols+` FROM messages
		WHERE mailbox = ? AND modseq > ? ORDER BY uid`, mailbox, int64(since))
}

func (s *Store) ExpungedSince(ctx context.Context, mailbox store.MailboxID, since store.ModSeq) ([]store.UID, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT uid FROM expunged WHERE mailbox = ? AND modseq > ? ORDER BY uid`, mailbox, int64(since))
	if err != nil {
		return nil, store.Wrap(store.KindInternal, "expunged since", err)
	}
	defer rows.Close()
	var out []store.UID
	for rows.Next() {
		var u store.UID
		if err := rows.Scan(&u); err != nil {
			return nil, store.Wrap(store.KindInternal, "expunged since", err)
		}
		out = append(out, u)
	}
	return out, store.Wrap(store.KindInternal, "expunged since", rows.Err())
}

func (s *Store) Meta(ctx context.Context, mailbox store.MailboxID, uid store.UID) (*msgmeta.Meta, error) {
	const op = "meta"
	var raw []byte
	err := s.rdb.QueryRowContext(ctx, `SELECT bm.meta FROM messages m JOIN blob_meta bm ON bm.id = m.blob
		WHERE m.mailbox = ? AND m.uid = ?`, mailbox, uid).Scan(&raw)
	if isNoRows(err) {
		return nil, store.Errorf(store.KindNotFound, op, "no such message")
	}
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	m, err := msgmeta.Unmarshal(raw)
	return m, store.Wrap(store.KindInternal, op, err)
}

func (s *Store) Quota(ctx context.Context, account store.AccountID) (store.Quota, error) {
	a, err := s.Account(ctx, account)
	return a.Quota, err
}

// WireSizes reads the messages with the wire size from their blob's
// metadata JSON (key "ws", see msgmeta.Meta.WireSize) in one query.
func (s *Store) WireSizes(ctx context.Context, mailbox store.MailboxID, from, to store.UID) ([]store.SizedMessage, error) {
	const op = "wire sizes"
	hi := int64(to)
	if to == 0 {
		hi = math.MaxUint32
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+prefixedMessageCols+`, coalesce(json_extract(bm.meta, '$.ws'), 0)
		FROM messages m JOIN blob_meta bm ON bm.id = m.blob
		WHERE m.mailbox = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid`, mailbox, int64(from), hi)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	defer rows.Close()
	var out []store.SizedMessage
	for rows.Next() {
		var sm store.SizedMessage
		var ws int64
		sm.Message, err = scanMessage(scanWith{rows, &ws})
		if err != nil {
			return nil, store.Wrap(store.KindInternal, op, err)
		}
		sm.WireSize = ws
		out = append(out, sm)
	}
	return out, store.Wrap(store.KindInternal, op, rows.Err())
}

// prefixedMessageCols is messageCols for a query on "messages m".
const prefixedMessageCols = `m.mailbox, m.uid, m.modseq, m.flags, m.keywords, m.idate, m.izone, m.size, m.blob,
	m.threadid, m.saved`

// scanWith scans the columns of scanMessage followed by extra ones.
type scanWith struct {
	sc    interface{ Scan(...any) error }
	extra any
}

func (s scanWith) Scan(dest ...any) error { return s.sc.Scan(append(dest, s.extra)...) }
