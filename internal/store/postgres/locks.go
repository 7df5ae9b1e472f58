package postgres

import (
	"context"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// The session state shared by the nodes on one database (store.Sessions,
// docs/architecture.md §Shared state): leased locks and the \Recent
// boundaries. Lock expiry is decided by the database's clock
// (clock_timestamp()), the one clock every node sees, in milliseconds.

const nowMS = `(extract(epoch FROM clock_timestamp()) * 1000)::bigint`

// TryLock implements store.Locks.
func (s *Store) TryLock(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	const op = "try lock"
	if err := store.CheckLock(op, name, owner, ttl); err != nil {
		return false, err
	}
	var got bool
	err := s.write(ctx, op, func(t *txn) error {
		tag, err := t.exec(`INSERT INTO locks(name, owner, expires) VALUES ($1, $2, `+nowMS+` + $3)
			ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, expires = excluded.expires
			WHERE locks.owner = excluded.owner OR locks.expires <= `+nowMS,
			name, owner, ttl.Milliseconds())
		got = tag.RowsAffected() == 1
		return err
	})
	return got, err
}

// RenewLock implements store.Locks.
func (s *Store) RenewLock(ctx context.Context, name, owner string, ttl time.Duration) error {
	const op = "renew lock"
	if err := store.CheckLock(op, name, owner, ttl); err != nil {
		return err
	}
	return s.write(ctx, op, func(t *txn) error {
		tag, err := t.exec(`UPDATE locks SET expires = `+nowMS+` + $1 WHERE name = $2 AND owner = $3`,
			ttl.Milliseconds(), name, owner)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.Errorf(store.KindNotFound, op, "the lock is not held by this owner")
		}
		return nil
	})
}

// Unlock implements store.Locks.
func (s *Store) Unlock(ctx context.Context, name, owner string) error {
	return s.write(ctx, "unlock", func(t *txn) error {
		_, err := t.exec(`DELETE FROM locks WHERE name = $1 AND owner = $2`, name, owner)
		return err
	})
}

// RecentUID implements store.Recent.
func (s *Store) RecentUID(ctx context.Context, mailbox store.MailboxID) (store.UID, error) {
	var uid int64
	err := s.pool.QueryRow(ctx, `SELECT uid FROM recent WHERE mailbox = $1`, mailbox).Scan(&uid)
	if isNoRows(err) {
		return 0, nil
	}
	return store.UID(uid), s.wrap("recent uid", err)
}

// ClaimRecent implements store.Recent: one statement raises the boundary
// and returns the one it replaced (the row lock orders concurrent claims
// of every node). A boundary already at or above upTo is answered from a
// read, without a commit: SELECT of a mailbox without new mail writes
// nothing.
func (s *Store) ClaimRecent(ctx context.Context, mailbox store.MailboxID, upTo store.UID) (store.UID, error) {
	const op = "claim recent"
	if cur, err := s.RecentUID(ctx, mailbox); err != nil || cur >= upTo {
		return cur, err
	}
	var before int64
	err := s.write(ctx, op, func(t *txn) error {
		var one int
		if err := t.queryRow(`SELECT 1 FROM mailboxes WHERE id = $1 FOR KEY SHARE`, mailbox).Scan(&one); isNoRows(err) {
			return store.Errorf(store.KindNotFound, op, "mailbox %d", mailbox)
		} else if err != nil {
			return err
		}
		if _, err := t.exec(`INSERT INTO recent(mailbox, uid) VALUES ($1, 0) ON CONFLICT DO NOTHING`, mailbox); err != nil {
			return err
		}
		if err := t.queryRow(`SELECT uid FROM recent WHERE mailbox = $1 FOR UPDATE`, mailbox).Scan(&before); err != nil {
			return err
		}
		if int64(upTo) <= before {
			return nil
		}
		_, err := t.exec(`UPDATE recent SET uid = $2 WHERE mailbox = $1`, mailbox, int64(upTo))
		return err
	})
	return store.UID(before), err
}
