package main

import (
	"context"
	"net/netip"
	"time"

	"github.com/petrelmail/petrel/internal/dnsr"
)

// reverseLookupTimeout bounds the reverse lookup of a client's address, so
// a slow resolver cannot hold a session up for long.
const reverseLookupTimeout = 3 * time.Second

// reverseName returns the forward-confirmed reverse DNS name of an address
// through r (dnsr.ReverseName), or "", within reverseLookupTimeout.
func reverseName(r dnsr.Resolver) func(ctx context.Context, ip netip.Addr) string {
	return func(ctx context.Context, ip netip.Addr) string {
		ctx, cancel := context.WithTimeout(ctx, reverseLookupTimeout)
		defer cancel()
		return dnsr.ReverseName(ctx, r, ip)
	}
}
