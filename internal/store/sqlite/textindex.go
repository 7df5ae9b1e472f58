package sqlite

import (
	"context"
	"database/sql"
	"io"
	"maps"
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
// full of both words). The body table keeps no positions (detail=none:
// they were three quarters of the index and of its cost to write,
// docs/benchmarks.md §Full-text index cost (issue 21)); its text is kept
// in text_body_text, against which its candidates are verified
// (textquery.go).
var textTables = []textTable{
	{name: "text_addr", first: store.ColSubject, end: store.ColTopNV, positions: true},
	{name: "text_head", first: store.ColTopNV, end: store.ColBody, positions: true},
	{name: "text_body", first: store.ColBody, end: store.NumTextColumns},
}

// textTable is one FTS5 table of the index, holding the columns
// first..end-1. With positions (detail=full) a phrase query answers
// exactly; without, a query is an AND of trigrams whose candidates are
// verified against the table's text, kept in the table name_text (blob,
// then the same columns).
type textTable struct {
	name       string
	first, end store.TextColumn
	positions  bool
}

// textTableDDL creates the index's tables; v10 is the layout of
// migration 10 (every table with positions, no text tables).
func textTableDDL(v10 bool) string {
	var b strings.Builder
	for _, t := range textTables {
		cols := store.TextColumnNames(t.first, t.end)
		detail := ""
		if !t.positions && !v10 {
			detail = ", detail = none"
		}
		b.WriteString("CREATE VIRTUAL TABLE IF NOT EXISTS " + t.name + " USING fts5(" + strings.Join(cols, ", ") +
			",\n\ttokenize = 'trigram case_sensitive 1', content = '', contentless_delete = 1" + detail + ");\n")
		if !t.positions && !v10 {
			b.WriteString("CREATE TABLE IF NOT EXISTS " + t.name + "_text (\n\tblob INTEGER PRIMARY KEY,\n\t" +
				strings.Join(cols, " TEXT NOT NULL,\n\t") + " TEXT NOT NULL\n);\n")
		}
	}
	return b.String()
}

// migrationTextIndex is the full-text index (docs/architecture.md
// §Full-text index): one row per message body (blob), its rowid the
// blob id, in each of the FTS5 tables of textTables, with the trigram
// tokenizer, whose phrase queries find any substring of 3 characters or
// more (the text is case-folded before, hence case_sensitive 1). They are
// contentless: the text is not kept twice, only its trigrams and their
// positions. (Migration 15 changed the body table: migrationTextLayout.)
// text_unindexed lists the bodies of messages that have no row: all the
// existing ones until `petrel index rebuild` (over = 0), and those with
// more text than store.MaxIndexText (over = 1); SEARCH reads those.
// messages_blob finds the messages of a body. (It can run again on its
// own result, as the migration tests of later versions do.)
var migrationTextIndex = textTableDDL(true) + `CREATE TABLE IF NOT EXISTS text_unindexed (
	blob INTEGER PRIMARY KEY,
	over INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO text_unindexed(blob) SELECT DISTINCT blob FROM messages
	WHERE blob NOT IN (SELECT rowid FROM text_body);
CREATE INDEX IF NOT EXISTS messages_blob ON messages(blob, mailbox);
`

// migrationTextLayout is migration 15: the body table without positions
// and its text beside it (textTables). The index is built again: its
// tables are dropped and made anew, empty, and every body is listed in
// text_unindexed for the background indexer (those over the bound stay
// listed as such); SEARCH reads the listed ones meanwhile, as it does
// any unindexed body. It can run again on its own result.
var migrationTextLayout = func() string {
	var b strings.Builder
	for _, t := range textTables {
		b.WriteString("DROP TABLE IF EXISTS " + t.name + ";\nDROP TABLE IF EXISTS " + t.name + "_text;\n")
	}
	return b.String() + textTableDDL(false) + `INSERT OR IGNORE INTO text_unindexed(blob, since) SELECT DISTINCT blob, ` + sqlNow + ` FROM messages;
`
}()

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
		if !tb.positions {
			if _, err := t.exec(textInserts[tb.name+"_text"], args...); err != nil {
				return err
			}
		}
	}
	return nil
}

// textInserts are the INSERTs of the index tables and of their text
// tables.
var textInserts = func() map[string]string {
	m := map[string]string{}
	for _, t := range textTables {
		cols := strings.Join(store.TextColumnNames(t.first, t.end), ", ")
		values := ` VALUES (?` + strings.Repeat(", ?", int(t.end-t.first)) + `)`
		m[t.name] = `INSERT INTO ` + t.name + `(rowid, ` + cols + `)` + values
		m[t.name+"_text"] = `INSERT OR REPLACE INTO ` + t.name + `_text(blob, ` + cols + `)` + values
	}
	return m
}()

// unindexText removes the rows of bodies deleted (a JSON array of ids).
func (t *txn) unindexText(ids string) error {
	if _, err := t.exec(`DELETE FROM text_unindexed WHERE blob IN (SELECT value FROM json_each(?))`, ids); err != nil {
		return err
	}
	for _, tb := range textTables {
		if tb.positions {
			continue
		}
		if _, err := t.exec(`DELETE FROM `+tb.name+`_text WHERE blob IN (SELECT value FROM json_each(?))`, ids); err != nil {
			return err
		}
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

// SearchText implements store.TextIndex: the tables holding q's columns
// are asked, and their rows joined to the mailbox's messages
// (textParts). An exact query asks each table apart, its hits joined to
// the messages (the messages_blob index) in the same statement; the
// UIDs are merged here (docs/benchmarks.md §Full-text search: one
// statement uniting the tables spent half as long again on its
// temporary tables). A fuzzy query is ranked (fuzzyHits), its words all
// in one table.
func (s *Store) SearchText(ctx context.Context, mailbox store.MailboxID, q store.TextQuery) (store.TextHits, error) {
	const op = "search text"
	parts := textParts(q)
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
		h.Sure, h.Rank, err = s.fuzzyHits(ctx, mailbox, parts)
	} else if err == nil {
		h.Sure, err = s.exactHits(ctx, mailbox, parts)
	}
	if err != nil {
		return store.TextHits{}, store.Wrap(store.KindInternal, op, err)
	}
	return h, nil
}

// exactHits are the UIDs of the messages of mailbox that the parts
// match: each part's hits joined to the messages in its statement
// (messages_blob), the UIDs merged here.
func (s *Store) exactHits(ctx context.Context, mailbox store.MailboxID, parts []textPart) ([]store.UID, error) {
	var uids []store.UID
	for _, p := range parts {
		q, args := p.statement(mailbox, false)
		found, err := s.uids(ctx, q, args...)
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

// fuzzyHits are the UIDs of the messages of mailbox that the parts
// match, ascending, and the rank of each: the best of its tables'.
func (s *Store) fuzzyHits(ctx context.Context, mailbox store.MailboxID, parts []textPart) ([]store.UID, []float64, error) {
	best := map[store.UID]float64{}
	for _, p := range parts {
		q, args := p.statement(mailbox, true)
		rows, err := s.rdb.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, nil, err
		}
		uids, rank, err := p.scanRanks(rows)
		if err != nil {
			return nil, nil, err
		}
		for i, u := range uids {
			if r, ok := best[u]; !ok || rank[i] > r {
				best[u] = rank[i]
			}
		}
	}
	uids := slices.Sorted(maps.Keys(best))
	rank := make([]float64, len(uids))
	for i, u := range uids {
		rank[i] = best[u]
	}
	return uids, rank, nil
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
