package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/petrelmail/petrel/internal/msgmeta"
	"github.com/petrelmail/petrel/internal/store"
)

// threadKeysJSON encodes a message's thread keys (store.ThreadKeys) for
// json_each; "" when it has none.
func threadKeysJSON(m *msgmeta.Meta) string {
	keys := store.ThreadKeys(m)
	if len(keys) == 0 {
		return ""
	}
	b, _ := json.Marshal(keys) // strings always encode
	return string(b)
}

// sqlExec is what threading needs of a connection: the batch transaction
// (txn) at delivery, the migration's connection (connExec) in a backfill.
type sqlExec interface {
	exec(q string, args ...any) (sql.Result, error)
	queryRow(q string, args ...any) *sql.Row
}

// assignThread returns the thread of a new message of account whose email
// ID is email and whose thread keys are keys (threadKeysJSON): the thread
// of the first key the account knows, else a new thread numbered like the
// email ID (unique, as email IDs are). The keys the account did not know
// then name that thread (docs/architecture.md §Storage model).
func assignThread(x sqlExec, account store.AccountID, keys string, email store.EmailID) (store.ThreadID, error) {
	thread := store.ThreadID(email)
	if keys == "" {
		return thread, nil
	}
	err := x.queryRow(`SELECT k.thread FROM json_each(?2) j JOIN thread_keys k ON k.account = ?1 AND k.key = j.value
		ORDER BY j.key LIMIT 1`, account, keys).Scan(&thread)
	if err != nil && !isNoRows(err) {
		return 0, err
	}
	// "WHERE true" tells the parser that ON CONFLICT is the upsert clause.
	_, err = x.exec(`INSERT INTO thread_keys(account, key, thread) SELECT ?1, value, ?2 FROM json_each(?3) WHERE true
		ON CONFLICT DO NOTHING`, account, thread, keys)
	return thread, err
}

// threader assigns the threads of one delivery, once per account.
type threader struct {
	x     sqlExec
	keys  string
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

// bumpStates raises, once per op, the change state of every account the
// op published a change for, and stamps the new state on the changes
// (store.Change.State). It runs inside the op's savepoint, so a failed op
// raises nothing.
func (t *txn) bumpStates() error {
	chs := t.op.changes
next:
	for i := range chs {
		for j := 0; j < i; j++ {
			if chs[j].Account == chs[i].Account {
				chs[i].State = chs[j].State
				continue next
			}
		}
		err := t.queryRow(`UPDATE accounts SET state = state + 1 WHERE id = ? RETURNING state`, chs[i].Account).Scan(&chs[i].State)
		if err != nil && !isNoRows(err) {
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
