package sqlite

import (
	"context"
	"database/sql"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// textTables split the columns in three FTS5 tables: a query reads the
// trigram lists of its table only, and those of the address keys and
// Subject are short beside those of the bodies (SUBJECT "quarterly
// budget" took 190 ms on 100,000 messages in one table whose bodies are
// full of both words).
var textTables = []struct {
	name       string
	first, end store.TextColumn
}{{"text_addr", store.ColSubject, store.ColTopNV}, {"text_head", store.ColTopNV, store.ColBody}, {"text_body", store.ColBody, store.NumTextColumns}}

func tableDDL() string {
	var b strings.Builder
	for _, t := range textTables {
		b.WriteString("CREATE VIRTUAL TABLE IF NOT EXISTS " + t.name + " USING fts5(" +
			strings.Join(store.TextColumnNames(t.first, t.end), ", ") +
			",\n\ttokenize = 'trigram case_sensitive 1', content = '', contentless_delete = 1);\n")
	}
	return b.String()
}

// migrationTextIndex is the full-text index (docs/architecture.md
// §Full-text index): one row per message body (blob), its rowid the
// blob id, in each of the FTS5 tables of textTables, with the trigram
// tokenizer, whose phrase queries find any substring of 3 characters or
// more (the text is case-folded before, hence case_sensitive 1). They are
// contentless: the text is not kept twice, only its trigrams and their
// positions.
// text_unindexed lists the bodies of messages that have no row: all the
// existing ones until `petrel index rebuild` (over = 0), and those with
// more text than store.MaxIndexText (over = 1); SEARCH reads those.
// messages_blob finds the messages of a body. (It can run again on its
// own result, as the migration tests of later versions do.)
var migrationTextIndex = tableDDL() + `CREATE TABLE IF NOT EXISTS text_unindexed (
	blob INTEGER PRIMARY KEY,
	over INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO text_unindexed(blob) SELECT DISTINCT blob FROM messages
	WHERE blob NOT IN (SELECT rowid FROM text_body);
CREATE INDEX IF NOT EXISTS messages_blob ON messages(blob, mailbox);
`

// migrationTextSince adds when each body was listed in text_unindexed
// (Unix seconds, the database's clock), for the backlog metric
// (TextBacklog); the rows listed before count from the migration. The
// table is copied rather than altered, so that the migration can run
// again on its own result (as the migration tests do).
var migrationTextSince = `CREATE TABLE text_unindexed_v13 (
	blob  INTEGER PRIMARY KEY,
	over  INTEGER NOT NULL DEFAULT 0,
	since INTEGER NOT NULL DEFAULT 0
);
INSERT INTO text_unindexed_v13(blob, over, since) SELECT blob, over, ` + sqlNow + ` FROM text_unindexed;
DROP TABLE text_unindexed;
ALTER TABLE text_unindexed_v13 RENAME TO text_unindexed;
`

// migrationTextPending indexes the bodies waiting for the indexer (over
// = 0): its batches (unindexedBlobs) and the backlog metric (TextBacklog,
// covered by the index's since) read these rows only, not those over the
// bound (over = 1), which accumulate with the store (docs/benchmarks.md
// §Growth).
const migrationTextPending = `CREATE INDEX IF NOT EXISTS text_unindexed_pending ON text_unindexed(blob, since) WHERE over = 0;`

// sqlNow is the database's clock in Unix seconds.
const sqlNow = `CAST(strftime('%s', 'now') AS INTEGER)`

// intakeMail is intake for the body of a message: the body is listed
// in text_unindexed in its transaction (markUnindexed), and the
// background indexer extracts its text later.
func (s *Store) intakeMail(r io.Reader, meta *msgmeta.Meta) (*body, error) {
	b, err := s.intake(r, meta)
	if err != nil {
		return nil, err
	}
	b.mail = true
	return b, nil
}

// markUnindexed lists a new body of a message as not yet indexed: one
// row, the delivery's only cost for the index (README "Full-text
// search"); the indexer (RebuildTextIndex) takes it from there.
func (t *txn) markUnindexed(id store.BlobID) error {
	_, err := t.exec(`INSERT OR IGNORE INTO text_unindexed(blob, since) VALUES (?, `+sqlNow+`)`, id)
	return err
}

// backlogQuery counts the bodies waiting for the indexer and the oldest
// one's listing: a scan of text_unindexed_pending alone (named, as
// pendingBlobs).
const backlogQuery = `SELECT count(*), min(since) FROM text_unindexed INDEXED BY text_unindexed_pending WHERE over = 0`

// TextBacklog is what waits for the background indexer (the metric of
// store.NewBacklogCollector).
func (s *Store) TextBacklog(ctx context.Context) (store.IndexBacklog, error) {
	var b store.IndexBacklog
	var since sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, backlogQuery).Scan(&b.Bodies, &since)
	if err != nil {
		return b, store.Wrap(store.KindInternal, "text backlog", err)
	}
	if since.Valid && b.Bodies > 0 {
		b.Oldest = time.Unix(since.Int64, 0)
	}
	return b, nil
}

