package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/store"
)

const mailboxCols = `m.id, m.account, m.name, m.uidvalidity, m.uidnext, m.highestmodseq, m.special_use,
	m.messages, m.unseen, m.size,
	EXISTS(SELECT 1 FROM subscriptions s WHERE s.account = m.account AND s.name = m.name)`

func scanMailbox(sc pgx.Row) (store.Mailbox, error) {
	var mb store.Mailbox
	var use string
	var uv, next int64
	err := sc.Scan(&mb.ID, &mb.Account, &mb.Name, &uv, &next, &mb.HighestModSeq, &use,
		&mb.Messages, &mb.Unseen, &mb.Size, &mb.Subscribed)
	mb.UIDValidity, mb.UIDNext, mb.SpecialUse = uint32(uv), store.UID(next), store.SpecialUse(use)
	return mb, err
}

func (s *Store) Mailboxes(ctx context.Context, account store.AccountID) ([]store.Mailbox, error) {
	const op = "mailboxes"
	rows, err := s.pool.Query(ctx, `SELECT `+mailboxCols+` FROM mailboxes m WHERE m.account = $1 ORDER BY m.name`, account)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	var out []store.Mailbox
	for rows.Next() {
		mb, err := scanMailbox(rows)
		if err != nil {
			return nil, s.wrap(op, err)
		}
		out = append(out, mb)
	}
	return out, s.wrap(op, rows.Err())
}

func (s *Store) Mailbox(ctx context.Context, account store.AccountID, name string) (store.Mailbox, error) {
	name, err := store.NormalizeName(name)
	if err != nil {
		return store.Mailbox{}, err
	}
	return s.mailboxResult(scanMailbox(s.pool.QueryRow(ctx,
		`SELECT `+mailboxCols+` FROM mailboxes m WHERE m.account = $1 AND m.name = $2`, account, name)))
}

func (s *Store) MailboxByID(ctx context.Context, account store.AccountID, id store.MailboxID) (store.Mailbox, error) {
	return s.mailboxResult(scanMailbox(s.pool.QueryRow(ctx,
		`SELECT `+mailboxCols+` FROM mailboxes m WHERE m.account = $1 AND m.id = $2`, account, id)))
}

func (s *Store) mailboxResult(mb store.Mailbox, err error) (store.Mailbox, error) {
	if isNoRows(err) {
		return mb, store.Errorf(store.KindNotFound, "mailbox", "no such mailbox")
	}
	return mb, s.wrap("mailbox", err)
}

func (s *Store) CreateMailbox(ctx context.Context, account store.AccountID, name string, use store.SpecialUse) (store.Mailbox, error) {
	const op = "create mailbox"
	name, err := store.NormalizeName(name)
	if err != nil {
		return store.Mailbox{}, err
	}
	if !store.ValidSpecialUse(use) {
		return store.Mailbox{}, store.Errorf(store.KindInvalid, op, "unknown special-use attribute %q", use)
	}
	var id store.MailboxID
	err = s.write(ctx, op, func(t *txn) error {
		if err := t.lockAccount(op, account); err != nil {
			return err
		}
		if _, err := t.mailboxID(account, name); err == nil {
			return store.Errorf(store.KindExists, op, "mailbox already exists")
		} else if !store.IsKind(err, store.KindNotFound) {
			return err
		}
		if err := t.mailboxBound(op, account); err != nil {
			return err
		}
		// RFC 9051 §6.3.4: create the superior names that are needed.
		if err := t.createParents(account, name); err != nil {
			return err
		}
		id, err = t.createMailbox(account, name, use)
		return err
	})
	if err != nil {
		return store.Mailbox{}, err
	}
	return s.MailboxByID(ctx, account, id)
}

