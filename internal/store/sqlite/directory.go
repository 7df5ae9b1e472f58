package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

func (s *Store) AddDomain(ctx context.Context, domain string) error {
	return s.w.do(ctx, "add domain", func(t *txn) error {
		res, err := t.exec(`INSERT INTO domains(name) VALUES (?) ON CONFLICT DO NOTHING`, domain)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.Errorf(store.KindExists, "add domain", "domain %q already exists", domain)
		}
		return nil
	})
}

func (s *Store) DeleteDomain(ctx context.Context, domain string) error {
	return s.w.do(ctx, "delete domain", func(t *txn) error {
		var n int
		if err := t.queryRow(`SELECT (SELECT count(*) FROM addresses WHERE domain = ?) + (SELECT count(*) FROM aliases WHERE domain = ?)`, domain, domain).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.Errorf(store.KindInvalid, "delete domain", "domain %q still has %d addresses or aliases", domain, n)
		}
		res, err := t.exec(`DELETE FROM domains WHERE name = ?`, domain)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.Errorf(store.KindNotFound, "delete domain", "domain %q does not exist", domain)
		}
		return nil
	})
}

func (s *Store) Domains(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.rdb, "domains", `SELECT name FROM domains ORDER BY name`)
}

func (s *Store) HasDomain(ctx context.Context, domain string) (bool, error) {
	return readThrough(s.dir, s.dir.domains, domain, func() (bool, bool, error) {
		var n int
		err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM domains WHERE name = ?`, domain).Scan(&n)
		return n > 0, n > 0, store.Wrap(store.KindInternal, "has domain", err)
	})
}

// addressFree checks that no account address and no alias uses address.
func (t *txn) addressFree(op, address string) error {
	var n int
	if err := t.queryRow(`SELECT (SELECT count(*) FROM addresses WHERE address = ?) + (SELECT count(*) FROM aliases WHERE address = ?)`, address, address).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return store.Errorf(store.KindExists, op, "address %q is already in use", address)
	}
	return nil
}

func (t *txn) domainExists(op, domain string) error {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM domains WHERE name = ?`, domain).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return store.Errorf(store.KindNotFound, op, "domain %q is not a local domain", domain)
	}
	return nil
}

func (s *Store) CreateAccount(ctx context.Context, address, passwordHash string) (store.Account, error) {
	const op = "create account"
	acct := store.Account{Address: address, PasswordHash: passwordHash, Created: time.Now().Truncate(time.Second)}
	err := s.w.do(ctx, op, func(t *txn) error {
		if err := t.domainExists(op, store.DomainOf(address)); err != nil {
			return err
		}
		if err := t.addressFree(op, address); err != nil {
			return err
		}
		err := t.queryRow(`INSERT INTO accounts(address, password_hash, created) VALUES (?, ?, ?) RETURNING id`,
			address, passwordHash, acct.Created.Unix()).Scan(&acct.ID)
		if err != nil {
			return err
		}
		if _, err := t.exec(`INSERT INTO addresses(address, domain, account, primary_address) VALUES (?, ?, ?, 1)`,
			address, store.DomainOf(address), acct.ID); err != nil {
			return err
		}
		for _, mb := range store.DefaultMailboxes {
			if _, err := t.createMailbox(op, acct.ID, mb.Name, mb.Use); err != nil {
				return err
			}
			if err := t.setSubscribed(acct.ID, mb.Name, true); err != nil {
				return err
			}
		}
		return nil
	})
	return acct, err
}

