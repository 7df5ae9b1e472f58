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
func MailboxChecksum(ctx context.Context, s store.Store, mb store.MailboxID, pageSize int) (messages int64, sum, expunged string, err error) {
	if messages, sum, err = mailboxSum(ctx, s, mb, pageSize); err != nil {
		return 0, "", "", err
	}
	expunged, err = expungeSum(ctx, s, mb, pageSize)
	return messages, sum, expunged, err
}
