package sqlite

import (
	"context"
	"database/sql"
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

// batchState is an account's change state within a batch: dirty when
// raised after the batch first wrote it.
type batchState struct {
	value store.State
	dirty bool
}

// bumpStates raises by one the change state of every account the op
// published a change for, and stamps the new value on the changes
// (store.Change.State). The first op of a batch to change an account
// raises it in the database, inside its savepoint; later ones only in
// t.states, and flushStates writes the result before the commit (one
// statement per account and batch rather than per op: a batch is one
// transaction under the write lock, so no one else changes it meanwhile).
// keep records the op's values in t.states once its savepoint is
// released.
func (t *txn) bumpStates() (keep func(), err error) {
	chs := t.op.changes
	var next map[store.AccountID]batchState
	for i := range chs {
		a := chs[i].Account
		if st, ok := next[a]; ok {
			chs[i].State = st.value
			continue
		}
		st, ok := t.states[a]
		if ok {
			st.value++
			st.dirty = true
		} else {
			err := t.queryRow(`UPDATE accounts SET state = state + 1 WHERE id = ? RETURNING state`, a).Scan(&st.value)
			if isNoRows(err) {
				continue // the op deleted the account
			}
			if err != nil {
				return nil, err
			}
		}
		if next == nil {
			next = make(map[store.AccountID]batchState, 1)
		}
		next[a] = st
		chs[i].State = st.value
	}
	return func() {
		if len(next) > 0 && t.states == nil {
			t.states = make(map[store.AccountID]batchState, len(next))
		}
		for a, st := range next {
			t.states[a] = st
		}
	}, nil
}

// flushStates writes the states raised in memory (bumpStates).
func (t *txn) flushStates() error {
	for a, st := range t.states {
		if !st.dirty {
			continue
		}
		if _, err := t.exec(`UPDATE accounts SET state = ? WHERE id = ?`, st.value, a); err != nil {
			return err
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
