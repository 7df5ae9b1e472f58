package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/store"
)

func (s *Store) AddDomain(ctx context.Context, domain string) error {
	const op = "add domain"
	return s.write(ctx, op, func(t *txn) error {
		tag, err := t.exec(`INSERT INTO domains(name) VALUES ($1) ON CONFLICT DO NOTHING`, domain)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.Errorf(store.KindExists, op, "domain %q already exists", domain)
		}
		return nil
	})
}

func (s *Store) DeleteDomain(ctx context.Context, domain string) error {
	const op = "delete domain"
	return s.write(ctx, op, func(t *txn) error {
		var n int
		if err := t.queryRow(`SELECT (SELECT count(*) FROM addresses WHERE domain = $1) + (SELECT count(*) FROM aliases WHERE domain = $1)`,
			domain).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.Errorf(store.KindInvalid, op, "domain %q still has %d addresses or aliases", domain, n)
		}
		tag, err := t.exec(`DELETE FROM domains WHERE name = $1`, domain)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.Errorf(store.KindNotFound, op, "domain %q does not exist", domain)
		}
		return nil
	})
}

func (s *Store) Domains(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s, "domains", `SELECT name FROM domains ORDER BY name`)
}

func (s *Store) HasDomain(ctx context.Context, domain string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS(SELECT 1 FROM domains WHERE name = $1)`, domain).Scan(&ok)
	return ok, s.wrap("has domain", err)
}

// addressFree checks that no account address and no alias uses address.
func (t *txn) addressFree(op, address string) error {
	var used bool
	if err := t.queryRow(`SELECT EXISTS(SELECT 1 FROM addresses WHERE address = $1) OR EXISTS(SELECT 1 FROM aliases WHERE address = $1)`,
		address).Scan(&used); err != nil {
		return err
	}
	if used {
		return store.Errorf(store.KindExists, op, "address %q is already in use", address)
	}
	return nil
}

// domainExists checks the domain, locking its row against a concurrent
// DeleteDomain.
func (t *txn) domainExists(op, domain string) error {
	var name string
	err := t.queryRow(`SELECT name FROM domains WHERE name = $1 FOR SHARE`, domain).Scan(&name)
	if isNoRows(err) {
		return store.Errorf(store.KindNotFound, op, "domain %q is not a local domain", domain)
	}
	return err
}

func (s *Store) CreateAccount(ctx context.Context, address, passwordHash string) (store.Account, error) {
	const op = "create account"
	acct := store.Account{Address: address, PasswordHash: passwordHash, Created: time.Now().Truncate(time.Second)}
	err := s.write(ctx, op, func(t *txn) error {
		if err := t.domainExists(op, store.DomainOf(address)); err != nil {
			return err
		}
		if err := t.addressFree(op, address); err != nil {
			return err
		}
		err := t.queryRow(`INSERT INTO accounts(address, password_hash, created) VALUES ($1, $2, $3) RETURNING id`,
			address, passwordHash, acct.Created.Unix()).Scan(&acct.ID)
		if isUnique(err) {
			return store.Errorf(store.KindExists, op, "address %q is already in use", address)
		}
		if err != nil {
			return err
		}
		if _, err := t.exec(`INSERT INTO addresses(address, domain, account, primary_address) VALUES ($1, $2, $3, true)`,
			address, store.DomainOf(address), acct.ID); err != nil {
			return err
		}
		for _, mb := range store.DefaultMailboxes {
			if _, err := t.createMailbox(acct.ID, mb.Name, mb.Use); err != nil {
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
	return s.write(ctx, op, func(t *txn) error {
		var one int
		if err := t.queryRow(`SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, id).Scan(&one); isNoRows(err) {
			return store.Errorf(store.KindNotFound, op, "account %d does not exist", id)
		} else if err != nil {
			return err
		}
		boxes, err := queryInts[store.MailboxID](t, `SELECT id FROM mailboxes WHERE account = $1`, id)
		if err != nil {
			return err
		}
		for _, mb := range boxes {
			if err := t.dropMailbox(mb); err != nil {
				return err
			}
		}
		for _, q := range []string{`DELETE FROM subscriptions WHERE account = $1`, `DELETE FROM addresses WHERE account = $1`,
			`DELETE FROM thread_keys WHERE account = $1`, `DELETE FROM acl WHERE grantee = $1`, `DELETE FROM accounts WHERE id = $1`} {
			if _, err := t.exec(q, id); err != nil {
				return err
			}
		}
		return nil
	})
}

