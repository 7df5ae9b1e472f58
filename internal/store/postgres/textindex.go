package postgres

import (
	"context"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// migrationTextIndex is the full-text index (docs/architecture.md
// §Full-text index): one row per message body, its text in columns
// (store.IndexText, case-folded), with a trigram GIN index (pg_trgm, in
// PostgreSQL's contrib, a trusted extension: the database owner may
// create it) that LIKE '%needle%' uses to narrow the rows, rechecked on
// the text itself, so that the answer is exact. text_unindexed lists the
// bodies of messages without a row: the existing ones until `petrel
// index rebuild` (over false), those with more text than
// store.MaxIndexText (over true). Both go with their body (ON DELETE
// CASCADE). messages_blob finds the messages of a body.
var migrationTextIndex = `
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE IF NOT EXISTS text_index (
	blob bigint PRIMARY KEY REFERENCES blobs(id) ON DELETE CASCADE,
	` + strings.Join(store.TextColumnNames(0, store.NumTextColumns), " text NOT NULL,\n\t") + ` text NOT NULL
);
CREATE INDEX IF NOT EXISTS text_index_trgm ON text_index USING gin (` + strings.Join(store.TextColumnNames(0, store.NumTextColumns), " gin_trgm_ops, ") + ` gin_trgm_ops);
CREATE TABLE IF NOT EXISTS text_unindexed (
	blob bigint PRIMARY KEY REFERENCES blobs(id) ON DELETE CASCADE,
	over boolean NOT NULL DEFAULT false
);
INSERT INTO text_unindexed(blob) SELECT DISTINCT blob FROM messages
	WHERE blob NOT IN (SELECT blob FROM text_index) ON CONFLICT DO NOTHING;
CREATE INDEX IF NOT EXISTS messages_blob ON messages(blob);
`

// migrationTextSince adds when each body was listed in text_unindexed
// (the database's clock), for the backlog metric (TextBacklog); the rows
// listed before count from the migration.
var migrationTextSince = `ALTER TABLE text_unindexed ADD COLUMN IF NOT EXISTS since timestamptz NOT NULL DEFAULT now();`

// intakeMail is intake for the body of a message: the body is listed
// in text_unindexed in its transaction (markUnindexed), and the
// background indexer extracts its text later.
func (s *Store) intakeMail(ctx context.Context, r io.Reader, meta *msgmeta.Meta, at store.BlobID) (*body, error) {
	b, err := s.intakeAt(ctx, r, meta, at)
	if err != nil {
		return nil, err
	}
	b.mail = true
	return b, nil
}

// migrationTextPending indexes the bodies waiting for the indexer (NOT
// over): its batches (claimUnindexed) and the backlog metric
// (backlogQuery, an index-only scan with since) read these rows only, not
// those over the bound, which accumulate with the store
// (docs/benchmarks.md §Growth).
const migrationTextPending = `CREATE INDEX IF NOT EXISTS text_unindexed_pending ON text_unindexed(blob) INCLUDE (since) WHERE NOT over;`

// backlogQuery counts the bodies waiting for the indexer and the oldest
// one's listing.
const backlogQuery = `SELECT count(*), min(since) FROM text_unindexed WHERE NOT over`

// markUnindexed lists a new body of a message as not yet indexed: one
// row, the delivery's only cost for the index (README "Full-text
// search"); the indexer (RebuildTextIndex) takes it from there.
func (t *txn) markUnindexed(id store.BlobID) error {
	_, err := t.exec(`INSERT INTO text_unindexed(blob) VALUES ($1) ON CONFLICT DO NOTHING`, id)
	return err
}

// TextBacklog is what waits for the background indexer (the metric of
// store.NewBacklogCollector).
func (s *Store) TextBacklog(ctx context.Context) (store.IndexBacklog, error) {
	var b store.IndexBacklog
	var since *time.Time
	err := s.pool.QueryRow(ctx, backlogQuery).Scan(&b.Bodies, &since)
	if err != nil {
		return b, store.Wrap(store.KindInternal, "text backlog", err)
	}
	if since != nil && b.Bodies > 0 {
		b.Oldest = *since
	}
	return b, nil
}

const textInsertPrefix = `INSERT INTO text_index(blob, `

var textInsert = textInsertPrefix + strings.Join(store.TextColumnNames(0, store.NumTextColumns), ", ") + `) VALUES ($1` + placeholders(2, int(store.NumTextColumns)) + `) ON CONFLICT DO NOTHING`

func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(", $" + strconv.Itoa(from+i))
	}
	return b.String()
}

