package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/petrelmail/petrel/internal/store"
)

// Deliveries are batched (docs/architecture.md §Durability): a writer
// goroutine takes the deliveries waiting for it into one transaction, one
// call of petrel_deliver_batch for them all (schema_deliver.go), with one
// notification and one commit for the batch. A transaction per delivery
// would pay a round trip per statement and, as NOTIFY serialises the
// commits of the transactions that send one, a WAL flush per delivery; a
// statement per delivery, the server's CPU for each. Deliveries go to one of Options.Writers writers by
// their first account, so that the batches of two writers seldom wait for
// the same account.

const (
	// maxDeliveryBatch bounds the deliveries of one transaction.
	maxDeliveryBatch = 256
	// batchTimeout bounds a batch's transaction.
	batchTimeout = time.Minute
)

// delivery is one Deliver call queued for a writer.
type delivery struct {
	account  store.AccountID // the first account: the writer, the order in the batch
	accounts []store.AccountID
	in       deliverArgs
	rows     []deliverRow
	err      error
	done     chan struct{}
}

// deliverRow is a row of petrel_deliver: one target's outcome.
type deliverRow struct {
	idx, err                                int32
	mailbox, uidValidity, uid, modseq, blob int64
	state                                   int64
}

// deliverArgs are one delivery's arguments of petrel_deliver: the
// targets' (t*) and the body's.
type deliverArgs struct {
	tAccount, tMailbox []int64
	tName, tKeywords   []string
	tFlags             []int32
	size, blob         int64
	data, meta         []byte
	keys               []string
	idate              int64
	izone              int32
	atomic             bool
}

const deliverBatchQuery = `SELECT o_del, o_idx, o_err, o_mailbox, o_uidvalidity, o_uid, o_modseq, o_blob, o_state
	FROM petrel_deliver_batch($1::integer[], $2::integer[], $3::integer[], $4::integer[], $5::bigint[], $6::bigint[],
	$7::text[], $8::integer[], $9::text[], $10::bigint[], $11::bigint[], $12::bytea[], $13, $14::bytea[], $15::text[],
	$16::bigint[], $17::integer[], $18::boolean[])`

// maxBatchedBody is the largest body a delivery may carry in the call
// of petrel_deliver_batch: a batch's bodies travel in one bytea[]
// argument, which PL/pgSQL copies, and for 100 KiB bodies that cost more
// server time than a petrel_deliver call per delivery
// (docs/benchmarks.md). Larger ones (and bodies written before, which
// carry no data) have a call each, in the same transaction.
const maxBatchedBody = 32 << 10

// splitBatch separates the deliveries whose bodies go in the batch's
// call from those with a call of their own.
func splitBatch(batch []*delivery) (small, large []*delivery) {
	for _, d := range batch {
		if len(d.in.data) > maxBatchedBody {
			large = append(large, d)
		} else {
			small = append(small, d)
		}
	}
	return small, large
}

const deliverQuery = `SELECT o_idx, o_err, o_mailbox, o_uidvalidity, o_uid, o_modseq, o_blob, o_state
	FROM petrel_deliver($1::bigint[], $2::bigint[], $3::text[], $4::integer[], $5::text[], $6, $7, $8, $9, $10,
	$11::text[], $12, $13, $14)`

// args are petrel_deliver's arguments for one delivery.
func (a *deliverArgs) args() []any {
	return []any{a.tAccount, a.tMailbox, a.tName, a.tFlags, a.tKeywords, a.size, a.blob, a.data, int32(ChunkSize),
		a.meta, nonNilStrings(a.keys), a.idate, a.izone, a.atomic}
}

// batchArgs are petrel_deliver_batch's arguments for the deliveries of
// batch, in its order.
func batchArgs(batch []*delivery) []any {
	n := len(batch)
	nt, nk := make([]int32, n), make([]int32, n)
	var acct, mb []int64
	var names, kws, keys []string
	var flags, del, idx []int32
	size, blob, idate := make([]int64, n), make([]int64, n), make([]int64, n)
	data, meta := make([][]byte, n), make([][]byte, n)
	izone, atomic := make([]int32, n), make([]bool, n)
	for i, d := range batch {
		a := &d.in
		nt[i], nk[i] = int32(len(a.tAccount)), int32(len(a.keys))
		acct, mb = append(acct, a.tAccount...), append(mb, a.tMailbox...)
		names, kws, flags = append(names, a.tName...), append(kws, a.tKeywords...), append(flags, a.tFlags...)
		keys = append(keys, a.keys...)
		for j := range a.tAccount {
			del, idx = append(del, int32(i+1)), append(idx, int32(j))
		}
		size[i], blob[i], data[i], meta[i] = a.size, a.blob, a.data, a.meta
		idate[i], izone[i], atomic[i] = a.idate, a.izone, a.atomic
	}
	return []any{nt, nk, del, idx, acct, mb, names, flags, kws, size, blob, data, int32(ChunkSize), meta, nonNilStrings(keys),
		idate, izone, atomic}
}

