package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/store"
)

// Claims (docs/architecture.md §Queue): queue.claim_owner holds a message
// until queue.claim_until (Unix milliseconds of the database's clock,
// clock_timestamp(), as locks.go: the one clock every node sees, so a node
// whose clock runs ahead takes over no live claim); a claim whose time
// has passed is free to take. ClaimRequest.Now still decides which
// recipients are due (next_attempt, set by the runners). With
// Options.CallerClock the leases follow ClaimRequest.Now and the until of
// RenewClaims instead (tests with a fake clock: storetest).
//
// The runners of several nodes claim at once: candidates are found from the recipients' indexes,
// then their queue rows are locked FOR UPDATE SKIP LOCKED, so a row that
// another node is claiming is skipped rather than waited for, and a row
// claimed and committed meanwhile fails the re-checked claim_until.

// leaseNow is the time leases are judged by: the database's clock, or,
// with Options.CallerClock ($6), the caller's ($1).
const leaseNow = `(CASE WHEN $6::boolean THEN $1::bigint ELSE ` + nowMS + ` END)`

// claimPending lists unclaimed messages with recipients never tried
// outside the skipped domains, oldest first, except those held.
const claimPending = `WITH cand AS (
	SELECT r.seq, 0::bigint AS due FROM queue_rcpts r JOIN queue q ON q.seq = r.seq
	WHERE r.state = 0 AND q.claim_until <= ` + leaseNow + ` AND NOT (r.domain = ANY($2)) AND NOT (q.id = ANY($3))
	GROUP BY r.seq ORDER BY r.seq LIMIT $4)
SELECT q.seq FROM queue q JOIN cand ON cand.seq = q.seq WHERE q.claim_until <= ` + leaseNow + `
ORDER BY cand.due, q.seq LIMIT $5 FOR UPDATE OF q SKIP LOCKED`

// claimDue lists unclaimed messages with deferred recipients due at now
// outside the skipped domains, earliest due first, except those held.
const claimDue = `WITH cand AS (
	SELECT r.seq, min(r.next_attempt) AS due FROM queue_rcpts r JOIN queue q ON q.seq = r.seq
	WHERE r.state = 1 AND r.next_attempt <= $1 AND q.claim_until <= ` + leaseNow + `
	AND NOT (r.domain = ANY($2)) AND NOT (q.id = ANY($3))
	GROUP BY r.seq ORDER BY min(r.next_attempt), r.seq LIMIT $4)
SELECT q.seq FROM queue q JOIN cand ON cand.seq = q.seq WHERE q.claim_until <= ` + leaseNow + `
ORDER BY cand.due, q.seq LIMIT $5 FOR UPDATE OF q SKIP LOCKED`

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
	var ids []string
	err := s.write(ctx, op, func(t *txn) (err error) {
		ids = nil
		if ids, err = t.claim(claimPending, r, r.Limit, ids); err != nil {
			return err
		}
		// Claimed above, a message with new and due recipients is
		// no longer free here.
		if !r.NewOnly && len(ids) < r.Limit {
			ids, err = t.claim(claimDue, r, r.Limit-len(ids), ids)
		}
		return err
	})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return s.queuedByIDs(ctx, ids)
}

// claim claims the messages that q lists, up to limit, and appends their
// IDs to ids in the order of q.
func (t *txn) claim(q string, r store.ClaimRequest, limit int, ids []string) ([]string, error) {
	now := ms(r.Now)
	// The database's clock (nil), unless the caller's is asked for.
	var callerUntil *int64
	if t.s.opts.CallerClock {
		until := ms(r.Now.Add(r.Lease))
		callerUntil = &until
	}
	// Candidates beyond the limit stand in for those another node is
	// claiming (skipped).
	seqs, err := queryInts[int64](t, q, now, nonNilStrings(r.Skip), append(nonNilStrings(r.Held), ids...), 2*limit+8, limit,
		t.s.opts.CallerClock)
	if err != nil || len(seqs) == 0 {
		return ids, err
	}
	rows, err := t.query(`UPDATE queue SET claim_owner = $1, claim_until = coalesce($2::bigint, `+nowMS+` + $4)
		WHERE seq = ANY($3) RETURNING seq, id`,
		r.Owner, callerUntil, seqs, r.Lease.Milliseconds())
	if err != nil {
		return nil, err
	}
	byseq := make(map[int64]string, len(seqs))
	var seq int64
	var id string
	if _, err := pgx.ForEachRow(rows, []any{&seq, &id}, func() error { byseq[seq] = id; return nil }); err != nil {
		return nil, err
	}
	for _, seq := range seqs {
		ids = append(ids, byseq[seq])
	}
	return ids, nil
}

func nonNilStrings(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// queuedByIDs reads messages in the order of ids, leaving out those gone
// meanwhile.
func (s *Store) queuedByIDs(ctx context.Context, ids []string) ([]store.QueuedMessage, error) {
	ms, err := s.queuedWhere(ctx, `WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ms, func(a, b store.QueuedMessage) int { return slices.Index(ids, a.ID) - slices.Index(ids, b.ID) })
	return ms, nil
}

// RenewClaims extends owner's leases; it returns the ids owner no longer
// holds. The lease left (until less this node's clock) runs on the
// database's clock, unless Options.CallerClock.
func (s *Store) RenewClaims(ctx context.Context, owner string, ids []string, until time.Time) ([]string, error) {
	var lost []string
	var callerUntil *int64
	if s.opts.CallerClock {
		u := ms(until)
		callerUntil = &u
	}
	left := max(time.Until(until), 0).Milliseconds()
	err := s.write(ctx, "renew claims", func(t *txn) error {
		rows, err := t.query(`UPDATE queue SET claim_until = coalesce($1::bigint, `+nowMS+` + $4)
			WHERE id = ANY($2) AND claim_owner = $3 RETURNING id`,
			callerUntil, nonNilStrings(ids), owner, left)
		if err != nil {
			return err
		}
		held, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		lost = nil
		for _, id := range ids {
			if !slices.Contains(held, id) {
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
	return s.write(ctx, op, func(t *txn) error {
		seq, blob, holder, err := t.queueSeq(id)
		if err != nil {
			return err
		}
		if holder != owner {
			return store.Errorf(store.KindModified, op, "queued message %s is claimed by %q, not %q", id, holder, owner)
		}
		var b pgx.Batch
		for _, r := range ch.Rcpts {
			b.Queue(`UPDATE queue_rcpts SET state = $1, attempts = $2, next_attempt = $3, last_attempt = $4,
				last_error = $5, status = $6, remote_mta = $7 WHERE seq = $8 AND idx = $9`,
				int(r.State), r.Attempts, ms(r.NextAttempt), ms(r.LastAttempt), r.LastError, r.Status, r.RemoteMTA,
				seq, r.Index)
		}
		if b.Len() > 0 {
			if err := t.SendBatch(t.ctx, &b).Close(); err != nil {
				return err
			}
		}
		var active bool
		if err := t.queryRow(`SELECT EXISTS(SELECT 1 FROM queue_rcpts WHERE seq = $1 AND state IN (0, 1, 4))`, seq).Scan(&active); err != nil {
			return err
		}
		if !active {
			return t.removeQueued(seq, blob)
		}
		_, err = t.exec(`UPDATE queue SET claim_owner = '', claim_until = 0, warned = warned OR $1 WHERE seq = $2`,
			ch.DelayWarned, seq)
		return err
	})
}
