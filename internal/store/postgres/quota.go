package postgres

import (
	"github.com/petrelmail/petrel/internal/store"
)

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