// Deliver stores one body in every target (one shared blob) and returns
// once the batch holding it has committed.
func (s *Store) Deliver(ctx context.Context, msg store.NewMessage, targets []store.Target) ([]store.Delivered, error) {
	const op = "deliver"
	if len(targets) == 0 {
		return nil, store.Errorf(store.KindInvalid, op, "no targets")
	}
	if err := s.enter(op); err != nil {
		return nil, err
	}
	defer s.leave()
	results := make([]store.Delivered, len(targets))
	// Targets with an invalid mailbox name fail here; the others go to
	// the database (at, their indexes).
	var at []int
	for i, tg := range targets {
		if tg.Mailbox == 0 {
			if _, err := store.NormalizeName(cmp.Or(tg.MailboxName, store.InboxName)); err != nil {
				results[i].Err = err
				continue
			}
		}
		at = append(at, i)
	}
	if len(at) < len(targets) && (msg.Atomic || len(at) == 0) {
		return atomicAbort(results), nil
	}
	b, err := s.intakeMail(ctx, msg.Body, msg.Meta, 0)
	if err != nil {
		return nil, err
	}
	date := msg.InternalDate
	if date.IsZero() {
		date = time.Now()
	}
	d := newDelivery(b, targets, at, date, msg.Atomic)
	if err := s.deliverer.do(ctx, d); err != nil {
		if d.finished() {
			s.dropPending(b)
		}
		return nil, s.wrap(op, err)
	}
	stored := false
	for _, r := range d.rows {
		i := at[r.idx]
		if r.err != 0 {
			results[i].Err = deliverError(r.err, targets[i].Account)
			continue
		}
		stored = true
		results[i] = store.Delivered{Mailbox: store.MailboxID(r.mailbox), UIDValidity: uint32(r.uidValidity),
			UID: store.UID(r.uid), ModSeq: store.ModSeq(r.modseq)}
	}
	if !stored {
		s.dropPending(b)
	}
	return results, nil
}

// atomicAbort fails every target that has no error of its own.
func atomicAbort(results []store.Delivered) []store.Delivered {
	for i := range results {
		if results[i].Err == nil {
			results[i] = store.Delivered{Err: store.Errorf(store.KindTemporary, "deliver", "not delivered: another target failed")}
		}
	}
	return results
}

// deliverError maps petrel_deliver's error codes to store errors.
func deliverError(code int32, account store.AccountID) error {
	const op = "deliver"
	switch code {
	case 1:
		return store.Errorf(store.KindNotFound, op, "account %d does not exist", account)
	case 2:
		return store.Errorf(store.KindNotFound, op, "no such mailbox")
	case 3:
		return store.Errorf(store.KindOverQuota, op, "quota exceeded")
	case 4:
		return store.Errorf(store.KindTemporary, op, "not delivered: another target failed")
	}
	return store.Errorf(store.KindInternal, op, "unknown delivery error %d", code)
}

func newDelivery(b *body, targets []store.Target, at []int, date time.Time, atomic bool) *delivery {
	n := len(at)
	accts, mbs := make([]int64, n), make([]int64, n)
	names, kws := make([]string, n), make([]string, n)
	flags := make([]int32, n)
	d := &delivery{done: make(chan struct{})}
	for j, i := range at {
		tg := targets[i]
		accts[j], mbs[j], flags[j], kws[j] = int64(tg.Account), int64(tg.Mailbox), int32(tg.Flags), store.JoinKeywords(tg.Keywords)
		if tg.Mailbox == 0 {
			names[j], _ = store.NormalizeName(cmp.Or(tg.MailboxName, store.InboxName))
		}
		d.accounts = append(d.accounts, tg.Account)
	}
	d.account = slices.Min(d.accounts)
	var data []byte
	if b.blob == 0 {
		data = nonNil(b.data)
	}
	_, zone := date.Zone()
	d.in = deliverArgs{tAccount: accts, tMailbox: mbs, tName: names, tFlags: flags, tKeywords: kws,
		size: b.size, blob: int64(b.blob), data: data, meta: b.meta, keys: b.threadKeys,
		idate: date.Unix(), izone: int32(zone), atomic: atomic}
	return d
}

