package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/store"
)

// testLocks checks leased locks between two instances of one store (two
// nodes): exclusion, renewal by the holder only, release, and expiry (a
// crashed node's lock is taken over once its lease has run out).
func testLocks(t *testing.T, b Backend) {
	e := newEnv(t, b)
	other, err := b.Open(e.instance)
	if err != nil {
		t.Fatalf("open a second instance: %v", err)
	}
	defer other.Close()
	a, n := e.s, other
	const name, long = "pop3/1", time.Hour
	try := func(l store.Locks, owner string, ttl time.Duration, want bool) {
		t.Helper()
		got, err := l.TryLock(e.ctx, name, owner, ttl)
		if err != nil || got != want {
			t.Fatalf("TryLock(%s) = %v, %v; want %v", owner, got, err, want)
		}
	}
	try(a, "node-a", long, true)
	try(n, "node-b", long, false)
	try(a, "node-b", long, false)
	try(n, "node-a", long, true) // the holder again: a renewal
	if err := n.RenewLock(e.ctx, name, "node-b", long); !store.IsKind(err, store.KindNotFound) {
		t.Fatalf("RenewLock by a non-holder: %v, want not found", err)
	}
	if err := a.RenewLock(e.ctx, name, "node-a", long); err != nil {
		t.Fatalf("RenewLock by the holder: %v", err)
	}
	if err := n.Unlock(e.ctx, name, "node-b"); err != nil {
		t.Fatalf("Unlock by a non-holder: %v", err)
	}
	try(n, "node-b", long, false) // still held
	if err := a.Unlock(e.ctx, name, "node-a"); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	try(n, "node-b", long, true)
	if err := a.RenewLock(e.ctx, name, "node-a", long); !store.IsKind(err, store.KindNotFound) {
		t.Fatalf("RenewLock of a released lock: %v, want not found", err)
	}
	try(a, "other-name-is-free", long, false) // same name, other owner
	if ok, err := a.TryLock(e.ctx, "pop3/2", "node-a", long); !ok || err != nil {
		t.Fatalf("TryLock of another name = %v, %v", ok, err)
	}

	// Expiry: node-c "crashes" holding a short lease.
	if err := n.Unlock(e.ctx, name, "node-b"); err != nil {
		t.Fatal(err)
	}
	// The lease is long enough that node-d's first try comes before its
	// end even on a loaded machine; were it late all the same, that try
	// proves nothing and is skipped rather than failed.
	const short = 400 * time.Millisecond
	taken := time.Now()
	try(a, "node-c", short, true)
	if ok, err := n.TryLock(e.ctx, name, "node-d", long); err != nil || ok && time.Since(taken) < short {
		t.Fatalf("TryLock(node-d) within node-c's lease = %v, %v; want false", ok, err)
	} else if ok {
		t.Logf("TryLock(node-d) came %v after node-c's lease was taken: not a check of exclusion", time.Since(taken))
		if err := n.Unlock(e.ctx, name, "node-d"); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Until(taken.Add(short + 200*time.Millisecond)))
	try(n, "node-d", long, true)
	if err := a.RenewLock(e.ctx, name, "node-c", long); !store.IsKind(err, store.KindNotFound) {
		t.Fatalf("RenewLock of an expired lock taken over: %v, want not found", err)
	}

	for _, bad := range []struct {
		name, owner string
		ttl         time.Duration
	}{{"", "o", long}, {"n", "", long}, {"n", "o", 0}} {
		if _, err := a.TryLock(e.ctx, bad.name, bad.owner, bad.ttl); !store.IsKind(err, store.KindInvalid) {
			t.Errorf("TryLock(%q, %q, %v): %v, want invalid", bad.name, bad.owner, bad.ttl, err)
		}
	}
}

