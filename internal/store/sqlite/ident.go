package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/petrelmail/petrel/internal/store"
)

// sqlExec is what threading needs of a connection: the batch transaction
// (txn) at delivery, the migration's connection (connExec) in a backfill.
type sqlExec interface {
	exec(q string, args ...any) (sql.Result, error)
	query(q string, args ...any) (*sql.Rows, error)
	queryRow(q string, args ...any) *sql.Row
}

// assignThread returns the thread of a new message of account whose email
// ID is email and whose thread keys (store.ThreadKeys) are keys: the
// thread of the first key the account knows, else a new thread numbered
// like the email ID (unique, as email IDs are). The keys the account did
// not know then name that thread (docs/architecture.md §Storage model).
func assignThread(x sqlExec, account store.AccountID, keys []string, email store.EmailID) (store.ThreadID, error) {
	thread := store.ThreadID(email)
	switch len(keys) {
	case 0:
		return thread, nil
	case 1:
		// A Message-ID alone, the most common case, in one statement:
		// the key's thread, or the new one (the update changes nothing;
		// it makes RETURNING report the existing row).
		err := x.queryRow(`INSERT INTO thread_keys(account, key, thread) VALUES (?, ?, ?)
			ON CONFLICT DO UPDATE SET thread = thread RETURNING thread`, account, keys[0], thread).Scan(&thread)
		return thread, err
	}
	var err error
	if thread, err = firstKnownThread(x, account, keys, thread); err != nil {
		return 0, err
	}
	args := make([]any, 0, 3*len(keys))
	for _, k := range keys {
		args = append(args, account, k, thread)
	}
	_, err = x.exec(`INSERT INTO thread_keys(account, key, thread) VALUES `+placeholders(len(keys), "(?, ?, ?)")+
		` ON CONFLICT DO NOTHING`, args...)
	return thread, err
}

// firstKnownThread returns the thread of the first of keys the account
// knows, or def. A few keys (a reply: its parent and itself) are looked
// up one by one, stopping at the first known; more in one query.
// Measured (BenchmarkDeliverCPU): json_each and ORDER BY on the key's
// place cost a reply's delivery a quarter more than these plain lookups.
func firstKnownThread(x sqlExec, account store.AccountID, keys []string, def store.ThreadID) (store.ThreadID, error) {
	const oneByOne = 4
	if len(keys) <= oneByOne {
		for _, k := range keys {
			var th store.ThreadID
			err := x.queryRow(`SELECT thread FROM thread_keys WHERE account = ? AND key = ?`, account, k).Scan(&th)
			if err == nil {
				return th, nil
			}
			if !isNoRows(err) {
				return 0, err
			}
		}
		return def, nil
	}
	args := make([]any, 0, 1+len(keys))
	args = append(args, account)
	for _, k := range keys {
		args = append(args, k)
	}
	rows, err := x.query(`SELECT key, thread FROM thread_keys WHERE account = ? AND key IN (`+
		placeholders(len(keys), "?")+`)`, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	known := make(map[string]store.ThreadID, len(keys))
	for rows.Next() {
		var k string
		var th store.ThreadID
		if err := rows.Scan(&k, &th); err != nil {
			return 0, err
		}
		known[k] = th
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, k := range keys {
		if th, ok := known[k]; ok {
			return th, nil
		}
	}
	return def, nil
}

// placeholders returns n copies of p separated by commas.
func placeholders(n int, p string) string {
	return strings.Repeat(p+", ", n-1) + p
}

// threader assigns the threads of one delivery, once per account.
type threader struct {
	x     sqlExec
	keys  []string
	email store.EmailID
	done  map[store.AccountID]store.ThreadID
}

func (th *threader) thread(account store.AccountID) (store.ThreadID, error) {
	if id, ok := th.done[account]; ok {
		return id, nil
	}
	id, err := assignThread(th.x, account, th.keys, th.email)
	if err != nil {
		return 0, err
	}
	if th.done == nil {
		th.done = make(map[store.AccountID]store.ThreadID, 1)
	}
	th.done[account] = id
	return id, nil
}

// stamp is an op's change of an account within a batch: the n-th of the
// batch for that account.
type stamp struct {
	op      *op
	account store.AccountID
	n       int
}

// countStates counts, for the batch, one change of every account the op
// (its savepoint released) published a change for; flushStates then
// raises the states in the database and stamps the changes.
func (t *txn) countStates() {
	var accts []store.AccountID
	for _, ch := range t.op.changes {
		if !slices.Contains(accts, ch.Account) {
			accts = append(accts, ch.Account)
		}
	}
	if len(accts) > 0 && t.bumps == nil {
		t.bumps = make(map[store.AccountID]int)
	}
	for _, a := range accts {
		t.bumps[a]++
		t.stamps = append(t.stamps, stamp{op: t.op, account: a, n: t.bumps[a]})
	}
}

// flushStates raises the change state of every account the batch changed
// by the number of ops that changed it, in a statement or two per batch
// rather than one per op (the batch is one transaction under the write
// lock: no other process changes a state meanwhile), and stamps each op's
// changes with the value after that op (store.Change.State).
func (t *txn) flushStates() error {
	if len(t.bumps) == 0 {
		return nil
	}
	byCount := make(map[int][]store.AccountID)
	for a, n := range t.bumps {
		byCount[n] = append(byCount[n], a)
	}
	final := make(map[store.AccountID]store.State, len(t.bumps))
	for n, ids := range byCount {
		rows, err := t.query(`UPDATE accounts SET state = state + ?1 WHERE id IN (SELECT value FROM json_each(?2))
			RETURNING id, state`, n, jsonIDs(ids))
		if err != nil {
			return err
		}
		for rows.Next() {
			var a store.AccountID
			var st store.State
			if err := rows.Scan(&a, &st); err != nil {
				rows.Close()
				return err
			}
			final[a] = st
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	for _, s := range t.stamps {
		f, ok := final[s.account]
		if !ok {
			continue // an op of the batch deleted the account
		}
		v := f - store.State(t.bumps[s.account]-s.n)
		for i := range s.op.changes {
			if s.op.changes[i].Account == s.account {
				s.op.changes[i].State = v
			}
		}
	}
	return nil
}

// AccountState implements store.Mail.
func (s *Store) AccountState(ctx context.Context, account store.AccountID) (store.State, error) {
	const op = "account state"
	var st store.State
	err := s.rdb.QueryRowContext(ctx, `SELECT state FROM accounts WHERE id = ?`, account).Scan(&st)
	if isNoRows(err) {
		return 0, store.Errorf(store.KindNotFound, op, "account %d does not exist", account)
	}
	return st, store.Wrap(store.KindInternal, op, err)
}
