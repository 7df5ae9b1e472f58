package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// Backfills are the data changes of a migration that SQL alone cannot
// make. The migration names them in the backfills table; runBackfills,
// in the migration's transaction, does each and deletes its name, so a
// crash in between leaves the whole migration to do again.
var backfills = map[string]func(ctx context.Context, c connExec, blobDir string) error{
	"threads":   backfillThreads,
	"wire_size": backfillWireSize,
}

func runBackfills(ctx context.Context, conn *sql.Conn, blobDir string) error {
	c := connExec{ctx: ctx, conn: conn}
	names, err := c.strings(`SELECT name FROM backfills ORDER BY name`)
	if err != nil {
		return fmt.Errorf("read backfills: %w", err)
	}
	for _, name := range names {
		fn := backfills[name]
		if fn == nil {
			return fmt.Errorf("unknown backfill %q", name)
		}
		if err := fn(ctx, c, blobDir); err != nil {
			return fmt.Errorf("backfill %s: %w", name, err)
		}
		if _, err := c.exec(`DELETE FROM backfills WHERE name = ?`, name); err != nil {
			return fmt.Errorf("backfill %s: %w", name, err)
		}
	}
	return nil
}

// connExec runs statements on the migration's connection (sqlExec).
type connExec struct {
	ctx  context.Context
	conn *sql.Conn
}

func (c connExec) exec(q string, args ...any) (sql.Result, error) {
	return c.conn.ExecContext(c.ctx, q, args...)
}

func (c connExec) query(q string, args ...any) (*sql.Rows, error) {
	return c.conn.QueryContext(c.ctx, q, args...)
}

func (c connExec) queryRow(q string, args ...any) *sql.Row {
	return c.conn.QueryRowContext(c.ctx, q, args...)
}

func (c connExec) strings(q string, args ...any) ([]string, error) {
	rows, err := c.conn.QueryContext(c.ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// backfillThreads threads the existing messages in arrival order (email
// ID order), as delivery would have: copies of a message (same account
// and email ID) share the thread of the first. Metadata that cannot be
// decoded leaves its message in a thread of its own.
func backfillThreads(ctx context.Context, c connExec, _ string) error {
	type row struct {
		mailbox store.MailboxID
		uid     store.UID
		account store.AccountID
		email   store.EmailID
		keys    []string
	}
	rows, err := c.conn.QueryContext(ctx, `SELECT m.mailbox, m.uid, mb.account, m.blob, bm.meta
		FROM messages m JOIN mailboxes mb ON mb.id = m.mailbox JOIN blob_meta bm ON bm.id = m.blob
		ORDER BY m.blob, mb.account`)
	if err != nil {
		return err
	}
	var all []row
	for rows.Next() {
		var r row
		var raw []byte
		if err := rows.Scan(&r.mailbox, &r.uid, &r.account, &r.email, &raw); err != nil {
			rows.Close()
			return err
		}
		if n := len(all); n > 0 && all[n-1].account == r.account && all[n-1].email == r.email {
			r.keys = all[n-1].keys
		} else if meta, err := msgmeta.Unmarshal(raw); err == nil {
			r.keys = store.ThreadKeys(meta)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var thread store.ThreadID
	for i, r := range all {
		if i == 0 || all[i-1].account != r.account || all[i-1].email != r.email {
			if thread, err = assignThread(c, r.account, r.keys, r.email); err != nil {
				return err
			}
		}
		if thread == store.ThreadID(r.email) {
			continue // the migration's default
		}
		if _, err := c.exec(`UPDATE messages SET threadid = ? WHERE mailbox = ? AND uid = ?`, thread, r.mailbox, r.uid); err != nil {
			return err
		}
	}
	return nil
}

// backfillWireSize (re)counts the wire size in the metadata of every
// body of some octets (msgmeta omits a 0) from the body: migration 7 adds
// it to metadata stored before the field existed, migration 8 counts it
// again without the dot-stuffing earlier versions included (RFC 1939
// §11). Metadata that cannot be decoded is left as it is.
func backfillWireSize(ctx context.Context, c connExec, blobDir string) error {
	rows, err := c.conn.QueryContext(ctx, `SELECT b.id FROM blobs b JOIN blob_meta bm ON bm.id = b.id
		WHERE b.size > 0 ORDER BY b.id`)
	if err != nil {
		return err
	}
	var ids []store.BlobID
	for rows.Next() {
		var id store.BlobID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		var data, raw []byte
		var path sql.NullString
		if err := c.queryRow(`SELECT b.data, b.path, bm.meta FROM blobs b JOIN blob_meta bm ON bm.id = b.id WHERE b.id = ?`,
			id).Scan(&data, &path, &raw); err != nil {
			return err
		}
		meta, err := msgmeta.Unmarshal(raw)
		if err != nil {
			continue // unreadable: Meta fails for it anyway; the open must not
		}
		if path.Valid && path.String != "" {
			meta.WireSize, err = fileWireSize(filepath.Join(blobDir, path.String))
		} else {
			meta.WireSize = msgmeta.WireSize(data)
		}
		if err != nil {
			return fmt.Errorf("blob %d: %w", id, err)
		}
		if raw, err = msgmeta.Marshal(meta); err != nil {
			return fmt.Errorf("blob %d: %w", id, err)
		}
		if _, err := c.exec(`UPDATE blob_meta SET meta = ? WHERE id = ?`, raw, id); err != nil {
			return err
		}
	}
	return nil
}

// fileWireSize is msgmeta.WireSize of a body file, read in chunks cut
// after a line feed (the size of whole lines adds up).
func fileWireSize(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	buf := make([]byte, 0, 256<<10)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // a line longer than the buffer
		}
		k, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err == io.EOF {
			return n + msgmeta.WireSize(buf), nil
		}
		if err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			n += msgmeta.WireSize(buf[:i+1])
			buf = append(buf[:0], buf[i+1:]...)
		}
	}
}
