package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// ChunkSize is the largest body stored in its blobs row, and the size of
// the rows (blob_chunks) a larger one is stored in: every chunk of a blob
// but the last is this long. A blob records the size it was written
// with, so the value may change.
const ChunkSize = 256 << 10

// blobReadTimeout bounds one chunk read of an open Blob (io.ReaderAt has
// no context).
const blobReadTimeout = time.Minute

// body is a message body taken in before the write transaction: a small
// one in memory, inserted with the message rows; a large one already
// written in chunks (blob, without references yet).
type body struct {
	data       []byte
	blob       store.BlobID
	size       int64
	meta       []byte   // msgmeta encoding
	threadKeys []string // store.ThreadKeys
	// mail marks the body of a message (not of a queued one): it is
	// listed in text_unindexed, for the full-text indexer (textindex.go).
	mail bool
}

// intake reads a body. Up to ChunkSize octets it stays in memory; a
// larger body is streamed into blob_chunks in a transaction of its own
// (writeLarge). meta is the body's metadata as the caller parsed it
// (docs/flow.md), stored as given; nil parses it here, for a large body
// from a temporary file.
func (s *Store) intake(ctx context.Context, r io.Reader, meta *msgmeta.Meta) (*body, error) {
	return s.intakeAt(ctx, r, meta, 0)
}

// intakeAt is intake of a body whose blob id is at when it is large (an
// import, importer.go); at 0 takes a new id.
func (s *Store) intakeAt(ctx context.Context, r io.Reader, meta *msgmeta.Meta, at store.BlobID) (*body, error) {
	const op = "store body"
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	buf := *bp
	n, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, store.Wrap(store.KindTemporary, op, err)
	}
	b := &body{size: int64(n)}
	if n <= ChunkSize {
		b.data = bytes.Clone(buf[:n])
		if meta == nil {
			meta = msgmeta.ParseBytes(b.data)
		}
	} else {
		src := io.MultiReader(bytes.NewReader(buf[:n]), r)
		if meta == nil {
			f, m, err := s.parseLarge(src)
			if err != nil {
				return nil, store.Wrap(store.KindTemporary, op, err)
			}
			defer f.Close()
			src, meta = f, m
		}
		if err := s.writeLarge(ctx, b, src, at); err != nil {
			return nil, s.wrap(op, err)
		}
	}
	b.threadKeys = store.ThreadKeys(meta)
	if b.meta, err = msgmeta.Marshal(meta); err != nil {
		s.dropPending(b)
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	return b, nil
}

// readBufs holds the buffers intake reads a body's first ChunkSize+1
// octets into: most bodies are small, and growing a buffer for each cost
// a delivery three times its size in allocations.
var readBufs = sync.Pool{New: func() any {
	b := make([]byte, ChunkSize+1)
	return &b
}}

// parseLarge spools a large body without metadata to a temporary file
// (removed at once: the open file stays readable), parses it there, and
// returns the file rewound.
func (s *Store) parseLarge(r io.Reader) (*os.File, *msgmeta.Meta, error) {
	f, err := os.CreateTemp(s.opts.TempDir, "petrel-body-")
	if err != nil {
		return nil, nil, err
	}
	os.Remove(f.Name())
	size, err := io.Copy(f, r)
	var meta *msgmeta.Meta
	if err == nil {
		meta, err = msgmeta.ParseFile(f, size)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, meta, nil
}

// writeLarge streams r into a new blob (of id at, or a new id when at is
// 0), one ChunkSize row at a time, and commits it without references. The caller's write transaction
// then takes it (insertBlob), or dropPending removes it; a crash in
// between leaves an orphan for sweepOrphans.
func (s *Store) writeLarge(ctx context.Context, b *body, r io.Reader, at store.BlobID) error {
	if err := s.enter("store body"); err != nil {
		return err
	}
	defer s.leave()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	// created is the database's clock, as sweepOrphans' cutoff: the
	// nodes' clocks may disagree.
	q, args := `INSERT INTO blobs(size, refs, chunk, created) VALUES (0, 0, $1, `+dbNow+`) RETURNING id`, []any{ChunkSize}
	if at != 0 {
		q, args = `INSERT INTO blobs(id, size, refs, chunk, created) VALUES ($2, 0, 0, $1, `+dbNow+`) RETURNING id`, append(args, at)
	}
	if err := tx.QueryRow(ctx, q, args...).Scan(&b.blob); err != nil {
		return err
	}
	chunk := make([]byte, ChunkSize)
	b.size = 0
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(r, chunk)
		if n > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO blob_chunks(blob, seq, data) VALUES ($1, $2, $3)`, b.blob, seq, chunk[:n]); err != nil {
				return err
			}
			b.size += int64(n)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return store.Wrap(store.KindTemporary, "store body", err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE blobs SET size = $1 WHERE id = $2`, b.size, b.blob); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// dropPending removes a large body that no message took.
func (s *Store) dropPending(b *body) {
	if b == nil || b.blob == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM blobs WHERE id = $1 AND refs = 0`, b.blob); err != nil {
		s.log.Warn("store: removing an unused body failed (swept later)", "blob", b.blob, "err", err)
	}
}

// insertBlob stores the body with refs references and its metadata: a
// small body in its row, a large one by taking its written blob. A
// written blob that is gone (sweepOrphans took it meanwhile) fails the
// write with a temporary error: nothing is stored, the client retries.
func (t *txn) insertBlob(b *body, refs int) (store.BlobID, error) {
	if b.blob != 0 {
		tag, err := t.exec(`UPDATE blobs SET refs = $2, meta = $3 WHERE id = $1`, b.blob, refs, b.meta)
		if err == nil && tag.RowsAffected() == 0 {
			err = store.Errorf(store.KindTemporary, "store body", "body %d was removed before its message was stored", b.blob)
		}
		return b.blob, err
	}
	var id store.BlobID
	err := t.queryRow(`INSERT INTO blobs(size, refs, chunk, meta, data) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		b.size, refs, ChunkSize, b.meta, nonNil(b.data)).Scan(&id)
	return id, err
}

