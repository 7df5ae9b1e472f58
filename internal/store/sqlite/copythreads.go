package sqlite

import "github.com/petrelmail/petrel/internal/store"

// copyThreads is store.CopyThreads in the transaction.
func (t *txn) copyThreads(src, dst store.AccountID, msgs []store.Message) ([]store.ThreadID, error) {
	return store.CopyThreads(src, dst, msgs,
		func(b store.BlobID) (raw []byte, err error) {
			err = t.queryRow(`SELECT meta FROM blob_meta WHERE id = ?`, b).Scan(&raw)
			return raw, err
		},
		func(keys []string, email store.EmailID) (store.ThreadID, error) {
			return assignThread(t, dst, keys, email)
		})
}
