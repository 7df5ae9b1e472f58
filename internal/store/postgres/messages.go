package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/store"
)

// Lock order: a write locks its account's row before any mailbox row
// (chargeQuota, lockAccount, mailboxState), accounts in ascending order
// (deliver), so that concurrent writes wait for each other instead of
// deadlocking. The locks are FOR NO KEY UPDATE, which foreign-key checks
// on the account do not wait for.

// lockAccount locks an account's row until the commit (KindNotFound
// when there is none).
func (t *txn) lockAccount(op string, account store.AccountID) error {
	var one int
	err := t.queryRow(`SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, account).Scan(&one)
	if isNoRows(err) {
		return store.Errorf(store.KindNotFound, op, "account %d does not exist", account)
	}
	return err
}

// mailboxState reads what a change needs to know about a mailbox, and
// locks its account's row and its own until the commit: the change raises
// its MODSEQ and the account's state.
func (t *txn) mailboxState(op string, id store.MailboxID) (account store.AccountID, uv uint32, hms store.ModSeq, err error) {
	var v int64
	err = t.queryRow(`SELECT m.account, m.uidvalidity, m.highestmodseq FROM accounts a JOIN mailboxes m ON m.account = a.id
		WHERE m.id = $1 FOR NO KEY UPDATE`, id).Scan(&account, &v, &hms)
	uv = uint32(v)
	if isNoRows(err) {
		err = store.Errorf(store.KindNotFound, op, "no such mailbox")
	}
	return
}

// A message's email ID is its blob's id (insertMessage).
const messageCols = `mailbox, uid, modseq, flags, keywords, idate, izone, size, blob, threadid, saved`

// prefixedMessageCols is messageCols for a query on "messages m".
const prefixedMessageCols = `m.mailbox, m.uid, m.modseq, m.flags, m.keywords, m.idate, m.izone, m.size, m.blob,
	m.threadid, m.saved`

// scanMessage scans messageCols, then extra columns.
func scanMessage(sc pgx.Row, extra ...any) (store.Message, error) {
	var m store.Message
	var kw string
	var uid, sec, saved int64
	var flags, zone int
	err := sc.Scan(append([]any{&m.Mailbox, &uid, &m.ModSeq, &flags, &kw, &sec, &zone, &m.Size, &m.Blob, &m.ThreadID, &saved}, extra...)...)
	m.UID, m.Flags = store.UID(uid), store.Flags(flags)
	m.EmailID = store.EmailID(m.Blob)
	m.Keywords = store.SplitKeywords(kw)
	m.InternalDate = time.Unix(sec, 0).In(time.FixedZone("", zone))
	m.SaveDate = store.SaveDateOf(saved, m.InternalDate)
	return m, err
}

// messagesIn reads the messages of mailbox among uids,
// ascending.
func (t *txn) messagesIn(mailbox store.MailboxID, uids []store.UID) ([]store.Message, error) {
	rows, err := t.query(`SELECT `+messageCols+` FROM messages WHERE mailbox = $1 AND uid = ANY($2) ORDER BY uid`,
		mailbox, uidList(uids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func uidList(uids []store.UID) []int64 {
	out := make([]int64, len(uids))
	for i, u := range uids {
		out[i] = int64(u)
	}
	return out
}

func (s *Store) StoreFlags(ctx context.Context, mailbox store.MailboxID, uids []store.UID, c store.FlagChange) (store.FlagResult, error) {
	const op = "store flags"
	var res store.FlagResult
	err := s.write(ctx, op, func(t *txn) error {
		res = store.FlagResult{}
		account, _, hms, err := t.mailboxState(op, mailbox)
		if err != nil {
			return err
		}
		// RFC 7162 §3.1.3: one STORE gets one new mod-sequence.
		mod := hms + 1
		msgs, err := t.messagesIn(mailbox, uids)
		if err != nil {
			return err
		}
		var unseen int64
		var upd pgx.Batch
		for _, m := range msgs {
			if c.UnchangedSince != 0 && m.ModSeq > c.UnchangedSince {
				res.Modified = append(res.Modified, m.UID)
				continue
			}
			nf, nk := store.ApplyFlags(c, m.Flags, m.Keywords)
			if nf == m.Flags && store.JoinKeywords(nk) == store.JoinKeywords(m.Keywords) {
				continue
			}
			upd.Queue(`UPDATE messages SET flags = $1, keywords = $2, modseq = $3 WHERE mailbox = $4 AND uid = $5`,
				int(nf), store.JoinKeywords(nk), int64(mod), mailbox, int64(m.UID))
			unseen += boolInt(m.Flags&store.FlagSeen != 0) - boolInt(nf&store.FlagSeen != 0)
			m.Flags, m.Keywords, m.ModSeq = nf, store.NormKeywords(nk), mod
			res.Updated = append(res.Updated, m)
		}
		if len(res.Updated) == 0 {
			return nil
		}
		if err := t.SendBatch(t.ctx, &upd).Close(); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE mailboxes SET highestmodseq = $1, unseen = unseen + $2 WHERE id = $3`, int64(mod), unseen, mailbox); err != nil {
			return err
		}
		changed := make([]store.UID, len(res.Updated))
		for i, m := range res.Updated {
			changed[i] = m.UID
		}
		t.publish(store.Change{Account: account, Mailbox: mailbox, Kind: store.ChangeFlags, UIDs: changed, ModSeq: mod})
		return nil
	})
	return res, err
}

