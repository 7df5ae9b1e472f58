package msgmeta

import "time"

// Version is the version of the Meta layout. Stored alongside each message so
// that a later release can re-derive metadata for old messages if needed.
const Version = 1

// Meta is everything IMAP needs about a message without reading its body:
// the envelope, the body structure with byte offsets of every part (so that
// BODY[section] can be streamed from the blob), and the decoded header fields
// used by SEARCH and SORT. It is computed once, at delivery.
//
// The Meta of a message encapsulated in a message/rfc822 part (Part.Message)
// has no Headers: its header fields are read from the blob when a FETCH asks
// for them.
type Meta struct {
	Version  int      `json:"v"`
	Envelope Envelope `json:"env"`
	// SentDate is the parsed Date: header (zero when missing or unparsable).
	SentDate time.Time `json:"sent,omitzero"`
	// Headers are the top-level header fields in order, with RFC 2047
	// encoded words decoded to UTF-8 (for SEARCH HEADER/FROM/SUBJECT...);
	// words in an unknown charset are left as written. At most 10000.
	// Lines that are not fields (no colon) are not listed.
	Headers []Field `json:"hdr,omitempty"`
	// Body is the structure of the whole message (the root part).
	Body Part `json:"body"`
	// WireSize is the size of the message as POP3 STAT and LIST announce
	// it: CRLF line endings, not dot-stuffed (RFC 1939 §11; see WireSize). Set on the top-level Meta only; 0 in
	// metadata stored before the field existed (and for an empty message).
	WireSize int64 `json:"ws,omitempty"`
}

// Field is one header field.
type Field struct {
	Name  string `json:"n"` // as written in the message
	Value string `json:"v"` // unfolded, RFC 2047 decoded
}

// Envelope is the IMAP ENVELOPE (RFC 9051 §7.5.2). Strings are as in the
// message (Subject raw, not decoded: IMAP sends it as the client wrote it),
// unfolded and trimmed; empty means NIL.
//
// Sender and ReplyTo are stored with the RFC 9051 default already applied:
// when the field is absent or holds no address, they are a copy of From. The
// IMAP encoder writes the Envelope as it is.
type Envelope struct {
	Date      string    `json:"date,omitempty"`
	Subject   string    `json:"subj,omitempty"`
	From      []Address `json:"from,omitempty"`
	Sender    []Address `json:"sender,omitempty"`
	ReplyTo   []Address `json:"rt,omitempty"`
	To        []Address `json:"to,omitempty"`
	Cc        []Address `json:"cc,omitempty"`
	Bcc       []Address `json:"bcc,omitempty"`
	InReplyTo string    `json:"irt,omitempty"`
	MessageID string    `json:"mid,omitempty"`
}

// Address is an IMAP envelope address. A group start has Mailbox set to the
// group name and Host empty; a group end has both empty (RFC 9051 §7.5.2).
// Name is the display name as written (quotes removed, RFC 2047 encoded
// words kept); Mailbox is the local part as written (quotes kept); Adl is an
// obsolete source route ("@a,@b"). An address missing its local part or
// domain has Mailbox "MISSING_MAILBOX" or Host "MISSING_DOMAIN", so that it
// never reads as a group marker.
type Address struct {
	Name    string `json:"n,omitempty"`
	Adl     string `json:"a,omitempty"`
	Mailbox string `json:"m,omitempty"`
	Host    string `json:"h,omitempty"`
}

// Part is one MIME entity (RFC 2045, RFC 9051 §7.5.2 BODYSTRUCTURE).
//
// Invariants the IMAP encoder can rely on: a Part whose Type is multipart
// has at least one child; a message/rfc822 or message/global Part has a
// Message. Input that would break them is degraded when parsed (see the
// package documentation). Without a Content-Type, a Part is text/plain with
// a charset=us-ascii parameter (RFC 2045 §5.2), or message/rfc822 inside a
// multipart/digest (RFC 2046 §5.1.5). The body of a Part is
// raw[Offset+HeaderSize : Offset+HeaderSize+BodySize].
type Part struct {
	Type        string   `json:"t"`  // e.g. "text", as written (case preserved); default "text"
	Subtype     string   `json:"st"` // e.g. "plain"; default "plain"
	Params      []Param  `json:"p,omitempty"`
	ID          string   `json:"id,omitempty"`
	Description string   `json:"desc,omitempty"`
	Encoding    string   `json:"enc,omitempty"` // Content-Transfer-Encoding; default "7BIT"
	MD5         string   `json:"md5,omitempty"`
	Disposition string   `json:"disp,omitempty"`
	DispParams  []Param  `json:"dp,omitempty"`
	Language    []string `json:"lang,omitempty"`
	Location    string   `json:"loc,omitempty"`
	// Offsets in the raw message (CRLF line endings as stored).
	Offset     int64 `json:"off"` // first byte of this part's header
	HeaderSize int64 `json:"hs"`  // header bytes including the blank line
	BodySize   int64 `json:"bs"`  // body bytes
	Lines      int64 `json:"ln"`  // body lines (text/* and message/rfc822)
	// Children of a multipart/*; the encapsulated message of message/rfc822
	// (or message/global) is in Message.
	Children []Part `json:"ch,omitempty"`
	Message  *Meta  `json:"msg,omitempty"`
}

// Param is one MIME parameter, decoded per RFC 2231 (continuations joined,
// charset applied) when the message used that syntax. Name is lower-cased;
// when the RFC 2231 charset is unknown, Name ends in '*' and Value is the
// joined charset'language'%XX form. RFC 2047 words in values (a common
// misuse for file names) are left as written, for the client to decode.
type Param struct {
	Name  string `json:"n"`
	Value string `json:"v"`
}
