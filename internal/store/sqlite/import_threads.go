package sqlite

import (
	"github.com/petrelmail/petrel/internal/store"
)

// importThreads threads the messages of one ImportMessages batch: the
// account's known thread keys among the batch's are read in a few
// queries, the new ones written in a few statements at the end
// (addThreadKeys), rather than a statement or two per message.
type importThreads struct {
	known map[string]store.ThreadID // the account's keys, with those the batch adds
	add   []store.ThreadKey
}

// importThreads reads which thread keys of the bodies the account knows.
func (t *txn) importThreads(account store.AccountID, bodies []*body) (*importThreads, error) {
	var keys []string
	for _, b := range bodies {
		if b != nil {
			keys = append(keys, b.threadKeys...)
		}
	}
	th := &importThreads{known: make(map[string]store.ThreadID, len(keys))}
	const chunk = 500
	for len(keys) > 0 {
		n := min(len(keys), chunk)
		args := make([]any, 0, 1+n)
		args = append(args, account)
		for _, k := range keys[:n] {
			args = append(args, k)
		}
		rows, err := t.query(`SELECT key, thread FROM thread_keys WHERE account = ? AND key IN (`+placeholders(n, "?")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k string
			var id store.ThreadID
			if err := rows.Scan(&k, &id); err != nil {
				rows.Close()
				return nil, err
			}
			th.known[k] = id
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		keys = keys[n:]
	}
	return th, nil
}

// thread returns the thread of imported message m whose thread keys are
// keys: its own ThreadID or, when 0, the thread of its first key the
// account knows (or an earlier message of the batch gave), else one
// numbered like its EmailID, as at delivery (assignThread). The keys
// not known yet name that thread.
func (th *importThreads) thread(m store.ImportMessage, keys []string) store.ThreadID {
	thread := m.ThreadID
	if thread == 0 {
		thread = store.ThreadID(m.EmailID)
		for _, k := range keys {
			if id, ok := th.known[k]; ok {
				thread = id
				break
			}
		}
	}
	for _, k := range keys {
		if _, ok := th.known[k]; !ok {
			th.known[k] = thread
			th.add = append(th.add, store.ThreadKey{Key: k, Thread: thread})
		}
	}
	return thread
}
