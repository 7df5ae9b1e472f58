package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/petrelmail/petrel/internal/store"
)

// textPart is the query of one FTS5 table (textTables): match is its
// FTS5 query, cols the columns of q in the table, words the strings each
// hit holds (the needle; fuzzy, each word).
type textPart struct {
	table textTable
	cols  []string
	match string
	words []string
}

// textParts are the queries of the tables holding q's columns.
func textParts(q store.TextQuery) []textPart {
	words := []string{q.Needle}
	if q.Fuzzy {
		words = strings.Fields(q.Needle)
	}
	var parts []textPart
	for _, tb := range textTables {
		var cols []string
		for _, c := range q.Columns {
			if c >= tb.first && c < tb.end {
				cols = append(cols, c.Name())
			}
		}
		if len(cols) == 0 {
			continue
		}
		parts = append(parts, textPart{table: tb, cols: cols, words: words, match: ftsQuery(tb.positions, cols, words)})
	}
	return parts
}

// ftsQuery is the FTS5 query of words, all of them, in the columns cols.
// With positions, each word is a phrase (a string, its quotes doubled),
// which the trigram tokenizer answers exactly. Without, a phrase of more
// than one trigram is not allowed (FTS5 needs the positions to join
// them): each word is an AND of trigrams covering it, which finds a
// superset, verified by the part's statement (and in any of the
// table's columns: FTS5 filters columns only with positions or column
// lists).
func ftsQuery(positions bool, cols, words []string) string {
	var terms []string
	for _, w := range words {
		if positions {
			terms = append(terms, w)
		} else {
			terms = append(terms, coverTrigrams(w)...)
		}
	}
	var b strings.Builder
	if positions { // without, FTS5 has no column filter; the verification has
		b.WriteString("{" + strings.Join(cols, " ") + "} : ")
	}
	b.WriteString("(")
	for i, t := range slices.Compact(terms) {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(`"` + strings.ReplaceAll(t, `"`, `""`) + `"`)
	}
	b.WriteString(")")
	return b.String()
}

// coverTrigrams are trigrams of w (at least 3 characters) that cover
// every character of it: those at 0, 3, 6... and the last. Any trigram
// of w is in every text holding w; fewer of them are fewer lists for
// FTS5 to read, and the verification is exact whichever are asked.
func coverTrigrams(w string) []string {
	r := []rune(w)
	var out []string
	for i := 0; i+3 <= len(r); i += 3 {
		out = append(out, string(r[i:i+3]))
	}
	if len(r)%3 != 0 {
		out = append(out, string(r[len(r)-3:]))
	}
	return out
}

// verified reports whether the part's FTS5 query alone answers exactly:
// with positions, or when every word is one trigram.
func (p textPart) verified() bool {
	return p.table.positions || !slices.ContainsFunc(p.words, func(w string) bool { return utf8.RuneCountInString(w) > 3 })
}

// statement is the part's SELECT of the UIDs of mailbox's messages it
// matches (ranked: and what ranks them, read by scanRanks). A table with
// positions ranks by FTS5's bm25 (all columns weighing the same). A
// table without checks its candidates' text (the name_text table, after
// the join to the mailbox's messages, so that only those are read):
// every word in one of the columns, instr() being an exact substring
// test of the case-folded text; ranked, it gives for each column its
// length and for each word the length without it (one replace() per
// word: its occurrences, scanRanks' term frequencies).
func (p textPart) statement(mailbox store.MailboxID, ranked bool) (string, []any) {
	t := p.table.name
	if p.table.positions {
		if ranked {
			return `SELECT m.uid, h.r FROM (SELECT rowid, -bm25(` + t + `) AS r FROM ` + t + ` WHERE ` + t + ` MATCH ?) h
			CROSS JOIN messages m ON m.blob = h.rowid AND m.mailbox = ?`, []any{p.match, mailbox}
		}
		return `SELECT m.uid FROM (SELECT rowid FROM ` + t + ` WHERE ` + t + ` MATCH ?) h
			CROSS JOIN messages m ON m.blob = h.rowid AND m.mailbox = ?`, []any{p.match, mailbox}
	}
	var args []any
	q := `SELECT m.uid`
	if ranked {
		for _, c := range p.cols {
			q += `, length(x.` + c + `)`
			for _, w := range p.words {
				q += `, length(replace(x.` + c + `, ?, ''))`
				args = append(args, w)
			}
		}
	}
	args = append(args, p.match, mailbox)
	q += ` FROM (SELECT rowid FROM ` + t + ` WHERE ` + t + ` MATCH ?) h
			CROSS JOIN messages m ON m.blob = h.rowid AND m.mailbox = ?`
	if p.verified() && !ranked {
		return q, args
	}
	var conds []string
	for _, w := range p.words {
		var in []string
		for _, c := range p.cols {
			in = append(in, `instr(x.`+c+`, ?) > 0`)
			args = append(args, w)
		}
		conds = append(conds, "("+strings.Join(in, " OR ")+")")
	}
	return q + `
			CROSS JOIN ` + t + `_text x ON x.blob = h.rowid AND ` + strings.Join(conds, " AND "), args
}

// scanRanks reads the rows of the part's ranked statement. A table
// without positions ranks by the words' occurrences in the columns,
// tf / (tf + 1.2) summed over the words and columns: bm25's term
// frequency part, FTS5 keeping no frequencies without positions.
func (p textPart) scanRanks(rows *sql.Rows) ([]store.UID, []float64, error) {
	if p.table.positions {
		return scanRanked(rows, true)
	}
	defer rows.Close()
	var uids []store.UID
	var rank []float64
	lens := make([]int64, len(p.cols)*(1+len(p.words)))
	dest := []any{new(store.UID)}
	for i := range lens {
		dest = append(dest, &lens[i])
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, err
		}
		r := 0.0
		for c := range p.cols {
			l := lens[c*(1+len(p.words)):]
			for i, w := range p.words {
				tf := float64(l[0]-l[1+i]) / float64(utf8.RuneCountInString(w))
				r += tf / (tf + 1.2)
			}
		}
		uids = append(uids, *dest[0].(*store.UID))
		rank = append(rank, r)
	}
	return uids, rank, rows.Err()
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
