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
