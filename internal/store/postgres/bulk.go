package postgres

import (
	"context"

	"github.com/petrelmail/petrel/internal/store"
)

var _ store.BulkReader = (*Store)(nil)

// A bulk read takes at most this many rows, or about this many bytes of
// metadata and first chunks, per query.
const (
	bulkChunkRows  = 256
	bulkChunkBytes = 4 << 20
	// bulkMaxGap: runs of wanted UIDs closer than this are read with one
	// range query.
	bulkMaxGap = 64
)

// bulkRow is one row of a bulk read, held between the query and fn.
type bulkRow struct {
	msg  store.Message
	meta []byte
	body blobRow // when bodies are read
}

// ReadMessages implements store.BulkReader. Each run of wanted UIDs is
// read in chunks; a chunk's query is finished before fn sees its
// messages, so no connection is held while fn runs. A small body comes
// with its row; the chunks of a large one are read when fn reads them.
func (s *Store) ReadMessages(ctx context.Context, mailbox store.MailboxID, uids []store.UID, what store.ReadFlags,
	fn func(*store.MessageData) error) error {
	const op = "read messages"
	withBody := what&store.ReadBody != 0
	cols, from := prefixedMessageCols+", b.meta", "messages m JOIN blobs b ON b.id = m.blob"
	if withBody {
		cols += ", " + blobCols
	}
	q := `SELECT ` + cols + ` FROM ` + from + `
		WHERE m.mailbox = $1 AND m.uid BETWEEN $2 AND $3 ORDER BY m.uid LIMIT $4`
	uidOf := func(r *bulkRow) store.UID { return r.msg.UID }
	chunk := func(from, to store.UID) ([]bulkRow, bool, error) {
		rows, more, err := s.bulkChunk(ctx, q, mailbox, from, to, withBody)
		if err != nil {
			return nil, false, s.wrap(op, err)
		}
		return rows, more, nil
	}
	return store.ReadRuns(uids, bulkMaxGap, uidOf, chunk, func(r *bulkRow) error { return s.bulkCall(r, what, fn) })
}

// bulkChunk reads the first rows of [from, to]; more reports that the
// chunk stopped at a limit and rows above its last UID may remain.
func (s *Store) bulkChunk(ctx context.Context, q string, mailbox store.MailboxID, from, to store.UID,
	withBody bool) (out []bulkRow, more bool, err error) {
	rows, err := s.pool.Query(ctx, q, mailbox, int64(from), int64(to), bulkChunkRows)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	bytesRead := 0
	for rows.Next() {
		var r bulkRow
		dest := []any{&r.meta}
		if withBody {
			dest = append(dest, r.body.dest()...)
		}
		if r.msg, err = scanMessage(rows, dest...); err != nil {
			return nil, false, err
		}
		out = append(out, r)
		bytesRead += len(r.meta) + len(r.body.data)
		if bytesRead >= bulkChunkBytes && r.msg.UID < to {
			return out, true, nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	return out, len(out) == bulkChunkRows && out[len(out)-1].msg.UID < to, nil
}

// bulkCall decodes a row's metadata, makes its body, and calls fn.
func (s *Store) bulkCall(r *bulkRow, what store.ReadFlags, fn func(*store.MessageData) error) error {
	const op = "read messages"
	meta, err := store.DecodeMeta(r.meta, what)
	if err != nil {
		return store.Wrap(store.KindInternal, op, err)
	}
	d := &store.MessageData{Message: r.msg, Meta: meta}
	if what&store.ReadBody != 0 {
		d.Body = s.newBlob(r.msg.Blob, r.body)
		defer d.Body.Close()
	}
	return fn(d)
}
