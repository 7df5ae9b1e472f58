package netserve

import (
	"net/netip"
	"testing"
)

// The addresses of one IPv6 /64 are one client for the per-address limit
// (one subscriber holds the whole /64); another /64 and IPv4 addresses
// are counted apart.
func TestLimiterCountsIPv6Per64(t *testing.T) {
	l := NewLimiter("test", 100, 2)
	a := netip.MustParseAddr
	if !l.acquire(a("2001:db8:1:2::1")) || !l.acquire(a("2001:db8:1:2:ffff::9")) {
		t.Fatal("the first two connections of the /64 were refused")
	}
	if l.acquire(a("2001:db8:1:2::77")) {
		t.Fatal("a third address of the same /64 got a slot past the per-address limit")
	}
	if !l.acquire(a("2001:db8:1:3::1")) || !l.acquire(a("192.0.2.1")) || !l.acquire(a("192.0.2.2")) {
		t.Fatal("another /64 or IPv4 address was refused")
	}
	l.release(a("2001:db8:1:2:ffff::9"))
	if !l.acquire(a("2001:db8:1:2::77")) {
		t.Fatal("a released slot of the /64 was not given back")
	}
	if n := l.Connections(); n != 5 {
		t.Fatalf("%d connections counted, want 5", n)
	}
}
