package sqlite

import (
	"context"
	"io"
	"strings"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// The writes of a store copy (store.Importer; docs/architecture.md §Store
// copy): records of another store with their identities. They publish no
// changes (an op without changes raises no account state, ident.go).

// ImportAccount implements store.Importer.
func (s *Store) ImportAccount(ctx context.Context, a store.Account, state store.State) (store.AccountID, error) {
	const op = "import account"
	var id store.AccountID
	err := s.w.do(ctx, op, func(t *txn) error {
		var primary bool
		err := t.queryRow(`SELECT account, primary_address FROM addresses WHERE address = ?`, a.Address).Scan(&id, &primary)
		switch {
		case err == nil && !primary:
			return store.Errorf(store.KindExists, op, "%q is an extra address of another account", a.Address)
		case err == nil:
			_, err = t.exec(`UPDATE accounts SET password_hash = ?, created = ?, quota_bytes = ?, quota_messages = ?,
				state = max(state, ?) WHERE id = ?`, a.PasswordHash, a.Created.Unix(), a.Quota.MaxBytes, a.Quota.MaxMessages,
				int64(state), id)
			return err
		case !isNoRows(err):
			return err
		}
		if err := t.domainExists(op, store.DomainOf(a.Address)); err != nil {
			return err
		}
		if err := t.addressFree(op, a.Address); err != nil {
			return err
		}
		err = t.queryRow(`INSERT INTO accounts(address, password_hash, created, quota_bytes, quota_messages, state)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, a.Address, a.PasswordHash, a.Created.Unix(), a.Quota.MaxBytes,
			a.Quota.MaxMessages, int64(state)).Scan(&id)
		if err != nil {
			return err
		}
		_, err = t.exec(`INSERT INTO addresses(address, domain, account, primary_address) VALUES (?, ?, ?, 1)`,
			a.Address, store.DomainOf(a.Address), id)
		return err
	})
	return id, err
}

// ImportAddress implements store.Importer.
func (s *Store) ImportAddress(ctx context.Context, account store.AccountID, address string) error {
	const op = "import address"
	return s.w.do(ctx, op, func(t *txn) error {
		var owner store.AccountID
		err := t.queryRow(`SELECT account FROM addresses WHERE address = ?`, address).Scan(&owner)
		switch {
		case err == nil && owner == account:
			return nil
		case err == nil:
			return store.Errorf(store.KindExists, op, "address %q is in use by another account", address)
		case !isNoRows(err):
			return err
		}
		if err := t.domainExists(op, store.DomainOf(address)); err != nil {
			return err
		}
		if err := t.addressFree(op, address); err != nil {
			return err
		}
		_, err = t.exec(`INSERT INTO addresses(address, domain, account) VALUES (?, ?, ?)`, address, store.DomainOf(address), account)
		return err
	})
}

// ImportMailbox implements store.Importer.
func (s *Store) ImportMailbox(ctx context.Context, account store.AccountID, mb store.Mailbox) (store.Mailbox, error) {
	const op = "import mailbox"
	name, err := store.ImportedMailboxName(mb)
	if err != nil {
		return store.Mailbox{}, err
	}
	var id store.MailboxID
	err = s.w.do(ctx, op, func(t *txn) error {
		var uv uint32
		var next store.UID
		err := t.queryRow(`SELECT id, uidvalidity, uidnext FROM mailboxes WHERE account = ? AND name = ?`,
			account, name).Scan(&id, &uv, &next)
		switch {
		case isNoRows(err):
			if err := t.accountExists(op, account); err != nil {
				return err
			}
			err = t.queryRow(`INSERT INTO mailboxes(account, name, uidvalidity, uidnext, highestmodseq, special_use)
				VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, account, name, mb.UIDValidity, mb.UIDNext, mb.HighestModSeq,
				string(mb.SpecialUse)).Scan(&id)
		case err != nil:
		case uv == mb.UIDValidity || next == 1:
			// The same mailbox again, or one that never held a message
			// (an account's default mailboxes): it takes mb's identity.
			_, err = t.exec(`UPDATE mailboxes SET uidvalidity = ?, uidnext = max(uidnext, ?),
				highestmodseq = max(highestmodseq, ?), special_use = ? WHERE id = ?`,
				mb.UIDValidity, mb.UIDNext, mb.HighestModSeq, string(mb.SpecialUse), id)
		default:
			return store.Errorf(store.KindExists, op, "mailbox %q exists with another UIDVALIDITY (%d, not %d) and messages",
				name, uv, mb.UIDValidity)
		}
		if err != nil {
			return err
		}
		return t.raiseUIDValidity(mb.UIDValidity)
	})
	if err != nil {
		return store.Mailbox{}, err
	}
	return s.MailboxByID(ctx, account, id)
}

