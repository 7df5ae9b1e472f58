package postgres

import (
	"context"

	"github.com/petrelmail/petrel/internal/store"
)

// The entries live in table acl (migration 8), one row per mailbox and
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
	return s.write(ctx, op, func(t *txn) error {
		// FOR SHARE waits for a DeleteMailbox or DeleteAccount in
		// flight (their FOR NO KEY UPDATE), so that no entry outlives
		// its mailbox or grantee.
		var owner store.AccountID
		err := t.queryRow(`SELECT account FROM mailboxes WHERE id = $1 FOR SHARE`, mailbox).Scan(&owner)
		if isNoRows(err) {
			return store.Errorf(store.KindNotFound, op, "no such mailbox")
		} else if err != nil {
			return err
		}
		if grantee == owner {
			return store.Errorf(store.KindInvalid, op, "the owner's rights cannot be changed")
		}
		if grantee != store.Anyone {
			var one int
			err := t.queryRow(`SELECT 1 FROM accounts WHERE id = $1 FOR SHARE`, grantee).Scan(&one)
			if isNoRows(err) {
				return store.Errorf(store.KindNotFound, op, "account %d does not exist", grantee)
			} else if err != nil {
				return err
			}
		}
		if rights == "" {
			_, err = t.exec(`DELETE FROM acl WHERE mailbox = $1 AND grantee = $2`, mailbox, grantee)
			return err
		}
		_, err = t.exec(`INSERT INTO acl(mailbox, grantee, rights) VALUES ($1, $2, $3)
			ON CONFLICT (mailbox, grantee) DO UPDATE SET rights = excluded.rights`, mailbox, grantee, rights)
		return err
	})
}

func (s *Store) MailboxRights(ctx context.Context, mailbox store.MailboxID) ([]store.ACLEntry, error) {
	const op = "mailbox rights"
	// One statement, one snapshot: the mailbox row (always) and its
	// entries (when any).
	rows, err := s.pool.Query(ctx, `SELECT x.grantee, x.rights FROM mailboxes m
		LEFT JOIN acl x ON x.mailbox = m.id WHERE m.id = $1 ORDER BY x.grantee`, mailbox)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	var out []store.ACLEntry
	found := false
	for rows.Next() {
		var grantee *int64
		var rights *string
		if err := rows.Scan(&grantee, &rights); err != nil {
			return nil, s.wrap(op, err)
		}
		found = true
		if grantee != nil {
			out = append(out, store.ACLEntry{Mailbox: mailbox, Grantee: store.AccountID(*grantee), Rights: *rights})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(op, err)
	}
	if !found {
		return nil, store.Errorf(store.KindNotFound, op, "no such mailbox")
	}
	return out, nil
}

// sharedWithQuery picks the mailboxes with an entry for the account ($1)
// or an Anyone entry of an owner whose primary address is in the domain
// ($2), never the account's own; the account's entry wins over Anyone's.
const sharedWithQuery = `SELECT ` + mailboxCols + `, o.address,
	COALESCE((SELECT rights FROM acl WHERE mailbox = m.id AND grantee = $1),
		(SELECT rights FROM acl WHERE mailbox = m.id AND grantee = 0))
FROM mailboxes m JOIN accounts o ON o.id = m.account
WHERE m.account <> $1 AND m.id IN (
	SELECT mailbox FROM acl WHERE grantee = $1
	UNION
	SELECT x.mailbox FROM acl x JOIN mailboxes xm ON xm.id = x.mailbox
		JOIN addresses ad ON ad.account = xm.account AND ad.primary_address
	WHERE x.grantee = 0 AND ad.domain = $2)
ORDER BY o.address, m.name LIMIT $3`

func (s *Store) SharedWith(ctx context.Context, account store.AccountID, domain string) ([]store.SharedMailbox, error) {
	const op = "shared with"
	rows, err := s.pool.Query(ctx, sharedWithQuery, account, domain, store.MaxSharedMailboxes)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	var out []store.SharedMailbox
	for rows.Next() {
		var sm store.SharedMailbox
		var use string
		var uv, next int64
		mb := &sm.Mailbox
		if err := rows.Scan(&mb.ID, &mb.Account, &mb.Name, &uv, &next, &mb.HighestModSeq, &use,
			&mb.Messages, &mb.Unseen, &mb.Size, &mb.Subscribed, &sm.Owner, &sm.Rights); err != nil {
			return nil, s.wrap(op, err)
		}
		mb.UIDValidity, mb.UIDNext, mb.SpecialUse = uint32(uv), store.UID(next), store.SpecialUse(use)
		out = append(out, sm)
	}
	return out, s.wrap(op, rows.Err())
}