const accountCols = `id, address, password_hash, created, quota_bytes, quota_messages, used_bytes, used_messages`

func scanAccount(sc pgx.Row) (store.Account, error) {
	var a store.Account
	var created int64
	err := sc.Scan(&a.ID, &a.Address, &a.PasswordHash, &created, &a.Quota.MaxBytes, &a.Quota.MaxMessages,
		&a.Quota.UsedBytes, &a.Quota.UsedMessages)
	a.Created = time.Unix(created, 0)
	return a, err
}

func (s *Store) Account(ctx context.Context, id store.AccountID) (store.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
	if isNoRows(err) {
		return a, store.Errorf(store.KindNotFound, "account", "account %d does not exist", id)
	}
	return a, s.wrap("account", err)
}

func (s *Store) FirstAccount(ctx context.Context) (store.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY id LIMIT 1`))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Account{}, store.Errorf(store.KindNotFound, "first account", "no accounts")
	}
	if err != nil {
		return store.Account{}, s.wrap("first account", err)
	}
	return a, nil
}

func (s *Store) Accounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY address`)
	if err != nil {
		return nil, s.wrap("accounts", err)
	}
	defer rows.Close()
	var out []store.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, s.wrap("accounts", err)
		}
		out = append(out, a)
	}
	return out, s.wrap("accounts", rows.Err())
}

// updateAccount runs an UPDATE on one account row ($1 is the id),
// mapping "no row" to KindNotFound.
func (s *Store) updateAccount(ctx context.Context, op string, id store.AccountID, q string, args ...any) error {
	return s.write(ctx, op, func(t *txn) error {
		tag, err := t.exec(q, append([]any{id}, args...)...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.Errorf(store.KindNotFound, op, "account %d does not exist", id)
		}
		return nil
	})
}

func (s *Store) SetPasswordHash(ctx context.Context, id store.AccountID, hash string) error {
	return s.updateAccount(ctx, "set password", id, `UPDATE accounts SET password_hash = $2 WHERE id = $1`, hash)
}

func (s *Store) SetQuota(ctx context.Context, id store.AccountID, maxBytes, maxMessages int64) error {
	if maxBytes < 0 || maxMessages < 0 {
		return store.Errorf(store.KindInvalid, "set quota", "quota limits must not be negative")
	}
	return s.updateAccount(ctx, "set quota", id, `UPDATE accounts SET quota_bytes = $2, quota_messages = $3 WHERE id = $1`,
		maxBytes, maxMessages)
}

func (s *Store) AddAddress(ctx context.Context, id store.AccountID, address string) error {
	const op = "add address"
	return s.write(ctx, op, func(t *txn) error {
		if err := t.domainExists(op, store.DomainOf(address)); err != nil {
			return err
		}
		if err := t.addressFree(op, address); err != nil {
			return err
		}
		var one int
		if err := t.queryRow(`SELECT 1 FROM accounts WHERE id = $1 FOR SHARE`, id).Scan(&one); isNoRows(err) {
			return store.Errorf(store.KindNotFound, op, "account %d does not exist", id)
		} else if err != nil {
			return err
		}
		_, err := t.exec(`INSERT INTO addresses(address, domain, account) VALUES ($1, $2, $3)`, address, store.DomainOf(address), id)
		if isUnique(err) {
			return store.Errorf(store.KindExists, op, "address %q is already in use", address)
		}
		return err
	})
}

func (s *Store) DeleteAddress(ctx context.Context, address string) error {
	const op = "delete address"
	return s.write(ctx, op, func(t *txn) error {
		var primary bool
		err := t.queryRow(`SELECT primary_address FROM addresses WHERE address = $1`, address).Scan(&primary)
		if isNoRows(err) {
			return store.Errorf(store.KindNotFound, op, "address %q does not exist", address)
		}
		if err != nil {
			return err
		}
		if primary {
			return store.Errorf(store.KindInvalid, op, "%q is an account's primary address; delete the account instead", address)
		}
		_, err = t.exec(`DELETE FROM addresses WHERE address = $1`, address)
		return err
	})
}