// storedBlob is the body's blob when the delivery stored it, else 0.
func (d *delivery) storedBlob() store.BlobID {
	for _, r := range d.rows {
		if r.err == 0 && r.blob != 0 {
			return store.BlobID(r.blob)
		}
	}
	return 0
}

// finished reports whether the writer is done with d (its outcome known).
func (d *delivery) finished() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// changes are the events of a committed delivery.
func (d *delivery) changes() []store.Change {
	var out []store.Change
	for _, r := range d.rows {
		if r.err == 0 {
			out = append(out, store.Change{Account: d.accounts[r.idx], Mailbox: store.MailboxID(r.mailbox),
				Kind: store.ChangeAdded, UIDs: []store.UID{store.UID(r.uid)}, ModSeq: store.ModSeq(r.modseq),
				State: store.State(r.state)})
		}
	}
	return out
}

// deliverer holds the writers.
type deliverer struct {
	s   *Store
	chs []chan *delivery
	wg  sync.WaitGroup
}

func newDeliverer(s *Store, writers int) *deliverer {
	dl := &deliverer{s: s}
	for range writers {
		ch := make(chan *delivery, maxDeliveryBatch)
		dl.chs = append(dl.chs, ch)
		dl.wg.Go(func() { dl.loop(ch) })
	}
	return dl
}

// do queues d and waits for its batch. A caller that gives up before d
// is queued gets its context's error, and nothing is stored; once queued,
// d may commit, so do waits for the outcome whatever ctx does (the batch
// is bounded by batchTimeout): a failure reported must mean nothing
// stored, or a client told 4xx would send a message twice.
func (dl *deliverer) do(ctx context.Context, d *delivery) error {
	ch := dl.chs[int(d.account)%len(dl.chs)]
	select {
	case ch <- d:
	case <-ctx.Done():
		close(d.done)
		return ctx.Err()
	}
	<-d.done
	return d.err
}

// close stops the writers once the calls in flight are done (Store.Close
// waits for them first).
func (dl *deliverer) close() {
	for _, ch := range dl.chs {
		close(ch)
	}
	dl.wg.Wait()
}

func (dl *deliverer) loop(ch chan *delivery) {
	batch := make([]*delivery, 0, maxDeliveryBatch)
	for first := range ch {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < cap(batch) {
			select {
			case d, ok := <-ch:
				if !ok {
					break drain
				}
				batch = append(batch, d)
			default:
				break drain
			}
		}
		dl.run(batch)
	}
}

// run commits a batch and answers its deliveries. When a statement
// fails (a *pgconn.PgError before COMMIT: nothing is stored), which
// aborts the whole transaction, the deliveries are run again without the
// failing one: after a lock timeout (an account's row held by a stuck
// transaction, open.go), those of the accounts still locked fail at once
// and the others commit as a batch; otherwise, or if that fails too, each
// is run alone, so that one bad delivery fails only itself. A failed
// COMMIT, or a connection lost, is never run again: the batch may have
// committed (unknownOutcome), its deliveries fail temporarily and this
// node's sessions of its accounts resynchronise.
func (dl *deliverer) run(batch []*delivery) {
	slices.SortStableFunc(batch, func(a, b *delivery) int { return cmp.Compare(a.account, b.account) })
	err := dl.commit(batch)
	rest := batch
	if err != nil && len(batch) > 1 && beforeCommit(err) {
		var locked []store.AccountID
		if isLockTimeout(err) {
			locked = dl.lockedAccounts(batch)
			rest = failLocked(batch, locked)
			if err = dl.commit(rest); err != nil && len(rest) > 1 && beforeCommit(err) {
				dl.runAlone(rest, locked)
				rest = nil
			}
		} else {
			dl.runAlone(batch, nil)
			rest = nil
		}
	}
	for _, d := range rest {
		d.err = err
	}
	for _, d := range batch {
		if d.err == nil {
			dl.s.Publish(d.changes()...)
		} else if isUnknownOutcome(d.err) {
			for _, a := range d.accounts {
				dl.s.Resync(a)
			}
		}
		close(d.done)
	}
}

// runAlone commits each delivery in a transaction of its own; one that
// times out on a lock fails the others of its accounts (added to locked)
// without their waiting in turn.
func (dl *deliverer) runAlone(batch []*delivery, locked []store.AccountID) {
	for _, d := range batch {
		if touches(d, locked) {
			d.err = errLocked
			continue
		}
		d.err = dl.commit([]*delivery{d})
		if isLockTimeout(d.err) {
			locked = append(locked, d.accounts...)
		}
	}
}

