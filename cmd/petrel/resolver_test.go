package main

import (
	"context"
	"net/netip"
	"testing"
)

func TestReverseNameLoopback(t *testing.T) {
	// 127.0.0.1 is "localhost" in /etc/hosts on every machine this runs on,
	// forward-confirmed without any DNS server.
	got := reverseName(newResolver(nil))(context.Background(), netip.MustParseAddr("127.0.0.1"))
	if got != "localhost" {
		t.Fatalf("reverse name of 127.0.0.1 = %q, want localhost", got)
	}
}

func TestReverseNameUnreachableServer(t *testing.T) {
	// A resolver that cannot reach its server yields "" (never an error or a hang).
	r := newResolver([]string{"127.0.0.1:1"})
	if got := reverseName(r)(context.Background(), netip.MustParseAddr("192.0.2.1")); got != "" {
		t.Fatalf("got %q", got)
	}
}