func (s *Store) DeleteAccount(ctx context.Context, id store.AccountID) error {
	const op = "delete account"
	return s.w.doFreeing(ctx, op, func(t *txn) error {
		rows, err := t.query(`SELECT id FROM mailboxes WHERE account = ?`, id)
		if err != nil {
			return err
		}
		var boxes []store.MailboxID
		for rows.Next() {
			var mb store.MailboxID
			if err := rows.Scan(&mb); err != nil {
				rows.Close()
				return err
			}
			boxes = append(boxes, mb)
		}
		rows.Close()
		for _, mb := range boxes {
			if err := t.dropMailbox(mb); err != nil {
				return err
			}
		}
		for _, q := range []string{`DELETE FROM subscriptions WHERE account = ?`, `DELETE FROM addresses WHERE account = ?`,
			`DELETE FROM thread_keys WHERE account = ?`, `DELETE FROM acl WHERE grantee = ?`} {
			if _, err := t.exec(q, id); err != nil {
				return err
			}
		}
		res, err := t.exec(`DELETE FROM accounts WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.Errorf(store.KindNotFound, op, "account %d does not exist", id)
		}
		return nil
	})
}

const accountCols = `id, address, password_hash, created, quota_bytes, quota_messages, used_bytes, used_messages`

func scanAccount(sc interface{ Scan(...any) error }) (store.Account, error) {
	var a store.Account
	var created int64
	err := sc.Scan(&a.ID, &a.Address, &a.PasswordHash, &created, &a.Quota.MaxBytes, &a.Quota.MaxMessages,
		&a.Quota.UsedBytes, &a.Quota.UsedMessages)
	a.Created = time.Unix(created, 0)
	return a, err
}

func (s *Store) Account(ctx context.Context, id store.AccountID) (store.Account, error) {
	a, err := scanAccount(s.rdb.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, store.Errorf(store.KindNotFound, "account", "account %d does not exist", id)
	}
	return a, store.Wrap(store.KindInternal, "account", err)
}

func (s *Store) Accounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY address`)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, "accounts", err)
	}
	defer rows.Close()
	var out []store.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, store.Wrap(store.KindInternal, "accounts", err)
		}
		out = append(out, a)
	}
	return out, store.Wrap(store.KindInternal, "accounts", rows.Err())
}

func (s *Store) FirstAccount(ctx context.Context) (store.Account, error) {
	a, err := scanAccount(s.rdb.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY id LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Account{}, store.Errorf(store.KindNotFound, "first account", "no accounts")
	}
	return a, store.Wrap(store.KindInternal, "first account", err)
}

// updateAccount runs an UPDATE on one account row, mapping "no row" to
// KindNotFound.
func (s *Store) updateAccount(ctx context.Context, op string, id store.AccountID, q string, args ...any) error {
	return s.w.do(ctx, op, func(t *txn) error {
		res, err := t.exec(q, append(args, id)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.Errorf(store.KindNotFound, op, "account %d does not exist", id)
		}
		return nil
	})
}

func (s *Store) SetPasswordHash(ctx context.Context, id store.AccountID, hash string) error {
	return s.updateAccount(ctx, "set password", id, `UPDATE accounts SET password_hash = ? WHERE id = ?`, hash)
}

func (s *Store) SetQuota(ctx context.Context, id store.AccountID, maxBytes, maxMessages int64) error {
	if maxBytes < 0 || maxMessages < 0 {
		return store.Errorf(store.KindInvalid, "set quota", "quota limits must not be negative")
	}
	return s.updateAccount(ctx, "set quota", id, `UPDATE accounts SET quota_bytes = ?, quota_messages = ? WHERE id = ?`, maxBytes, maxMessages)
}