// testLease checks store.Lease on the backend: a held lease is renewed
// past its ttl, Release frees it, and a lease taken away is reported lost.
func testLease(t *testing.T, b Backend) {
	e := newEnv(t, b)
	const ttl = 300 * time.Millisecond
	h, err := store.AcquireLease(e.ctx, e.s, "acme/example.org", "node-a", ttl)
	if err != nil || h == nil {
		t.Fatalf("AcquireLease = %v, %v", h, err)
	}
	if h2, err := store.AcquireLease(e.ctx, e.s, "acme/example.org", "node-b", ttl); h2 != nil || err != nil {
		t.Fatalf("AcquireLease of a held lock = %v, %v; want nil, nil", h2, err)
	}
	time.Sleep(3 * ttl) // renewed meanwhile, or another owner could take it now
	if ok, err := e.s.TryLock(e.ctx, "acme/example.org", "node-b", ttl); ok || err != nil {
		t.Fatalf("TryLock after 3 ttl of a renewed lease = %v, %v; want false", ok, err)
	}
	ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
	defer cancel()
	var got *store.Lease
	var wg sync.WaitGroup
	wg.Go(func() {
		got, err = store.WaitLease(ctx, e.s, "acme/example.org", "node-b", ttl, 20*time.Millisecond)
	})
	time.Sleep(50 * time.Millisecond)
	if err := h.Release(e.ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	wg.Wait()
	if err != nil || got == nil {
		t.Fatalf("WaitLease after Release = %v, %v", got, err)
	}
	// The lock is taken from node-b behind its back: its lease is lost.
	if err := e.s.Unlock(e.ctx, "acme/example.org", "node-b"); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.s.TryLock(e.ctx, "acme/example.org", "node-c", time.Hour); !ok || err != nil {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	select {
	case <-got.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("a lease whose lock was taken is not reported lost")
	}
	if err := got.Release(e.ctx); err != nil {
		t.Fatalf("Release of a lost lease: %v", err)
	}
	if ok, _ := e.s.TryLock(e.ctx, "acme/example.org", "node-d", time.Hour); ok {
		t.Fatal("releasing a lost lease freed the new holder's lock")
	}
}

// testRecent checks the \Recent boundary: claims raise it atomically and
// never lower it, concurrent claims from two instances give the messages
// to one claimant only, and it goes with its mailbox.
func testRecent(t *testing.T, b Backend) {
	e := newEnv(t, b)
	acct := e.account("recent")
	mb := e.mailbox(acct.ID, store.InboxName)
	if u, err := e.s.RecentUID(e.ctx, mb.ID); u != 0 || err != nil {
		t.Fatalf("RecentUID of a new mailbox = %d, %v", u, err)
	}
	claim := func(s store.Store, upTo, want store.UID) {
		t.Helper()
		if got, err := s.ClaimRecent(e.ctx, mb.ID, upTo); got != want || err != nil {
			t.Fatalf("ClaimRecent(%d) = %d, %v; want %d", upTo, got, err, want)
		}
	}
	claim(e.s, 5, 0)
	claim(e.s, 3, 5) // never lowered
	claim(e.s, 5, 5)
	if u, err := e.s.RecentUID(e.ctx, mb.ID); u != 5 || err != nil {
		t.Fatalf("RecentUID = %d, %v; want 5", u, err)
	}
	if _, err := e.s.ClaimRecent(e.ctx, 1<<40, 9); !store.IsKind(err, store.KindNotFound) {
		t.Fatalf("ClaimRecent of a missing mailbox: %v", err)
	}

	other, err := b.Open(e.instance)
	if err != nil {
		t.Fatalf("open a second instance: %v", err)
	}
	defer other.Close()
	// Sessions on two nodes claim the same new messages at once: one
	// gets them.
	var mu sync.Mutex
	winners := 0
	var wg sync.WaitGroup
	for i := range 8 {
		s := []store.Store{e.s, other}[i%2]
		wg.Go(func() {
			before, err := s.ClaimRecent(e.ctx, mb.ID, 20)
			if err != nil {
				t.Errorf("ClaimRecent: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if before < 20 {
				winners++
				if before != 5 {
					t.Errorf("the winning claim saw boundary %d, want 5", before)
				}
			}
		})
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("%d claims got the new messages, want 1", winners)
	}
	e.reopen()
	if u, err := e.s.RecentUID(e.ctx, mb.ID); u != 20 || err != nil {
		t.Fatalf("after a restart RecentUID = %d, %v; want 20", u, err)
	}

	// The boundary goes with its mailbox.
	box, err := e.s.CreateMailbox(e.ctx, acct.ID, "Lists", store.UseNone)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.ClaimRecent(e.ctx, box.ID, 7); err != nil {
		t.Fatal(err)
	}
	if err := e.s.DeleteMailbox(e.ctx, acct.ID, "Lists"); err != nil {
		t.Fatal(err)
	}
	if u, err := e.s.RecentUID(e.ctx, box.ID); u != 0 || err != nil {
		t.Fatalf("RecentUID of a deleted mailbox = %d, %v; want 0", u, err)
	}
}

// testFeedAcrossInstances checks that the change feed of one instance
// hears, within a few seconds, of changes committed through another
// instance of the same store (another node): an event for the mailbox
// or an overflow, after which the subscriber reads the store again.
func testFeedAcrossInstances(t *testing.T, b Backend) {
	e := newEnv(t, b)
	acct := e.account("feed")
	other, err := b.Open(e.instance)
	if err != nil {
		t.Fatalf("open a second instance: %v", err)
	}
	defer other.Close()
	sub := other.Subscribe(acct.ID)
	defer sub.Close()
	time.Sleep(100 * time.Millisecond) // let the other instance note the account as it is
	d := e.deliver(acct.ID, store.InboxName, msg("across", 100))
	heard := func(what string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case <-sub.C():
				events, overflow := sub.Events()
				if overflow {
					return
				}
				for _, ev := range events {
					if ev.Mailbox == d.Mailbox {
						return
					}
				}
			case <-deadline:
				t.Fatalf("the other instance's subscriber did not hear of %s within 10 s", what)
			}
		}
	}
	heard("a delivery")
	if _, err := e.s.StoreFlags(e.ctx, d.Mailbox, []store.UID{d.UID}, store.FlagChange{Op: store.FlagsAdd, Flags: store.FlagSeen}); err != nil {
		t.Fatal(err)
	}
	heard("a flag change")
	if _, err := e.s.Expunge(e.ctx, d.Mailbox, []store.UID{d.UID}); err != nil {
		t.Fatal(err)
	}
	heard("an expunge")
}