func (t *txn) accountExists(op string, account store.AccountID) error {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM accounts WHERE id = ?`, account).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return store.Errorf(store.KindNotFound, op, "account %d does not exist", account)
	}
	return nil
}

// raiseUIDValidity makes every UIDVALIDITY handed out later greater than
// v (nextUIDValidity).
func (t *txn) raiseUIDValidity(v uint32) error {
	_, err := t.exec(`INSERT INTO counters(name, value) VALUES ('uidvalidity', ?)
		ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)`, int64(v))
	return err
}

// ImportSubscriptions implements store.Importer.
func (s *Store) ImportSubscriptions(ctx context.Context, account store.AccountID, names []string) error {
	norm, err := store.NormalizeNames(names)
	if err != nil {
		return err
	}
	return s.w.do(ctx, "import subscriptions", func(t *txn) error {
		for _, n := range norm {
			if err := t.setSubscribed(account, n, true); err != nil {
				return err
			}
		}
		return nil
	})
}

// ImportExpunged implements store.Importer.
func (s *Store) ImportExpunged(ctx context.Context, mailbox store.MailboxID, log []store.Expunged) error {
	return s.w.do(ctx, "import expunged", func(t *txn) error {
		for _, e := range log {
			if _, err := t.exec(`INSERT INTO expunged(mailbox, uid, modseq) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				mailbox, int64(e.UID), int64(e.ModSeq)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ImportThreadKeys implements store.Importer.
func (s *Store) ImportThreadKeys(ctx context.Context, account store.AccountID, keys []store.ThreadKey) error {
	return s.w.do(ctx, "import thread keys", func(t *txn) error { return t.addThreadKeys(account, keys) })
}

