package postgres

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/petrelmail/petrel/internal/store"
)

// holdAccount locks an account's row in a transaction of another
// connection (a node that froze mid-transaction, an admin's psql) until
// the test ends.
func holdAccount(t *testing.T, dsn string, id store.AccountID) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tx.Rollback(ctx)
		conn.Close(ctx)
	})
	if _, err := tx.Exec(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, id); err != nil {
		t.Fatal(err)
	}
}

// A row held by a stuck transaction: the writes that wait for it fail
// temporarily after the lock timeout, instead of holding the pool's
// connections for as long as the lock is held, and the node's other
// accounts are served meanwhile.
func TestStuckLockBounded(t *testing.T) {
	dsn, _, acct := oneAccount(t)
	ctx := context.Background()
	s, err := Open(ctx, dsn, Options{MaxConns: 4, NoListen: true, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() }) // after holdAccount's rollback
	other, err := s.CreateAccount(ctx, "w@example.org", "h")
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Deliver(ctx, store.NewMessage{Body: bytes.NewReader(testMsg("x"))}, []store.Target{{Account: acct.ID}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	holdAccount(t, dsn, acct.ID)
	// IMAP sessions of the locked account, with no deadline of their own.
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.StoreFlags(ctx, res[0].Mailbox, []store.UID{res[0].UID},
				store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen})
		})
	}
	time.Sleep(200 * time.Millisecond)
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := s.Mailboxes(rctx, other.ID); err != nil {
		t.Errorf("a read of another account while the lock is held: %v", err)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the writes to the locked account were still waiting after 30 s")
	}
	t.Logf("%d writes failed within %v", n, time.Since(start).Round(time.Millisecond))
	for _, err := range errs {
		if store.KindOf(err) != store.KindTemporary {
			t.Errorf("a write to the locked account: %v, want a temporary failure", err)
		}
	}
}

// A row held by a stuck transaction stalls no other account's deliveries
// for long: the delivery to the locked account fails temporarily after
// the lock timeout, the rest of its batch is stored without it.
func TestWriterStallBounded(t *testing.T) {
	dsn := newDatabase(t)
	ctx := context.Background()
	s, err := Open(ctx, dsn, Options{MaxConns: 8, Writers: 1, NoListen: true, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() }) // after holdAccount's rollback
	if err := s.AddDomain(ctx, "example.org"); err != nil {
		t.Fatal(err)
	}
	x, err := s.CreateAccount(ctx, "x@example.org", "h")
	if err != nil {
		t.Fatal(err)
	}
	var others []store.AccountID
	for _, a := range []string{"y", "z", "w"} {
		acct, err := s.CreateAccount(ctx, a+"@example.org", "h")
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, acct.ID)
	}
	holdAccount(t, dsn, x.ID)
	// One batch: two deliveries to the locked account, three to others.
	targets := []store.AccountID{x.ID, others[0], x.ID, others[1], others[2]}
	tg := func(a store.AccountID) []store.Target { return []store.Target{{Account: a}} }
	var batch []*delivery
	for i, a := range targets {
		b, err := s.intake(ctx, bytes.NewReader(testMsg("m"+string(rune('a'+i)))), nil)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, newDelivery(b, tg(a), []int{0}, time.Now(), false))
	}
	start := time.Now()
	s.deliverer.run(batch)
	took := time.Since(start)
	t.Logf("batch settled in %v", took.Round(time.Millisecond))
	for i, d := range batch { // run sorts the batch by account
		if d.account == x.ID {
			if store.KindOf(s.wrap("deliver", d.err)) != store.KindTemporary {
				t.Errorf("delivery %d to the locked account: %v, want a temporary failure", i, d.err)
			}
		} else if d.err != nil {
			t.Errorf("delivery %d to a free account failed: %v", i, d.err)
		}
	}
	// One lock timeout for the batch; not one more per delivery to the
	// locked account (generous margin: 2 timeouts would be 2 s).
	if took > 10*time.Second {
		t.Errorf("the batch took %v", took)
	}
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM messages`).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d messages stored (%v), want 3", n, err)
	}
}
