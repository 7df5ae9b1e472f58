package greylist_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/greylist"
	"github.com/petrelmail/petrel/internal/store"
	"github.com/petrelmail/petrel/internal/store/postgres"
	"github.com/petrelmail/petrel/internal/testkit"
)

// backends runs fn on each store backend: SQLite, and PostgreSQL when
// PETREL_TEST_POSTGRES names a server. open gives another node on the
// same store (PostgreSQL: a second connection pool; SQLite: the same
// store, as its nodes are one process).
func backends(t *testing.T, fn func(t *testing.T, open func() store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		st := testkit.NewStore(t)
		fn(t, func() store.Store { return st })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := testkit.PostgresDatabase(t)
		fn(t, func() store.Store { return openPostgres(t, dsn) })
	})
}

var (
	ctx    = context.Background()
	client = netip.MustParseAddr("192.0.2.10")
	t0     = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
)

func newGreylist(kv greylist.KV, clk *testkit.Clock) *greylist.Greylist {
	return greylist.New(greylist.Config{Delay: 5 * time.Minute, RetryWindow: time.Hour, Expiry: 10 * 24 * time.Hour,
		SweepEvery: -1, Now: clk.Now}, kv)
}

func check(t *testing.T, g *greylist.Greylist, ip netip.Addr, from string, rcpts ...string) greylist.Outcome {
	t.Helper()
	out, err := g.Check(ctx, ip, from, rcpts)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFirstRefusedRetryAccepted: the first attempt is refused with the
// delay to wait, an early retry too (with less to wait), a retry after
// the delay passes, and afterwards the triplet is known.
func TestFirstRefusedRetryAccepted(t *testing.T) {
	backends(t, func(t *testing.T, open func() store.Store) {
		clk := testkit.NewClock(t0)
		g := newGreylist(open(), clk)
		if o := check(t, g, client, "a@sender.example", "u@example.org"); o.Pass || o.Wait != 5*time.Minute {
			t.Fatalf("first attempt: %+v, want refused with 5m to wait", o)
		}
		clk.Add(2 * time.Minute)
		if o := check(t, g, client, "a@sender.example", "u@example.org"); o.Pass || o.Wait != 3*time.Minute {
			t.Fatalf("retry too early: %+v, want refused with 3m to wait", o)
		}
		clk.Add(4 * time.Minute)
		if o := check(t, g, client, "a@sender.example", "u@example.org"); !o.Pass || o.How != "retried" {
			t.Fatalf("retry after the delay: %+v, want passed (retried)", o)
		}
		// Another sender from the same network is a new triplet.
		if o := check(t, g, client, "b@other.example", "u@example.org"); o.Pass {
			t.Fatalf("another sender: %+v, want refused", o)
		}
	})
}

// TestNetworkAndAllowlist: the triplet's client is its /24, so a
// neighbour's retry passes; once the sender retried, its domain is
// allowed from that network to any recipient, but not from another
// network.
func TestNetworkAndAllowlist(t *testing.T) {
	backends(t, func(t *testing.T, open func() store.Store) {
		clk := testkit.NewClock(t0)
		g := newGreylist(open(), clk)
		check(t, g, client, "a@sender.example", "u@example.org")
		clk.Add(6 * time.Minute)
		neighbour := netip.MustParseAddr("192.0.2.200")
		if o := check(t, g, neighbour, "a@sender.example", "u@example.org"); !o.Pass {
			t.Fatalf("retry from the same /24: %+v, want passed", o)
		}
		if o := check(t, g, client, "z@SENDER.example", "other@example.org", "third@example.org"); !o.Pass || o.How != "allowlisted" {
			t.Fatalf("the sender's domain after a retry: %+v, want passed (allowlisted)", o)
		}
		if o := check(t, g, netip.MustParseAddr("198.51.100.1"), "a@sender.example", "u@example.org"); o.Pass {
			t.Fatalf("another network: %+v, want refused", o)
		}
		// The null sender has no domain to allow: each triplet counts.
		if o := check(t, g, client, "", "u@example.org"); o.Pass {
			t.Fatalf("null sender: %+v, want refused", o)
		}
		v6 := netip.MustParseAddr("2001:db8:1:2::5")
		check(t, g, v6, "", "u@example.org")
		clk.Add(6 * time.Minute)
		if o := check(t, g, netip.MustParseAddr("2001:db8:1:2:ffff::9"), "", "u@example.org"); !o.Pass {
			t.Fatalf("retry from the same IPv6 /64: %+v, want passed", o)
		}
	})
}

// TestSeveralRecipients: a message passes only when every triplet does;
// the retry passes them all.
func TestSeveralRecipients(t *testing.T) {
	backends(t, func(t *testing.T, open func() store.Store) {
		clk := testkit.NewClock(t0)
		g := newGreylist(open(), clk)
		check(t, g, client, "", "a@example.org")
		clk.Add(6 * time.Minute)
		if o := check(t, g, client, "", "a@example.org", "b@example.org"); o.Pass || o.Wait != 5*time.Minute {
			t.Fatalf("a known and a new recipient: %+v, want refused for 5m", o)
		}
		clk.Add(6 * time.Minute)
		if o := check(t, g, client, "", "a@example.org", "b@example.org"); !o.Pass {
			t.Fatalf("retry: %+v, want passed", o)
		}
	})
}

// TestRetryWindowAndExpiry: a retry after the window starts over; a
// triplet that passed is forgotten after Expiry without a message, and
// kept while messages come (refreshed at most daily).
func TestRetryWindowAndExpiry(t *testing.T) {
	backends(t, func(t *testing.T, open func() store.Store) {
		clk := testkit.NewClock(t0)
		g := newGreylist(open(), clk)
		check(t, g, client, "", "late@example.org")
		clk.Add(2 * time.Hour) // past delay + retry window
		if o := check(t, g, client, "", "late@example.org"); o.Pass || o.Wait != 5*time.Minute {
			t.Fatalf("retry after the window: %+v, want refused, starting over", o)
		}
		clk.Add(6 * time.Minute)
		if o := check(t, g, client, "", "late@example.org"); !o.Pass {
			t.Fatalf("retry in the new window: %+v, want passed", o)
		}
		for range 3 { // seen every 8 days: kept past the 10-day expiry
			clk.Add(8 * 24 * time.Hour)
			if o := check(t, g, client, "", "late@example.org"); !o.Pass || o.How != "known" {
				t.Fatalf("a known triplet seen again: %+v, want passed (known)", o)
			}
		}
		clk.Add(11 * 24 * time.Hour)
		if o := check(t, g, client, "", "late@example.org"); o.Pass {
			t.Fatalf("after the expiry: %+v, want refused again", o)
		}
	})
}

// TestSweep deletes the records past their time and keeps the others.
func TestSweep(t *testing.T) {
	backends(t, func(t *testing.T, open func() store.Store) {
		clk := testkit.NewClock(time.Now())
		st := open()
		g := newGreylist(st, clk)
		check(t, g, client, "a@one.example", "u@example.org") // pending
		clk.Add(6 * time.Minute)
		check(t, g, client, "a@one.example", "u@example.org") // passed + sender
		check(t, g, client, "b@two.example", "u@example.org") // pending, newer
		keys := func() int {
			ks, err := st.KVList(ctx, "greylist/")
			if err != nil {
				t.Fatal(err)
			}
			return len(ks)
		}
		if n := keys(); n != 3 {
			t.Fatalf("%d records, want 3 (a passed triplet, an allowed sender, a pending triplet)", n)
		}
		if n, err := g.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("Sweep now: %d deleted, %v; want none", n, err)
		}
		// The KV's own times are real: sweep with a clock far ahead.
		far := newGreylist(st, testkit.NewClock(clk.Now().Add(2*time.Hour)))
		if n, err := far.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("Sweep 2h later: %d deleted, %v; want the pending triplet", n, err)
		}
		far = newGreylist(st, testkit.NewClock(clk.Now().Add(11*24*time.Hour)))
		if n, err := far.Sweep(ctx); err != nil || n != 2 {
			t.Fatalf("Sweep 11 days later: %d deleted, %v; want the rest", n, err)
		}
		if n := keys(); n != 0 {
			t.Fatalf("%d records left", n)
		}
	})
}