// releaseBlobs drops references (id -> count); blobs left without any are
// deleted with their chunks (ON DELETE CASCADE). The decrement comes
// first: it locks the rows, so that two transactions releasing the same
// blob (two accounts' expunges) count down one after the other and the
// last one sees 0, and deletes it, in its transaction.
func (t *txn) releaseBlobs(refs map[store.BlobID]int64) error {
	if len(refs) == 0 {
		return nil
	}
	byCount := make(map[int64][]int64)
	for id, n := range refs {
		byCount[n] = append(byCount[n], int64(id))
	}
	var ids []int64
	for n, group := range byCount {
		if _, err := t.exec(`UPDATE blobs SET refs = refs - $1 WHERE id = ANY($2)`, n, group); err != nil {
			return err
		}
		ids = append(ids, group...)
	}
	// A body the full-text indexer holds (claimUnindexed: FOR KEY SHARE,
	// for as long as it extracts the text of its batch) is left to it:
	// waiting could outlast the lock timeout, and the expunge would fail
	// (20 clients' EXPUNGEs did under docs/benchmarks.md's mixed load).
	// The indexer deletes it at the end of its batch (indexBatch).
	_, err := t.exec(`DELETE FROM blobs WHERE id IN (SELECT id FROM blobs WHERE refs <= 0 AND id = ANY($1)
		FOR UPDATE SKIP LOCKED)`, ids)
	return err
}

func (t *txn) addBlobRefs(id store.BlobID, n int64) error {
	_, err := t.exec(`UPDATE blobs SET refs = refs + $1 WHERE id = $2`, n, id)
	return err
}

// blobCols are the columns newBlob needs, of "blobs b".
const blobCols = `b.size, b.chunk, b.data IS NOT NULL, b.data`

// OpenBlob opens a message body: a small one is read now, the chunks of
// a large one as they are read.
func (s *Store) OpenBlob(ctx context.Context, id store.BlobID) (store.Blob, error) {
	const op = "open blob"
	var r blobRow
	err := s.pool.QueryRow(ctx, `SELECT `+blobCols+` FROM blobs b WHERE b.id = $1 AND b.refs > 0`, id).Scan(r.dest()...)
	if isNoRows(err) {
		return nil, store.Errorf(store.KindNotFound, op, "blob %d does not exist", id)
	}
	if err != nil {
		return nil, s.wrap(op, err)
	}
	return s.newBlob(id, r), nil
}

// blobRow is what a query of blobCols returns.
type blobRow struct {
	size   int64
	chunk  int
	inline bool
	data   []byte
}

func (r *blobRow) dest() []any { return []any{&r.size, &r.chunk, &r.inline, &r.data} }

// newBlob makes the Blob of a body.
func (s *Store) newBlob(id store.BlobID, r blobRow) store.Blob {
	if r.inline {
		return &memBlob{Reader: bytes.NewReader(r.data)}
	}
	return &chunkBlob{s: s, id: id, size: r.size, chunk: int64(r.chunk), seq: -1}
}

type memBlob struct{ *bytes.Reader }

func (m *memBlob) Close() error { return nil }

// chunkBlob reads a chunked body on demand, keeping the last chunk read.
type chunkBlob struct {
	s     *Store
	id    store.BlobID
	size  int64
	chunk int64
	off   int64 // Read's position

	seq  int64 // the chunk in data
	data []byte
}

func (c *chunkBlob) Size() int64 { return c.size }

func (c *chunkBlob) Close() error { c.data = nil; return nil }

func (c *chunkBlob) Read(p []byte) (int, error) {
	n, err := c.ReadAt(p, c.off)
	c.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// ReadAt implements io.ReaderAt, one chunk query at a time.
func (c *chunkBlob) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("blob %d: negative offset", c.id)
	}
	n := 0
	for n < len(p) {
		if off >= c.size {
			return n, io.EOF
		}
		seq := off / c.chunk
		if c.data == nil || c.seq != seq {
			if err := c.load(seq); err != nil {
				return n, err
			}
		}
		k := copy(p[n:], c.data[off-seq*c.chunk:])
		n += k
		off += int64(k)
	}
	return n, nil
}

func (c *chunkBlob) load(seq int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), blobReadTimeout)
	defer cancel()
	var data []byte
	err := c.s.pool.QueryRow(ctx, `SELECT data FROM blob_chunks WHERE blob = $1 AND seq = $2`, c.id, seq).Scan(&data)
	if isNoRows(err) {
		return store.Errorf(store.KindNotFound, "read blob", "blob %d has no chunk %d (deleted meanwhile)", c.id, seq)
	}
	if err != nil {
		return c.s.wrap("read blob", err)
	}
	if int64(len(data)) != min(c.chunk, c.size-seq*c.chunk) {
		return store.Errorf(store.KindInternal, "read blob", "blob %d chunk %d has %d octets", c.id, seq, len(data))
	}
	c.seq, c.data = seq, data
	return nil
}
