package postgres

import (
	"slices"

	"github.com/petrelmail/petrel/internal/msgmeta"
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

// copyThreads returns the thread IDs of the copies of msgs in account
// dst: their own within their account src (RFC 8474 §5.2: a copy is the
// same message), or, into another account, the thread the destination
// account gives their thread keys (store.ThreadKeys), as if they were
// delivered there now. A copy keeps its EmailID (the shared blob's ID)
// either way.
func (t *txn) copyThreads(src, dst store.AccountID, msgs []store.Message) ([]store.ThreadID, error) {
	out := make([]store.ThreadID, len(msgs))
	if src == dst {
		for i, m := range msgs {
			out[i] = m.ThreadID
		}
		return out, nil
	}
	th := make(map[store.BlobID]store.ThreadID, len(msgs))
	for i, m := range msgs {
		if id, ok := th[m.Blob]; ok {
			out[i] = id
			continue
		}
		var raw []byte
		if err := t.queryRow(`SELECT meta FROM blobs WHERE id = $1`, m.Blob).Scan(&raw); err != nil {
			return nil, err
		}
		var keys []string
		if meta, err := msgmeta.Unmarshal(raw); err == nil {
			keys = store.ThreadKeys(meta)
		}
		id, err := t.assignThread(dst, keys, store.EmailID(m.Blob))
		if err != nil {
			return nil, err
		}
		th[m.Blob], out[i] = id, id
	}
	return out, nil
}
