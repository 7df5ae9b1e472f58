package store

import (
	"context"

	"github.com/petrelmail/petrel/internal/msgmeta"
)

// MessageData is one message of a bulk read: its record, its metadata
// and, when asked for, its body.
type MessageData struct {
	Message
	// Meta is the metadata parsed at delivery; its Headers only when the
	// read asked for them (ReadHeaders).
	Meta *msgmeta.Meta
	// Body is the message body when the read asked for it (ReadBody),
	// else nil. It is valid until the callback returns; the reader
	// closes it.
	Body Blob
}

// ReadFlags say what a bulk read returns besides the record and the
// metadata.
type ReadFlags uint8

const (
	// ReadHeaders fills Meta.Headers (SEARCH on header fields needs
	// them, FETCH does not: they are half of a typical message's
	// metadata).
	ReadHeaders ReadFlags = 1 << iota
	// ReadBody opens the bodies.
	ReadBody
	// ReadEnvelope decodes only the envelope of the metadata (Meta.Body
	// and Meta.Headers zero), for a FETCH whose only metadata item is
	// ENVELOPE: the structure is most of what the rest costs to decode.
	// ReadHeaders, when also set, has the whole metadata decoded.
	ReadEnvelope
)

// BulkReader reads the metadata (and the bodies) of many messages in one
// pass; every Store has it. IMAP uses it for FETCH of ENVELOPE,
// BODYSTRUCTURE and body sections and for SEARCH on message content,
// instead of one Meta and one OpenBlob call per message.
type BulkReader interface {
	// ReadMessages calls fn for each message of mailbox whose UID is in
	// uids (ascending, no duplicates), in ascending UID order, with what
	// the flags ask for. UIDs that name no message (expunged meanwhile)
	// are skipped. An error from fn stops the read and is returned as it
	// is. fn may call the store; the reader holds no database resources
	// while fn runs, so fn may be slow (a FETCH writing to a slow
	// client).
	ReadMessages(ctx context.Context, mailbox MailboxID, uids []UID, what ReadFlags, fn func(*MessageData) error) error
}

// UIDRuns splits ascending UIDs into ranges [from, to] to read: runs of
// consecutive UIDs, merged when fewer than maxGap UIDs lie between them
// (reading a few rows too many costs less than another query).
func UIDRuns(uids []UID, maxGap UID) [][2]UID {
	var out [][2]UID
	for _, u := range uids {
		if n := len(out); n > 0 && u > out[n-1][1] && u-out[n-1][1] <= maxGap {
			out[n-1][1] = u
			continue
		}
		out = append(out, [2]UID{u, u})
	}
	return out
}

// ReadRuns drives a backend's ReadMessages: for each run of uids
// (UIDRuns with maxGap) it reads chunks of rows ascending by UID
// (chunk(from, to) returns the first rows of [from, to], and more when it
// stopped at a limit), and calls call for each row whose UID (uidOf) is
// one of uids, in order. An error of chunk or call stops it and is
// returned as it is.
func ReadRuns[R any](uids []UID, maxGap UID, uidOf func(*R) UID, chunk func(from, to UID) (rows []R, more bool, err error),
	call func(*R) error) error {
	want := uids
	for _, run := range UIDRuns(uids, maxGap) {
		for from := run[0]; ; {
			rows, more, err := chunk(from, run[1])
			if err != nil {
				return err
			}
			for i := range rows {
				u := uidOf(&rows[i])
				for len(want) > 0 && want[0] < u {
					want = want[1:]
				}
				if len(want) == 0 || want[0] != u {
					continue
				}
				if err := call(&rows[i]); err != nil {
					return err
				}
			}
			if !more || len(rows) == 0 {
				break
			}
			from = uidOf(&rows[len(rows)-1]) + 1
		}
	}
	return nil
}

// DecodeMeta decodes the stored metadata of a bulk read's row, with its
// headers only when what asks for them (ReadHeaders), or only its
// envelope (ReadEnvelope).
func DecodeMeta(raw []byte, what ReadFlags) (*msgmeta.Meta, error) {
	if what&ReadHeaders != 0 {
		return msgmeta.Unmarshal(raw)
	}
	if what&ReadEnvelope != 0 {
		return msgmeta.UnmarshalEnvelope(raw)
	}
	return msgmeta.UnmarshalWithoutHeaders(raw)
}
