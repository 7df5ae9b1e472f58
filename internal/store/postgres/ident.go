package postgres

import (
	"context"

	"github.com/petrelmail/petrel/internal/store"
)

// assignThread returns the thread of a new message of account whose email
// ID is email and whose thread keys (store.ThreadKeys) are keys: the
// thread of the first key the account knows, else a new thread numbered
// like the email ID. The keys the account did not know then name that
// thread (docs/architecture.md §Storage model).
func (t *txn) assignThread(account store.AccountID, keys []string, email store.EmailID) (store.ThreadID, error) {
	thread := store.ThreadID(email)
	switch len(keys) {
	case 0:
		return thread, nil
	case 1:
		// A Message-ID alone, the most common case, in one statement:
		// the key's thread, or the new one.
		err := t.queryRow(`INSERT INTO thread_keys(account, key, thread) VALUES ($1, $2, $3)
			ON CONFLICT (account, key) DO UPDATE SET thread = thread_keys.thread RETURNING thread`,
			account, keys[0], thread).Scan(&thread)
		return thread, err
	}
	// The first known key in the order of keys.
	err := t.queryRow(`SELECT k.thread FROM thread_keys k JOIN unnest($2::text[]) WITH ORDINALITY AS w(key, n) ON w.key = k.key
		WHERE k.account = $1 ORDER BY w.n LIMIT 1`, account, keys).Scan(&thread)
	if err != nil && !isNoRows(err) {
		return 0, err
	}
	_, err = t.exec(`INSERT INTO thread_keys(account, key, thread) SELECT $1, k, $3 FROM unnest($2::text[]) AS k
		ON CONFLICT DO NOTHING`, account, keys, thread)
	return thread, err
}

// AccountState implements store.Mail.
func (s *Store) AccountState(ctx context.Context, account store.AccountID) (store.State, error) {
	const op = "account state"
	var st int64
	err := s.pool.QueryRow(ctx, `SELECT state FROM accounts WHERE id = $1`, account).Scan(&st)
	if isNoRows(err) {
		return 0, store.Errorf(store.KindNotFound, op, "account %d does not exist", account)
	}
	return store.State(st), s.wrap(op, err)
}
