package store

import "github.com/petrelmail/petrel/internal/msgmeta"

// CopyThreads returns the thread IDs of the copies of msgs, from account
// src into account dst (Mail.Copy, Mail.Move): their own within one
// account (RFC 8474 §5.2: a copy is the same message); into another
// account (a shared mailbox, docs/architecture.md §Shared mailboxes),
// the thread that account gives their ThreadKeys, as if they were
// delivered there now: assign is the backend's threading of one message
// (its keys, its EmailID) in dst, meta reads a body's stored metadata.
// Each body is threaded once.
func CopyThreads(src, dst AccountID, msgs []Message, meta func(BlobID) ([]byte, error),
	assign func(keys []string, email EmailID) (ThreadID, error)) ([]ThreadID, error) {
	out := make([]ThreadID, len(msgs))
	if src == dst {
		for i, m := range msgs {
			out[i] = m.ThreadID
		}
		return out, nil
	}
	th := make(map[BlobID]ThreadID, len(msgs))
	for i, m := range msgs {
		if id, ok := th[m.Blob]; ok {
			out[i] = id
			continue
		}
		raw, err := meta(m.Blob)
		if err != nil {
			return nil, err
		}
		var keys []string
		if parsed, err := msgmeta.Unmarshal(raw); err == nil {
			keys = ThreadKeys(parsed)
		}
		id, err := assign(keys, EmailID(m.Blob))
		if err != nil {
			return nil, err
		}
		th[m.Blob], out[i] = id, id
	}
	return out, nil
}