func (s *Store) Copy(ctx context.Context, src store.MailboxID, uids []store.UID, dst store.MailboxID, drop store.FlagDrop) (store.CopyResult, error) {
	var res store.CopyResult
	err := s.write(ctx, "copy", func(t *txn) error {
		var err error
		res, _, err = t.copyMessages("copy", src, uids, dst, drop)
		return err
	})
	return res, err
}

func (s *Store) Move(ctx context.Context, src store.MailboxID, uids []store.UID, dst store.MailboxID, drop store.FlagDrop) (store.CopyResult, error) {
	const op = "move"
	var res store.CopyResult
	err := s.write(ctx, op, func(t *txn) error {
		var err error
		var moved []store.Message
		if res, moved, err = t.copyMessages(op, src, uids, dst, drop); err != nil {
			return err
		}
		_, err = t.expunge(op, src, store.MessageUIDs(moved))
		return err
	})
	return res, err
}

// copyMessages copies the existing messages among uids from src to dst with
// their flags and keywords (less what drop clears) and internal dates,
// sharing blobs, charging quota.
// dst may belong to another account (a mailbox shared with src's owner,
// docs/architecture.md §Shared mailboxes): that account's quota is
// charged and the copies are threaded in it (copyThreads).
func (t *txn) copyMessages(op string, src store.MailboxID, uids []store.UID, dst store.MailboxID, drop store.FlagDrop) (store.CopyResult, []store.Message, error) {
	var res store.CopyResult
	if err := t.lockAccountsOf(op, src, dst); err != nil {
		return res, nil, err
	}
	srcAcct, _, _, err := t.mailboxState(op, src)
	if err != nil {
		return res, nil, err
	}
	dstAcct, uv, _, err := t.mailboxState(op, dst)
	if err != nil {
		return res, nil, err
	}
	res.UIDValidity = uv
	found, err := t.messagesIn(src, uids)
	if err != nil || len(found) == 0 {
		return res, nil, err
	}
	var size, unseen int64
	for i := range found {
		m := &found[i]
		m.Flags, m.Keywords = drop.Apply(m.Flags, m.Keywords)
		size += m.Size
		unseen += boolInt(m.Flags&store.FlagSeen == 0)
	}
	n := int64(len(found))
	// A move within an account frees what it takes; into another
	// account (a shared mailbox) it charges that account like a copy.
	if err := t.chargeQuota(op, dstAcct, size, n, op != "move" || srcAcct != dstAcct); err != nil {
		return res, nil, err
	}
	threads, err := t.copyThreads(srcAcct, dstAcct, found)
	if err != nil {
		return res, nil, err
	}
	var firstUID int64
	var mod store.ModSeq
	if err := t.queryRow(`UPDATE mailboxes SET uidnext = uidnext + $1, highestmodseq = highestmodseq + 1,
		messages = messages + $1, unseen = unseen + $2, size = size + $3 WHERE id = $4
		RETURNING uidnext - $1, highestmodseq`, n, unseen, size, dst).Scan(&firstUID, &mod); err != nil {
		return res, nil, err
	}
	refs := make(map[store.BlobID]int64)
	var ins pgx.Batch
	for i, m := range found {
		uid := store.UID(firstUID) + store.UID(i)
		_, zone := m.InternalDate.Zone()
		ins.Queue(`INSERT INTO messages(mailbox, uid, modseq, flags, keywords, idate, izone, size, blob, threadid)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, dst, int64(uid), int64(mod), int(m.Flags),
			store.JoinKeywords(m.Keywords), m.InternalDate.Unix(), zone, m.Size, m.Blob, threads[i])
		refs[m.Blob]++
		res.Src = append(res.Src, m.UID)
		res.Dst = append(res.Dst, uid)
	}
	for b, k := range refs {
		ins.Queue(`UPDATE blobs SET refs = refs + $1 WHERE id = $2`, k, b)
	}
	if err := t.SendBatch(t.ctx, &ins).Close(); err != nil {
		return res, nil, err
	}
	t.publish(store.Change{Account: dstAcct, Mailbox: dst, Kind: store.ChangeAdded, UIDs: res.Dst, ModSeq: mod})
	return res, found, nil
}

func (s *Store) Expunge(ctx context.Context, mailbox store.MailboxID, uids []store.UID) ([]store.UID, error) {
	var out []store.UID
	err := s.write(ctx, "expunge", func(t *txn) error {
		var err error
		out, err = t.expunge("expunge", mailbox, uids)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// expunge deletes messages, logs them with one new MODSEQ for VANISHED
// (RFC 7162 §3.2.5.1), and releases their blobs and quota, in a few
// statements whatever the count (a POP3 QUIT expunges thousands).
func (t *txn) expunge(op string, mailbox store.MailboxID, uids []store.UID) ([]store.UID, error) {
	account, _, hms, err := t.mailboxState(op, mailbox)
	if err != nil {
		return nil, err
	}
	mod := hms + 1
	rows, err := t.query(`DELETE FROM messages WHERE mailbox = $1 AND uid = ANY($2) RETURNING uid, flags, size, blob`,
		mailbox, uidList(uids))
	if err != nil {
		return nil, err
	}
	var gone []store.UID
	var size, unseen int64
	refs := make(map[store.BlobID]int64)
	for rows.Next() {
		var uid, sz int64
		var flags int
		var blob store.BlobID
		if err := rows.Scan(&uid, &flags, &sz, &blob); err != nil {
			rows.Close()
			return nil, err
		}
		gone = append(gone, store.UID(uid))
		size += sz
		unseen += boolInt(store.Flags(flags)&store.FlagSeen == 0)
		refs[blob]++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(gone) == 0 {
		return nil, nil
	}
	gone = store.SortedUIDs(gone) // RETURNING has no order
	if _, err := t.exec(`INSERT INTO expunged(mailbox, uid, modseq) SELECT $1, u, $2 FROM unnest($3::bigint[]) AS u
		ON CONFLICT (mailbox, uid) DO UPDATE SET modseq = excluded.modseq`, mailbox, int64(mod), uidList(gone)); err != nil {
		return nil, err
	}
	if err := t.releaseBlobs(refs); err != nil {
		return nil, err
	}
	n := int64(len(gone))
	if _, err := t.exec(`UPDATE mailboxes SET highestmodseq = $1, messages = messages - $2, unseen = unseen - $3, size = size - $4 WHERE id = $5`,
		int64(mod), n, unseen, size, mailbox); err != nil {
		return nil, err
	}
	if _, err := t.exec(`UPDATE accounts SET used_bytes = used_bytes - $1, used_messages = used_messages - $2 WHERE id = $3`, size, n, account); err != nil {
		return nil, err
	}
	t.publish(store.Change{Account: account, Mailbox: mailbox, Kind: store.ChangeExpunged, UIDs: gone, ModSeq: mod})
	return gone, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
