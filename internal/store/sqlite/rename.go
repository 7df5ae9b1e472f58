package sqlite

import (
	"context"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

func (s *Store) RenameMailbox(ctx context.Context, account store.AccountID, from, to string) error {
	const op = "rename mailbox"
	from, err := store.NormalizeName(from)
	if err != nil {
		return err
	}
	if to, err = store.NormalizeName(to); err != nil {
		return err
	}
	if to == store.InboxName || strings.HasPrefix(to, from+store.HierarchySep) && from != store.InboxName {
		return store.Errorf(store.KindInvalid, op, "cannot rename a mailbox to INBOX or into itself")
	}
	return s.w.do(ctx, op, func(t *txn) error {
		if _, err := t.mailboxID(account, to); err == nil {
			return store.Errorf(store.KindExists, op, "target mailbox already exists")
		} else if !store.IsKind(err, store.KindNotFound) {
			return err
		}
		src, err := t.mailboxID(account, from)
		if err != nil {
			return err
		}
		if from == store.InboxName {
			return t.renameInbox(op, account, src, to)
		}
		return t.renameTree(op, account, from, to)
	})
}

// renameInbox implements RFC 9051 §6.3.6: all INBOX messages move to a new
// mailbox, INBOX stays (empty) and its inferiors are unaffected.
func (t *txn) renameInbox(op string, account store.AccountID, inbox store.MailboxID, to string) error {
	dst, err := t.createMailbox(op, account, to, store.UseNone)
	if err != nil {
		return err
	}
	rows, err := t.query(`SELECT uid FROM messages WHERE mailbox = ?`, inbox)
	if err != nil {
		return err
	}
	var uids []store.UID
	for rows.Next() {
		var u store.UID
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return err
		}
		uids = append(uids, u)
	}
	rows.Close()
	if _, _, err := t.copyMessages("move", inbox, uids, dst, store.FlagDrop{}); err != nil {
		return err
	}
	_, err = t.expunge(op, inbox, uids)
	return err
}

// renameTree renames a mailbox and its inferiors, keeping their UIDVALIDITY
// (their UIDs do not change), and carries subscriptions along.
func (t *txn) renameTree(op string, account store.AccountID, from, to string) error {
	rows, err := t.query(`SELECT id, name FROM mailboxes WHERE account = ? AND (name = ? OR substr(name, 1, ?) = ?)`,
		account, from, len(from)+1, from+store.HierarchySep)
	if err != nil {
		return err
	}
	type mb struct {
		id   store.MailboxID
		name string
	}
	var boxes []mb
	for rows.Next() {
		var b mb
		if err := rows.Scan(&b.id, &b.name); err != nil {
			rows.Close()
			return err
		}
		boxes = append(boxes, b)
	}
	rows.Close()
	for _, b := range boxes {
		newName := to + b.name[len(from):]
		if b.name != from {
			if _, err := t.mailboxID(account, newName); err == nil {
				return store.Errorf(store.KindExists, op, "mailbox %q already exists", newName)
			}
		}
		if _, err := t.exec(`UPDATE mailboxes SET name = ? WHERE id = ?`, newName, b.id); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE OR REPLACE subscriptions SET name = ? WHERE account = ? AND name = ?`, newName, account, b.name); err != nil {
			return err
		}
		t.publish(store.Change{Account: account, Mailbox: b.id, Kind: store.ChangeMailboxRenamed})
	}
	// RFC 9051 §6.3.6: superior names of the new name are created as needed.
	parts := strings.Split(to, store.HierarchySep)
	for i := 1; i < len(parts); i++ {
		parent := strings.Join(parts[:i], store.HierarchySep)
		if _, err := t.mailboxID(account, parent); store.IsKind(err, store.KindNotFound) {
			if _, err := t.createMailbox(op, account, parent, store.UseNone); err != nil {
				return err
			}
		}
	}
	return nil
}
