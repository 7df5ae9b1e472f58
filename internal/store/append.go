package store

import (
	"io"
	"time"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// AppendMessage is one message of an AppendBatch.
type AppendMessage struct {
	// Body is the raw message (RFC 5322, CRLF line endings). Read once,
	// before anything is stored.
	Body io.Reader
	// Meta is the metadata of exactly Body, parsed by the caller (IMAP
	// APPEND), stored as given; nil makes the backend parse Body.
	Meta *msgmeta.Meta
	// Flags and Keywords are the message's initial flags.
	Flags    Flags
	Keywords []string
	// InternalDate defaults to now.
	InternalDate time.Time
}

// Appended reports an AppendBatch: the new messages' UIDs, consecutive
// and in the order of the batch, for APPENDUID (RFC 4315 §3), and the one
// MODSEQ they share (the mailbox's HIGHESTMODSEQ after the batch).
type Appended struct {
	Mailbox     MailboxID
	UIDValidity uint32
	UIDs        []UID
	ModSeq      ModSeq
}
