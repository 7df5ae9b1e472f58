package postgres

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// oneAccount opens a store on a new database with one account.
func oneAccount(t *testing.T) (string, *Store, store.Account) {
	t.Helper()
	dsn := newDatabase(t)
	s, err := openTest(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if err := s.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	acct, err := s.CreateAccount(ctx, "u@example.org", "h")
	if err != nil {
		t.Fatal(err)
	}
	return dsn, s, acct
}

func countRows(t *testing.T, s *Store, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := s.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A large body swept as an orphan (by a node whose clock runs ahead, here
// an aged created) between its writing and its delivery: the delivery
// fails temporarily and stores nothing, never a message without a body.
func TestDeliverSweptBodyFails(t *testing.T) {
	dsn, a, acct := oneAccount(t)
	ctx := context.Background()
	b, err := a.intake(ctx, &genBody{header: []byte("Subject: big\r\n\r\n"), size: 3 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.blob == 0 {
		t.Fatal("the body was not written ahead")
	}
	if _, err := a.pool.Exec(ctx, `UPDATE blobs SET created = created - 7200 WHERE id = $1`, b.blob); err != nil {
		t.Fatal(err)
	}
	sweeper, err := Open(ctx, dsn, Options{MaxConns: 2, SweepOrphans: true, NoListen: true})
	if err != nil {
		t.Fatal(err)
	}
	sweeper.Close()
	if n := countRows(t, a, `SELECT count(*) FROM blobs WHERE id = $1`, b.blob); n != 0 {
		t.Fatalf("the aged body was not swept (%d rows)", n)
	}
	// A second, healthy delivery in the same batch is stored.
	small, err := a.intake(ctx, bytes.NewReader(testMsg("small")), nil)
	if err != nil {
		t.Fatal(err)
	}
	tg := []store.Target{{Account: acct.ID}}
	d := newDelivery(b, tg, []int{0}, time.Now(), false)
	ok := newDelivery(small, tg, []int{0}, time.Now(), false)
	a.deliverer.run([]*delivery{d, ok})
	if d.err == nil {
		t.Errorf("the delivery of a swept body succeeded: %+v", d.rows)
	} else if store.KindOf(a.wrap("deliver", d.err)) != store.KindTemporary {
		t.Errorf("the delivery of a swept body failed with %v, want a temporary error", d.err)
	}
	if ok.err != nil {
		t.Errorf("the healthy delivery of the batch failed: %v", ok.err)
	}
	if n := countRows(t, a, `SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.id = m.blob)`); n != 0 {
		t.Errorf("%d messages without a body", n)
	}
	if n := countRows(t, a, `SELECT count(*) FROM messages`); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
}

// The same for a single write (APPEND, Enqueue, import): insertBlob finds
// its written body gone.
func TestInsertSweptBodyFails(t *testing.T) {
	_, a, acct := oneAccount(t)
	ctx := context.Background()
	b, err := a.intake(ctx, &genBody{header: []byte("Subject: big\r\n\r\n"), size: 3 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, `DELETE FROM blobs WHERE id = $1`, b.blob); err != nil {
		t.Fatal(err)
	}
	err = a.write(ctx, "append", func(tx *txn) error {
		_, err := tx.insertBlob(b, 1)
		return err
	})
	if store.KindOf(err) != store.KindTemporary {
		t.Errorf("insertBlob of a swept body: %v, want a temporary error", err)
	}
	_ = acct
}

// Two accounts share one blob; both expunge it at once from two nodes:
// the blob goes with its last reference, every time.
func TestConcurrentExpungeSharedBlob(t *testing.T) {
	dsn, a, acct := oneAccount(t)
	ctx := context.Background()
	acct2, err := a.CreateAccount(ctx, "v@example.org", "h")
	if err != nil {
		t.Fatal(err)
	}
	b, err := openTest(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for range 100 {
		res, err := a.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(testMsg("shared"))},
			[]store.Target{{Account: acct.ID}, {Account: acct2.ID}})
		if err != nil || res[0].Err != nil || res[1].Err != nil {
			t.Fatal(err, res)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Go(func() { _, errs[0] = a.Expunge(ctx, res[0].Mailbox, []store.UID{res[0].UID}) })
		wg.Go(func() { _, errs[1] = b.Expunge(ctx, res[1].Mailbox, []store.UID{res[1].UID}) })
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := countRows(t, a, `SELECT count(*) FROM blobs`); n != 0 {
		t.Errorf("%d blobs left without messages after concurrent expunges", n)
	}
}

// Queue leases run on the database's clock: a node whose clock is 3
// minutes ahead takes over no live claim, and a lease that ran out by
// the database's clock is taken over.
func TestClaimLeaseDatabaseClock(t *testing.T) {
	dsn := newDatabase(t)
	ctx := context.Background()
	a, err := Open(ctx, dsn, Options{MaxConns: 2, NoListen: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, id := range []string{"q1", "q2"} {
		if _, err := a.Enqueue(ctx, store.NewQueued{ID: id, From: "a@example.org", Body: bytes.NewReader([]byte("x\r\n")),
			Rcpts: []store.QueuedRcpt{{Index: 0, Addr: "r@remote.example", Domain: "remote.example"}}}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	ms, err := a.ClaimQueued(ctx, store.ClaimRequest{Owner: "A", Now: now, Lease: 2 * time.Minute, Limit: 1, Held: []string{"q2"}})
	if err != nil || len(ms) != 1 || ms[0].ID != "q1" {
		t.Fatal(err, ms)
	}
	ms, err = a.ClaimQueued(ctx, store.ClaimRequest{Owner: "B", Now: now.Add(3 * time.Minute), Lease: time.Second, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].ID != "q2" {
		t.Fatalf("node B, its clock 3 min ahead, claimed %v, want only the free q2", queuedIDList(ms))
	}
	// B's one-second lease on q2 runs out by the database's clock.
	time.Sleep(1500 * time.Millisecond)
	ms, err = a.ClaimQueued(ctx, store.ClaimRequest{Owner: "C", Now: time.Now(), Lease: time.Minute, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].ID != "q2" {
		t.Fatalf("after B's lease ran out, C claimed %v, want q2", queuedIDList(ms))
	}
	// A renews q1 for 2 s; B, ahead, cannot take it; once the renewal ran
	// out, it can.
	if lost, err := a.RenewClaims(ctx, "A", []string{"q1"}, time.Now().Add(2*time.Second)); err != nil || len(lost) != 0 {
		t.Fatal(err, lost)
	}
	if ms, err := a.ClaimQueued(ctx, store.ClaimRequest{Owner: "B", Now: time.Now().Add(3 * time.Minute), Lease: time.Minute, Limit: 10}); err != nil || len(ms) != 0 {
		t.Fatalf("B claimed %v (%v) during A's renewed lease", queuedIDList(ms), err)
	}
	time.Sleep(2500 * time.Millisecond)
	if ms, err := a.ClaimQueued(ctx, store.ClaimRequest{Owner: "B", Now: time.Now(), Lease: time.Minute, Limit: 10}); err != nil || len(ms) != 1 {
		t.Fatalf("B claimed %v (%v) after A's renewed lease ran out, want q1", queuedIDList(ms), err)
	}
}

func queuedIDList(ms []store.QueuedMessage) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}
