package sqlite

import (
	"context"
	"errors"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// Deliver stores one body in every target (one shared blob) and returns once
// the batch holding it is committed.
func (s *Store) Deliver(ctx context.Context, msg store.NewMessage, targets []store.Target) ([]store.Delivered, error) {
	const op = "deliver"
	if len(targets) == 0 {
		return nil, store.Errorf(store.KindInvalid, op, "no targets")
	}
	if err := s.space.admit(op); err != nil {
		return nil, err
	}
	b, err := s.intakeMail(msg.Body, msg.Meta)
	if err != nil {
		return nil, err
	}
	date := msg.InternalDate
	if date.IsZero() {
		date = time.Now()
	}
	results := make([]store.Delivered, len(targets))
	stored, aborted := false, false
	err = s.w.doMail(ctx, op, func(t *txn) error {
		var err error
		stored, err = t.deliver(b, targets, date, results)
		if err == nil && msg.Atomic && anyFailed(results) {
			stored, aborted = false, true
			return errAtomicAbort // rolls the savepoint back
		}
		if stored && b.rel != "" {
			t.op.syncDirs = append(t.op.syncDirs, s.blobDirOf(b.rel))
		}
		return err
	})
	if err != nil || !stored {
		s.removeBlobFile(b.rel)
	}
	if aborted {
		for i := range results {
			if results[i].Err == nil {
				results[i] = store.Delivered{Err: store.Errorf(store.KindTemporary, op, "not delivered: another target failed")}
			}
		}
		return results, nil
	}
	if err != nil {
		return nil, err
	}
	s.indexer.Poke()
	return results, nil
}

var errAtomicAbort = errors.New("atomic delivery aborted")

func anyFailed(rs []store.Delivered) bool {
	for _, r := range rs {
		if r.Err != nil {
			return true
		}
	}
	return false
}

// reserved is a target that passed its checks and got its UID.
type reserved struct {
	idx     int
	account store.AccountID
	mailbox store.MailboxID
	uid     store.UID
	modseq  store.ModSeq

	uidValidity uint32
}

func (t *txn) deliver(b *body, targets []store.Target, date time.Time, results []store.Delivered) (bool, error) {
	var ok []reserved
	for i, tg := range targets {
		r, err := t.reserve(tg, b.size)
		if err != nil && store.KindOf(err) == store.KindInternal {
			return false, err
		}
		if err != nil {
			results[i].Err = err
			continue
		}
		r.idx = i
		results[i] = store.Delivered{Mailbox: r.mailbox, UIDValidity: r.uidValidity, UID: r.uid, ModSeq: r.modseq}
		ok = append(ok, r)
	}
	if len(ok) == 0 {
		return false, nil
	}
	blob, err := t.insertBlob(b, len(ok))
	if err != nil {
		return false, err
	}
	_, zone := date.Zone()
	th := threader{x: t, keys: b.threadKeys, email: store.EmailID(blob)}
	for _, r := range ok {
		tg := targets[r.idx]
		thread, err := th.thread(r.account)
		if err != nil {
			return false, err
		}
		if err := t.insertMessage(r.mailbox, r.uid, r.modseq, tg.Flags, tg.Keywords, date.Unix(), zone, b.size, blob,
			thread); err != nil {
			return false, err
		}
		t.publish(store.Change{Account: r.account, Mailbox: r.mailbox, Kind: store.ChangeAdded,
			UIDs: []store.UID{r.uid}, ModSeq: r.modseq})
	}
	return true, nil
}

// reserve checks the quota and allocates a UID and MODSEQ in the target
// mailbox, updating its counters. Per-target failures carry their kind.
func (t *txn) reserve(tg store.Target, size int64) (reserved, error) {
	const op = "deliver"
	r := reserved{account: tg.Account}
	if err := t.chargeQuota(op, tg.Account, size, 1, true); err != nil {
		return r, err
	}
	unseen := 0
	if tg.Flags&store.FlagSeen == 0 {
		unseen = 1
	}
	const set = `UPDATE mailboxes SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1,
		messages = messages + 1, unseen = unseen + ?, size = size + ? `
	const ret = ` RETURNING id, uidvalidity, uidnext - 1, highestmodseq`
	var err error
	if tg.Mailbox != 0 {
		err = t.queryRow(set+`WHERE account = ? AND id = ?`+ret, unseen, size, tg.Account, tg.Mailbox).Scan(&r.mailbox, &r.uidValidity, &r.uid, &r.modseq)
	} else {
		name := tg.MailboxName
		if name == "" {
			name = store.InboxName
		}
		if name, err = store.NormalizeName(name); err == nil {
			err = t.queryRow(set+`WHERE account = ? AND name = ?`+ret, unseen, size, tg.Account, name).Scan(&r.mailbox, &r.uidValidity, &r.uid, &r.modseq)
		}
	}
	if err != nil {
		if _, uerr := t.exec(`UPDATE accounts SET used_bytes = used_bytes - ?, used_messages = used_messages - 1 WHERE id = ?`, size, tg.Account); uerr != nil {
			return r, uerr
		}
		if isNoRows(err) {
			return r, store.Errorf(store.KindNotFound, op, "no such mailbox")
		}
		return r, err
	}
	return r, nil
}

// chargeQuota adds bytes and messages to an account's usage, refusing with
// KindOverQuota when a limit would be passed.
// A move (enforce false) is charged without the check: it frees as much as
// it takes.
func (t *txn) chargeQuota(op string, account store.AccountID, bytes, msgs int64, enforce bool) error {
	res, err := t.exec(`UPDATE accounts SET used_bytes = used_bytes + ?1, used_messages = used_messages + ?2
		WHERE id = ?3 AND (?4 = 0 OR ((quota_bytes = 0 OR used_bytes + ?1 <= quota_bytes)
		AND (quota_messages = 0 OR used_messages + ?2 <= quota_messages)))`, bytes, msgs, account, boolInt(enforce))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	var c int
	if err := t.queryRow(`SELECT count(*) FROM accounts WHERE id = ?`, account).Scan(&c); err != nil {
		return err
	}
	if c == 0 {
		return store.Errorf(store.KindNotFound, op, "account %d does not exist", account)
	}
	return store.Errorf(store.KindOverQuota, op, "quota exceeded")
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// insertMessage adds one message row: a delivery, an append or a copy.
// idate is Unix seconds and zone the offset of the internal date.
//
// A message's email ID is the id of its blob, not stored apart: a new
// message gets a new blob (blob ids are never reused) shared only by its
// copies and the other targets of its delivery, which keep its identity
// (RFC 8474 §5.1). A store that ever shares a blob between distinct
// messages must first give the email ID a column of its own.
func (t *txn) insertMessage(mailbox store.MailboxID, uid store.UID, modseq store.ModSeq, flags store.Flags,
	keywords []string, idate int64, zone int, size int64, blob store.BlobID, thread store.ThreadID) error {
	return t.insertMessageSaved(mailbox, uid, modseq, flags, keywords, idate, zone, size, blob, thread, time.Time{})
}

// insertMessageSaved is insertMessage with the save date (RFC 8514 §3)
// given: an import's; zero is now, the moment the message enters the
// mailbox.
func (t *txn) insertMessageSaved(mailbox store.MailboxID, uid store.UID, modseq store.ModSeq, flags store.Flags,
	keywords []string, idate int64, zone int, size int64, blob store.BlobID, thread store.ThreadID, saved time.Time) error {
	if saved.IsZero() {
		saved = time.Now()
	}
	_, err := t.exec(`INSERT INTO messages(mailbox, uid, modseq, flags, keywords, idate, izone, size, blob, threadid, saved)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, mailbox, uid, modseq, flags, store.JoinKeywords(keywords), idate, zone, size, blob,
		thread, saved.Unix())
	return err
}