// addThreadKeys adds the keys the account does not know, a hundred per
// statement.
func (t *txn) addThreadKeys(account store.AccountID, keys []store.ThreadKey) error {
	const chunk = 100
	for len(keys) > 0 {
		n := min(len(keys), chunk)
		args := make([]any, 0, 3*n)
		for _, k := range keys[:n] {
			args = append(args, account, k.Key, k.Thread)
		}
		if _, err := t.exec(`INSERT INTO thread_keys(account, key, thread) VALUES `+placeholders(n, "(?, ?, ?)")+
			` ON CONFLICT DO NOTHING`, args...); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// ImportKV implements store.Importer.
func (s *Store) ImportKV(ctx context.Context, info store.KeyInfo, value []byte) error {
	const op = "import kv"
	if err := store.CheckKey(op, info.Key); err != nil {
		return err
	}
	return s.w.do(ctx, op, func(t *txn) error {
		_, err := t.exec(`INSERT INTO kv(key, value, modified) VALUES (?, ?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value, modified = excluded.modified`,
			info.Key, nonNil(value), info.Modified.UnixMilli())
		return err
	})
}

// ImportCounters implements store.Importer. Email IDs are blob ids
// (insertMessage): the blobs table's AUTOINCREMENT mark is raised.
func (s *Store) ImportCounters(ctx context.Context, c store.Counters) error {
	return s.w.do(ctx, "import counters", func(t *txn) error {
		if err := t.raiseUIDValidity(c.UIDValidity); err != nil {
			return err
		}
		res, err := t.exec(`UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'blobs'`, int64(c.EmailID))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			_, err = t.exec(`INSERT INTO sqlite_sequence(name, seq) VALUES ('blobs', ?)`, int64(c.EmailID))
		}
		return err
	})
}

// ReserveEmailIDs implements store.Importer: the blobs table's
// AUTOINCREMENT mark moves up by n in one write transaction, which
// BEGIN IMMEDIATE serialises with every other process's writes.
func (s *Store) ReserveEmailIDs(ctx context.Context, n int) ([]store.EmailID, error) {
	if n <= 0 {
		return nil, nil
	}
	var last int64
	err := s.w.do(ctx, "reserve email ids", func(t *txn) error {
		err := t.queryRow(`UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'blobs' RETURNING seq`, n).Scan(&last)
		if isNoRows(err) {
			last = int64(n)
			_, err = t.exec(`INSERT INTO sqlite_sequence(name, seq) VALUES ('blobs', ?)`, last)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	ids := make([]store.EmailID, n)
	for i := range ids {
		ids[i] = store.EmailID(last - int64(n-1-i))
	}
	return ids, nil
}

// ImportQueued implements store.Importer. The body keeps its blob id from
// the source when it is free here: source blob ids never collide with the
// source's email ids, which the copy imports too.
func (s *Store) ImportQueued(ctx context.Context, m store.QueuedMessage, body io.Reader) (bool, error) {
	const op = "import queued"
	if m.ID == "" || len(m.Rcpts) == 0 {
		return false, store.Errorf(store.KindInvalid, op, "no ID or no recipients")
	}
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM queue WHERE id = ?`, m.ID).Scan(&n); err != nil {
		return false, store.Wrap(store.KindInternal, op, err)
	}
	if n > 0 {
		return false, nil
	}
	b, err := s.intake(body, &msgmeta.Meta{})
	if err != nil {
		return false, err
	}
	stored := false
	err = s.w.do(context.WithoutCancel(ctx), op, func(t *txn) error { // as in ImportMessages
		stored = false
		var n int
		if err := t.queryRow(`SELECT count(*) FROM queue WHERE id = ?`, m.ID).Scan(&n); err != nil || n > 0 {
			return err
		}
		if err := t.importQueued(b, m); err != nil {
			return err
		}
		stored = true
		if b.rel != "" {
			t.op.syncDirs = append(t.op.syncDirs, s.blobDirOf(b.rel))
		}
		return nil
	})
	if err != nil || !stored {
		s.removeBlobFile(b.rel)
	}
	return stored, err
}

func (t *txn) importQueued(b *body, m store.QueuedMessage) error {
	var seq int64
	if err := t.queryRow(`INSERT INTO counters(name, value) VALUES ('queue_seq', 1)
		ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value`).Scan(&seq); err != nil {
		return err
	}
	var taken int
	if err := t.queryRow(`SELECT count(*) FROM blobs WHERE id = ?`, m.Blob).Scan(&taken); err != nil {
		return err
	}
	at := m.Blob
	if taken > 0 {
		at = 0
	}
	blob, err := t.insertBlobAt(b, at, 1)
	if err != nil {
		return err
	}
	if _, err := t.exec(`INSERT INTO queue(id, seq, origin, sender, envid, ret, smtputf8, body_type, arrived, size, blob, warned,
		require_tls, tls_optional) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, seq, m.Origin, m.From, m.EnvID, m.Ret,
		boolInt(m.SMTPUTF8), m.BodyType, ms(m.Arrived), b.size, blob, boolInt(m.DelayWarned),
		boolInt(m.RequireTLS), boolInt(m.TLSOptional)); err != nil {
		return err
	}
	for _, r := range m.Rcpts {
		if _, err := t.exec(`INSERT INTO queue_rcpts(seq, idx, addr, domain, orcpt, notify, state, attempts,
			next_attempt, last_attempt, last_error, status, remote_mta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			seq, r.Index, r.Addr, r.Domain, r.ORcpt, strings.Join(r.Notify, ","), int(r.State), r.Attempts,
			ms(r.NextAttempt), ms(r.LastAttempt), r.LastError, r.Status, r.RemoteMTA); err != nil {
			return err
		}
	}
	return nil
}
