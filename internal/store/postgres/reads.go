package postgres

import (
	"context"
	"math"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

func (s *Store) queryMessages(ctx context.Context, op, q string, args ...any) ([]store.Message, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	var out []store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, s.wrap(op, err)
		}
		out = append(out, m)
	}
	return out, s.wrap(op, rows.Err())
}

// uidRange is [from, to] with to == 0 meaning no upper bound.
func uidRange(from, to store.UID) (int64, int64) {
	if to == 0 {
		return int64(from), math.MaxUint32
	}
	return int64(from), int64(to)
}

func (s *Store) Messages(ctx context.Context, mailbox store.MailboxID, from, to store.UID) ([]store.Message, error) {
	lo, hi := uidRange(from, to)
	return s.queryMessages(ctx, "messages", `SELECT `+messageCols+` FROM messages
		WHERE mailbox = $1 AND uid BETWEEN $2 AND $3 ORDER BY uid`, mailbox, lo, hi)
}

func (s *Store) ChangedSince(ctx context.Context, mailbox store.MailboxID, since store.ModSeq) ([]store.Message, error) {
	return s.queryMessages(ctx, "changed since", `SELECT `+messageCols+` FROM messages
		WHERE mailbox = $1 AND modseq > $2 ORDER BY uid`, mailbox, int64(since))
}

func (s *Store) ExpungedSince(ctx context.Context, mailbox store.MailboxID, since store.ModSeq) ([]store.UID, error) {
	const op = "expunged since"
	rows, err := s.pool.Query(ctx, `SELECT uid FROM expunged WHERE mailbox = $1 AND modseq > $2 ORDER BY uid`, mailbox, int64(since))
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	var out []store.UID
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			return nil, s.wrap(op, err)
		}
		out = append(out, store.UID(u))
	}
	return out, s.wrap(op, rows.Err())
}

func (s *Store) Meta(ctx context.Context, mailbox store.MailboxID, uid store.UID) (*msgmeta.Meta, error) {
	const op = "meta"
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT b.meta FROM messages m JOIN blobs b ON b.id = m.blob
		WHERE m.mailbox = $1 AND m.uid = $2`, mailbox, int64(uid)).Scan(&raw)
	if isNoRows(err) {
		return nil, store.Errorf(store.KindNotFound, op, "no such message")
	}
	if err != nil {
		return nil, s.wrap(op, err)
	}
	m, err := msgmeta.Unmarshal(raw)
	return m, store.Wrap(store.KindInternal, op, err)
}

func (s *Store) Quota(ctx context.Context, account store.AccountID) (store.Quota, error) {
	a, err := s.Account(ctx, account)
	return a.Quota, err
}

// WireSizes reads the messages with the wire size of their metadata
// (msgmeta.Meta.WireSize) in one query; the metadata is decoded without
// its headers, which a size does not need.
func (s *Store) WireSizes(ctx context.Context, mailbox store.MailboxID, from, to store.UID) ([]store.SizedMessage, error) {
	const op = "wire sizes"
	lo, hi := uidRange(from, to)
	rows, err := s.pool.Query(ctx, `SELECT `+prefixedMessageCols+`, b.meta
		FROM messages m JOIN blobs b ON b.id = m.blob
		WHERE m.mailbox = $1 AND m.uid BETWEEN $2 AND $3 ORDER BY m.uid`, mailbox, lo, hi)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	var out []store.SizedMessage
	for rows.Next() {
		var sm store.SizedMessage
		var raw []byte
		if sm.Message, err = scanMessage(rows, &raw); err != nil {
			return nil, s.wrap(op, err)
		}
		meta, err := msgmeta.UnmarshalWithoutHeaders(raw)
		if err != nil {
			return nil, store.Wrap(store.KindInternal, op, err)
		}
		sm.WireSize = meta.WireSize
		out = append(out, sm)
	}
	return out, s.wrap(op, rows.Err())
}
