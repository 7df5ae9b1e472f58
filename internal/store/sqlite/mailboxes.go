package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

const mailboxCols = `m.id, m.account, m.name, m.uidvalidity, m.uidnext, m.highestmodseq, m.special_use,
	m.messages, m.unseen, m.size,
	EXISTS(SELECT 1 FROM subscriptions s WHERE s.account = m.account AND s.name = m.name)`

func scanMailbox(sc interface{ Scan(...any) error }) (store.Mailbox, error) {
	var mb store.Mailbox
	var use string
	err := sc.Scan(&mb.ID, &mb.Account, &mb.Name, &mb.UIDValidity, &mb.UIDNext, &mb.HighestModSeq, &use,
		&mb.Messages, &mb.Unseen, &mb.Size, &mb.Subscribed)
	mb.SpecialUse = store.SpecialUse(use)
	return mb, err
}

func (s *Store) Mailboxes(ctx context.Context, account store.AccountID) ([]store.Mailbox, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+mailboxCols+` FROM mailboxes m WHERE m.account = ? ORDER BY m.name`, account)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, "mailboxes", err)
	}
	defer rows.Close()
	var out []store.Mailbox
	for rows.Next() {
		mb, err := scanMailbox(rows)
		if err != nil {
			return nil, store.Wrap(store.KindInternal, "mailboxes", err)
		}
		out = append(out, mb)
	}
	return out, store.Wrap(store.KindInternal, "mailboxes", rows.Err())
}

func (s *Store) Mailbox(ctx context.Context, account store.AccountID, name string) (store.Mailbox, error) {
	name, err := store.NormalizeName(name)
	if err != nil {
		return store.Mailbox{}, err
	}
	return mailboxResult(scanMailbox(s.mailboxStmt.QueryRowContext(ctx, account, name)))
}

const (
	mailboxQuery     = `SELECT ` + mailboxCols + ` FROM mailboxes m WHERE m.account = ? AND m.name = ?`
	mailboxByIDQuery = `SELECT ` + mailboxCols + ` FROM mailboxes m WHERE m.account = ? AND m.id = ?`
)

func (s *Store) MailboxByID(ctx context.Context, account store.AccountID, id store.MailboxID) (store.Mailbox, error) {
	return mailboxResult(scanMailbox(s.mailboxByIDStmt.QueryRowContext(ctx, account, id)))
}

func mailboxResult(mb store.Mailbox, err error) (store.Mailbox, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return mb, store.Errorf(store.KindNotFound, "mailbox", "no such mailbox")
	}
	return mb, store.Wrap(store.KindInternal, "mailbox", err)
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
	err = s.w.do(ctx, op, func(t *txn) error {
		if _, err := t.mailboxID(account, name); err == nil {
			return store.Errorf(store.KindExists, op, "mailbox already exists")
		} else if !store.IsKind(err, store.KindNotFound) {
			return err
		}
		// The bound on an account's mailboxes (store.MaxMailboxes).
		var n int
		if err := t.queryRow(`SELECT count(*) FROM mailboxes WHERE account = ?`, account).Scan(&n); err != nil {
			return err
		}
		if n >= store.MaxMailboxes {
			return store.Errorf(store.KindOverQuota, op, "the account has %d mailboxes", n)
		}
		// RFC 9051 §6.3.4: create the superior names that are needed.
		parts := strings.Split(name, store.HierarchySep)
		for i := 1; i < len(parts); i++ {
			parent := strings.Join(parts[:i], store.HierarchySep)
			if _, err := t.mailboxID(account, parent); store.IsKind(err, store.KindNotFound) {
				if _, err := t.createMailbox(op, account, parent, store.UseNone); err != nil {
					return err
				}
			} else if err != nil {
				return err
			}
		}
		id, err = t.createMailbox(op, account, name, use)
		return err
	})
	if err != nil {
		return store.Mailbox{}, err
	}
	return s.MailboxByID(ctx, account, id)
}

