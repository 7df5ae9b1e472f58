package dnsr

import (
	"context"
	"net"
	"net/netip"
	"time"
)

// Resolver answers the lookups the mail server needs.
type Resolver interface {
	// LookupMX returns the MX records of domain sorted by preference.
	LookupMX(ctx context.Context, domain string) ([]*net.MX, error)
	// LookupIP returns the IPv4 and IPv6 addresses of host.
	LookupIP(ctx context.Context, host string) ([]netip.Addr, error)
	// LookupTXT returns the TXT records of name, each one string.
	LookupTXT(ctx context.Context, name string) ([]string, error)
	// LookupAddr returns the PTR names of ip.
	LookupAddr(ctx context.Context, ip netip.Addr) ([]string, error)
}

// Config configures a Client.
type Config struct {
	// Servers are asked in turn ("host:port"); empty = the nameservers of
	// /etc/resolv.conf.
	Servers []string
	// Timeout bounds each lookup, retransmissions included (0 = 5 s).
	Timeout time.Duration
	// Cache keeps answers for their TTL and shares concurrent identical
	// queries (cache.go); off, every lookup asks the servers.
	Cache bool
	// CacheEntries bounds the cache (0 = DefaultCacheEntries).
	CacheEntries int
	// Now is the cache's clock (nil = time.Now), for tests.
	Now func() time.Time
	// DNSSEC believes the AD bit of the servers' answers (the Secure
	// lookups and LookupTLSA): set it only when the servers validate
	// DNSSEC and the path to them cannot be tampered with, a validating
	// resolver on 127.0.0.1 (dns.dnssec, README "DANE"). Off, every
	// answer is insecure.
	DNSSEC bool
}

// New returns an uncached resolver that asks servers ("host:port", in
// turn), or the nameservers of /etc/resolv.conf when servers is empty;
// each lookup takes at most timeout (0 = 5 s).
func New(servers []string, timeout time.Duration) Resolver {
	return newClient(Config{Servers: servers, Timeout: timeout})
}

// NewClient is New for callers that need more than Resolver (SRV records:
// LookupSRV); it returns the concrete client.
func NewClient(servers []string, timeout time.Duration) *Client {
	return newClient(Config{Servers: servers, Timeout: timeout})
}

// NewFromConfig returns a client as configured, cached when cfg.Cache is
// set.
func NewFromConfig(cfg Config) *Client {
	return newClient(cfg)
}
