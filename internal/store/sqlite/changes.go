package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// mailboxState reads what a change needs to know about a mailbox.
func (t *txn) mailboxState(op string, id store.MailboxID) (account store.AccountID, uv uint32, hms store.ModSeq, err error) {
	err = t.queryRow(`SELECT account, uidvalidity, highestmodseq FROM mailboxes WHERE id = ?`, id).Scan(&account, &uv, &hms)
	if isNoRows(err) {
		err = store.Errorf(store.KindNotFound, op, "no such mailbox")
	}
	return
}

// A message's email ID is its blob's id (store/sqlite's insertMessage).
const messageCols = `mailbox, uid, modseq, flags, keywords, idate, izone, size, blob, threadid, saved`

func scanMessage(sc interface{ Scan(...any) error }) (store.Message, error) {
	var m store.Message
	var kw string
	var sec, saved int64
	var zone int
	err := sc.Scan(&m.Mailbox, &m.UID, &m.ModSeq, &m.Flags, &kw, &sec, &zone, &m.Size, &m.Blob, &m.ThreadID, &saved)
	m.EmailID = store.EmailID(m.Blob)
	m.Keywords = store.SplitKeywords(kw)
	m.InternalDate = time.Unix(sec, 0).In(time.FixedZone("", zone))
	m.SaveDate = store.SaveDateOf(saved, m.InternalDate)
	return m, err
}

// message reads one message, reporting whether it exists.
func (t *txn) message(mailbox store.MailboxID, uid store.UID) (store.Message, bool, error) {
	m, err := scanMessage(t.queryRow(`SELECT `+messageCols+` FROM messages WHERE mailbox = ? AND uid = ?`, mailbox, uid))
	if isNoRows(err) {
		return m, false, nil
	}
	return m, err == nil, err
}