// nextUIDValidity returns a UIDVALIDITY greater than every one handed out
// before, so that a mailbox re-created under an old name never reuses one
// (RFC 9051 §2.3.1.1).
func (t *txn) nextUIDValidity() (uint32, error) {
	var v uint32
	err := t.queryRow(`INSERT INTO counters(name, value) VALUES ('uidvalidity', ?)
		ON CONFLICT(name) DO UPDATE SET value = max(value + 1, excluded.value) RETURNING value`,
		time.Now().Unix()).Scan(&v)
	return v, err
}

func (t *txn) createMailbox(op string, account store.AccountID, name string, use store.SpecialUse) (store.MailboxID, error) {
	uv, err := t.nextUIDValidity()
	if err != nil {
		return 0, err
	}
	var id store.MailboxID
	err = t.queryRow(`INSERT INTO mailboxes(account, name, uidvalidity, special_use) VALUES (?, ?, ?, ?) RETURNING id`,
		account, name, uv, string(use)).Scan(&id)
	if err != nil {
		return 0, err
	}
	t.publish(store.Change{Account: account, Mailbox: id, Kind: store.ChangeMailboxCreated})
	return id, nil
}

// mailboxID finds a mailbox by (normalized) name.
func (t *txn) mailboxID(account store.AccountID, name string) (store.MailboxID, error) {
	var id store.MailboxID
	err := t.queryRow(`SELECT id FROM mailboxes WHERE account = ? AND name = ?`, account, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.Errorf(store.KindNotFound, "mailbox", "no such mailbox")
	}
	return id, err
}

func (t *txn) setSubscribed(account store.AccountID, name string, on bool) error {
	q := `INSERT INTO subscriptions(account, name) VALUES (?, ?) ON CONFLICT DO NOTHING`
	if !on {
		q = `DELETE FROM subscriptions WHERE account = ? AND name = ?`
	}
	_, err := t.exec(q, account, name)
	return err
}

func (s *Store) SetSubscribed(ctx context.Context, account store.AccountID, name string, on bool) error {
	name, err := store.NormalizeName(name)
	if err != nil {
		return err
	}
	return s.w.do(ctx, "subscribe", func(t *txn) error {
		if err := t.setSubscribed(account, name, on); err != nil {
			return err
		}
		t.publish(store.Change{Account: account, Kind: store.ChangeSubscription})
		return nil
	})
}

func (s *Store) Subscriptions(ctx context.Context, account store.AccountID) ([]string, error) {
	return queryStrings(ctx, s.rdb, "subscriptions", `SELECT name FROM subscriptions WHERE account = ? ORDER BY name`, account)
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
	return s.w.doFreeing(ctx, op, func(t *txn) error {
		id, err := t.mailboxID(account, name)
		if err != nil {
			return err
		}
		if uidNext > 0 {
			var cur store.UID
			if err := t.queryRow(`SELECT uidnext FROM mailboxes WHERE id = ?`, id).Scan(&cur); err != nil {
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
// quota), its expunge log and its access rights.
func (t *txn) dropMailbox(id store.MailboxID) error {
	var account store.AccountID
	var msgs, size int64
	if err := t.queryRow(`SELECT account, messages, size FROM mailboxes WHERE id = ?`, id).Scan(&account, &msgs, &size); err != nil {
		return err
	}
	rows, err := t.query(`SELECT blob, count(*) FROM messages WHERE mailbox = ? GROUP BY blob`, id)
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
	if err := t.releaseBlobs(refs); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM messages WHERE mailbox = ?`, `DELETE FROM expunged WHERE mailbox = ?`,
		`DELETE FROM acl WHERE mailbox = ?`, `DELETE FROM mailboxes WHERE id = ?`} {
		if _, err := t.exec(q, id); err != nil {
			return err
		}
	}
	_, err = t.exec(`UPDATE accounts SET used_bytes = used_bytes - ?, used_messages = used_messages - ? WHERE id = ?`, size, msgs, account)
	return err
}
