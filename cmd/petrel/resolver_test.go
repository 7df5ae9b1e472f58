package main

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
	"github.com/petrelmail/petrel/internal/dnsr/dnstest"
)

func TestReverseNameThroughDNSServers(t *testing.T) {
	s := dnstest.Start(t)
	s.Add(t, "1.2.0.192.in-addr.arpa. PTR client.example.", "client.example. A 192.0.2.1")
	rev := reverseName(dnsr.New([]string{s.Addr}, time.Second))
	if got := rev(context.Background(), netip.MustParseAddr("192.0.2.1")); got != "client.example" {
		t.Fatalf("reverse name of 192.0.2.1 = %q, want client.example", got)
	}
	if got := rev(context.Background(), netip.MustParseAddr("192.0.2.7")); got != "" {
		t.Fatalf("reverse name without PTR = %q", got)
	}
}

func TestReverseNameUnreachableServer(t *testing.T) {
	// A resolver that cannot reach its server yields "" (never an error or a
	// hang past reverseLookupTimeout).
	start := time.Now()
	rev := reverseName(dnsr.New([]string{"127.0.0.1:1"}, time.Second))
	if got := rev(context.Background(), netip.MustParseAddr("192.0.2.1")); got != "" {
		t.Fatalf("got %q", got)
	}
	if d := time.Since(start); d > reverseLookupTimeout+time.Second {
		t.Fatalf("took %v", d)
	}
}
