package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"

	"github.com/petrelmail/petrel/internal/store"
)

var _ store.BulkReader = (*Store)(nil)

// A bulk read takes at most this many rows, or about this many bytes of
// metadata and bodies, per query.
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
	data []byte
	path sql.NullString
	size int64
}

// ReadMessages implements store.BulkReader. Each run of wanted UIDs is
// read in chunks; a chunk's query is finished before fn sees its
// messages, so no read transaction stays open while fn runs.
func (s *Store) ReadMessages(ctx context.Context, mailbox store.MailboxID, uids []store.UID, what store.ReadFlags,
	fn func(*store.MessageData) error) error {
	const op = "read messages"
	withBody := what&store.ReadBody != 0
	// The metadata comes from blob_meta; the blobs rows (with inline
	// bodies) are read only when the bodies are wanted.
	cols, from := prefixedMessageCols+", bm.meta", "messages m JOIN blob_meta bm ON bm.id = m.blob"
	if withBody {
		cols += ", b.data, b.path, b.size"
		from += " JOIN blobs b ON b.id = m.blob"
	}
	q := `SELECT ` + cols + ` FROM ` + from + `
		WHERE m.mailbox = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid LIMIT ?`
	uidOf := func(r *bulkRow) store.UID { return r.msg.UID }
	chunk := func(from, to store.UID) ([]bulkRow, bool, error) {
		rows, more, err := s.bulkChunk(ctx, q, mailbox, from, to, withBody)
		if err != nil {
			return nil, false, store.Wrap(store.KindInternal, op, err)
		}
		return rows, more, nil
	}
	return store.ReadRuns(uids, bulkMaxGap, uidOf, chunk, func(r *bulkRow) error { return s.bulkCall(r, what, fn) })
}

// bulkChunk reads the first rows of [from, to]; more reports that the
// chunk stopped at a limit and rows above its last UID may remain.
func (s *Store) bulkChunk(ctx context.Context, q string, mailbox store.MailboxID, from, to store.UID,
	withBody bool) (out []bulkRow, more bool, err error) {
	rows, err := s.rdb.QueryContext(ctx, q, mailbox, int64(from), int64(to), bulkChunkRows)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	bytesRead := 0
	for rows.Next() {
		var r bulkRow
		dest := []any{&r.meta}
		if withBody {
			dest = append(dest, &r.data, &r.path, &r.size)
		}
		if r.msg, err = scanMessage(scanExtra{rows, dest}); err != nil {
			return nil, false, err
		}
		out = append(out, r)
		bytesRead += len(r.meta) + len(r.data)
		if bytesRead >= bulkChunkBytes && r.msg.UID < to {
			return out, true, nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	return out, len(out) == bulkChunkRows && out[len(out)-1].msg.UID < to, nil
}

// bulkCall decodes a row's metadata, opens its body, and calls fn.
func (s *Store) bulkCall(r *bulkRow, what store.ReadFlags, fn func(*store.MessageData) error) error {
	const op = "read messages"
	meta, err := store.DecodeMeta(r.meta, what)
	if err != nil {
		return store.Wrap(store.KindInternal, op, err)
	}
	d := &store.MessageData{Message: r.msg, Meta: meta}
	if what&store.ReadBody != 0 {
		if !r.path.Valid || r.path.String == "" {
			d.Body = &memBlob{Reader: bytes.NewReader(r.data)}
		} else {
			lf := &lazyFileBlob{path: filepath.Join(s.blobDir, r.path.String), size: r.size}
			defer lf.Close()
			d.Body = lf
		}
	}
	return fn(d)
}

// scanExtra scans the columns of scanMessage followed by extra ones.
type scanExtra struct {
	sc    interface{ Scan(...any) error }
	extra []any
}

func (s scanExtra) Scan(dest ...any) error { return s.sc.Scan(append(dest, s.extra...)...) }

// lazyFileBlob is a body file opened on first read: a SEARCH that
// matches on the header never opens it.
type lazyFileBlob struct {
	path string
	size int64
	f    *os.File
	err  error
}

func (l *lazyFileBlob) file() (*os.File, error) {
	if l.f == nil && l.err == nil {
		l.f, l.err = os.Open(l.path)
		if l.err != nil {
			l.err = store.Wrap(store.KindInternal, "open blob", l.err)
		}
	}
	return l.f, l.err
}

func (l *lazyFileBlob) Read(p []byte) (int, error) {
	f, err := l.file()
	if err != nil {
		return 0, err
	}
	return f.Read(p)
}

func (l *lazyFileBlob) ReadAt(p []byte, off int64) (int, error) {
	f, err := l.file()
	if err != nil {
		return 0, err
	}
	return f.ReadAt(p, off)
}

func (l *lazyFileBlob) Size() int64 { return l.size }

// Close closes the file if it was opened; closing twice is harmless.
func (l *lazyFileBlob) Close() error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f, l.err = nil, os.ErrClosed
	return err
}
