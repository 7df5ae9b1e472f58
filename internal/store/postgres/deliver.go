package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// Deliver stores one body in every target (one shared blob) in one
// transaction and returns once it has committed.
func (s *Store) Deliver(ctx context.Context, msg store.NewMessage, targets []store.Target) ([]store.Delivered, error) {
	const op = "deliver"
	if len(targets) == 0 {
		return nil, store.Errorf(store.KindInvalid, op, "no targets")
	}
	if err := s.enter(op); err != nil {
		return nil, err
	}
	defer s.leave()
	b, err := s.intake(ctx, msg.Body, msg.Meta)
	if err != nil {
		return nil, err
	}
	date := msg.InternalDate
	if date.IsZero() {
		date = time.Now()
	}
	var results []store.Delivered
	stored, aborted := false, false
	err = s.write(ctx, op, func(t *txn) error {
		results = make([]store.Delivered, len(targets))
		var err error
		stored, err = t.deliver(b, targets, date, results)
		aborted = false
		if err == nil && msg.Atomic && anyFailed(results) {
			stored, aborted = false, true
			return errAtomicAbort // rolls the transaction back
		}
		if err == nil && !stored {
			return errNothingStored
		}
		return err
	})
	if !stored || err != nil {
		s.dropPending(b)
	}
	switch {
	case aborted:
		for i := range results {
			if results[i].Err == nil {
				results[i] = store.Delivered{Err: store.Errorf(store.KindTemporary, op, "not delivered: another target failed")}
			}
		}
		return results, nil
	case errors.Is(err, errNothingStored):
		return results, nil
	case err != nil:
		return nil, err
	}
	return results, nil
}

// errAtomicAbort and errNothingStored roll a delivery's transaction back
// while its results stand: an atomic delivery with a failed target, a
// delivery whose every target failed.
var (
	errAtomicAbort   = &store.Error{Kind: store.KindTemporary, Op: "deliver", Err: errors.New("atomic delivery aborted")}
	errNothingStored = &store.Error{Kind: store.KindTemporary, Op: "deliver", Err: errors.New("no target took the message")}
)

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

// deliver reserves the targets in the order of their accounts (so that
// concurrent deliveries lock accounts in one order, not into a
// deadlock), then stores the blob and the messages.
func (t *txn) deliver(b *body, targets []store.Target, date time.Time, results []store.Delivered) (bool, error) {
	order := make([]int, len(targets))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return int(targets[i].Account - targets[j].Account) })
	var ok []reserved
	for _, i := range order {
		r, err := t.reserve(targets[i], b.size)
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
	slices.SortFunc(ok, func(a, b reserved) int { return a.idx - b.idx })
	blob, err := t.insertBlob(b, len(ok))
	if err != nil {
		return false, err
	}
	_, zone := date.Zone()
	th := threader{t: t, keys: b.threadKeys, email: store.EmailID(blob)}
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
		messages = messages + 1, unseen = unseen + $1, size = size + $2 `
	const ret = ` RETURNING id, uidvalidity, uidnext - 1, highestmodseq`
	var uv, uid int64
	var err error
	if tg.Mailbox != 0 {
		err = t.queryRow(set+`WHERE account = $3 AND id = $4`+ret, unseen, size, tg.Account, tg.Mailbox).Scan(&r.mailbox, &uv, &uid, &r.modseq)
	} else {
		name := tg.MailboxName
		if name == "" {
			name = store.InboxName
		}
		if name, err = store.NormalizeName(name); err == nil {
			err = t.queryRow(set+`WHERE account = $3 AND name = $4`+ret, unseen, size, tg.Account, name).Scan(&r.mailbox, &uv, &uid, &r.modseq)
		}
	}
	r.uidValidity, r.uid = uint32(uv), store.UID(uid)
	if err != nil {
		if _, uerr := t.exec(`UPDATE accounts SET used_bytes = used_bytes - $1, used_messages = used_messages - 1 WHERE id = $2`,
			size, tg.Account); uerr != nil {
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
// KindOverQuota when a limit would be passed. A move (enforce false) is
// charged without the check: it frees as much as it takes.
func (t *txn) chargeQuota(op string, account store.AccountID, bytes, msgs int64, enforce bool) error {
	var ok bool
	err := t.queryRow(`UPDATE accounts SET used_bytes = used_bytes + $1, used_messages = used_messages + $2
		WHERE id = $3 RETURNING NOT $4 OR ((quota_bytes = 0 OR used_bytes <= quota_bytes)
		AND (quota_messages = 0 OR used_messages <= quota_messages))`, bytes, msgs, account, enforce).Scan(&ok)
	if isNoRows(err) {
		return store.Errorf(store.KindNotFound, op, "account %d does not exist", account)
	}
	if err != nil {
		return err
	}
	if !ok {
		if _, err := t.exec(`UPDATE accounts SET used_bytes = used_bytes - $1, used_messages = used_messages - $2 WHERE id = $3`,
			bytes, msgs, account); err != nil {
			return err
		}
		return store.Errorf(store.KindOverQuota, op, "quota exceeded")
	}
	return nil
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

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
