package sqlite

import (
	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

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
		if err := t.queryRow(`SELECT meta FROM blob_meta WHERE id = ?`, m.Blob).Scan(&raw); err != nil {
			return nil, err
		}
		var keys []string
		if meta, err := msgmeta.Unmarshal(raw); err == nil {
			keys = store.ThreadKeys(meta)
		}
		id, err := assignThread(t, dst, keys, store.EmailID(m.Blob))
		if err != nil {
			return nil, err
		}
		th[m.Blob], out[i] = id, id
	}
	return out, nil
}
