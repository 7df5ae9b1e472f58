package sqlite

import (
	"context"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// The session state shared by the processes that open one database
// (store.Sessions, docs/architecture.md §Shared state): leased locks and
// the \Recent boundaries. The writes (doSession) may use the deletion
// reserve: a user must be able to log in and delete mail when the disk is
// full; and they are not fsynced: a power loss that undoes one also ends
// the sessions it was for (the processes sharing a SQLite database run on
// one host, whose clock decides the expiry times).

// TryLock implements store.Locks.
func (s *Store) TryLock(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	const op = "try lock"
	if err := store.CheckLock(op, name, owner, ttl); err != nil {
		return false, err
	}
	var got bool
	err := s.w.doSession(ctx, op, func(t *txn) error {
		now := time.Now()
		res, err := t.exec(`INSERT INTO locks(name, owner, expires) VALUES (?1, ?2, ?3)
			ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, expires = excluded.expires
			WHERE locks.owner = excluded.owner OR locks.expires <= ?4`,
			name, owner, now.Add(ttl).UnixMilli(), now.UnixMilli())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		got = n == 1
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
	return s.w.doSession(ctx, op, func(t *txn) error {
		res, err := t.exec(`UPDATE locks SET expires = ? WHERE name = ? AND owner = ?`,
			time.Now().Add(ttl).UnixMilli(), name, owner)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return store.Wrap(store.KindNotFound, op, notHeld(err))
		}
		return nil
	})
}

func notHeld(err error) error {
	if err != nil {
		return err
	}
	return store.Errorf(store.KindNotFound, "renew lock", "the lock is not held by this owner")
}

// Unlock implements store.Locks.
func (s *Store) Unlock(ctx context.Context, name, owner string) error {
	return s.w.doSession(ctx, "unlock", func(t *txn) error {
		_, err := t.exec(`DELETE FROM locks WHERE name = ? AND owner = ?`, name, owner)
		return err
	})
}

const recentQuery = `SELECT uid FROM recent WHERE mailbox = ?`

// RecentUID implements store.Recent.
func (s *Store) RecentUID(ctx context.Context, mailbox store.MailboxID) (store.UID, error) {
	var uid store.UID
	err := s.recentStmt.QueryRowContext(ctx, mailbox).Scan(&uid)
	if isNoRows(err) {
		return 0, nil
	}
	return uid, store.Wrap(store.KindInternal, "recent uid", err)
}

// ClaimRecent implements store.Recent. A boundary already at or above
// upTo is answered from a read, without a commit: SELECT of a mailbox
// without new mail writes nothing.
func (s *Store) ClaimRecent(ctx context.Context, mailbox store.MailboxID, upTo store.UID) (store.UID, error) {
	const op = "claim recent"
	if cur, err := s.RecentUID(ctx, mailbox); err != nil || cur >= upTo {
		return cur, err
	}
	var before store.UID
	err := s.w.doSession(ctx, op, func(t *txn) error {
		var one int
		if err := t.queryRow(`SELECT 1 FROM mailboxes WHERE id = ?`, mailbox).Scan(&one); isNoRows(err) {
			return store.Errorf(store.KindNotFound, op, "mailbox %d", mailbox)
		} else if err != nil {
			return err
		}
		before = 0
		if err := t.queryRow(`SELECT uid FROM recent WHERE mailbox = ?`, mailbox).Scan(&before); err != nil && !isNoRows(err) {
			return err
		}
		if upTo <= before {
			return nil
		}
		_, err := t.exec(`INSERT INTO recent(mailbox, uid) VALUES (?, ?)
			ON CONFLICT(mailbox) DO UPDATE SET uid = excluded.uid`, mailbox, int64(upTo))
		return err
	})
	return before, err
}
