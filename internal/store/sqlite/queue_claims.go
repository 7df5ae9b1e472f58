package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// Claims (docs/architecture.md §Queue): queue.claim_owner holds a message
// until queue.claim_until; a claim whose time has passed is free to take.

// claimPending lists unclaimed messages with recipients never tried
// outside the skipped domains, oldest first (the queue_pending index),
// except those held.
const claimPending = `SELECT r.seq FROM queue_rcpts r JOIN queue q ON q.seq = r.seq
	WHERE r.state = 0 AND q.claim_until <= ?1 AND r.domain NOT IN (SELECT value FROM json_each(?2))
	AND q.id NOT IN (SELECT value FROM json_each(?4))
	GROUP BY r.seq ORDER BY r.seq LIMIT ?3`

// claimDue lists unclaimed messages with deferred recipients due at now
// outside the skipped domains, earliest due first, except those held.
const claimDue = `SELECT r.seq FROM queue_rcpts r JOIN queue q ON q.seq = r.seq
	WHERE r.state = 1 AND r.next_attempt <= ?1 AND q.claim_until <= ?1
	AND r.domain NOT IN (SELECT value FROM json_each(?2)) AND q.id NOT IN (SELECT value FROM json_each(?4))
	GROUP BY r.seq ORDER BY min(r.next_attempt), r.seq LIMIT ?3`

// ClaimQueued claims due messages for r.Owner: new mail first, then
// deferred mail that is due.
func (s *Store) ClaimQueued(ctx context.Context, r store.ClaimRequest) ([]store.QueuedMessage, error) {
	const op = "claim queued"
	if r.Owner == "" || r.Lease <= 0 {
		return nil, store.Errorf(store.KindInvalid, op, "no owner or no lease")
	}
	if r.Limit <= 0 {
		return nil, nil
	}
	c := claimArgs{owner: r.Owner, now: ms(r.Now), until: ms(r.Now.Add(r.Lease)), skip: jsonList(r.Skip), held: jsonList(r.Held)}
	var ids []string
	err := s.w.doFreeingMail(ctx, op, func(t *txn) (err error) {
		ids = ids[:0]
		if ids, err = t.claim(claimPending, c, r.Limit, ids); err != nil {
			return err
		}
		// Claimed above, a message with new and due recipients is
		// no longer free here.
		if !r.NewOnly && len(ids) < r.Limit {
			ids, err = t.claim(claimDue, c, r.Limit-len(ids), ids)
		}
		return err
	})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return s.queuedByIDs(ctx, ids)
}

// claimArgs are the arguments of the claim queries: times in Unix
// milliseconds, lists as JSON arrays.
type claimArgs struct {
	owner      string
	now, until int64
	skip, held string
}

// jsonList is a list of strings as a JSON array, for json_each.
func jsonList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// claim claims the messages that q lists, up to limit, and appends their
// IDs to ids.
func (t *txn) claim(q string, c claimArgs, limit int, ids []string) ([]string, error) {
	rows, err := t.query(q, c.now, c.skip, limit, c.held)
	if err != nil {
		return nil, err
	}
	var seqs []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, err
		}
		seqs = append(seqs, v)
	}
	err = errors.Join(rows.Err(), rows.Close())
	if err != nil {
		return nil, err
	}
	for _, seq := range seqs {
		var id string
		if err := t.queryRow(`UPDATE queue SET claim_owner = ?, claim_until = ? WHERE seq = ? RETURNING id`,
			c.owner, c.until, seq).Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// queuedByIDs reads messages in the order of ids, leaving out those gone
// meanwhile.
func (s *Store) queuedByIDs(ctx context.Context, ids []string) ([]store.QueuedMessage, error) {
	ms, err := s.queuedWhere(ctx, `WHERE id IN (SELECT value FROM json_each(?))`, jsonList(ids))
	if err != nil {
		return nil, err
	}
	byID := make(map[string]store.QueuedMessage, len(ms))
	for _, m := range ms {
		byID[m.ID] = m
	}
	out := make([]store.QueuedMessage, 0, len(ids))
	for _, id := range ids {
		if m, ok := byID[id]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// RenewClaims extends owner's leases; it returns the ids owner no longer
// holds.
func (s *Store) RenewClaims(ctx context.Context, owner string, ids []string, until time.Time) ([]string, error) {
	var lost []string
	err := s.w.doFreeingMail(ctx, "renew claims", func(t *txn) error {
		lost = lost[:0]
		for _, id := range ids {
			res, err := t.exec(`UPDATE queue SET claim_until = ? WHERE id = ? AND claim_owner = ?`, ms(until), id, owner)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				lost = append(lost, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return lost, nil
}

// ReleaseClaim records an attempt's outcome and ends owner's claim; a
// message left without active recipients is removed with its body
// reference.
func (s *Store) ReleaseClaim(ctx context.Context, id, owner string, ch store.QueueChange) error {
	const op = "release claim"
	return s.w.doFreeingMail(ctx, op, func(t *txn) error {
		seq, blob, err := t.queueSeq(id)
		if err != nil {
			return err
		}
		var holder string
		if err := t.queryRow(`SELECT claim_owner FROM queue WHERE seq = ?`, seq).Scan(&holder); err != nil {
			return err
		}
		if holder != owner {
			return store.Errorf(store.KindModified, op, "queued message %s is claimed by %q, not %q", id, holder, owner)
		}
		for _, r := range ch.Rcpts {
			if _, err := t.exec(`UPDATE queue_rcpts SET state = ?, attempts = ?, next_attempt = ?, last_attempt = ?,
				last_error = ?, status = ?, remote_mta = ? WHERE seq = ? AND idx = ?`,
				int(r.State), r.Attempts, ms(r.NextAttempt), ms(r.LastAttempt), r.LastError, r.Status, r.RemoteMTA,
				seq, r.Index); err != nil {
				return err
			}
		}
		var active int
		if err := t.queryRow(`SELECT count(*) FROM queue_rcpts WHERE seq = ? AND state IN (0, 1, 4)`, seq).Scan(&active); err != nil {
			return err
		}
		if active == 0 {
			return t.removeQueued(seq, blob)
		}
		_, err = t.exec(`UPDATE queue SET claim_owner = '', claim_until = 0, warned = warned OR ? WHERE seq = ?`,
			boolInt(ch.DelayWarned), seq)
		return err
	})
}