// indexText adds the index row of a body, or lists it as over the
// bound (text nil).
func (t *txn) indexText(id store.BlobID, text *store.IndexText) error {
	if text == nil {
		over := 0
		if t.w.s.opts.TextExtractor != nil {
			over = 1
		}
		_, err := t.exec(`INSERT OR REPLACE INTO text_unindexed(blob, over) VALUES (?, ?)`, id, over)
		return err
	}
	for _, tb := range textTables {
		args := []any{id}
		for _, c := range text.Columns[tb.first:tb.end] {
			args = append(args, c)
		}
		if _, err := t.exec(textInserts[tb.name], args...); err != nil {
			return err
		}
	}
	return nil
}

// textInserts are the INSERTs of the index tables.
var textInserts = func() map[string]string {
	m := map[string]string{}
	for _, t := range textTables {
		m[t.name] = `INSERT INTO ` + t.name + `(rowid, ` + strings.Join(store.TextColumnNames(t.first, t.end), ", ") + `) VALUES (?` +
			strings.Repeat(", ?", int(t.end-t.first)) + `)`
	}
	return m
}()

// unindexText removes the rows of bodies deleted (a JSON array of ids).
func (t *txn) unindexText(ids string) error {
	if _, err := t.exec(`DELETE FROM text_unindexed WHERE blob IN (SELECT value FROM json_each(?))`, ids); err != nil {
		return err
	}
	// One by one: FTS5 finds a row by rowid only for an equality.
	rows, err := t.query(`SELECT value FROM json_each(?)`, ids)
	if err != nil {
		return err
	}
	var list []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		list = append(list, id)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, id := range list {
		for _, tb := range textTables {
			if _, err := t.exec(`DELETE FROM `+tb.name+` WHERE rowid = ?`, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// ftsQuery is the FTS5 query of q in the columns cols: the needle as
// one phrase (a string, its quotes doubled); fuzzy, each of its words.
func ftsQuery(q store.TextQuery, cols []store.TextColumn) string {
	var b strings.Builder
	b.WriteString("{")
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.Name())
	}
	b.WriteString("} : (")
	words := []string{q.Needle}
	if q.Fuzzy {
		words = strings.Fields(q.Needle)
	}
	for i, w := range words {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(`"` + strings.ReplaceAll(w, `"`, `""`) + `"`)
	}
	b.WriteString(")")
	return b.String()
}

// SearchText implements store.TextIndex: the tables holding q's columns
// are asked, and their rows joined to the mailbox's messages. An exact
// query asks each table apart, its hits joined to the messages (the
// messages_blob index) in the same statement; the UIDs are merged here
// (docs/benchmarks.md §Full-text search: one statement uniting the
// tables spent half as long again on its temporary tables). A fuzzy query is ranked by bm25 (FTS5's, all
// columns weighing the same; the best of the tables), its words all in
// one table.
func (s *Store) SearchText(ctx context.Context, mailbox store.MailboxID, q store.TextQuery) (store.TextHits, error) {
	const op = "search text"
	var parts []textPart
	for _, tb := range textTables {
		var cols []store.TextColumn
		for _, c := range q.Columns {
			if c >= tb.first && c < tb.end {
				cols = append(cols, c)
			}
		}
		if len(cols) > 0 {
			parts = append(parts, textPart{tb.name, ftsQuery(q, cols)})
		}
	}
	var h store.TextHits
	if len(parts) == 0 {
		return h, store.Errorf(store.KindInvalid, op, "no columns")
	}
	// The unindexed bodies first, then the index: the two reads are two
	// snapshots, and a batch of the indexer committing between them moves
	// a body from the list to the index. Read in this order, such a body
	// is in Maybe or in Sure (or both), never in neither (store.TextIndex:
	// Sure and Maybe together cover every match).
	var err error
	h.Maybe, err = s.unindexedUIDs(ctx, mailbox)
	if err == nil && q.Fuzzy {
		var selects []string
		var args []any
		for _, p := range parts {
			selects = append(selects, `SELECT rowid, -bm25(`+p.table+`) FROM `+p.table+` WHERE `+p.table+` MATCH ?`)
			args = append(args, p.match)
		}
		var rows *sql.Rows
		rows, err = s.rdb.QueryContext(ctx, `WITH hits(id, r) AS MATERIALIZED (`+strings.Join(selects, " UNION ALL ")+`)
		SELECT m.uid, max(hits.r) FROM hits JOIN messages m ON m.blob = hits.id AND m.mailbox = ? GROUP BY m.uid ORDER BY m.uid`,
			append(args, mailbox)...)
		if err == nil {
			h.Sure, h.Rank, err = scanRanked(rows, true)
		}
	} else if err == nil {
		h.Sure, err = s.exactHits(ctx, mailbox, parts)
	}
	if err != nil {
		return store.TextHits{}, store.Wrap(store.KindInternal, op, err)
	}
	return h, nil
}

// textPart is the query of one FTS5 table.
type textPart struct {
	table, match string
}

// exactHits are the UIDs of the messages of mailbox that the parts
// match: each part's hits joined to the messages in its statement
// (messages_blob), the UIDs merged here.
func (s *Store) exactHits(ctx context.Context, mailbox store.MailboxID, parts []textPart) ([]store.UID, error) {
	var uids []store.UID
	for _, p := range parts {
		found, err := s.uids(ctx, `SELECT m.uid FROM (SELECT rowid FROM `+p.table+` WHERE `+p.table+` MATCH ?) t
			CROSS JOIN messages m ON m.blob = t.rowid AND m.mailbox = ?`, p.match, mailbox)
		if err != nil {
			return nil, err
		}
		uids = append(uids, found...)
	}
	if len(parts) > 1 {
		slices.Sort(uids)
		uids = slices.Compact(uids)
	}
	return uids, nil
}

// scanRanked reads (uid, rank) rows; the ranks only when asked.
func scanRanked(rows *sql.Rows, ranked bool) (uids []store.UID, rank []float64, err error) {
	defer rows.Close()
	for rows.Next() {
		var u store.UID
		var r float64
		if err := rows.Scan(&u, &r); err != nil {
			return nil, nil, err
		}
		uids = append(uids, u)
		if ranked {
			rank = append(rank, r)
		}
	}
	return uids, rank, rows.Err()
}

// uids runs a query of UIDs and sorts them.
func (s *Store) uids(ctx context.Context, q string, args ...any) ([]store.UID, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.UID
	for rows.Next() {
		var u store.UID
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	slices.Sort(out)
	return out, rows.Err()
}

// rebuildBatch is how many bodies RebuildTextIndex (the background
// indexer's step) indexes per commit. The batch's transaction holds the
// one writer, which deliveries wait for: measured on the benchmark
// messages (docs/benchmarks.md §Full-text search), 256 held it 124 ms
// (median; up to 230), 64 held it 14 ms (up to 27) at the same rate.
const rebuildBatch = 64

// RebuildTextIndex implements store.TextIndex, and is the background
// indexer's step: it indexes the bodies text_unindexed lists that are
// not over the bound, oldest first, a batch at a time (read and
// extracted outside the writer, written in one transaction).
func (s *Store) RebuildTextIndex(ctx context.Context, account store.AccountID) (int, error) {
	const op = "rebuild text index"
	if s.opts.TextExtractor == nil {
		return 0, store.Errorf(store.KindInvalid, op, "the store has no text extractor")
	}
	return store.RebuildText(func(after store.BlobID) ([]store.BlobID, error) {
		ids, err := s.unindexedBlobs(ctx, account, after)
		if err != nil {
			return nil, store.Wrap(store.KindInternal, op, err)
		}
		return ids, nil
	}, func(id store.BlobID) (*store.IndexText, error) {
		return s.blobText(ctx, id)
	}, func(ids []store.BlobID, texts []*store.IndexText) error {
		return s.w.doMail(ctx, op, func(t *txn) error {
			for i, id := range ids {
				if err := t.reindexText(id, texts[i]); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// reindexText indexes a body text_unindexed lists, unless it was deleted
// or indexed meanwhile.
func (t *txn) reindexText(id store.BlobID, text *store.IndexText) error {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM text_unindexed WHERE blob = ? AND over = 0`, id).Scan(&n); err != nil || n == 0 {
		return err
	}
	if _, err := t.exec(`DELETE FROM text_unindexed WHERE blob = ?`, id); err != nil {
		return err
	}
	return t.indexText(id, text)
}

// The UIDs of a mailbox's messages whose bodies text_unindexed lists, by
// either side of the join: the list leading (CROSS JOIN, each row looked
// up in messages_blob), or the mailbox's messages leading (each body
// looked up in the list by its key).
const (
	unindexedByList = `SELECT m.uid FROM text_unindexed u CROSS JOIN messages m
		ON m.blob = u.blob AND m.mailbox = ?`
	unindexedByMailbox = `SELECT m.uid FROM messages m WHERE m.mailbox = ?
		AND EXISTS (SELECT 1 FROM text_unindexed u WHERE u.blob = m.blob)`
)

// unindexedUIDs are SearchText's Maybe: the UIDs of mailbox's messages
// whose bodies text_unindexed lists, read from the smaller side. The list
// is usually short (the indexer keeps up, and few bodies are over the
// bound), but after an import of millions of messages it holds the whole
// backlog: then the mailbox's messages lead. Counting the list up to the
// mailbox's size bounds the choice itself, so a SEARCH costs at most the
// smaller of the two, never the store's whole backlog for a small
// mailbox (docs/benchmarks.md §Growth).
func (s *Store) unindexedUIDs(ctx context.Context, mailbox store.MailboxID) ([]store.UID, error) {
	var inMailbox, listed int64
	err := s.rdb.QueryRowContext(ctx, `SELECT messages FROM mailboxes WHERE id = ?`, mailbox).Scan(&inMailbox)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	err = s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM text_unindexed LIMIT ?)`, inMailbox+1).Scan(&listed)
	if err != nil {
		return nil, err
	}
	if listed > inMailbox {
		return s.uids(ctx, unindexedByMailbox, mailbox)
	}
	return s.uids(ctx, unindexedByList, mailbox)
}

// The indexer's next batch: the bodies waiting after a body id, of any
// account or of one. Both walk text_unindexed_pending from the id (named:
// without statistics SQLite's planner takes the table's key, as good
// when no row is over the bound).
const (
	pendingBlobs          = `SELECT blob FROM text_unindexed INDEXED BY text_unindexed_pending WHERE over = 0 AND blob > ? ORDER BY blob LIMIT ?`
	pendingBlobsOfAccount = `SELECT u.blob FROM text_unindexed u INDEXED BY text_unindexed_pending WHERE u.over = 0 AND u.blob > ? AND EXISTS (SELECT 1 FROM messages m
			JOIN mailboxes mb ON mb.id = m.mailbox WHERE m.blob = u.blob AND mb.account = ?) ORDER BY u.blob LIMIT ?`
)

// unindexedBlobs lists bodies to index after the id after, of account's
// messages (0: any).
func (s *Store) unindexedBlobs(ctx context.Context, account store.AccountID, after store.BlobID) ([]store.BlobID, error) {
	q, args := pendingBlobs, []any{after, rebuildBatch}
	if account != 0 {
		q, args = pendingBlobsOfAccount, []any{after, account, rebuildBatch}
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []store.BlobID
	for rows.Next() {
		var id store.BlobID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// blobText reads a stored body and its metadata and extracts its text.
func (s *Store) blobText(ctx context.Context, id store.BlobID) (*store.IndexText, error) {
	var raw []byte
	err := s.rdb.QueryRowContext(ctx, `SELECT meta FROM blob_meta WHERE id = ?`, id).Scan(&raw)
	if err == sql.ErrNoRows {
		return nil, nil // gone meanwhile
	}
	if err != nil {
		return nil, store.Wrap(store.KindInternal, "rebuild text index", err)
	}
	return store.ExtractStored(s.opts.TextExtractor, raw, func() (store.Blob, error) { return s.OpenBlob(ctx, id) })
}
