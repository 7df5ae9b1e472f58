package sqlite

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// body is a message body taken in by the caller's goroutine before its write
// request is queued: either inline bytes or a file already fsynced.
type body struct {
	data       []byte // inline body, when small
	rel        string // file path relative to blobDir, when large
	size       int64
	meta       []byte   // msgmeta JSON
	threadKeys []string // store.ThreadKeys
	// mail marks the body of a message (not of a queued one): it is
	// listed in text_unindexed, for the full-text indexer (textindex.go).
	mail bool
}

// intake reads a body, keeping it in memory when small and writing it to a
// new, fsynced file when large. meta is the body's metadata as the caller
// parsed it (docs/flow.md: delivery and IMAP APPEND parse before the
// store), stored as given; nil (tests, tools, queued bodies) parses it here,
// from the file for a large body. The file's directory is synced by the
// writer.
func (s *Store) intake(r io.Reader, meta *msgmeta.Meta) (*body, error) {
	const op = "store body"
	buf := make([]byte, 0, 8192)
	lim := int64(s.opts.InlineMax) + 1
	bb := bytes.NewBuffer(buf)
	n, err := io.Copy(bb, io.LimitReader(r, lim))
	if err != nil {
		return nil, wrap(store.KindTemporary, op, err)
	}
	b := &body{size: n}
	if n < lim {
		b.data = bb.Bytes()
		if meta == nil {
			meta = msgmeta.ParseBytes(b.data)
		}
	} else if meta, err = s.intakeFile(b, io.MultiReader(bb, r), meta); err != nil {
		return nil, err
	}
	b.threadKeys = store.ThreadKeys(meta)
	if b.meta, err = msgmeta.Marshal(meta); err != nil {
		s.removeBlobFile(b.rel)
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	return b, nil
}

// intakeFile writes a large body to its file, and parses it from there
// (mapped, not in the heap) when meta is nil.
func (s *Store) intakeFile(b *body, r io.Reader, meta *msgmeta.Meta) (*msgmeta.Meta, error) {
	const op = "store body"
	var rnd [16]byte
	rand.Read(rnd[:])
	name := hex.EncodeToString(rnd[:])
	b.rel = filepath.Join(name[:2], name)
	path := filepath.Join(s.blobDir, b.rel)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, wrap(store.KindTemporary, op, err)
	}
	fail := func(err error) (*msgmeta.Meta, error) {
		f.Close()
		os.Remove(path)
		return nil, wrap(store.KindTemporary, op, err)
	}
	if b.size, err = io.Copy(f, r); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if meta == nil {
		if meta, err = msgmeta.ParseFile(f, b.size); err != nil {
			return fail(err)
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, wrap(store.KindTemporary, op, err)
	}
	return meta, nil
}

func (s *Store) removeBlobFile(rel string) {
	if rel != "" {
		os.Remove(filepath.Join(s.blobDir, rel))
	}
}

// blobDirOf is the directory to fsync for a file blob.
func (s *Store) blobDirOf(rel string) string { return filepath.Join(s.blobDir, filepath.Dir(rel)) }

// insertBlob stores the body's row with refs references.
func (t *txn) insertBlob(b *body, refs int) (store.BlobID, error) { return t.insertBlobAt(b, 0, refs) }

// insertBlobAt is insertBlob with the id given (an import keeps a
// message's email ID, importer.go); 0 allocates one.
func (t *txn) insertBlobAt(b *body, at store.BlobID, refs int) (store.BlobID, error) {
	var id store.BlobID
	var data, path, want any
	if b.rel != "" {
		path = b.rel
	} else {
		data = b.data
	}
	if at != 0 {
		want = at
	}
	err := t.queryRow(`INSERT INTO blobs(id, size, refs, data, path) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		want, b.size, refs, data, path).Scan(&id)
	if err != nil {
		return 0, err
	}
	if _, err = t.exec(`INSERT INTO blob_meta(id, meta) VALUES (?, ?)`, id, b.meta); err != nil {
		return 0, err
	}
	if b.mail {
		err = t.markUnindexed(id)
	}
	return id, err
}

// releaseBlobs drops references from many blobs (id -> count) in a few
// statements: the blobs left without references are deleted at once
// (not updated first), their files removed after the commit.
func (t *txn) releaseBlobs(refs map[store.BlobID]int64) error {
	byCount := make(map[int64][]store.BlobID)
	for id, n := range refs {
		byCount[n] = append(byCount[n], id)
	}
	var files []string
	for n, ids := range byCount {
		list := jsonIDs(ids)
		rows, err := t.query(`DELETE FROM blobs WHERE refs <= ?1 AND id IN (SELECT value FROM json_each(?2)) RETURNING id, path`, n, list)
		if err != nil {
			return err
		}
		var gone []store.BlobID
		for rows.Next() {
			var id store.BlobID
			var path sql.NullString
			if err := rows.Scan(&id, &path); err != nil {
				rows.Close()
				return err
			}
			gone = append(gone, id)
			if path.Valid && path.String != "" {
				files = append(files, path.String)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if len(gone) > 0 {
			if _, err := t.exec(`DELETE FROM blob_meta WHERE id IN (SELECT value FROM json_each(?))`, jsonIDs(gone)); err != nil {
				return err
			}
			if err := t.unindexText(jsonIDs(gone)); err != nil {
				return err
			}
		}
		if _, err := t.exec(`UPDATE blobs SET refs = refs - ?1 WHERE id IN (SELECT value FROM json_each(?2))`, n, list); err != nil {
			return err
		}
	}
	if len(files) > 0 {
		s := t.w.s
		t.afterCommit(func() {
			for _, rel := range files {
				s.removeBlobFile(rel)
			}
		})
	}
	return nil
}

// jsonIDs encodes integer IDs as a JSON array, for json_each.
func jsonIDs[T ~int64 | ~uint32](ids []T) string {
	b := make([]byte, 0, 8*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(id), 10)
	}
	return string(append(b, ']'))
}

func (t *txn) addBlobRefs(id store.BlobID, n int64) error {
	_, err := t.exec(`UPDATE blobs SET refs = refs + ? WHERE id = ?`, n, id)
	return err
}

const blobQuery = `SELECT data, path, size FROM blobs WHERE id = ?`

// OpenBlob opens a message body.
func (s *Store) OpenBlob(ctx context.Context, id store.BlobID) (store.Blob, error) {
	const op = "open blob"
	var data []byte
	var path sql.NullString
	var size int64
	err := s.blobStmt.QueryRowContext(ctx, id).Scan(&data, &path, &size)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.KindNotFound, op, "blob %d does not exist", id)
	}
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	if !path.Valid || path.String == "" {
		return &memBlob{Reader: bytes.NewReader(data)}, nil
	}
	f, err := os.Open(filepath.Join(s.blobDir, path.String))
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	return &fileBlob{File: f, size: size}, nil
}

type memBlob struct{ *bytes.Reader }

func (m *memBlob) Close() error { return nil }

type fileBlob struct {
	*os.File
	size int64
}

func (f *fileBlob) Size() int64 { return f.size }

// sweepOrphans removes body files that no blob row references and that are
// old enough not to belong to a delivery in flight in any process (a crash
// between writing a file and committing its row leaves one behind).
func (s *Store) sweepOrphans() {
	cutoff := time.Now().Add(-time.Hour)
	for i := 0; i < 256; i++ {
		dir := fmt.Sprintf("%02x", i)
		entries, err := os.ReadDir(filepath.Join(s.blobDir, dir))
		if err != nil {
			continue
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil || info.ModTime().After(cutoff) {
				continue
			}
			rel := filepath.Join(dir, e.Name())
			var n int
			if err := s.rdb.QueryRow(`SELECT count(*) FROM blobs WHERE path = ?`, rel).Scan(&n); err == nil && n == 0 {
				s.log.Info("removing orphaned body file", "path", rel)
				s.removeBlobFile(rel)
			}
		}
	}
}