func (s *Store) StoreFlags(ctx context.Context, mailbox store.MailboxID, uids []store.UID, c store.FlagChange) (store.FlagResult, error) {
	const op = "store flags"
	var res store.FlagResult
	err := s.w.doFreeingMail(ctx, op, func(t *txn) error {
		res = store.FlagResult{}
		account, _, hms, err := t.mailboxState(op, mailbox)
		if err != nil {
			return err
		}
		// RFC 7162 §3.1.3: one STORE gets one new mod-sequence.
		mod := hms + 1
		var unseen int64
		for _, uid := range store.SortedUIDs(uids) {
			m, ok, err := t.message(mailbox, uid)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if c.UnchangedSince != 0 && m.ModSeq > c.UnchangedSince {
				res.Modified = append(res.Modified, uid)
				continue
			}
			nf, nk := store.ApplyFlags(c, m.Flags, m.Keywords)
			if nf == m.Flags && store.JoinKeywords(nk) == store.JoinKeywords(m.Keywords) {
				continue
			}
			if _, err := t.exec(`UPDATE messages SET flags = ?, keywords = ?, modseq = ? WHERE mailbox = ? AND uid = ?`,
				nf, store.JoinKeywords(nk), mod, mailbox, uid); err != nil {
				return err
			}
			unseen += boolInt(m.Flags&store.FlagSeen != 0) - boolInt(nf&store.FlagSeen != 0)
			m.Flags, m.Keywords, m.ModSeq = nf, store.NormKeywords(nk), mod
			res.Updated = append(res.Updated, m)
		}
		if len(res.Updated) == 0 {
			return nil
		}
		if _, err := t.exec(`UPDATE mailboxes SET highestmodseq = ?, unseen = unseen + ? WHERE id = ?`, mod, unseen, mailbox); err != nil {
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
	if err := s.space.admit("copy"); err != nil {
		return res, err
	}
	err := s.w.doMail(ctx, "copy", func(t *txn) error {
		var err error
		res, _, err = t.copyMessages("copy", src, uids, dst, drop)
		return err
	})
	return res, err
}

func (s *Store) Move(ctx context.Context, src store.MailboxID, uids []store.UID, dst store.MailboxID, drop store.FlagDrop) (store.CopyResult, error) {
	const op = "move"
	var res store.CopyResult
	// A move adds no body and frees what it takes: it may use the
	// deletion reserve, as "delete" in many clients is a move to Trash.
	err := s.w.doFreeingMail(ctx, op, func(t *txn) error {
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
	srcAcct, _, _, err := t.mailboxState(op, src)
	if err != nil {
		return res, nil, err
	}
	dstAcct, uv, _, err := t.mailboxState(op, dst)
	if err != nil {
		return res, nil, err
	}
	res.UIDValidity = uv
	var found []store.Message
	var size, unseen int64
	for _, uid := range store.SortedUIDs(uids) {
		m, ok, err := t.message(src, uid)
		if err != nil {
			return res, nil, err
		}
		if ok {
			m.Flags, m.Keywords = drop.Apply(m.Flags, m.Keywords)
			found = append(found, m)
			size += m.Size
			unseen += boolInt(m.Flags&store.FlagSeen == 0)
		}
	}
	if len(found) == 0 {
		return res, nil, nil
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
	var first store.UID
	var mod store.ModSeq
	if err := t.queryRow(`UPDATE mailboxes SET uidnext = uidnext + ?1, highestmodseq = highestmodseq + 1,
		messages = messages + ?1, unseen = unseen + ?2, size = size + ?3 WHERE id = ?4
		RETURNING uidnext - ?1, highestmodseq`, n, unseen, size, dst).Scan(&first, &mod); err != nil {
		return res, nil, err
	}
	refs := make(map[store.BlobID]int64)
	for i, m := range found {
		uid := first + store.UID(i)
		_, zone := m.InternalDate.Zone()
		if err := t.insertMessage(dst, uid, mod, m.Flags, m.Keywords, m.InternalDate.Unix(), zone, m.Size, m.Blob,
			threads[i]); err != nil {
			return res, nil, err
		}
		refs[m.Blob]++
		res.Src = append(res.Src, m.UID)
		res.Dst = append(res.Dst, uid)
	}
	for b, k := range refs {
		if err := t.addBlobRefs(b, k); err != nil {
			return res, nil, err
		}
	}
	t.publish(store.Change{Account: dstAcct, Mailbox: dst, Kind: store.ChangeAdded, UIDs: res.Dst, ModSeq: mod})
	return res, found, nil
}

func (s *Store) Expunge(ctx context.Context, mailbox store.MailboxID, uids []store.UID) ([]store.UID, error) {
	var out []store.UID
	err := s.w.doFreeingMail(ctx, "expunge", func(t *txn) error {
		var err error
		out, err = t.expunge("expunge", mailbox, uids)
		return err
	})
	if err != nil {
		return nil, err // the UIDs of a failed run were not removed
	}
	return out, nil
}

// expunge deletes messages, logs them with one new MODSEQ for VANISHED
// (RFC 7162 §3.2.5.1), and releases their blobs and quota. It is
// set-based (a few statements whatever the count): a POP3 QUIT expunges
// thousands of messages at once.
func (t *txn) expunge(op string, mailbox store.MailboxID, uids []store.UID) ([]store.UID, error) {
	account, _, hms, err := t.mailboxState(op, mailbox)
	if err != nil {
		return nil, err
	}
	mod := hms + 1
	rows, err := t.query(`DELETE FROM messages WHERE mailbox = ?1 AND uid IN (SELECT value FROM json_each(?2))
		RETURNING uid, flags, size, blob`, mailbox, jsonIDs(store.SortedUIDs(uids)))
	if err != nil {
		return nil, err
	}
	var gone []store.UID
	var size, unseen int64
	refs := make(map[store.BlobID]int64)
	for rows.Next() {
		var uid store.UID
		var flags store.Flags
		var sz int64
		var blob store.BlobID
		if err := rows.Scan(&uid, &flags, &sz, &blob); err != nil {
			rows.Close()
			return nil, err
		}
		gone = append(gone, uid)
		size += sz
		unseen += boolInt(flags&store.FlagSeen == 0)
		refs[blob]++
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if len(gone) == 0 {
		return nil, nil
	}
	gone = store.SortedUIDs(gone) // RETURNING has no order
	if _, err := t.exec(`INSERT INTO expunged(mailbox, uid, modseq) SELECT ?1, value, ?2 FROM json_each(?3)`,
		mailbox, mod, jsonIDs(gone)); err != nil {
		return nil, err
	}
	if err := t.releaseBlobs(refs); err != nil {
		return nil, err
	}
	n := int64(len(gone))
	if _, err := t.exec(`UPDATE mailboxes SET highestmodseq = ?, messages = messages - ?, unseen = unseen - ?, size = size - ? WHERE id = ?`,
		mod, n, unseen, size, mailbox); err != nil {
		return nil, err
	}
	if _, err := t.exec(`UPDATE accounts SET used_bytes = used_bytes - ?, used_messages = used_messages - ? WHERE id = ?`, size, n, account); err != nil {
		return nil, err
	}
	t.publish(store.Change{Account: account, Mailbox: mailbox, Kind: store.ChangeExpunged, UIDs: gone, ModSeq: mod})
	return gone, nil
}
