package sqlite

import (
	"context"

	"github.com/petrelmail/petrel/internal/store"
)

// ImportMessages implements store.Importer. Like AppendBatch, the bodies
// are taken in (large ones fsynced to files) before the write request is
// queued, and the batch is one savepoint of one group commit; the bodies
// of UIDs present already are not read.
func (s *Store) ImportMessages(ctx context.Context, account store.AccountID, mailbox store.MailboxID, msgs []store.ImportMessage) (store.Imported, error) {
	const op = "import messages"
	if err := store.CheckImportMessages(msgs); err != nil {
		return store.Imported{}, err
	}
	if err := s.space.admit(op); err != nil {
		return store.Imported{}, err
	}
	bodies := make([]*body, len(msgs))
	release := func() {
		for _, b := range bodies {
			if b != nil {
				s.removeBlobFile(b.rel)
			}
		}
	}
	present, err := s.presentUIDs(ctx, mailbox, msgs)
	if err != nil {
		return store.Imported{}, err
	}
	for i, m := range msgs {
		if present[m.UID] {
			continue // importMessages checks its email ID
		}
		if bodies[i], err = s.intakeMail(m.Body, m.Meta); err != nil {
			release()
			return store.Imported{}, err
		}
	}
	// Once queued, the write may commit even if ctx ends: wait for its
	// outcome, or the bodies' files would be removed under rows that
	// reference them.
	var res store.Imported
	err = s.w.doMail(context.WithoutCancel(ctx), op, func(t *txn) error {
		res = store.Imported{}
		return t.importMessages(account, mailbox, msgs, bodies, &res)
	})
	if err != nil {
		release()
		return store.Imported{}, err
	}
	s.indexer.Poke()
	return res, nil
}

// presentUIDs reports which UIDs of msgs the mailbox holds, in one query.
func (s *Store) presentUIDs(ctx context.Context, mailbox store.MailboxID, msgs []store.ImportMessage) (map[store.UID]bool, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	lo, hi := msgs[0].UID, msgs[0].UID
	for _, m := range msgs {
		lo, hi = min(lo, m.UID), max(hi, m.UID)
	}
	have, err := s.Messages(ctx, mailbox, lo, hi)
	if err != nil {
		return nil, err
	}
	out := make(map[store.UID]bool, len(have))
	for _, m := range have {
		out[m.UID] = true
	}
	return out, nil
}

// importMessages inserts the messages not present, sharing the blob of an
// email ID the store has (a copy in another mailbox), and raises the
// mailbox's counters, UIDNEXT and HIGHESTMODSEQ and the account's usage.
func (t *txn) importMessages(account store.AccountID, mailbox store.MailboxID, msgs []store.ImportMessage, bodies []*body, res *store.Imported) error {
	const op = "import messages"
	var owner store.AccountID
	if err := t.queryRow(`SELECT account FROM mailboxes WHERE id = ?`, mailbox).Scan(&owner); isNoRows(err) || owner != account {
		return store.Errorf(store.KindNotFound, op, "no such mailbox")
	} else if err != nil {
		return err
	}
	th, err := t.importThreads(account, bodies)
	if err != nil {
		return err
	}
	var n, unseen, size int64
	var next store.UID
	var hms store.ModSeq
	for i, m := range msgs {
		old, ok, err := t.message(mailbox, m.UID)
		if err != nil {
			return err
		}
		if ok {
			if old.EmailID != m.EmailID {
				return store.Errorf(store.KindExists, op, "UID %d holds another message (%s, not %s)", m.UID, old.EmailID, m.EmailID)
			}
			res.Present++
			t.dropUnused(bodies[i])
			continue
		}
		b := bodies[i]
		if b == nil {
			return store.Errorf(store.KindTemporary, op, "UID %d was expunged during the import: run it again", m.UID)
		}
		if err := t.importBlob(op, b, m.EmailID); err != nil {
			return err
		}
		thread := th.thread(m, b.threadKeys)
		_, zone := m.InternalDate.Zone()
		if err := t.insertMessageSaved(mailbox, m.UID, m.ModSeq, m.Flags, m.Keywords, m.InternalDate.Unix(), zone, b.size,
			store.BlobID(m.EmailID), thread, m.SaveDate); err != nil {
			return err
		}
		res.Added++
		n, size = n+1, size+b.size
		unseen += boolInt(m.Flags&store.FlagSeen == 0)
		next, hms = max(next, m.UID+1), max(hms, m.ModSeq)
	}
	if n == 0 {
		return nil
	}
	if err := t.addThreadKeys(account, th.add); err != nil {
		return err
	}
	if _, err := t.exec(`UPDATE mailboxes SET messages = messages + ?, unseen = unseen + ?, size = size + ?,
		uidnext = max(uidnext, ?), highestmodseq = max(highestmodseq, ?) WHERE id = ?`,
		n, unseen, size, int64(next), int64(hms), mailbox); err != nil {
		return err
	}
	return t.chargeQuota(op, account, size, n, false)
}

// importBlob stores b as the blob of email ID id, or, when the store has
// that email ID (a copy in another mailbox), adds a reference to it: then
// its size must match and a message must hold it (not a queued body).
func (t *txn) importBlob(op string, b *body, id store.EmailID) error {
	var size int64
	err := t.queryRow(`SELECT size FROM blobs WHERE id = ?`, id).Scan(&size)
	if isNoRows(err) {
		if _, err := t.insertBlobAt(b, store.BlobID(id), 1); err != nil {
			return err
		}
		if b.rel != "" {
			t.op.syncDirs = append(t.op.syncDirs, t.w.s.blobDirOf(b.rel))
		}
		return nil
	}
	if err != nil {
		return err
	}
	var held int
	if err := t.queryRow(`SELECT count(*) FROM messages WHERE blob = ? LIMIT 1`, id).Scan(&held); err != nil {
		return err
	}
	if size != b.size || held == 0 {
		return store.Errorf(store.KindExists, op, "email ID %s names another body in this store", id)
	}
	t.dropUnused(b)
	return t.addBlobRefs(store.BlobID(id), 1)
}

// dropUnused removes, after the commit, the file of a body taken in but
// not stored.
func (t *txn) dropUnused(b *body) {
	if b != nil && b.rel != "" {
		s, rel := t.w.s, b.rel
		t.afterCommit(func() { s.removeBlobFile(rel) })
	}
}
