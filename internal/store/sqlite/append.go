package sqlite

import (
	"context"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// AppendBatch stores several messages in one mailbox as one write request:
// one savepoint of one group commit, so the batch is committed whole or
// not at all, also across a crash (RFC 3502 §3).
func (s *Store) AppendBatch(ctx context.Context, account store.AccountID, mailbox store.MailboxID, msgs []store.AppendMessage) (store.Appended, error) {
	const op = "append"
	if len(msgs) == 0 {
		return store.Appended{}, store.Errorf(store.KindInvalid, op, "no messages")
	}
	if err := s.space.admit(op); err != nil {
		return store.Appended{}, err
	}
	bodies := make([]*body, 0, len(msgs))
	release := func() {
		for _, b := range bodies {
			s.removeBlobFile(b.rel)
		}
	}
	// Bodies are read (and large ones fsynced to files) before the write
	// request is queued: a reader error fails the batch with nothing stored.
	for _, m := range msgs {
		b, err := s.intakeMail(m.Body, m.Meta)
		if err != nil {
			release()
			return store.Appended{}, err
		}
		bodies = append(bodies, b)
	}
	var res store.Appended
	err := s.w.doMail(ctx, op, func(t *txn) error {
		var err error
		res, err = t.appendBatch(account, mailbox, msgs, bodies)
		return err
	})
	if err != nil {
		release()
		return store.Appended{}, err
	}
	s.indexer.Poke()
	return res, nil
}

// appendBatch charges the quota for the whole batch, allocates consecutive
// UIDs and one MODSEQ (RFC 7162 §3.1.1 lets messages share one), and
// inserts the blobs and messages. Any error rolls the savepoint back, the
// quota charge included.
func (t *txn) appendBatch(account store.AccountID, mailbox store.MailboxID, msgs []store.AppendMessage, bodies []*body) (store.Appended, error) {
	const op = "append"
	res := store.Appended{Mailbox: mailbox}
	var size, unseen int64
	for i, b := range bodies {
		size += b.size
		unseen += boolInt(msgs[i].Flags&store.FlagSeen == 0)
	}
	n := int64(len(msgs))
	if err := t.chargeQuota(op, account, size, n, true); err != nil {
		return res, err
	}
	var first store.UID
	err := t.queryRow(`UPDATE mailboxes SET uidnext = uidnext + ?1, highestmodseq = highestmodseq + 1,
		messages = messages + ?1, unseen = unseen + ?2, size = size + ?3 WHERE id = ?4 AND account = ?5
		RETURNING uidvalidity, uidnext - ?1, highestmodseq`, n, unseen, size, mailbox, account).Scan(&res.UIDValidity, &first, &res.ModSeq)
	if isNoRows(err) {
		return res, store.Errorf(store.KindNotFound, op, "no such mailbox")
	}
	if err != nil {
		return res, err
	}
	now := time.Now()
	for i, b := range bodies {
		blob, err := t.insertBlob(b, 1)
		if err != nil {
			return res, err
		}
		m := msgs[i]
		date := m.InternalDate
		if date.IsZero() {
			date = now
		}
		_, zone := date.Zone()
		uid := first + store.UID(i)
		thread, err := assignThread(t, account, b.threadKeys, store.EmailID(blob))
		if err != nil {
			return res, err
		}
		if err := t.insertMessage(mailbox, uid, res.ModSeq, m.Flags, m.Keywords, date.Unix(), zone, b.size, blob,
			thread); err != nil {
			return res, err
		}
		res.UIDs = append(res.UIDs, uid)
		if b.rel != "" {
			t.op.syncDirs = append(t.op.syncDirs, t.w.s.blobDirOf(b.rel))
		}
	}
	t.publish(store.Change{Account: account, Mailbox: mailbox, Kind: store.ChangeAdded, UIDs: res.UIDs, ModSeq: res.ModSeq})
	return res, nil
}