// TestKeysHoldNoAddresses: the records are named by hashes, so that any
// local part (with "/" or "..") makes a valid key and no address is
// stored in the clear.
func TestKeysHoldNoAddresses(t *testing.T) {
	st := testkit.NewStore(t)
	g := newGreylist(st, testkit.NewClock(t0))
	if _, err := g.Check(ctx, client, "a/../b@sender.example", []string{"x/y@example.org"}); err != nil {
		t.Fatal(err)
	}
	ks, err := st.KVList(ctx, "greylist/")
	if err != nil || len(ks) != 1 {
		t.Fatalf("KVList: %v, %v", ks, err)
	}
	if strings.Contains(ks[0].Key, "example") || strings.Contains(ks[0].Key, "192.0.2") {
		t.Errorf("key %q holds an address", ks[0].Key)
	}
}

// TestNodesShareState: two nodes on one PostgreSQL database greylist as
// one: the first attempt on one node, the retry on the other.
func TestNodesShareState(t *testing.T) {
	dsn := testkit.PostgresDatabase(t)
	clk := testkit.NewClock(t0)
	a, b := newGreylist(openPostgres(t, dsn), clk), newGreylist(openPostgres(t, dsn), clk)
	if o := check(t, a, client, "s@sender.example", "u@example.org"); o.Pass {
		t.Fatalf("node A, first attempt: %+v", o)
	}
	clk.Add(time.Minute)
	if o := check(t, b, client, "s@sender.example", "u@example.org"); o.Pass || o.Wait != 4*time.Minute {
		t.Fatalf("node B, early retry: %+v, want refused with 4m to wait (A's first attempt)", o)
	}
	clk.Add(5 * time.Minute)
	if o := check(t, b, client, "s@sender.example", "u@example.org"); !o.Pass {
		t.Fatalf("node B, retry after the delay: %+v, want passed", o)
	}
	if o := check(t, a, client, "s@sender.example", "other@example.org"); !o.Pass || o.How != "allowlisted" {
		t.Fatalf("node A afterwards: %+v, want allowlisted by B's pass", o)
	}
}

// openPostgres opens a store on the database at dsn
// (testkit.PostgresDatabase), closed at the test's end; two opened on one
// database are two nodes.
func openPostgres(t *testing.T, dsn string) store.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn, postgres.Options{NoListen: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