func (s *Store) Addresses(ctx context.Context, id store.AccountID) ([]string, error) {
	return queryStrings(ctx, s, "addresses",
		`SELECT address FROM addresses WHERE account = $1 ORDER BY primary_address DESC, address`, id)
}

func (s *Store) LookupAddress(ctx context.Context, address string) (store.AccountID, error) {
	var id store.AccountID
	err := s.pool.QueryRow(ctx, `SELECT account FROM addresses WHERE address = $1`, address).Scan(&id)
	if isNoRows(err) {
		return 0, store.Errorf(store.KindNotFound, "lookup address", "no account has address %q", address)
	}
	return id, s.wrap("lookup address", err)
}

func (s *Store) QuotaLimits(ctx context.Context, id store.AccountID) (int64, int64, error) {
	var b, m int64
	err := s.pool.QueryRow(ctx, `SELECT quota_bytes, quota_messages FROM accounts WHERE id = $1`, id).Scan(&b, &m)
	if isNoRows(err) {
		return 0, 0, store.Errorf(store.KindNotFound, "quota limits", "account %d does not exist", id)
	}
	return b, m, s.wrap("quota limits", err)
}

func (s *Store) AccountAddress(ctx context.Context, id store.AccountID) (string, error) {
	var a string
	err := s.pool.QueryRow(ctx, `SELECT address FROM accounts WHERE id = $1`, id).Scan(&a)
	if isNoRows(err) {
		return "", store.Errorf(store.KindNotFound, "account address", "account %d does not exist", id)
	}
	return a, s.wrap("account address", err)
}

func (s *Store) SetAlias(ctx context.Context, address string, targets []string) error {
	const op = "set alias"
	if len(targets) == 0 {
		return store.Errorf(store.KindInvalid, op, "alias %q needs at least one target", address)
	}
	return s.write(ctx, op, func(t *txn) error {
		if err := t.domainExists(op, store.DomainOf(address)); err != nil {
			return err
		}
		var taken bool
		if err := t.queryRow(`SELECT EXISTS(SELECT 1 FROM addresses WHERE address = $1)`, address).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return store.Errorf(store.KindExists, op, "%q is an account address", address)
		}
		_, err := t.exec(`INSERT INTO aliases(address, domain, targets) VALUES ($1, $2, $3)
			ON CONFLICT(address) DO UPDATE SET targets = excluded.targets`,
			address, store.DomainOf(address), strings.Join(targets, "\n"))
		return err
	})
}

func (s *Store) DeleteAlias(ctx context.Context, address string) error {
	const op = "delete alias"
	return s.write(ctx, op, func(t *txn) error {
		tag, err := t.exec(`DELETE FROM aliases WHERE address = $1`, address)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.Errorf(store.KindNotFound, op, "alias %q does not exist", address)
		}
		return nil
	})
}

func (s *Store) Alias(ctx context.Context, address string) ([]string, error) {
	var targets string
	err := s.pool.QueryRow(ctx, `SELECT targets FROM aliases WHERE address = $1`, address).Scan(&targets)
	if isNoRows(err) {
		return nil, store.Errorf(store.KindNotFound, "alias", "alias %q does not exist", address)
	}
	if err != nil {
		return nil, s.wrap("alias", err)
	}
	return strings.Split(targets, "\n"), nil
}

func (s *Store) Aliases(ctx context.Context) (map[string][]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT address, targets FROM aliases`)
	if err != nil {
		return nil, s.wrap("aliases", err)
	}
	defer rows.Close()
	out := make(map[string][]string)
	for rows.Next() {
		var a, t string
		if err := rows.Scan(&a, &t); err != nil {
			return nil, s.wrap("aliases", err)
		}
		out[a] = strings.Split(t, "\n")
	}
	return out, s.wrap("aliases", rows.Err())
}

func queryStrings(ctx context.Context, s *Store, op, q string, args ...any) ([]string, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, s.wrap(op, err)
}

// queryInts runs a query of one integer column in the transaction.
func queryInts[T ~int64 | ~uint32](t *txn, q string, args ...any) ([]T, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) {
		var v int64
		err := r.Scan(&v)
		return T(v), err
	})
}
