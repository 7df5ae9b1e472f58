package main

import (
	"context"
	"net/netip"
	"time"

	"github.com/petrelmail/petrel/internal/config"
	"github.com/petrelmail/petrel/internal/dnsr"
)

// newResolver is the one resolver of petrel serve: dns.servers (else the
// system's), with a cache unless dns.cache is false, believing the AD bit
// with dns.dnssec (outbound DANE). petrel dns check
// makes its own, uncached, to see records just published.
func newResolver(cfg *config.Config) dnsr.Resolver {
	return dnsr.NewFromConfig(dnsr.Config{Servers: cfg.DNS.Servers, Cache: cfg.DNS.Cache, DNSSEC: cfg.DNS.DNSSEC})
}

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
