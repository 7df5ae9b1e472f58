package imapmsg

import (
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// Section is a FETCH section: BODY[<section>]<<partial>> (RFC 9051 §6.4.5)
// or BINARY[<section-binary>]<<partial>> (RFC 3516 §4.1, RFC 9051 §6.4.5).
type Section struct {
	// Part is the part number path ("1.2" is {1, 2}); nil is the whole
	// message.
	Part []int
	// Specifier is "", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT",
	// "TEXT" or "MIME" (upper case).
	Specifier string
	// Fields are the field names of HEADER.FIELDS and HEADER.FIELDS.NOT.
	Fields []string
	// Binary asks for the content with its Content-Transfer-Encoding
	// decoded (RFC 3516).
	Binary bool
	// Partial is the <offset.count> range, or nil.
	Partial *Partial
}

// Partial is the <offset.count> of a FETCH section (RFC 9051 §6.4.5).
type Partial struct{ Offset, Count int64 }

// UnknownEncodingError is returned for BINARY[...] of a part whose
// Content-Transfer-Encoding cannot be decoded: IMAP answers
// NO [UNKNOWN-CTE] (RFC 3516 §4.3, RFC 9051 §7.1).
type UnknownEncodingError struct {
	Encoding string // the Content-Transfer-Encoding as written
}

func (e UnknownEncodingError) Error() string {
	return "imapmsg: unknown content-transfer-encoding " + e.Encoding
}

// SearchKind is the kind of one SEARCH key (RFC 9051 §6.4.4).
type SearchKind int

// The SEARCH keys. SeqSet keys are resolved to UIDs by the caller and
// matched as UID.
const (
	All SearchKind = iota
	Answered
	Deleted
	Draft
	Flagged
	Seen
	Unanswered
	Undeleted
	Undraft
	Unflagged
	Unseen
	New
	Old
	Recent
	Keyword
	Unkeyword
	Before
	On
	Since
	SentBefore
	SentOn
	SentSince
	Larger
	Smaller
	Bcc
	Body
	Cc
	From
	Subject
	Text
	To
	Header
	UID
	SeqSet
	ModSeq
	Not
	Or
	And
	// EMAILID and THREADID (RFC 8474 §6): Text is the objectid.
	EmailID
	ThreadID
	// SortedUIDs is UID with UIDs ascending and disjoint, matched by
	// binary search: imapd's answer from the full-text index.
	SortedUIDs
	// Fuzzy is FUZZY (RFC 6203 §3): its one child matched in a way of
	// the server's choosing; Match matches the child as it is, imapd
	// asks the full-text index (FuzzyPlan).
	Fuzzy
	// Older and Younger are RFC 5032 WITHIN's keys: the internal date
	// before Date, or not (the caller sets Date to now less Number
	// seconds).
	Older
	Younger
	// SavedBefore, SavedOn and SavedSince are RFC 8514 §4.2's keys:
	// BEFORE, ON and SINCE on the save date.
	SavedBefore
	SavedOn
	SavedSince
)

// SearchKey is one node of a SEARCH key tree, as imapd's parser builds it.
type SearchKey struct {
	Kind     SearchKind
	Text     string      // string argument, keyword name
	Field    string      // HEADER field name
	Date     time.Time   // date keys: only the calendar date is used
	Number   int64       // LARGER, SMALLER, MODSEQ
	UIDs     []UIDRange  // UID (and SeqSet, once resolved)
	Children []SearchKey // NOT: 1, OR: 2, AND: any number
}

// UIDRange is an inclusive range of UIDs.
type UIDRange struct{ Lo, Hi store.UID }

// Candidate is one message as SEARCH sees it. Meta and Body are called
// only when a key needs them (see NeedsMeta and NeedsBody), at most once
// each per Match call; Match closes the Blob it got from Body.
type Candidate struct {
	Msg    store.Message
	Recent bool // session property (RFC 3501 \Recent)
	Meta   func() (*msgmeta.Meta, error)
	Body   func() (store.Blob, error)
}
