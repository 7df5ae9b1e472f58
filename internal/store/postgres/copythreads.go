package postgres

import (
	"slices"

	"github.com/petrelmail/petrel/internal/store"
)

// lockAccountsOf locks the accounts of the mailboxes in ascending order
// (the lock order of messages.go): a copy between two accounts (into a
// shared mailbox) must not deadlock with one the other way. A mailbox
// never changes account, so reading them unlocked first is safe; a
// mailbox that is gone is left to mailboxState to report.
func (t *txn) lockAccountsOf(op string, boxes ...store.MailboxID) error {
	ids := make([]int64, len(boxes))
	for i, b := range boxes {
		ids[i] = int64(b)
	}
	accts, err := queryInts[store.AccountID](t, `SELECT DISTINCT account FROM mailboxes WHERE id = ANY($1)`, ids)
	if err != nil || len(accts) < 2 {
		return err
	}
	slices.Sort(accts)
	for _, a := range accts {
		if err := t.lockAccount(op, a); err != nil {
			return err
		}
	}
	return nil
}

// copyThreads is store.CopyThreads in the transaction.
func (t *txn) copyThreads(src, dst store.AccountID, msgs []store.Message) ([]store.ThreadID, error) {
	return store.CopyThreads(src, dst, msgs,
		func(b store.BlobID) (raw []byte, err error) {
			err = t.queryRow(`SELECT meta FROM blobs WHERE id = $1`, b).Scan(&raw)
			return raw, err
		},
		func(keys []string, email store.EmailID) (store.ThreadID, error) {
			return t.assignThread(dst, keys, email)
		})
}
