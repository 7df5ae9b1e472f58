package postgres

import (
	"context"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// AppendBatch stores several messages in one mailbox in one transaction,
// committed whole or not at all (RFC 3502 §3). The bodies are read first:
// a reader error fails the batch with nothing stored.
func (s *Store) AppendBatch(ctx context.Context, account store.AccountID, mailbox store.MailboxID, msgs []store.AppendMessage) (store.Appended, error) {
	const op = "append"
	if len(msgs) == 0 {
		return store.Appended{}, store.Errorf(store.KindInvalid, op, "no messages")
	}
	if err := s.enter(op); err != nil {
		return store.Appended{}, err
	}
	defer s.leave()
	bodies := make([]*body, 0, len(msgs))
	release := func() {
		for _, b := range bodies {
			s.dropPending(b)
		}
	}
	for _, m := range msgs {
		b, err := s.intakeMail(ctx, m.Body, m.Meta, 0)
		if err != nil {
			release()
			return store.Appended{}, err
		}
		bodies = append(bodies, b)
	}
	if len(msgs) == 1 {
		return s.appendOne(ctx, account, mailbox, msgs[0], bodies[0])
	}
	var res store.Appended
	err := s.write(ctx, op, func(t *txn) error {
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

// appendOne appends one message, the common APPEND, as a delivery to the
// mailbox: it shares the batches of the deliveries (deliver.go). It owns
// the body b: a large one is removed when nothing took it.
func (s *Store) appendOne(ctx context.Context, account store.AccountID, mailbox store.MailboxID, m store.AppendMessage, b *body) (store.Appended, error) {
	const op = "append"
	date := m.InternalDate
	if date.IsZero() {
		date = time.Now()
	}
	tg := []store.Target{{Account: account, Mailbox: mailbox, Flags: m.Flags, Keywords: m.Keywords}}
	d := newDelivery(b, tg, []int{0}, date, true)
	if err := s.deliverer.do(ctx, d); err != nil {
		if d.finished() { // else it may still commit
			s.dropPending(b)
		}
		return store.Appended{}, s.wrap(op, err)
	}
	r := d.rows[0]
	if r.err != 0 {
		s.dropPending(b)
	}
	switch r.err {
	case 0:
		return store.Appended{Mailbox: mailbox, UIDValidity: uint32(r.uidValidity), UIDs: []store.UID{store.UID(r.uid)},
			ModSeq: store.ModSeq(r.modseq)}, nil
	case 1, 2:
		return store.Appended{}, store.Errorf(store.KindNotFound, op, "no such mailbox")
	}
	return store.Appended{}, deliverError(r.err, account)
}

// appendBatch charges the quota for the whole batch, allocates consecutive
// UIDs and one MODSEQ (RFC 7162 §3.1.1 lets messages share one), and
// inserts the blobs and messages.
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
	var uv, first int64
	err := t.queryRow(`UPDATE mailboxes SET uidnext = uidnext + $1, highestmodseq = highestmodseq + 1,
		messages = messages + $1, unseen = unseen + $2, size = size + $3 WHERE id = $4 AND account = $5
		RETURNING uidvalidity, uidnext - $1, highestmodseq`, n, unseen, size, mailbox, account).Scan(&uv, &first, &res.ModSeq)
	if isNoRows(err) {
		return res, store.Errorf(store.KindNotFound, op, "no such mailbox")
	}
	if err != nil {
		return res, err
	}
	res.UIDValidity = uint32(uv)
	now := time.Now()
	for i, b := range bodies {
		blob, err := t.insertBlob(b, 1)
		if err == nil {
			err = t.markUnindexed(blob)
		}
		if err != nil {
			return res, err
		}
		m := msgs[i]
		date := m.InternalDate
		if date.IsZero() {
			date = now
		}
		_, zone := date.Zone()
		uid := store.UID(first) + store.UID(i)
		thread, err := t.assignThread(account, b.threadKeys, store.EmailID(blob))
		if err != nil {
			return res, err
		}
		if err := t.insertMessage(mailbox, uid, res.ModSeq, m.Flags, m.Keywords, date.Unix(), zone, b.size, blob,
			thread); err != nil {
			return res, err
		}
		res.UIDs = append(res.UIDs, uid)
	}
	t.publish(store.Change{Account: account, Mailbox: mailbox, Kind: store.ChangeAdded, UIDs: res.UIDs, ModSeq: res.ModSeq})
	return res, nil
}

// insertMessage adds one message row: a delivery, an append or a copy.
// idate is Unix seconds and zone the offset of the internal date. A
// message's email ID is the id of its blob (as in store/sqlite): a new
// message gets a new blob, shared only by its copies and the other
// targets of its delivery, which keep its identity (RFC 8474 §5.1).
func (t *txn) insertMessage(mailbox store.MailboxID, uid store.UID, modseq store.ModSeq, flags store.Flags,
	keywords []string, idate int64, zone int, size int64, blob store.BlobID, thread store.ThreadID) error {
	_, err := t.exec(`INSERT INTO messages(mailbox, uid, modseq, flags, keywords, idate, izone, size, blob, threadid)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, mailbox, int64(uid), int64(modseq), int(flags),
		store.JoinKeywords(keywords), idate, zone, size, blob, thread)
	return err
}
