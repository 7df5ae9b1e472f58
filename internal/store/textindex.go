package store

import (
	"context"
	"io"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// TextColumn is one column of the full-text index (docs/architecture.md
// §Full-text index): the strings one SEARCH text key looks in for one
// class of needle (imapmsg.IndexText writes them, imapmsg.TextPlan picks
// them).
type TextColumn int

// The columns, in the order of IndexText.Columns. NV columns hold a
// field's name and its value as two strings; Colon columns "Name: Value".
const (
	ColSubject    TextColumn = iota // Subject values
	ColFrom                         // From values and addresses
	ColTo                           // To values and addresses
	ColCc                           // Cc values and addresses
	ColBcc                          // Bcc values and addresses
	ColTopNV                        // the message's header fields
	ColTopColon                     // the message's header fields
	ColSubNVEnc                     // part headers holding encoded words, parsed
	ColSubNVPlain                   // part headers without encoded words, parsed
	ColSubColon                     // every part header, parsed
	ColSubRaw                       // part headers without encoded words, as written
	ColBody                         // the decoded text of the text parts
	NumTextColumns
)

// textColumnNames are the columns' names in the backends' schemas.
var textColumnNames = [NumTextColumns]string{"subject", "hfrom", "hto", "hcc", "hbcc", "top_nv", "top_colon",
	"sub_nv_enc", "sub_nv_plain", "sub_colon", "sub_raw", "body"}

// Name is the column's name in the backends' schemas.
func (c TextColumn) Name() string { return textColumnNames[c] }

// TextColumnNames lists the names of the columns from..to-1.
func TextColumnNames(from, to TextColumn) []string {
	return append([]string(nil), textColumnNames[from:to]...)
}

// TextSeparator separates the strings of one column. A needle without it
// can only be found inside one of them.
const TextSeparator = '\n'

// MaxIndexText bounds the text indexed for one message (all columns): a
// message with more is not indexed and is always searched by reading it
// (README "Full-text search").
const MaxIndexText = 1 << 20

// IndexText is the text of one message as the full-text index keeps it:
// for each column its strings, case-folded, valid UTF-8, joined by
// TextSeparator.
type IndexText struct {
	Columns [NumTextColumns]string
}

// Size is the length of the text in octets.
func (t *IndexText) Size() int {
	n := 0
	for _, c := range t.Columns {
		n += len(c)
	}
	return n
}

// TextExtractor computes the IndexText of a message from its metadata
// and body; ok is false when the message has more than MaxIndexText
// (it is then left out of the index). The backends take one in their
// options (the server passes imapmsg.IndexText); without one, nothing is
// indexed and every text search reads the messages.
type TextExtractor func(meta *msgmeta.Meta, body io.ReaderAt, size int64) (t *IndexText, ok bool, err error)

// TextQuery asks the full-text index for the messages of one mailbox
// that hold Needle (case-folded, at least 3 characters, valid UTF-8
// without TextSeparator) in one of Columns.
//
// With Fuzzy (SEARCH=FUZZY, RFC 6203 §3), Needle is words separated by
// spaces, each of at least 3 characters, found in any order, each in
// one of Columns; the hits are then ranked (TextHits.Rank).
type TextQuery struct {
	Columns []TextColumn
	Needle  string
	Fuzzy   bool
}

// TextHits answers a TextQuery: Sure hold the needle; Maybe are not in
// the index (stored before it, never rebuilt, or over MaxIndexText) and
// must be read to know. Both ascend; a UID may be in both when the
// background indexer reached it during the query (the answer is their
// union, so it is never in neither). For a fuzzy query, Rank holds the
// relevance of each Sure UID (higher is more relevant; the scale is the
// backend's: FTS5's bm25, pg_trgm's word similarity).
type TextHits struct {
	Sure, Maybe []UID
	Rank        []float64
}

// TextIndex is the full-text index of a store.
type TextIndex interface {
	// SearchText answers q over the messages of mailbox.
	SearchText(ctx context.Context, mailbox MailboxID, q TextQuery) (TextHits, error)
	// RebuildTextIndex indexes the messages of account (0: of every
	// account) that are not in the index, and returns how many it indexed.
	RebuildTextIndex(ctx context.Context, account AccountID) (int, error)
}

// RebuildText is the loop of a backend's RebuildTextIndex: list gives
// the next bodies to index, after the id after (ascending; none when
// done); extract the text of one (nil: not to be indexed: gone, over
// MaxIndexText, unreadable metadata); write stores a batch in one
// transaction. It returns how many bodies it indexed (not those found
// not to be indexed).
func RebuildText(list func(after BlobID) ([]BlobID, error), extract func(BlobID) (*IndexText, error),
	write func(ids []BlobID, texts []*IndexText) error) (int, error) {
	done := 0
	var after BlobID
	for {
		ids, err := list(after)
		if err != nil || len(ids) == 0 {
			return done, err
		}
		after = ids[len(ids)-1]
		texts := make([]*IndexText, len(ids))
		for i, id := range ids {
			if texts[i], err = extract(id); err != nil {
				return done, err
			}
		}
		if err := write(ids, texts); err != nil {
			return done, err
		}
		for _, t := range texts {
			if t != nil {
				done++
			}
		}
	}
}

// ExtractStored is the index text of a stored body from its encoded
// metadata and its blob (opened by open): nil when it is not to be
// indexed (unreadable metadata, the blob gone, over MaxIndexText, a
// content the extractor fails on); an error only when the blob cannot be
// read for another reason.
func ExtractStored(extract TextExtractor, rawMeta []byte, open func() (Blob, error)) (*IndexText, error) {
	meta, err := msgmeta.Unmarshal(rawMeta)
	if err != nil {
		return nil, nil
	}
	blob, err := open()
	if IsKind(err, KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer blob.Close()
	t, ok, err := extract(meta, blob, blob.Size())
	if err != nil || !ok {
		return nil, nil
	}
	return t, nil
}
