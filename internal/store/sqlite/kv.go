package sqlite

import (
	"context"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// The key/value storage (store.KV): one row per key in table kv, the
// value inline (DKIM keys and certificates are kilobytes).

// KVStore implements store.KV.
func (s *Store) KVStore(ctx context.Context, key string, value []byte) error {
	_, err := s.kvPut(ctx, "kv store", key, value, `ON CONFLICT(key) DO UPDATE SET value = excluded.value, modified = excluded.modified`)
	return err
}

// KVCreate implements store.KV.
func (s *Store) KVCreate(ctx context.Context, key string, value []byte) error {
	const op = "kv create"
	stored, err := s.kvPut(ctx, op, key, value, `ON CONFLICT(key) DO NOTHING`)
	if err == nil && !stored {
		return store.Errorf(store.KindExists, op, "key %q exists", key)
	}
	return err
}

// kvPut inserts a value with the given conflict clause and reports
// whether a row was written.
func (s *Store) kvPut(ctx context.Context, op, key string, value []byte, onConflict string) (bool, error) {
	if err := store.CheckKey(op, key); err != nil {
		return false, err
	}
	var stored bool
	err := s.w.doMail(ctx, op, func(t *txn) error {
		res, err := t.exec(`INSERT INTO kv(key, value, modified) VALUES (?, ?, ?) `+onConflict,
			key, nonNil(value), time.Now().UnixMilli())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		stored = n > 0
		return err
	})
	return stored, err
}

// nonNil makes an empty value a zero-length BLOB, not NULL.
func nonNil(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}

// KVLoad implements store.KV.
func (s *Store) KVLoad(ctx context.Context, key string) ([]byte, error) {
	const op = "kv load"
	var v []byte
	err := s.rdb.QueryRowContext(ctx, `SELECT value FROM kv WHERE key = ?`, key).Scan(&v)
	if isNoRows(err) {
		return nil, store.Errorf(store.KindNotFound, op, "key %q", key)
	}
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	return nonNil(v), nil
}

// KVDelete implements store.KV.
func (s *Store) KVDelete(ctx context.Context, key string) error {
	const op = "kv delete"
	return s.w.doFreeingMail(ctx, op, func(t *txn) error {
		res, err := t.exec(`DELETE FROM kv WHERE key = ?`, key)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.Errorf(store.KindNotFound, op, "key %q", key)
		}
		return nil
	})
}

// KVExists implements store.KV.
func (s *Store) KVExists(ctx context.Context, key string) (bool, error) {
	_, err := s.KVStat(ctx, key)
	if store.IsKind(err, store.KindNotFound) {
		return false, nil
	}
	return err == nil, err
}

// KVStat implements store.KV.
func (s *Store) KVStat(ctx context.Context, key string) (store.KeyInfo, error) {
	const op = "kv stat"
	info := store.KeyInfo{Key: key}
	var ms int64
	err := s.rdb.QueryRowContext(ctx, `SELECT modified, length(value) FROM kv WHERE key = ?`, key).Scan(&ms, &info.Size)
	if isNoRows(err) {
		return store.KeyInfo{}, store.Errorf(store.KindNotFound, op, "key %q", key)
	}
	if err != nil {
		return store.KeyInfo{}, store.Wrap(store.KindInternal, op, err)
	}
	info.Modified = time.UnixMilli(ms)
	return info, nil
}

// KVList implements store.KV: a range scan of the primary key, from
// prefix to the first string above every string that starts with it.
func (s *Store) KVList(ctx context.Context, prefix string) ([]store.KeyInfo, error) {
	const op = "kv list"
	q, args := `SELECT key, modified, length(value) FROM kv WHERE key >= ?`, []any{prefix}
	if end, ok := store.PrefixEnd(prefix); ok {
		q += ` AND key < ?`
		args = append(args, end)
	}
	rows, err := s.rdb.QueryContext(ctx, q+` ORDER BY key`, args...)
	if err != nil {
		return nil, store.Wrap(store.KindInternal, op, err)
	}
	defer rows.Close()
	var out []store.KeyInfo
	for rows.Next() {
		var k store.KeyInfo
		var ms int64
		if err := rows.Scan(&k.Key, &ms, &k.Size); err != nil {
			return nil, store.Wrap(store.KindInternal, op, err)
		}
		k.Modified = time.UnixMilli(ms)
		out = append(out, k)
	}
	return out, store.Wrap(store.KindInternal, op, rows.Err())
}
