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

// New returns a resolver that asks servers ("host:port", tried in order),
// or the nameservers of /etc/resolv.conf when servers is empty; each query
// waits at most timeout (0 = 5 s).
func New(servers []string, timeout time.Duration) Resolver {
	return newClient(servers, timeout)
}

// NewClient is New for callers that need more than Resolver (SRV records:
// LookupSRV); it returns the concrete client.
func NewClient(servers []string, timeout time.Duration) *Client {
	return newClient(servers, timeout)
}