// indexText adds the index row of a body, or lists it as over the
// bound (text nil).
func (t *txn) indexText(id store.BlobID, text *store.IndexText) error {
	if text == nil {
		_, err := t.exec(`INSERT INTO text_unindexed(blob, over) VALUES ($1, $2) ON CONFLICT (blob) DO UPDATE SET over = $2`,
			id, t.s.opts.TextExtractor != nil)
		return err
	}
	args := make([]any, 0, store.NumTextColumns+1)
	args = append(args, id)
	for _, c := range text.Columns {
		args = append(args, c)
	}
	_, err := t.exec(textInsert, args...)
	return err
}

// likePattern is '%needle%' with LIKE's specials escaped (by \).
func likePattern(n string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(n) + "%"
}

// SearchText implements store.TextIndex; a fuzzy query is ranked by
// pg_trgm's word similarity of the words to the best column.
func (s *Store) SearchText(ctx context.Context, mailbox store.MailboxID, q store.TextQuery) (store.TextHits, error) {
	const op = "search text"
	words := []string{q.Needle}
	if q.Fuzzy {
		words = strings.Fields(q.Needle)
	}
	args := []any{mailbox, q.Needle}
	var all, best []string
	for _, w := range words {
		args = append(args, likePattern(w))
		var either []string
		for _, c := range q.Columns {
			either = append(either, "t."+c.Name()+" LIKE $"+strconv.Itoa(len(args)))
		}
		all = append(all, "("+strings.Join(either, " OR ")+")")
	}
	for _, c := range q.Columns {
		best = append(best, "word_similarity($2, t."+c.Name()+")")
	}
	rank := "0::float8"
	if q.Fuzzy {
		rank = "greatest(" + strings.Join(best, ", ") + ")::float8"
	}
	var h store.TextHits
	// The unindexed bodies first, then the index: the two reads are two
	// snapshots, and a batch of the indexer (indexer.go) committing
	// between them moves a body from the list to the index. Read in this
	// order, such a body is in Maybe or in Sure (or both), never in
	// neither (store.TextIndex: Sure and Maybe together cover every match).
	maybe, err := s.uids(ctx, `SELECT m.uid FROM text_unindexed u JOIN messages m ON m.blob = u.blob WHERE m.mailbox = $1`, mailbox)
	if err != nil {
		return store.TextHits{}, s.wrap(op, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT m.uid, `+rank+` FROM text_index t JOIN messages m ON m.blob = t.blob
		WHERE m.mailbox = $1 AND $2::text IS NOT NULL AND `+strings.Join(all, " AND ")+` ORDER BY m.uid`, args...)
	if err == nil {
		var u int64
		var r float64
		_, err = pgx.ForEachRow(rows, []any{&u, &r}, func() error {
			h.Sure = append(h.Sure, store.UID(u))
			if q.Fuzzy {
				h.Rank = append(h.Rank, r)
			}
			return nil
		})
	}
	h.Maybe = maybe
	if err != nil {
		return store.TextHits{}, s.wrap(op, err)
	}
	return h, nil
}

// uids runs a query of UIDs and sorts them.
func (s *Store) uids(ctx context.Context, q string, args ...any) ([]store.UID, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []store.UID
	var u int64
	_, err = pgx.ForEachRow(rows, []any{&u}, func() error {
		out = append(out, store.UID(u))
		return nil
	})
	slices.Sort(out)
	return out, err
}

// rebuildBatch is how many bodies RebuildTextIndex indexes per commit.
const rebuildBatch = 256

// RebuildTextIndex implements store.TextIndex (and is the background
// indexer's step): batches of the oldest bodies text_unindexed lists
// (not over the bound), until none is left that another node's indexer
// is not taking (indexBatch).
func (s *Store) RebuildTextIndex(ctx context.Context, account store.AccountID) (int, error) {
	const op = "rebuild text index"
	if s.opts.TextExtractor == nil {
		return 0, store.Errorf(store.KindInvalid, op, "the store has no text extractor")
	}
	done := 0
	for {
		n, claimed, err := s.indexBatch(ctx, account)
		done += n
		if err != nil || claimed == 0 {
			return done, s.wrap(op, err)
		}
	}
}

// claimUnindexed takes up to rebuildBatch bodies to index, the oldest,
// of account's messages (0: any), locking their text_unindexed rows and
// (for the text_index row's reference) their blobs. It skips the rows
// and blobs locked by others: another node's indexer (no body is
// indexed twice), an expunge deleting the blob. It waits for no lock,
// and the blobs are locked before the rows are changed, in the order a
// delete goes (a blob, then its rows by cascade): no deadlock.
const claimUnindexed = `SELECT u.blob FROM text_unindexed u JOIN blobs b ON b.id = u.blob
	WHERE NOT u.over AND ($2::bigint = 0 OR EXISTS (SELECT 1 FROM messages m JOIN mailboxes mb ON mb.id = m.mailbox
		WHERE m.blob = u.blob AND mb.account = $2))
	ORDER BY u.blob LIMIT $1
	FOR UPDATE OF u SKIP LOCKED FOR KEY SHARE OF b SKIP LOCKED`

// indexBatch indexes one batch in one transaction: the bodies claimed
// (claimUnindexed) are read and their text extracted in it (other
// writers do not wait for it, only a delete of these bodies), then
// written. It returns how many it indexed and how many it claimed.
func (s *Store) indexBatch(ctx context.Context, account store.AccountID) (indexed, claimed int, err error) {
	var claimedIDs []store.BlobID
	err = s.write(ctx, "index text", func(t *txn) error {
		indexed, claimed = 0, 0
		rows, err := t.Query(ctx, claimUnindexed, rebuildBatch, account)
		if err != nil {
			return err
		}
		var ids []store.BlobID
		var id int64
		if _, err := pgx.ForEachRow(rows, []any{&id}, func() error {
			ids = append(ids, store.BlobID(id))
			return nil
		}); err != nil {
			return err
		}
		for _, id := range ids {
			text, err := s.blobText(ctx, id)
			if err != nil {
				return err
			}
			if _, err := t.exec(`DELETE FROM text_unindexed WHERE blob = $1`, id); err != nil {
				return err
			}
			if err := t.indexText(id, text); err != nil {
				return err
			}
			if text != nil {
				indexed++
			}
		}
		claimed = len(ids)
		// The bodies expunged while the batch held them (releaseBlobs
		// skips a body locked here): without references now, gone with
		// their rows.
		_, err = t.exec(`DELETE FROM blobs WHERE id = ANY($1) AND refs <= 0`, blobIDList(ids))
		if err == nil {
			claimedIDs = ids
		}
		return err
	})
	if err == nil && len(claimedIDs) > 0 {
		err = s.dropReleased(ctx, claimedIDs)
	}
	return indexed, claimed, err
}

// dropReleased deletes, after the batch's commit, the bodies of the batch
// that an expunge still running at the batch's end left without
// references: that expunge skipped the body (the batch held it), and the
// batch's own delete did not see its uncommitted count. A body being
// changed now (a row lock that FOR SHARE may not share: an expunge's or
// a delivery's count) is waited for, one at a time (no lock held while
// waiting for another: no deadlock), and deleted when its count is 0.
// A body an expunge changes after this started is not locked by the
// batch any more, and that expunge deletes it itself.
func (s *Store) dropReleased(ctx context.Context, ids []store.BlobID) error {
	rows, err := s.pool.Query(ctx, `SELECT id FROM blobs WHERE id = ANY($1) AND refs > 0 FOR SHARE SKIP LOCKED`, blobIDList(ids))
	if err != nil {
		return err
	}
	keep := make(map[int64]bool, len(ids))
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error {
		keep[id] = true
		return nil
	}); err != nil {
		return err
	}
	for _, b := range ids {
		if keep[int64(b)] {
			continue
		}
		if err := s.write(ctx, "index text", func(t *txn) error {
			var refs int64
			err := t.queryRow(`SELECT refs FROM blobs WHERE id = $1 FOR UPDATE`, b).Scan(&refs)
			if errors.Is(err, pgx.ErrNoRows) || (err == nil && refs > 0) {
				return nil
			}
			if err != nil {
				return err
			}
			_, err = t.exec(`DELETE FROM blobs WHERE id = $1`, b)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// blobText reads a stored body and extracts its text; nil when it is
// not to be indexed (gone, unreadable metadata, over the bound).
func (s *Store) blobText(ctx context.Context, id store.BlobID) (*store.IndexText, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT meta FROM blobs WHERE id = $1`, id).Scan(&raw)
	if isNoRows(err) || err == nil && raw == nil {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return store.ExtractStored(s.opts.TextExtractor, raw, func() (store.Blob, error) { return s.OpenBlob(ctx, id) })
}

func blobIDList(ids []store.BlobID) []int64 {
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out
}