func (s *Store) AddAddress(ctx context.Context, id store.AccountID, address string) error {
	const op = "add address"
	return s.w.do(ctx, op, func(t *txn) error {
		if err := t.domainExists(op, store.DomainOf(address)); err != nil {
			return err
		}
		if err := t.addressFree(op, address); err != nil {
			return err
		}
		var n int
		if err := t.queryRow(`SELECT count(*) FROM accounts WHERE id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return store.Errorf(store.KindNotFound, op, "account %d does not exist", id)
		}
		_, err := t.exec(`INSERT INTO addresses(address, domain, account) VALUES (?, ?, ?)`, address, store.DomainOf(address), id)
		return err
	})
}

func (s *Store) DeleteAddress(ctx context.Context, address string) error {
	const op = "delete address"
	return s.w.do(ctx, op, func(t *txn) error {
		var primary int
		err := t.queryRow(`SELECT primary_address FROM addresses WHERE address = ?`, address).Scan(&primary)
		if errors.Is(err, sql.ErrNoRows) {
			return store.Errorf(store.KindNotFound, op, "address %q does not exist", address)
		}
		if err != nil {
			return err
		}
		if primary != 0 {
			return store.Errorf(store.KindInvalid, op, "%q is an account's primary address; delete the account instead", address)
		}
		_, err = t.exec(`DELETE FROM addresses WHERE address = ?`, address)
		return err
	})
}

func (s *Store) Addresses(ctx context.Context, id store.AccountID) ([]string, error) {
	return queryStrings(ctx, s.rdb, "addresses",
		`SELECT address FROM addresses WHERE account = ? ORDER BY primary_address DESC, address`, id)
}

func (s *Store) LookupAddress(ctx context.Context, address string) (store.AccountID, error) {
	return readThrough(s.dir, s.dir.addrs, address, func() (store.AccountID, bool, error) {
		var id store.AccountID
		err := s.rdb.QueryRowContext(ctx, `SELECT account FROM addresses WHERE address = ?`, address).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, store.Errorf(store.KindNotFound, "lookup address", "no account has address %q", address)
		}
		return id, true, store.Wrap(store.KindInternal, "lookup address", err)
	})
}

// QuotaLimits is account id's quota limits (store.Directory).
func (s *Store) QuotaLimits(ctx context.Context, id store.AccountID) (int64, int64, error) {
	l, err := readThrough(s.dir, s.dir.quotas, id, func() ([2]int64, bool, error) {
		var l [2]int64
		err := s.rdb.QueryRowContext(ctx, `SELECT quota_bytes, quota_messages FROM accounts WHERE id = ?`, id).Scan(&l[0], &l[1])
		if errors.Is(err, sql.ErrNoRows) {
			return l, false, store.Errorf(store.KindNotFound, "quota limits", "account %d does not exist", id)
		}
		return l, true, store.Wrap(store.KindInternal, "quota limits", err)
	})
	return l[0], l[1], err
}

// AccountAddress is the primary address of account id (store.Directory).
func (s *Store) AccountAddress(ctx context.Context, id store.AccountID) (string, error) {
	return readThrough(s.dir, s.dir.names, id, func() (string, bool, error) {
		var a string
		err := s.rdb.QueryRowContext(ctx, `SELECT address FROM accounts WHERE id = ?`, id).Scan(&a)
		if errors.Is(err, sql.ErrNoRows) {
			return "", false, store.Errorf(store.KindNotFound, "account address", "account %d does not exist", id)
		}
		return a, true, store.Wrap(store.KindInternal, "account address", err)
	})
}

func (s *Store) SetAlias(ctx context.Context, address string, targets []string) error {
	const op = "set alias"
	if len(targets) == 0 {
		return store.Errorf(store.KindInvalid, op, "alias %q needs at least one target", address)
	}
	return s.w.do(ctx, op, func(t *txn) error {
		if err := t.domainExists(op, store.DomainOf(address)); err != nil {
			return err
		}
		var n int
		if err := t.queryRow(`SELECT count(*) FROM addresses WHERE address = ?`, address).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.Errorf(store.KindExists, op, "%q is an account address", address)
		}
		_, err := t.exec(`INSERT INTO aliases(address, domain, targets) VALUES (?, ?, ?)
			ON CONFLICT(address) DO UPDATE SET targets = excluded.targets`,
			address, store.DomainOf(address), strings.Join(targets, "\n"))
		return err
	})
}

func (s *Store) DeleteAlias(ctx context.Context, address string) error {
	const op = "delete alias"
	return s.w.do(ctx, op, func(t *txn) error {
		res, err := t.exec(`DELETE FROM aliases WHERE address = ?`, address)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.Errorf(store.KindNotFound, op, "alias %q does not exist", address)
		}
		return nil
	})
}

func (s *Store) Alias(ctx context.Context, address string) ([]string, error) {
	var targets string
	err := s.rdb.QueryRowContext(ctx, `SELECT targets FROM aliases WHERE address = ?`, address).Scan(&targets)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.KindNotFound, "alias", "alias %q does not exist", address)
	}
	if err != nil {
		return nil, store.Wrap(store.KindInternal, "alias", err)
	}
	return strings.Split(targets, "\n"), nil
}

func (s *Store) Aliases(ctx context.Context) (map[string][]string, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT address, targets FROM aliases`)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, "aliases", err)
	}
	defer rows.Close()
	out := make(map[string][]string)
	for rows.Next() {
		var a, t string
		if err := rows.Scan(&a, &t); err != nil {
			return nil, store.Wrap(store.KindInternal, "aliases", err)
		}
		out[a] = strings.Split(t, "\n")
	}
	return out, store.Wrap(store.KindInternal, "aliases", rows.Err())
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func queryStrings(ctx context.Context, db querier, op, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, store.Wrap(store.KindInternal, op, err)
		}
		out = append(out, v)
	}
	return out, store.Wrap(store.KindInternal, op, rows.Err())
}
