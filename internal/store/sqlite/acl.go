package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/petrelmail/petrel/internal/store"
)

// The entries live in table acl (migration 11), one row per mailbox and
// grantee; grantee 0 is store.Anyone. They go with their mailbox
// (dropMailbox) and with their grantee's account (DeleteAccount); RENAME
// keeps them, since it keeps the mailbox ID (docs/architecture.md
// §Shared mailboxes).

func (s *Store) SetRights(ctx context.Context, mailbox store.MailboxID, grantee store.AccountID, rights string) error {
	const op = "set rights"
	rights, err := store.CanonicalRights(rights)
	if err != nil {
		return err
	}
	return s.w.do(ctx, op, func(t *txn) error {
		var owner store.AccountID
		err := t.queryRow(`SELECT account FROM mailboxes WHERE id = ?`, mailbox).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			return store.Errorf(store.KindNotFound, op, "no such mailbox")
		} else if err != nil {
			return err
		}
		if grantee == owner {
			return store.Errorf(store.KindInvalid, op, "the owner's rights cannot be changed")
		}
		if grantee != store.Anyone {
			if err := t.accountExists(op, grantee); err != nil {
				return err
			}
		}
		if rights == "" {
			_, err = t.exec(`DELETE FROM acl WHERE mailbox = ? AND grantee = ?`, mailbox, grantee)
			return err
		}
		_, err = t.exec(`INSERT INTO acl(mailbox, grantee, rights) VALUES (?, ?, ?)
			ON CONFLICT(mailbox, grantee) DO UPDATE SET rights = excluded.rights`, mailbox, grantee, rights)
		return err
	})
}

func (s *Store) MailboxRights(ctx context.Context, mailbox store.MailboxID) ([]store.ACLEntry, error) {
	const op = "mailbox rights"
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM mailboxes WHERE id = ?`, mailbox).Scan(&n); err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	if n == 0 {
		return nil, store.Errorf(store.KindNotFound, op, "no such mailbox")
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT grantee, rights FROM acl WHERE mailbox = ? ORDER BY grantee`, mailbox)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	defer rows.Close()
	var out []store.ACLEntry
	for rows.Next() {
		e := store.ACLEntry{Mailbox: mailbox}
		if err := rows.Scan(&e.Grantee, &e.Rights); err != nil {
			return nil, store.Wrap(store.KindInternal, op, err)
		}
		out = append(out, e)
	}
	return out, store.Wrap(store.KindInternal, op, rows.Err())
}

// sharedWithQuery picks the mailboxes with an entry for the account (?1)
// or an Anyone entry of an owner whose primary address is in the domain
// (?2), never the account's own; the account's entry wins over Anyone's.
const sharedWithQuery = `SELECT ` + mailboxCols + `, o.address,
	COALESCE((SELECT rights FROM acl WHERE mailbox = m.id AND grantee = ?1),
		(SELECT rights FROM acl WHERE mailbox = m.id AND grantee = 0))
FROM mailboxes m JOIN accounts o ON o.id = m.account
WHERE m.account <> ?1 AND m.id IN (
	SELECT mailbox FROM acl WHERE grantee = ?1
	UNION
	SELECT x.mailbox FROM acl x JOIN mailboxes xm ON xm.id = x.mailbox
		JOIN addresses ad ON ad.account = xm.account AND ad.primary_address = 1
	WHERE x.grantee = 0 AND ad.domain = ?2)
ORDER BY o.address, m.name LIMIT ?`

func (s *Store) SharedWith(ctx context.Context, account store.AccountID, domain string) ([]store.SharedMailbox, error) {
	const op = "shared with"
	rows, err := s.rdb.QueryContext(ctx, sharedWithQuery, account, domain, store.MaxSharedMailboxes)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	defer rows.Close()
	var out []store.SharedMailbox
	for rows.Next() {
		var sm store.SharedMailbox
		var use string
		mb := &sm.Mailbox
		if err := rows.Scan(&mb.ID, &mb.Account, &mb.Name, &mb.UIDValidity, &mb.UIDNext, &mb.HighestModSeq, &use,
			&mb.Messages, &mb.Unseen, &mb.Size, &mb.Subscribed, &sm.Owner, &sm.Rights); err != nil {
			return nil, store.Wrap(store.KindInternal, op, err)
		}
		mb.SpecialUse = store.SpecialUse(use)
		out = append(out, sm)
	}
	return out, store.Wrap(store.KindInternal, op, rows.Err())
}
