package storecopy

import (
	"context"

	"github.com/petrelmail/petrel/internal/store"
)

// MailboxChecksum counts and checksums one mailbox's messages as Verify
// does (MailboxSum: UIDs, MODSEQs, flags, keywords, dates, IDs and the
// SHA-256 of every body), a page of pageSize messages at a time, and
// checksums its expunge log; a backup's manifest records them
// (internal/backup).
//
// sums, when not nil, knows the SHA-256 of bodies summed before: those
// are not read, and the result is the same.
func MailboxChecksum(ctx context.Context, s store.Store, mb store.MailboxID, pageSize int, sums BodySums) (messages int64, sum, expunged string, err error) {
	if messages, sum, err = mailboxSum(ctx, s, mb, pageSize, sums); err != nil {
		return 0, "", "", err
	}
	expunged, err = expungeSum(ctx, s, mb, pageSize)
	return messages, sum, expunged, err
}

// BodySums remembers the SHA-256 of message bodies across checksums of
// one mailbox (a backup's cache, internal/backup), so that a body summed
// before is not read again.
type BodySums interface {
	// Lookup returns the SHA-256 of m's body when it is known; it is
	// called in ascending UID order.
	Lookup(m *store.Message) (sum []byte, ok bool)
	// Keep is told the SHA-256 of every message's body, in ascending
	// UID order, after the lookups of its page.
	Keep(m *store.Message, sum []byte) error
}
