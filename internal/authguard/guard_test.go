package authguard

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }
func addr(s string) netip.Addr           { return netip.MustParseAddr(s) }
func guard(c *clock, cfg Config) *Guard  { cfg.Now = c.now; return New(cfg) }
func fail(g *Guard, ip, acct string, n int) {
	for range n {
		g.Failure(addr(ip), acct)
	}
}

func TestDelayGrowsThenBlocks(t *testing.T) {
	c := newClock()
	g := guard(c, Config{IPFree: 2, IPBlock: 6, AccountFree: 100, AccountBlock: 100, BaseDelay: time.Second, MaxDelay: 4 * time.Second})
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second}
	for i, w := range want {
		if v := g.Check(addr("192.0.2.1"), "alice"); v.Blocked || v.Delay != w {
			t.Fatalf("after %d failures: %+v, want delay %v", i, v, w)
		}
		g.Failure(addr("192.0.2.1"), fmt.Sprintf("user%d", i))
	}
	v := g.Check(addr("192.0.2.1"), "alice")
	if !v.Blocked || v.Scope != ScopeClient || !v.Until.Equal(c.t.Add(15*time.Minute)) {
		t.Fatalf("after 6 failures: %+v, want a client block for 15m", v)
	}
	if v := g.Check(addr("192.0.2.2"), "alice"); v.Blocked || v.Delay != 0 {
		t.Fatalf("another client: %+v", v)
	}
	c.advance(15*time.Minute + time.Second)
	if v := g.Check(addr("192.0.2.1"), "alice"); v.Blocked || v.Delay != 0 {
		t.Fatalf("after the block and the window: %+v", v)
	}
}

func TestDelayCapped(t *testing.T) {
	c := newClock()
	g := guard(c, Config{IPFree: 1, IPBlock: 1000, BaseDelay: time.Second, MaxDelay: 3 * time.Second})
	fail(g, "192.0.2.1", "x", 40)
	if v := g.Check(addr("192.0.2.1"), "y"); v.Delay != 3*time.Second {
		t.Fatalf("delay = %v, want the 3s cap", v.Delay)
	}
}

func TestWindowForgets(t *testing.T) {
	c := newClock()
	g := guard(c, Config{IPFree: 1, IPBlock: 5, Window: time.Minute})
	fail(g, "192.0.2.1", "x", 4)
	c.advance(61 * time.Second)
	g.Failure(addr("192.0.2.1"), "x") // counts as the first again
	if v := g.Check(addr("192.0.2.1"), "x"); v.Blocked || v.Delay != 0 {
		t.Fatalf("after the window: %+v", v)
	}
}

func TestAccountBlockSparesTrustedClient(t *testing.T) {
	c := newClock()
	g := guard(c, Config{AccountFree: 2, AccountBlock: 5, TrustFor: time.Hour, BlockFor: 2 * time.Hour})
	g.Success(addr("198.51.100.7"), "alice@example.org")
	// A distributed attack: one failure from each of many clients.
	for i := range 5 {
		g.Failure(addr(fmt.Sprintf("203.0.113.%d", i+1)), "Alice@Example.org")
	}
	v := g.Check(addr("203.0.113.99"), "alice@example.org")
	if !v.Blocked || v.Scope != ScopeAccount {
		t.Fatalf("untrusted client: %+v, want an account block", v)
	}
	if v := g.Check(addr("198.51.100.7"), "ALICE@example.org"); v.Blocked || v.Delay != 0 {
		t.Fatalf("trusted client: %+v, want no block and no delay", v)
	}
	if v := g.Check(addr("198.51.100.7"), "bob@example.org"); v.Blocked {
		t.Fatalf("trust is per account: %+v", v)
	}
	c.advance(time.Hour + time.Second)
	if v := g.Check(addr("198.51.100.7"), "alice@example.org"); !v.Blocked {
		t.Fatalf("trust expired: %+v, want the account block", v)
	}
}

func TestTrustedClientBehindBlockedAddress(t *testing.T) {
	c := newClock()
	g := guard(c, Config{IPBlock: 3})
	g.Success(addr("192.0.2.1"), "alice")
	fail(g, "192.0.2.1", "bob", 3) // another user behind the same NAT
	if v := g.Check(addr("192.0.2.1"), "carol"); !v.Blocked || v.Scope != ScopeClient {
		t.Fatalf("carol: %+v, want a client block", v)
	}
	if v := g.Check(addr("192.0.2.1"), "alice"); v.Blocked {
		t.Fatalf("alice, trusted: %+v", v)
	}
}

func TestSuccessForgetsAccountNotClient(t *testing.T) {
	c := newClock()
	g := guard(c, Config{IPFree: 1, AccountFree: 1, IPBlock: 100, AccountBlock: 100, BaseDelay: time.Second})
	fail(g, "192.0.2.1", "alice", 3)
	g.Success(addr("192.0.2.1"), "alice")
	if v := g.Check(addr("192.0.2.2"), "alice"); v.Delay != 0 {
		t.Fatalf("alice from elsewhere after her success: %+v", v)
	}
	if v := g.Check(addr("192.0.2.1"), "bob"); v.Delay != 2*time.Second {
		t.Fatalf("the client's failures are kept: %+v", v)
	}
}

func TestIPv6GroupedBy64(t *testing.T) {
	c := newClock()
	g := guard(c, Config{IPBlock: 2})
	g.Failure(addr("2001:db8:1:2::1"), "x")
	g.Failure(addr("2001:db8:1:2:ffff::9"), "y")
	if v := g.Check(addr("2001:db8:1:2::77"), "z"); !v.Blocked {
		t.Fatalf("same /64: %+v", v)
	}
	if v := g.Check(addr("2001:db8:1:3::1"), "z"); v.Blocked {
		t.Fatalf("other /64: %+v", v)
	}
	g.Failure(addr("::ffff:192.0.2.5"), "x")
	g.Failure(addr("192.0.2.5"), "x")
	if v := g.Check(addr("192.0.2.5"), "q"); !v.Blocked {
		t.Fatalf("IPv4-mapped counts as IPv4: %+v", v)
	}
}

func TestBoundedMemory(t *testing.T) {
	c := newClock()
	g := guard(c, Config{MaxEntries: 50})
	for i := range 1000 {
		ip := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		g.Failure(ip, fmt.Sprintf("user%d-%s", i, string(make([]byte, 1000))))
		g.Success(ip, fmt.Sprintf("u%d", i))
	}
	if g.clients.len() > 50 || g.accounts.len() > 50 || g.trusted.len() > 50 {
		t.Fatalf("tables: %d clients, %d accounts, %d trusted; want at most 50 each", g.clients.len(), g.accounts.len(), g.trusted.len())
	}
	for k := range g.accounts.m {
		if len(k) > maxAccountKey {
			t.Fatalf("account key of %d bytes kept", len(k))
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	g := New(Config{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				ip := netip.AddrFrom4([4]byte{10, 0, byte(w), byte(i)})
				g.Check(ip, "alice")
				g.Failure(ip, "alice")
				if i%50 == 0 {
					g.Success(ip, "alice")
				}
			}
		}()
	}
	wg.Wait()
}