// createParents creates the missing superior names of name.
func (t *txn) createParents(account store.AccountID, name string) error {
	parts := strings.Split(name, store.HierarchySep)
	for i := 1; i < len(parts); i++ {
		parent := strings.Join(parts[:i], store.HierarchySep)
		if _, err := t.mailboxID(account, parent); store.IsKind(err, store.KindNotFound) {
			if _, err := t.createMailbox(account, parent, store.UseNone); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	return nil
}

// nextUIDValidity returns a UIDVALIDITY greater than every one handed out
// before, so that a mailbox re-created under an old name never reuses one
// (RFC 9051 §2.3.1.1): a sequence, which no transaction waits for, that
// started at the Unix time of the schema's creation.
func (t *txn) nextUIDValidity() (int64, error) {
	var v int64
	err := t.queryRow(`SELECT nextval('uidvalidity')`).Scan(&v)
	return v, err
}

func (t *txn) createMailbox(account store.AccountID, name string, use store.SpecialUse) (store.MailboxID, error) {
	uv, err := t.nextUIDValidity()
	if err != nil {
		return 0, err
	}
	var id store.MailboxID
	err = t.queryRow(`INSERT INTO mailboxes(account, name, uidvalidity, special_use) VALUES ($1, $2, $3, $4) RETURNING id`,
		account, name, uv, string(use)).Scan(&id)
	if isUnique(err) {
		return 0, store.Errorf(store.KindExists, "create mailbox", "mailbox %q already exists", name)
	}
	if err != nil {
		return 0, err
	}
	t.publish(store.Change{Account: account, Mailbox: id, Kind: store.ChangeMailboxCreated})
	return id, nil
}

// mailboxID finds a mailbox by (normalized) name.
func (t *txn) mailboxID(account store.AccountID, name string) (store.MailboxID, error) {
	var id store.MailboxID
	err := t.queryRow(`SELECT id FROM mailboxes WHERE account = $1 AND name = $2`, account, name).Scan(&id)
	if isNoRows(err) {
		return 0, store.Errorf(store.KindNotFound, "mailbox", "no such mailbox")
	}
	return id, err
}

// mailboxBound refuses a new mailbox of an account that has
// store.MaxMailboxes already (the caller holds the account's lock).
func (t *txn) mailboxBound(op string, account store.AccountID) error {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM mailboxes WHERE account = $1`, account).Scan(&n); err != nil {
		return err
	}
	if n >= store.MaxMailboxes {
		return store.Errorf(store.KindOverQuota, op, "the account has %d mailboxes", n)
	}
	return nil
}

func (t *txn) setSubscribed(account store.AccountID, name string, on bool) error {
	q := `INSERT INTO subscriptions(account, name) VALUES ($1, $2) ON CONFLICT DO NOTHING`
	if !on {
		q = `DELETE FROM subscriptions WHERE account = $1 AND name = $2`
	}
	_, err := t.exec(q, account, name)
	return err
}

func (s *Store) SetSubscribed(ctx context.Context, account store.AccountID, name string, on bool) error {
	name, err := store.NormalizeName(name)
	if err != nil {
		return err
	}
	return s.write(ctx, "subscribe", func(t *txn) error {
		if err := t.setSubscribed(account, name, on); err != nil {
			return err
		}
		t.publish(store.Change{Account: account, Kind: store.ChangeSubscription})
		return nil
	})
}

func (s *Store) Subscriptions(ctx context.Context, account store.AccountID) ([]string, error) {
	return queryStrings(ctx, s, "subscriptions", `SELECT name FROM subscriptions WHERE account = $1 ORDER BY name`, account)
}

func (s *Store) DeleteMailbox(ctx context.Context, account store.AccountID, name string) error {
	return s.deleteMailbox(ctx, account, name, 0)
}

func (s *Store) DeleteMailboxIf(ctx context.Context, account store.AccountID, name string, uidNext store.UID) error {
	if uidNext == 0 {
		return store.Errorf(store.KindInvalid, "delete mailbox", "no UIDNEXT to compare")
	}
	return s.deleteMailbox(ctx, account, name, uidNext)
}

// deleteMailbox deletes a mailbox; with uidNext > 0 only if its UIDNEXT
// is still that (DeleteMailboxIf).
func (s *Store) deleteMailbox(ctx context.Context, account store.AccountID, name string, uidNext store.UID) error {
	const op = "delete mailbox"
	name, err := store.NormalizeName(name)
	if err != nil {
		return err
	}
	if name == store.InboxName {
		return store.Errorf(store.KindInvalid, op, "INBOX cannot be deleted")
	}
	return s.write(ctx, op, func(t *txn) error {
		id, err := t.mailboxID(account, name)
		if err != nil {
			return err
		}
		if uidNext > 0 {
			var cur store.UID
			if err := t.queryRow(`SELECT uidnext FROM mailboxes WHERE id = $1 FOR UPDATE`, id).Scan(&cur); err != nil {
				return err
			}
			if cur != uidNext {
				return store.Errorf(store.KindModified, op, "messages were stored in the mailbox since")
			}
		}
		if err := t.dropMailbox(id); err != nil {
			return err
		}
		t.publish(store.Change{Account: account, Mailbox: id, Kind: store.ChangeMailboxDeleted})
		return nil
	})
}

// dropMailbox deletes a mailbox, its messages (releasing their blobs and
// quota) and its expunge log.
func (t *txn) dropMailbox(id store.MailboxID) error {
	var account store.AccountID
	var msgs, size int64
	if err := t.queryRow(`SELECT m.account, m.messages, m.size FROM accounts a JOIN mailboxes m ON m.account = a.id
		WHERE m.id = $1 FOR NO KEY UPDATE`, id).Scan(&account, &msgs, &size); err != nil {
		return err
	}
	rows, err := t.query(`SELECT blob, count(*) FROM messages WHERE mailbox = $1 GROUP BY blob`, id)
	if err != nil {
		return err
	}
	refs := make(map[store.BlobID]int64)
	for rows.Next() {
		var b store.BlobID
		var n int64
		if err := rows.Scan(&b, &n); err != nil {
			rows.Close()
			return err
		}
		refs[b] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := t.releaseBlobs(refs); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM messages WHERE mailbox = $1`, `DELETE FROM expunged WHERE mailbox = $1`,
		`DELETE FROM acl WHERE mailbox = $1`, `DELETE FROM mailboxes WHERE id = $1`} {
		if _, err := t.exec(q, id); err != nil {
			return err
		}
	}
	_, err = t.exec(`UPDATE accounts SET used_bytes = used_bytes - $1, used_messages = used_messages - $2 WHERE id = $3`, size, msgs, account)
	return err
}

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
	return s.write(ctx, op, func(t *txn) error {
		if err := t.lockAccount(op, account); err != nil {
			return err
		}
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
	if err := t.createParents(account, to); err != nil {
		return err
	}
	dst, err := t.createMailbox(account, to, store.UseNone)
	if err != nil {
		return err
	}
	uids, err := queryInts[store.UID](t, `SELECT uid FROM messages WHERE mailbox = $1`, inbox)
	if err != nil {
		return err
	}
	if _, _, err := t.copyMessages("move", inbox, uids, dst, store.FlagDrop{}); err != nil {
		return err
	}
	_, err = t.expunge(op, inbox, uids)
	return err
}

// renameTree renames a mailbox and its inferiors, keeping their UIDVALIDITY
// (their UIDs do not change), and carries subscriptions along.
func (t *txn) renameTree(op string, account store.AccountID, from, to string) error {
	rows, err := t.query(`SELECT id, name FROM mailboxes WHERE account = $1 AND (name = $2 OR starts_with(name, $3))
		ORDER BY name FOR NO KEY UPDATE`, account, from, from+store.HierarchySep)
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
	if err := rows.Err(); err != nil {
		return err
	}
	for _, b := range boxes {
		newName := to + b.name[len(from):]
		if b.name != from {
			if _, err := t.mailboxID(account, newName); err == nil {
				return store.Errorf(store.KindExists, op, "mailbox %q already exists", newName)
			}
		}
		if _, err := t.exec(`UPDATE mailboxes SET name = $1 WHERE id = $2`, newName, b.id); err != nil {
			return err
		}
		// A subscription of the new name may exist already (names need
		// not exist to be subscribed): it stays, the old one goes.
		if _, err := t.exec(`WITH d AS (DELETE FROM subscriptions WHERE account = $1 AND name = $2 RETURNING account)
			INSERT INTO subscriptions(account, name) SELECT account, $3 FROM d ON CONFLICT DO NOTHING`,
			account, b.name, newName); err != nil {
			return err
		}
		t.publish(store.Change{Account: account, Mailbox: b.id, Kind: store.ChangeMailboxRenamed})
	}
	// RFC 9051 §6.3.6: superior names of the new name are created as needed.
	return t.createParents(account, to)
}