// errLocked fails a delivery to an account whose row another transaction
// holds past the lock timeout.
var errLocked = store.Errorf(store.KindTemporary, "deliver", "account locked by another transaction")

// failLocked fails the deliveries to locked accounts and returns the others.
func failLocked(batch []*delivery, locked []store.AccountID) []*delivery {
	var rest []*delivery
	for _, d := range batch {
		if touches(d, locked) {
			d.err = errLocked
		} else {
			rest = append(rest, d)
		}
	}
	return rest
}

func touches(d *delivery, accounts []store.AccountID) bool {
	return slices.ContainsFunc(d.accounts, func(a store.AccountID) bool { return slices.Contains(accounts, a) })
}

// lockedAccounts lists the batch's accounts whose rows another
// transaction holds now (SKIP LOCKED passes them by); on failure, all.
func (dl *deliverer) lockedAccounts(batch []*delivery) []store.AccountID {
	var all []store.AccountID
	for _, d := range batch {
		all = append(all, d.accounts...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	var free []store.AccountID
	err := pgx.BeginFunc(ctx, dl.s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id FROM accounts WHERE id = ANY($1) FOR NO KEY UPDATE SKIP LOCKED`, all)
		if err != nil {
			return err
		}
		free, err = pgx.CollectRows(rows, pgx.RowTo[store.AccountID])
		return err
	})
	if err != nil {
		return all
	}
	return slices.DeleteFunc(all, func(a store.AccountID) bool { return slices.Contains(free, a) })
}

// beforeCommit reports an error raised by a statement before COMMIT: the
// transaction stored nothing.
func beforeCommit(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && !isUnknownOutcome(err)
}

func isLockTimeout(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == lockNotAvailable && !isUnknownOutcome(err)
}

// commit runs a batch in one transaction, again after a lost deadlock.
func (dl *deliverer) commit(batch []*delivery) error {
	var err error
	for range maxAttempts {
		start := time.Now()
		if err = dl.try(batch); err == nil {
			dl.s.observeCommit(len(batch), start)
		}
		if err == nil || !retryable(err) {
			return err
		}
	}
	return err
}

func (dl *deliverer) try(batch []*delivery) error {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	tx, err := dl.s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	// The batch's accounts are locked first, in ascending order: two
	// batches (of two writers or two nodes) then wait for each other
	// instead of deadlocking over deliveries to several accounts.
	var accts []int64
	for _, d := range batch {
		for _, a := range d.accounts {
			accts = append(accts, int64(a))
		}
	}
	slices.Sort(accts)
	for _, d := range batch {
		d.rows = d.rows[:0]
	}
	var b pgx.Batch
	b.Queue(`SELECT 1 FROM accounts WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`, slices.Compact(accts))
	small, large := splitBatch(batch)
	if len(small) > 0 {
		b.Queue(deliverBatchQuery, batchArgs(small)...).Query(func(rows pgx.Rows) error {
			var del int32
			var r deliverRow
			_, err := pgx.ForEachRow(rows, []any{&del, &r.idx, &r.err, &r.mailbox, &r.uidValidity, &r.uid, &r.modseq,
				&r.blob, &r.state}, func() error {
				if del < 0 || int(del) >= len(small) {
					return fmt.Errorf("petrel_deliver_batch returned delivery %d of %d", del, len(small))
				}
				small[del].rows = append(small[del].rows, r)
				return nil
			})
			return err
		})
	}
	for _, d := range large {
		b.Queue(deliverQuery, d.in.args()...).Query(func(rows pgx.Rows) error {
			var r deliverRow
			_, err := pgx.ForEachRow(rows, []any{&r.idx, &r.err, &r.mailbox, &r.uidValidity, &r.uid, &r.modseq,
				&r.blob, &r.state}, func() error {
				d.rows = append(d.rows, r)
				return nil
			})
			return err
		})
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return err
	}
	t := &txn{Tx: tx, ctx: ctx, s: dl.s}
	for _, d := range batch {
		if len(d.rows) != len(d.accounts) {
			return fmt.Errorf("petrel_deliver returned %d rows for %d targets", len(d.rows), len(d.accounts))
		}
		t.changes = append(t.changes, d.changes()...)
		if blob := d.storedBlob(); blob != 0 {
			if err := t.markUnindexed(blob); err != nil {
				return err
			}
		}
	}
	if len(t.changes) > 0 {
		if err := t.notify(); err != nil {
			return err
		}
	}
	if err := commit(ctx, tx); err != nil {
		return err
	}
	dl.s.indexer.Poke()
	return nil
}
